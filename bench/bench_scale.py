"""Scale figures for issue 7: feeds polled per minute per core, peak memory, and two processes on PostgreSQL.

1. One bot process polls N feeds (default 2,000) served from 127.0.0.1 by a server in a separate
   process (its CPU is not counted). A priming round stores validators (every feed 200 OK, parsed
   in the worker pool), then rounds where every feed answers 304 go through the real
   DigestService.refresh_feeds / FeedSync path with fetch.feed_interval 0, so each round fetches
   every feed. Reported per round: wall time and the bot's CPU seconds (its main process by
   time.process_time, plus its worker processes from /proc); feeds/min per core is
   fetches / (CPU seconds / 60). Done at the default fetch.concurrency and at a higher one.
2. Peak memory (ru_maxrss) of that process after the 200 round and after the 304 rounds, and the
   peak of each of its worker processes (VmHWM).
3. Two bot processes on one PostgreSQL database poll the same feeds for --seconds with
   fetch.feed_interval = --interval, through bot.feedpoll.FeedPoller as the bot runs it (or, with
   --ticks-mode or before the poller exists, refreshing every feed --ticks times per interval).
   Process A primes the store first (every feed 200 OK), so the window measures steady polling.
   The server logs every request with the process's User-Agent: requests per feed per interval
   (target 1), per process, and how many fetches came sooner than the interval after the last.
   Needs NEWSBRIEF_TEST_PG_URL (see .ci/pg-start); skipped, and said so, without it.

All feeds are on one host, so per_host_concurrency is set equal to concurrency (real feeds spread
over many hosts, where the per-host cap rarely binds).

    .venv/bin/python bench/bench_scale.py [--feeds 2000] [--items 10] [--seconds 60] [--interval 30]
        [--concurrency-high 64] [--rounds 2] [--json out.json] [--skip-pg | --skip-single]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._feedserver import fetch_pattern, serve_in_process, start_conditional_feeds  # noqa: E402
from bot.digests import DigestService  # noqa: E402
from bot.feedsync import FeedOutcome  # noqa: E402
from bot.news.fetch import make_session  # noqa: E402
from bot.news.service import BriefingService  # noqa: E402
from bot.news.workers import Workers, pin_blas_threads  # noqa: E402
from bot.settings import DigestSettings, FeedSettings, FetchSettings, Settings, StorageSettings  # noqa: E402
from bot.store_factory import open_store  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def proc_peak_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_pids(workers: Workers) -> list[int]:
    """The pids of a started process pool's workers (none for a thread pool)."""
    pool = workers._pool
    return sorted(getattr(pool, "_processes", {}) or {})


def self_peak_mb() -> float:
    """This process's ru_maxrss in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bot_settings(base: str, feeds: int, *, concurrency: int, interval: float, storage: StorageSettings,
                 user_agent: str | None = None) -> Settings:
    """Settings for N feeds on the bench server, polled with this concurrency and feed interval."""
    host = base.split("//", 1)[1]
    fetch = FetchSettings(allow_hosts=(host,), timeout=60.0, concurrency=concurrency,
                          per_host_concurrency=concurrency, feed_interval=interval)
    if user_agent:
        fetch = replace(fetch, user_agent=user_agent)
    feed_list = tuple(FeedSettings(id=f"f{n}", url=f"{base}/feed/{n}.xml", name=f"Outlet {n}") for n in range(feeds))
    # One digest names every feed, as a config must; the bench never runs it.
    digest = DigestSettings(id="all", channel=1, schedule="0 7 * * *", feeds=tuple(f.id for f in feed_list))
    return Settings(feeds=feed_list, digests=(digest,), fetch=fetch, storage=storage)


class Bot:
    """The bot side of one process: store, session, worker pool and DigestService, as bot/app.py wires them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workers = Workers(mode="process")
        self.store: Any = None
        self.session: Any = None
        self.service: DigestService | None = None

    async def __aenter__(self) -> Bot:
        self.store = await open_store(self.settings.storage)
        self.session = make_session(self.settings.fetch)
        await self.workers.start()
        self.service = DigestService(self.settings, self.store, self.session,
                                     BriefingService(self.settings, self.session, self.workers))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()
        await self.store.close()
        self.workers.close()

    def cpu(self) -> float:
        """CPU seconds of this process and its live workers so far."""
        return time.process_time() + sum(proc_cpu(p) for p in worker_pids(self.workers))

    async def poll(self) -> dict[str, Any]:
        """One refresh of every configured feed: wall and CPU seconds, and the outcomes by status."""
        assert self.service is not None
        cpu, wall = self.cpu(), time.perf_counter()
        outcomes = await self.service.refresh_feeds([f.id for f in self.settings.feeds])
        wall, cpu = time.perf_counter() - wall, self.cpu() - cpu
        return {"wall": wall, "cpu": cpu, "statuses": dict(Counter(o.status for o in outcomes.values()))}


def fetched(statuses: dict[str, int]) -> int:
    """How many feeds a round actually asked the server for."""
    return statuses.get("fetched", 0) + statuses.get("not_modified", 0)


async def server_statuses(base: str) -> dict[str, int]:
    """What the server answered since its last reset, by status and by validator the feed offers."""
    async with aiohttp.ClientSession() as control, control.get(base + "/_log") as resp:
        log = await resp.json()
    # Feeds numbered 3 mod 4 send no ETag: their 304s answer If-Modified-Since alone.
    return dict(Counter(f"{status} ({'Last-Modified only' if int(path[6:-4]) % 4 == 3 else 'ETag'})"
                        for _, path, status, _ in log))


async def single_process(base: str, feeds: int, concurrencies: list[int], rounds: int) -> dict[str, Any]:
    """Figures 1 and 2: the priming round, then `rounds` all-304 rounds at each concurrency."""
    out: dict[str, Any] = {"feeds": feeds, "rounds": []}
    with tempfile.TemporaryDirectory() as tmp:
        storage = StorageSettings(path=str(Path(tmp) / "scale.db"))
        settings = bot_settings(base, feeds, concurrency=concurrencies[0], interval=0.0, storage=storage)
        async with Bot(settings) as bot:
            assert bot.service is not None
            out["rss_start_mb"] = self_peak_mb()
            prime = await bot.poll()
            out["prime"] = prime
            out["rss_after_200_mb"] = self_peak_mb()
            print(f"priming round (200 OK, parsed): {prime['wall']:.1f} s wall, {prime['cpu']:.1f} s CPU "
                  f"(main + workers), {prime['statuses']}; main ru_maxrss {out['rss_after_200_mb']:.0f} MB", flush=True)
            async with aiohttp.ClientSession() as control:
                await control.post(base + "/_reset")
            for concurrency in concurrencies:
                bot.service.update_settings(replace(settings, fetch=replace(
                    settings.fetch, concurrency=concurrency, per_host_concurrency=concurrency)))
                for r in range(rounds):
                    res = await bot.poll()
                    res.update(concurrency=concurrency, round=r + 1,
                               per_min_core=fetched(res["statuses"]) / (res["cpu"] / 60) if res["cpu"] else 0.0,
                               per_min_wall=fetched(res["statuses"]) / (res["wall"] / 60))
                    out["rounds"].append(res)
                    print(f"304 round {r + 1} at concurrency {concurrency}: {res['wall']:.2f} s wall, "
                          f"{res['cpu']:.2f} s CPU -> {res['per_min_core']:,.0f} feeds/min per core "
                          f"({res['per_min_wall']:,.0f} feeds/min wall), {res['statuses']}", flush=True)
            out["rss_after_304_mb"] = self_peak_mb()
            out["server"] = await server_statuses(base)
            print(f"the server saw, over the 304 rounds: {out['server']}", flush=True)
            out["worker_peak_mb"] = [proc_peak_mb(p) for p in worker_pids(bot.workers)]
    print(f"peak memory, {feeds} feeds: main process ru_maxrss {out['rss_start_mb']:.0f} MB at start, "
          f"{out['rss_after_200_mb']:.0f} MB after the 200 round, {out['rss_after_304_mb']:.0f} MB after the 304 "
          f"rounds; workers' peaks {', '.join(f'{m:.0f}' for m in out['worker_peak_mb'])} MB", flush=True)
    return out


def summarise(result: dict[str, Any], concurrencies: list[int]) -> None:
    """Print the median 304 figures per concurrency."""
    for concurrency in concurrencies:
        rows = sorted((r for r in result["rounds"] if r["concurrency"] == concurrency), key=lambda r: r["per_min_core"])
        if rows:
            mid = rows[len(rows) // 2]
            print(f"median at concurrency {concurrency}: {mid['per_min_core']:,.0f} feeds/min per core, "
                  f"{mid['wall']:.2f} s wall for {fetched(mid['statuses'])} feeds")


@dataclass
class Tally:
    """What one process's polls did: batches, feeds asked for, outcomes, the longest batch."""

    batches: int = 0
    feeds: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    longest: float = 0.0

    def add(self, feeds: int, outcomes: dict[str, FeedOutcome], wall: float) -> None:
        """Count one refresh_feeds call."""
        self.batches += 1
        self.feeds += feeds
        self.statuses.update(o.status for o in outcomes.values())
        self.longest = max(self.longest, wall)


def recorded(service: DigestService, tally: Tally) -> None:
    """Count every refresh_feeds call the service gets (the poller's included) into `tally`."""
    real = service.refresh_feeds

    async def refresh(feed_ids: Sequence[str], **kwargs: Any) -> dict[str, FeedOutcome]:
        wall = time.perf_counter()
        outcomes = await real(feed_ids, **kwargs)
        tally.add(len(feed_ids), outcomes, time.perf_counter() - wall)
        return outcomes

    service.refresh_feeds = refresh  # type: ignore[method-assign]


async def poll_by_ticks(bot: Bot, seconds: float, tick: float) -> None:
    """Refresh every feed at each tick (a late tick is skipped, not made up in a burst)."""
    started = time.perf_counter()
    due = started
    while True:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if time.perf_counter() - started >= seconds:
            return
        await bot.poll()
        due = started + (math.floor((time.perf_counter() - started) / tick) + 1) * tick


async def child_main(args: argparse.Namespace) -> int:
    """One of the two PostgreSQL processes: wait for 'go' on stdin, poll for --seconds, print JSON."""
    settings = bot_settings(args.base, args.feeds, concurrency=args.concurrency, interval=args.interval,
                            storage=StorageSettings(url=args.pg_url), user_agent=f"newsbrief-bench/{args.name}")
    async with Bot(settings) as bot:
        assert bot.service is not None
        prime = await bot.poll() if args.prime else None
        try:
            from bot.feedpoll import FeedPoller
        except ImportError:  # before the background poller landed: poll everything at each tick
            FeedPoller = None  # type: ignore[assignment,misc]
        tally = Tally()
        recorded(bot.service, tally)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        cpu, started = bot.cpu(), time.perf_counter()
        if FeedPoller is not None and not args.ticks_mode:
            poller = FeedPoller(bot.service)
            poller.start()
            await asyncio.sleep(args.seconds)
            await poller.stop()
        else:
            await poll_by_ticks(bot, args.seconds, args.interval / args.ticks)
        result = {"name": args.name, "mode": "ticks" if FeedPoller is None or args.ticks_mode else "FeedPoller",
                  "prime": prime, "wall": time.perf_counter() - started, "cpu": bot.cpu() - cpu,
                  "batches": tally.batches, "feeds_asked": tally.feeds, "statuses": dict(tally.statuses),
                  "longest_batch": tally.longest, "rss_mb": self_peak_mb(),
                  "worker_peak_mb": [proc_peak_mb(p) for p in worker_pids(bot.workers)]}
    print(json.dumps(result), flush=True)
    return 0


def pg_server_cpu() -> float | None:
    """CPU seconds of the local PostgreSQL server started by .ci/pg-start (postmaster, live backends and the
    backends it has reaped), or None when NEWSBRIEF_TEST_PG_DIR does not name one."""
    pid_file = Path(os.environ.get("NEWSBRIEF_TEST_PG_DIR", "/nonexistent")) / "data" / "postmaster.pid"
    try:
        master = int(pid_file.read_text().split()[0])
        fields = Path(f"/proc/{master}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None
    total = sum(int(f) for f in fields[11:15]) / TICKS  # utime, stime, and its reaped children's
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            child = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it exited meanwhile; its time is now in the postmaster's children's figure
        if int(child[1]) == master:
            total += (int(child[11]) + int(child[12])) / TICKS
    return total


async def run_two_processes(base: str, pg_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Figure 3: two bot processes on a fresh PostgreSQL database poll the same feeds for --seconds."""
    import asyncpg  # only this part needs it

    name = f"bench_scale_{os.getpid()}"
    admin = await asyncpg.connect(pg_url)
    await admin.execute(f"CREATE DATABASE {name}")
    url = urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))
    procs = []
    try:
        for who in ("A", "B"):
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--child", "--name", who, "--base", base, "--pg-url", url,
                "--feeds", str(args.feeds), "--seconds", str(args.seconds), "--interval", str(args.interval),
                "--ticks", str(args.ticks), *(["--prime"] if who == "A" else []),
                *(["--ticks-mode"] if args.ticks_mode else []), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE))
        for proc in procs:
            assert proc.stdout is not None
            while (await proc.stdout.readline()).strip() != b"ready":
                pass
        async with aiohttp.ClientSession() as control:
            await control.post(base + "/_reset")
            pg_cpu = pg_server_cpu()
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write(b"go\n")
                await proc.stdin.drain()
            outputs = [json.loads((await proc.communicate())[0].decode().strip().splitlines()[-1]) for proc in procs]
            async with control.get(base + "/_log") as resp:
                log = await resp.json()
        await asyncio.sleep(0.5)  # let the postmaster reap the bots' backends, so their CPU is in its figure
        after = pg_server_cpu()
        pg_cpu = after - pg_cpu if after is not None and pg_cpu is not None else None
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await admin.execute(f"DROP DATABASE IF EXISTS {name}")
        await admin.close()
    seen = fetch_pattern(log, args.feeds, args.interval, args.seconds)
    seen.update(processes=outputs, pg_cpu=pg_cpu)
    for out in outputs:
        prime = f"primed the store first ({out['prime']['wall']:.1f} s, {out['prime']['statuses']}); " if out["prime"] else ""
        print(f"process {out['name']} ({out['mode']}): {prime}{out['batches']} refresh_feeds calls for "
              f"{out['feeds_asked']} feeds in {out['wall']:.1f} s (longest {out['longest_batch']:.1f} s), outcomes "
              f"{out['statuses']}, {out['cpu']:.1f} s CPU (main + workers), ru_maxrss {out['rss_mb']:.0f} MB, "
              f"workers' peaks {', '.join(f'{m:.0f}' for m in out['worker_peak_mb'])} MB")
    print(f"two processes on PostgreSQL, {args.feeds} feeds, feed_interval {args.interval:.0f} s, {args.seconds:.0f} s: "
          f"{seen['requests']} requests ({seen['by_process']}, {seen['by_status']}), per interval window "
          f"{seen['requests_per_window']}, {seen['per_feed_per_interval']:.2f} requests per feed per interval "
          f"(target 1), {seen['duplicates']} duplicate fetches (within half an interval of that feed's last); "
          f"{seen['feeds_fetched']} feeds fetched, time between two fetches of a feed: median "
          f"{seen['median_gap'] or 0:.1f} s, {seen['gaps_over_1_5_intervals']} of {seen['gaps']} over 1.5 intervals")
    if seen["pg_cpu"] is not None:
        total = seen["pg_cpu"] + sum(out["cpu"] for out in outputs)
        print(f"PostgreSQL server CPU over the window: {seen['pg_cpu']:.1f} s; both bots + PostgreSQL: {total:.1f} s CPU "
              f"-> {seen['requests'] / (total / 60):,.0f} fetches/min per core")
    return seen


async def main(args: argparse.Namespace) -> dict[str, Any]:
    """Start the server, run the figures and print them; the figures as data."""
    pin_blas_threads()
    base, server = serve_in_process(start_conditional_feeds, args.feeds, args.items)
    concurrencies = [FetchSettings().concurrency, args.concurrency_high]
    report: dict[str, Any] = {"feeds": args.feeds, "items": args.items, "cpus": os.cpu_count(),
                              "default_concurrency": concurrencies[0], "high_concurrency": concurrencies[1]}
    try:
        if not args.skip_single:
            report["single"] = await single_process(base, args.feeds, concurrencies, args.rounds)
            summarise(report["single"], concurrencies)
        pg_url = os.environ.get("NEWSBRIEF_TEST_PG_URL")
        if args.skip_pg:
            report["pg"] = {"skipped": "--skip-pg"}
        elif not pg_url:
            print("two processes on PostgreSQL: skipped, NEWSBRIEF_TEST_PG_URL is not set "
                  "(eval \"$(.ci/pg-start)\" starts a server)")
            report["pg"] = {"skipped": "NEWSBRIEF_TEST_PG_URL not set"}
        else:
            report["pg"] = await run_two_processes(base, pg_url, args)
    finally:
        server.kill()
    return report


def cli() -> int:
    """Parse the arguments and run the bench (or, with --child, one PostgreSQL process)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=10, help="items per feed")
    parser.add_argument("--rounds", type=int, default=2, help="304 rounds at each concurrency")
    parser.add_argument("--concurrency-high", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the two PostgreSQL processes poll")
    parser.add_argument("--interval", type=float, default=30.0,
                        help="fetch.feed_interval of the two PostgreSQL processes, in seconds")
    parser.add_argument("--ticks", type=int, default=4, help="polls per interval in each PostgreSQL process")
    parser.add_argument("--ticks-mode", action="store_true",
                        help="PostgreSQL processes refresh every feed each tick instead of running bot.feedpoll")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--skip-pg", action="store_true", help="only the single-process figures")
    parser.add_argument("--skip-single", action="store_true", help="only the two-process PostgreSQL figures")
    # Internal: how the PostgreSQL part starts each bot process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--name", default="A", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--pg-url", help=argparse.SUPPRESS)
    parser.add_argument("--prime", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=FetchSettings().concurrency, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return asyncio.run(child_main(args))
    report = asyncio.run(main(args))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
