"""The media worker pool: slots, first-come-first-served waiting, growth and its cap."""

import asyncio

import pytest

from aicall.telephony.sip.pool import PoolUnavailable, WorkerPool

pytestmark = pytest.mark.sip


def test_waiting_calls_get_freed_slots_in_arrival_order_and_the_pool_respects_its_cap():
    async def scenario():
        pool = WorkerPool(bind_address="127.0.0.1", max_workers=2, min_workers=1, spare_slots=0)
        await pool.start()
        try:
            holders = [await pool.acquire() for _ in range(4)]  # the first worker is full
            order: list[int] = []

            async def wait(i: int):
                worker = await pool.acquire()
                order.append(i)
                return worker

            waiting = [asyncio.create_task(wait(i)) for i in range(12)]
            await asyncio.sleep(3)  # the second (and last) worker starts, takes 4 of them
            assert len(pool.workers) == 2 and order == [0, 1, 2, 3]
            for worker in holders:
                await pool.release(worker)
                await asyncio.sleep(0)
            await asyncio.sleep(0.1)
            assert order == list(range(8))
            assert pool.in_use() == 8 and len(pool.workers) == 2
            for task in waiting[8:]:
                task.cancel()
            await asyncio.gather(*waiting[8:], return_exceptions=True)
            assert not pool._waiters
        finally:
            await pool.stop()
        with pytest.raises(PoolUnavailable):
            await pool.acquire()

    asyncio.run(scenario())


@pytest.mark.parametrize("bind", ["127.0.0.1", "0.0.0.0"])  # noqa: S104 - the wildcard case
def test_a_command_is_followed_by_a_keep_alive_to_the_workers_sip_socket(bind):
    """The worker sleeps in libHandleEvents until a SIP packet arrives: the pool's CRLF
    keep-alive to its SIP port (on loopback for a wildcard bind) ends the poll at once."""
    import socket

    from aicall.telephony.sip.pool import WAKE, WorkerProcess

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sip:
        sip.bind(("127.0.0.1", 0))
        sip.settimeout(2)
        pool = WorkerPool(bind_address=bind)
        worker = WorkerProcess(pool, 0)
        worker.port = sip.getsockname()[1]
        pool.wake(worker)
        assert sip.recv(64) == WAKE == b"\r\n\r\n"
        pool._wake_socket.close()
