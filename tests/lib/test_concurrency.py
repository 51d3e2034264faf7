"""The ASGI concurrency guard: at most N requests inside at once, the rest served in turn."""

import asyncio

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


def test_lifespan_and_websocket_scopes_pass_straight_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    guarded = ConcurrencyLimit(app, 1)
    asyncio.run(guarded({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]
