"""Run CPU-bound pipeline work off the event loop, in worker processes with a hard deadline."""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from bot.errors import ExtractError

T = TypeVar("T")
log = logging.getLogger(__name__)

# Measured: numpy's BLAS with two threads made sumy's LSA 17-75x slower; one thread per worker.
_BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def pin_blas_threads() -> None:
    """Limit BLAS to one thread in this process (call before numpy is imported)."""
    for var in _BLAS_VARS:
        os.environ[var] = "1"


def _init_worker() -> None:
    pin_blas_threads()
    # Warm the heavy imports once per worker, not once per briefing.
    import bot.news.briefing  # noqa: F401


def _worker_pid(_: int) -> int:
    return os.getpid()


class Workers:
    """A small pool for extraction and summarising; `mode="thread"` trades the hard deadline for no forks."""

    def __init__(self, size: int | None = None, *, mode: str = "process") -> None:
        self.size = size or max(1, min(2, os.cpu_count() or 1))
        self.mode = mode
        self._pool: cf.Executor | None = None
        self._create_lock = threading.Lock()
        self._rewarm: asyncio.Future[cf.Executor] | None = None

    def _create_warm_pool(self) -> cf.Executor:
        """Make the pool and start every worker; blocking, so it runs in a thread."""
        if self.mode != "process":
            return cf.ThreadPoolExecutor(self.size, thread_name_prefix="newsbrief-cpu")
        ctx = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
        if os.name == "posix":
            # The fork server imports the pipeline once; each worker forks from it warm.
            pin_blas_threads()
            ctx.set_forkserver_preload(["bot.news.briefing"])
        pool = cf.ProcessPoolExecutor(self.size, mp_context=ctx, initializer=_init_worker)
        list(pool.map(_worker_pid, range(self.size)))
        return pool

    def _get_or_create(self) -> cf.Executor:
        # A thread lock, not an asyncio one: the pool outlives any one event loop (tests, CLI runs).
        with self._create_lock:
            if self._pool is None:
                self._pool = self._create_warm_pool()
            return self._pool

    async def start(self) -> cf.Executor:
        """Have a started pool, made off the event loop: spawning workers on it stalled the loop for seconds."""
        if self._pool is not None:
            return self._pool
        return await asyncio.to_thread(self._get_or_create)

    def _kill(self) -> None:
        """Stop every worker process: the only way to end a runaway extraction."""
        pool = self._pool
        self._pool = None
        if isinstance(pool, cf.ProcessPoolExecutor):
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.kill()
            pool.shutdown(wait=False, cancel_futures=True)

    # `timeout` is a deadline that kills the worker process, which a caller-side asyncio.timeout cannot do.
    async def run(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:  # noqa: ASYNC109
        """Run fn(*args) in a worker; past `timeout` seconds the work is stopped and ExtractError raised."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self._pool or await self.start()
            future = loop.run_in_executor(pool, fn, *args)
            try:
                return await asyncio.wait_for(future, timeout)
            except TimeoutError:
                if self.mode == "process" and self._pool is pool:
                    log.warning("worker passed its %.0f s deadline; restarting the pool", timeout)
                    self._kill()
                    # Re-warm now, off the loop, so the next briefing does not wait for fresh workers.
                    self._rewarm = asyncio.ensure_future(self.start())
                raise ExtractError(f"the page took longer than {timeout:.0f} s to read") from None
            except cf.BrokenExecutor:
                # Another task's deadline killed the pool under us: run once more on a fresh pool.
                if self._pool is pool:
                    self._pool = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Shut the pool down, waiting for nothing."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
