"""The ASGI concurrency guard: at most N requests inside at once, the rest served in turn,
on a fixed set of threads, reads in a lane of their own."""

import asyncio
import threading

from asgiref.sync import sync_to_async

from aicall.lib.concurrency import ConcurrencyLimit


def test_at_most_n_requests_run_at_once_and_every_one_is_served():
    inside, most, served = 0, 0, []

    async def app(scope, receive, send):
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        served.append(scope["n"])

    guarded = ConcurrencyLimit(app, 4)

    async def main():
        await asyncio.gather(*(guarded({"type": "http", "n": n}, None, None) for n in range(40)))

    asyncio.run(main())
    assert most == 4
    assert sorted(served) == list(range(40))


def test_requests_run_their_sync_code_on_the_lanes_threads_only():
    # A thread per request would mean a database connection per request.
    threads = set()

    async def app(scope, receive, send):
        await sync_to_async(lambda: threads.add(threading.get_ident()))()
        await asyncio.sleep(0.001)

    guarded = ConcurrencyLimit(app, reads=2, writes=1)

    async def main():
        await asyncio.gather(
            *(
                guarded({"type": "http", "method": "GET" if n % 2 else "POST"}, None, None)
                for n in range(30)
            )
        )

    asyncio.run(main())
    assert len(threads) == 3


def test_reads_do_not_wait_behind_writes():
    release_writes = None
    order = []

    async def app(scope, receive, send):
        if scope["method"] == "POST":
            await release_writes.wait()
        order.append(scope["method"])

    guarded = ConcurrencyLimit(app, reads=1, writes=1)

    async def main():
        nonlocal release_writes
        release_writes = asyncio.Event()
        writes = [
            asyncio.create_task(guarded({"type": "http", "method": "POST"}, None, None))
            for _ in range(3)
        ]
        await asyncio.sleep(0.01)
        assert guarded.writes.waiting == 2  # one inside, two in the write lane's queue
        await asyncio.wait_for(guarded({"type": "http", "method": "GET"}, None, None), 5)
        release_writes.set()
        await asyncio.gather(*writes)

    asyncio.run(main())
    assert order == ["GET", "POST", "POST", "POST"]


def test_a_write_lets_queued_reads_start_first_for_a_bounded_time():
    started = []

    async def app(scope, receive, send):
        started.append(scope["n"])
        await scope["release"].wait()

    async def main(give_way):
        release = asyncio.Event()
        guarded = ConcurrencyLimit(app, reads=1, writes=1, writes_give_way=give_way)
        requests = []
        for n, method in enumerate(["GET", "GET", "POST"]):
            scope = {"type": "http", "method": method, "n": n, "release": release}
            requests.append(asyncio.create_task(guarded(scope, None, None)))
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(*requests)

    asyncio.run(main(give_way=5))
    assert started == [0, 1, 2]  # the write waited while read 1 queued
    started.clear()
    asyncio.run(main(give_way=0.01))
    assert started == [0, 2, 1]  # not for longer than it was told


def test_lifespan_and_websocket_scopes_pass_straight_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    guarded = ConcurrencyLimit(app, 1)
    asyncio.run(guarded({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]


def test_downloads_wait_for_threads_of_their_own_and_never_hold_up_reads():
    release_downloads = None
    threads = {"read": set(), "download": set()}

    async def app(scope, receive, send):
        kind = "download" if scope["path"].endswith(".csv") else "read"
        await sync_to_async(lambda: threads[kind].add(threading.get_ident()))()
        if kind == "download":
            await release_downloads.wait()  # a client reading its CSV slowly

    guarded = ConcurrencyLimit(
        app, reads=1, writes=1, downloads=2, is_download=lambda s: s["path"].endswith(".csv")
    )

    async def main():
        nonlocal release_downloads
        release_downloads = asyncio.Event()
        downloads = [
            asyncio.create_task(
                guarded({"type": "http", "method": "GET", "path": "/a.csv"}, None, None)
            )
            for _ in range(3)
        ]
        await asyncio.sleep(0.01)
        assert guarded.downloads.waiting == 1  # two streaming, one queued behind them
        page = {"type": "http", "method": "GET", "path": "/api/export"}
        await asyncio.wait_for(asyncio.gather(*(guarded(page, None, None) for _ in range(5))), 5)
        release_downloads.set()
        await asyncio.gather(*downloads)

    asyncio.run(main())
    assert len(threads["read"]) == 1
    assert len(threads["download"]) == 2
    assert not threads["read"] & threads["download"]
