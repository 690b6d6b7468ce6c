"""The worker pool: started off the event loop, deadlines enforced, recovers after a kill."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from bot.errors import ExtractError
from bot.news.workers import Workers


def _pid() -> int:
    return os.getpid()


async def test_starting_the_pool_does_not_stall_the_loop() -> None:
    workers = Workers(2, mode="process")
    worst = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not stop.is_set():
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - t0 - 0.01)

    tick = asyncio.create_task(ticker())
    try:
        await workers.start()
        pids = {await workers.run(_pid) for _ in range(4)}
    finally:
        stop.set()
        await tick
        workers.close()
    assert os.getpid() not in pids
    assert worst < 0.5, f"the loop stalled {worst:.2f} s while workers started"


async def test_deadline_kills_the_work_and_the_pool_recovers() -> None:
    workers = Workers(1, mode="process")
    try:
        with pytest.raises(ExtractError, match="took longer than 1 s"):
            await workers.run(time.sleep, 30, timeout=1.0)
        assert await workers.run(_pid, timeout=30) != os.getpid()
    finally:
        workers.close()
