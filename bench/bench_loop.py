"""Event-loop stalls: how long the loop is blocked while the bot does a piece of work.

A stall delays everything else on the loop, Discord gateway heartbeats included, so CPU work
must run off the loop. `measure_stalls` runs one coroutine with a `LoopLagProbe` beside it and
prints the longest stall it saw; benchmarks import it and feed it the work to measure.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TextIO, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.ops.metrics import LoopLagProbe  # noqa: E402

T = TypeVar("T")


@dataclass(frozen=True)
class StallReport(Generic[T]):
    """What one measured run returned and how badly it blocked the loop."""

    result: T
    max_stall: float
    samples: int
    elapsed: float


async def measure_stalls(
    coro_factory: Callable[[], Awaitable[T]],
    *,
    label: str = "work",
    interval: float = 0.005,
    out: TextIO | None = None,
) -> StallReport[T]:
    """Await `coro_factory()` with a loop-lag probe running; print and return the longest stall."""
    probe = LoopLagProbe(interval=interval)
    probe_task = asyncio.create_task(probe.run())
    # Let the probe arm its first timer before the work can block the loop.
    await asyncio.sleep(0)
    started = time.perf_counter()
    try:
        result = await coro_factory()
    finally:
        elapsed = time.perf_counter() - started
        # One more tick so a stall at the very end of the work is still sampled.
        await asyncio.sleep(interval * 2)
        probe.stop()
        await probe_task
    report = StallReport(result=result, max_stall=probe.max_lag, samples=probe.samples, elapsed=elapsed)
    print(
        f"{label}: longest loop stall {report.max_stall * 1000:.1f} ms "
        f"({report.samples} samples every {interval * 1000:.0f} ms over {report.elapsed:.2f} s)",
        file=out if out is not None else sys.stdout,
    )
    return report
