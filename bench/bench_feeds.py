"""Scale bench: 200 feeds x 30 items from 127.0.0.1 through the real DigestService.

Runs a full first digest (first_fetch: post, so items are grouped, ranked and the top stories
briefed by the real pipeline in worker processes), a second run where every feed answers 304,
and a third where each feed gained one item. Reports wall time, peak memory (ru_maxrss and
tracemalloc of the main process) and the longest event-loop stall (a 10 ms ticker's lateness).

    .venv/bin/python bench/bench_feeds.py [--feeds 200] [--items 30]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_stalls import callback_timer

from bot.digests import DigestService
from bot.news.fetch import make_session
from bot.news.service import BriefingService
from bot.news.workers import Workers, pin_blas_threads
from bot.settings import DigestSettings, FeedSettings
from bot.store import Store
from tests.feed_helpers import Entry, FeedServer, RecordingDelivery, make_settings

_RNG = random.Random(3)
# A synthetic vocabulary about the size of a day's news: shared words are rare enough that only
# the planted same-story items should group.
WORDS = sorted({"".join(_RNG.choice("bcdfgklmnprstvz") + _RNG.choice("aeiou") for _ in range(3))
                for _ in range(4000)})


def story_text(rng: random.Random, topic: list[str]) -> str:
    sentences = []
    for _ in range(8):
        words = topic[:3] + rng.sample(WORDS, 10)
        rng.shuffle(words)
        sentences.append(" ".join(words).capitalize() + ", officials said on Friday.")
    return " ".join(sentences)


def build(server: FeedServer, feeds: int, items: int, rng: random.Random, extra: int = 0) -> None:
    shared = [rng.sample(WORDS, 4) for _ in range(20)]  # 20 stories carried by several outlets
    t0 = datetime(2026, 11, 27, 6, tzinfo=UTC)
    for f in range(feeds):
        entries = []
        for i in range(items + extra):
            topic = shared[(f + i) % 20] if i < 3 else [*rng.sample(WORDS, 4), f"feed{f}", f"item{i}"]
            title = " ".join(w.capitalize() for w in topic)
            entries.append(Entry(f"f{f}-{i}", title, f"/p/{f}/{i}", story_text(rng, topic),
                                 t0 - timedelta(minutes=i)))
        server.publish(f"/feed/{f}.xml", "rss" if f % 3 else ("atom" if f % 2 else "json"), entries[::-1])


def serve(feeds: int, items: int, port_queue: multiprocessing.Queue[str]) -> None:
    """The feed server, in its own process so that its work does not count as our loop's stalls."""
    async def run() -> None:
        server = FeedServer()
        await server.start()
        build(server, feeds, items, random.Random(7))

        async def bump(request: Any) -> Any:
            build(server, feeds, items, random.Random(7), extra=1)
            return web.Response(text="ok")

        assert server.runner is not None
        server.runner.app.router._frozen = False  # add the control route after start-up
        server.runner.app.router.add_route("POST", "/_bump", bump)
        port_queue.put(server.base)
        await asyncio.Event().wait()

    asyncio.run(run())


async def ticker(stalls: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.01)
        stalls.append(loop.time() - before - 0.01)


async def timed_run(service: DigestService, label: str) -> None:
    stalls: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(stalls, stop))
    chat = RecordingDelivery()
    started = time.perf_counter()
    phases: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if done == total:
            phases[stage] = time.perf_counter() - started

    with callback_timer() as longest:
        report = await service.run("all", chat, progress=progress)
    wall = time.perf_counter() - started
    stop.set()
    await tick
    statuses: dict[str, int] = {}
    for outcome in report.feeds.values():
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
    peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else 0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    over = sum(1 for s in stalls if s > 0.1)
    print(f"{label}: {wall:.2f} s (feeds done at {phases.get('feeds', 0):.1f} s), feeds {statuses}, stories {len(chat.stories)} "
          f"(largest {max((len(s.items) for s in chat.stories), default=0)} items), "
          f"longest loop stall {max(stalls, default=0) * 1000:.0f} ms ({over} over 100 ms), "
          f"{f'tracemalloc peak {peak / 1e6:.0f} MB, ' if peak else ''}main ru_maxrss {rss_mb:.0f} MB,"
          f" errors {len(report.errors)}; longest loop callback {longest.cpu[0] * 1000:.0f} ms CPU in {longest.cpu[1]},"
          f" {longest.wall[0] * 1000:.0f} ms wall in {longest.wall[1]}")


async def main(feeds: int, items: int, trace: bool = False, freeze: bool = True) -> None:
    pin_blas_threads()
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    child = multiprocessing.Process(target=serve, args=(feeds, items, queue), daemon=True)
    child.start()
    server = FeedServer(base=queue.get(timeout=60))
    with tempfile.TemporaryDirectory() as tmp:
        feed_list = [FeedSettings(id=f"f{f}", url=f"{server.base}/feed/{f}.xml", name=f"Outlet {f}",
                                  first_fetch="post") for f in range(feeds)]
        digest = DigestSettings(id="all", channel=1, schedule="0 7 * * *", feeds=tuple(fs.id for fs in feed_list))
        settings = make_settings(server, feed_list, [digest], str(Path(tmp) / "bench.db"))
        store = await Store.open(settings.storage.path)
        session = make_session(settings.fetch)
        workers = Workers(mode="process")
        service = DigestService(settings, store, session, BriefingService(settings, session, workers))
        # Start the worker processes before timing: their one-off start-up is reported on its own.
        cold = time.perf_counter()
        await workers.run(len, "warm-up", timeout=120)
        print(f"worker pool start-up: {time.perf_counter() - cold:.2f} s (before the timed runs)")
        if freeze:
            # What bot/app.py does after start-up: move the start-up objects (imports, models) out of
            # the cyclic collector's view, so a full collection has little to scan.
            gc.collect()
            gc.freeze()
        if trace:
            tracemalloc.start()
        try:
            await timed_run(service, f"first run ({feeds} feeds x {items} items)")
            await timed_run(service, "second run (all 304)")
            assert session is not None
            async with aiohttp.ClientSession() as control:
                await control.post(server.base + "/_bump")
            await timed_run(service, "third run (one new item per feed)")
        finally:
            await session.close()
            await store.close()
            workers.close()
            child.kill()
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest child process (worker or server) ru_maxrss: {workers_mb:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace Python allocations in the main process (slows it and adds stalls)")
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false",
                        help="skip the gc.freeze() that bot/app.py does after start-up (full collections then"
                             " scan every start-up object: 60-110 ms stalls here)")
    args = parser.parse_args()
    asyncio.run(main(args.feeds, args.items, args.tracemalloc, args.gc_freeze))
