"""Event-loop stalls under load (issue 6): a digest of 50 feeds plus ten simultaneous /brief.

Everything runs through the real code: DigestService (FeedSync, parse_feed, grouping, briefing)
and BriefingService with process workers, the guarded aiohttp session and an SQLite store. The
feeds and article pages are served from 127.0.0.1 by a separate process, so the server's own work
never counts as a stall of the bot's loop. A LoopLagProbe (bench_loop.measure_stalls) samples the
loop every 5 ms; the target is no stall over 100 ms.

    .venv/bin/python bench/bench_stalls.py [--feeds 50] [--items 10] [--briefs 10] [--rounds 3] [--content-kb 1.5]

Prints one line per round and exits 1 if any round's longest stall is over the target.

A stall is wall time, so on a busy machine it also counts time the OS gave to other processes.
To tell the two apart the bench also times every loop callback in CPU time of the loop's thread:
a long stall with a short CPU figure is the machine (or another thread holding the GIL), a long
CPU figure is our code blocking the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import asyncio.events
import multiprocessing
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_loop import measure_stalls  # noqa: E402
from bot.digests import DigestService  # noqa: E402
from bot.models import Briefing  # noqa: E402
from bot.news.fetch import make_session  # noqa: E402
from bot.news.service import BriefingService  # noqa: E402
from bot.news.workers import Workers, pin_blas_threads  # noqa: E402
from bot.settings import DigestSettings, FeedSettings, FetchSettings, Settings, StorageSettings  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.feed_helpers import Entry, FeedServer, RecordingDelivery  # noqa: E402

TARGET = 0.100  # seconds: past this a stall delays Discord's gateway heartbeat and every reply
_RNG = random.Random(11)
WORDS = sorted({"".join(_RNG.choice("bcdfgklmnprstvz") + _RNG.choice("aeiou") for _ in range(3))
                for _ in range(3000)})
NAMES = [w.capitalize() for w in WORDS[:300]]


@dataclass
class CallbackTimes:
    """The longest loop callbacks seen: by CPU time of the loop's thread and by wall time."""

    cpu: tuple[float, str] = (0.0, "none")
    wall: tuple[float, str] = (0.0, "none")


@contextmanager
def callback_timer() -> Iterator[CallbackTimes]:
    """Time every event-loop callback while active, keeping the longest by CPU and by wall time."""
    times = CallbackTimes()
    # Handle._run is where asyncio runs each callback; wrapping it is the only way to see them all.
    handle_class: Any = asyncio.events.Handle
    original: Callable[[Any], None] = handle_class._run

    def what(handle: Any) -> str:
        owner = getattr(handle._callback, "__self__", None)
        if isinstance(owner, asyncio.Task):
            return str(getattr(owner.get_coro(), "__qualname__", owner.get_name()))
        return repr(handle._callback)[:120]

    def timed(handle: Any) -> None:
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            original(handle)
        finally:
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
            if cpu > times.cpu[0]:
                times.cpu = (cpu, what(handle))
            if wall > times.wall[0]:
                times.wall = (wall, what(handle))

    handle_class._run = timed
    try:
        yield times
    finally:
        handle_class._run = original


def sentence(rng: random.Random, topic: list[str]) -> str:
    """One news-like sentence: topic words, filler and a capitalised name or two for the actor finder."""
    words = topic[:2] + rng.sample(WORDS, 12)
    rng.shuffle(words)
    who = f"{rng.choice(NAMES)} {rng.choice(NAMES)}"
    return f"{who} said the {' '.join(words)} would change by {rng.randint(2, 90)} per cent, officials said."


def article_text(rng: random.Random, topic: list[str], sentences: int) -> str:
    """Prose of `sentences` sentences about a topic."""
    return " ".join(sentence(rng, topic) for _ in range(sentences))


def build(server: FeedServer, feeds: int, items: int, briefs: int, content_kb: float = 1.5) -> None:
    """Publish the feeds (every item with its page) and the long pages the simultaneous briefs read."""
    rng = random.Random(5)
    shared = [rng.sample(WORDS, 4) for _ in range(15)]  # stories several outlets carry
    t0 = datetime(2026, 11, 27, 6, tzinfo=UTC)
    for f in range(feeds):
        entries = []
        for i in range(items):
            topic = shared[(f + i) % len(shared)] if i < 2 else rng.sample(WORDS, 4)
            title = " ".join(w.capitalize() for w in topic) + f" in {rng.choice(NAMES)}"
            sentences = max(3, round(content_kb * 1024 / 130))  # a sentence is about 130 characters
            entries.append(Entry(f"f{f}-{i}", title, f"/p/{f}/{i}", article_text(rng, topic, sentences),
                                 t0 - timedelta(minutes=5 * i)))
        server.publish(f"/feed/{f}.xml", ("rss", "atom", "json")[f % 3], entries)
    for b in range(briefs):
        topic = rng.sample(WORDS, 4)
        server.pages[f"/long/{b}"] = (" ".join(w.capitalize() for w in topic), article_text(rng, topic, 60))


def serve(feeds: int, items: int, briefs: int, content_kb: float, queue: multiprocessing.Queue[str]) -> None:
    """Run the feed server in this (child) process until killed."""
    async def run() -> None:
        server = FeedServer()
        await server.start()
        build(server, feeds, items, briefs, content_kb)
        queue.put(server.base)
        await asyncio.Event().wait()

    asyncio.run(run())


async def one_round(service: DigestService, briefer: BriefingService, base: str, briefs: int,
                    label: str) -> tuple[float, float]:
    """One digest run and `briefs` simultaneous brief_url calls; (longest stall, longest callback CPU time)."""
    chat = RecordingDelivery()

    async def brief(n: int) -> Briefing | Exception:
        try:
            return await briefer.brief_url(f"{base}/long/{n}")
        except Exception as err:  # counted, not raised: one failure must not hide the stall figure
            return err

    async def work() -> tuple[int, int, int]:
        report, briefed = await asyncio.gather(service.run("all", chat),
                                               asyncio.gather(*(brief(n) for n in range(briefs))))
        ok = sum(isinstance(b, Briefing) for b in briefed)
        return len(chat.stories), ok, len(report.errors)

    with callback_timer() as times:
        result = await measure_stalls(work, label=label, interval=0.005)
    stories, ok, errors = result.result
    print(f"  stories posted {stories}, briefs {ok}/{briefs}, digest errors {errors}; longest loop callback: "
          f"{times.cpu[0] * 1000:.1f} ms CPU in {times.cpu[1]}, {times.wall[0] * 1000:.1f} ms wall in {times.wall[1]}")
    return result.max_stall, times.cpu[0]


async def main(feeds: int, items: int, briefs: int, rounds: int, content_kb: float = 1.5) -> int:
    """Run the rounds; 0 when every round stayed under the target."""
    pin_blas_threads()
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    child = multiprocessing.Process(target=serve, args=(feeds, items, briefs, content_kb, queue), daemon=True)
    child.start()
    base = queue.get(timeout=120)
    host = base.split("//", 1)[1]
    worst_stall = worst_cpu = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        fetch = FetchSettings(allow_hosts=(host,), timeout=20.0, concurrency=8, per_host_concurrency=8)
        feed_list = tuple(FeedSettings(id=f"f{f}", url=f"{base}/feed/{f}.xml", name=f"Outlet {f}",
                                       first_fetch="post", max_items=items) for f in range(feeds))
        digest = DigestSettings(id="all", channel=1, schedule="0 7 * * *", feeds=tuple(f.id for f in feed_list),
                                max_stories=10)
        session = make_session(fetch)
        workers = Workers(mode="process")
        try:
            for r in range(rounds):
                # A fresh store each round: every round fetches, parses, groups and briefs everything again.
                settings = Settings(feeds=feed_list, digests=(digest,), fetch=fetch,
                                    storage=StorageSettings(path=str(Path(tmp) / f"stalls-{r}.db")))
                briefer = BriefingService(settings, session, workers)
                if r == 0:
                    # Warm the pool once: the fork server imports the pipeline, the first fork is not load.
                    await briefer.brief_url(f"{base}/long/0")
                store = await Store.open(settings.storage.path)
                try:
                    service = DigestService(settings, store, session, briefer)
                    stall, cpu = await one_round(
                        service, briefer, base, briefs,
                        f"round {r + 1}: digest of {feeds} feeds x {items} items + {briefs} briefs")
                finally:
                    await store.close()
                worst_stall, worst_cpu = max(worst_stall, stall), max(worst_cpu, cpu)
        finally:
            await session.close()
            workers.close()
            child.kill()
    verdict = "OK" if worst_stall <= TARGET else "OVER TARGET"
    print(f"longest event-loop stall over {rounds} rounds: {worst_stall * 1000:.1f} ms "
          f"(target {TARGET * 1000:.0f} ms): {verdict}; longest loop callback {worst_cpu * 1000:.1f} ms CPU")
    return 0 if worst_stall <= TARGET else 1


def cli() -> int:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--briefs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--content-kb", type=float, default=1.5,
                        help="size of each item's full text in its feed (content:encoded), in KB")
    args = parser.parse_args()
    return asyncio.run(main(args.feeds, args.items, args.briefs, args.rounds, args.content_kb))


if __name__ == "__main__":
    sys.exit(cli())
