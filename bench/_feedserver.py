"""Feed servers for the benches, each in its own process so that its CPU never counts as the bot's.

`serve_in_process(setup, *args)` runs an aiohttp server in a child process and returns its base URL
and the process; `setup(*args)` builds the server there. `ConditionalFeeds` is a lean server for
polling at scale: every body, ETag and Last-Modified is made once at start-up, a request whose
If-None-Match (or, without one, If-Modified-Since) matches is answered 304, and every feed request is
logged as (seconds since start, path, status, User-Agent) so a bench can count fetches per process and
per interval. `GET /_log` returns that log as JSON and `POST /_reset` clears it; neither is logged.
`fetch_pattern` sums such a log up for a polling bench.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import multiprocessing
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.feed_helpers import Entry, atom, jsonfeed, rss

Setup = Callable[..., Awaitable[Any]]  # builds and starts a server; returns an object with `.base`


def _run(setup: Setup, args: tuple[Any, ...], queue: multiprocessing.Queue[str]) -> None:
    async def main() -> None:
        server = await setup(*args)
        queue.put(server.base)
        await asyncio.Event().wait()  # serve until the parent kills this process

    asyncio.run(main())


def serve_in_process(setup: Setup, *args: Any, timeout: float = 120.0) -> tuple[str, multiprocessing.Process]:
    """Start `setup(*args)` in a child process; (its base URL, the process to kill when done)."""
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    child = multiprocessing.Process(target=_run, args=(setup, args, queue), daemon=True)
    child.start()
    try:
        return queue.get(timeout=timeout), child
    except BaseException:
        child.kill()
        raise


def feed_entries(feed: int, items: int, text_chars: int) -> list[Entry]:
    """`items` made-up news items for feed number `feed`, newest first, about `text_chars` of text each."""
    rng = random.Random(feed)
    t0 = datetime(2026, 11, 27, 6, tzinfo=UTC)
    words = [f"w{rng.randrange(5000)}" for _ in range(max(8, text_chars // 6))]
    return [Entry(f"f{feed}-{i}", f"Story {i} of outlet {feed}: {' '.join(rng.sample(words, 6))}", f"/p/{feed}/{i}",
                  " ".join(rng.sample(words, len(words))), t0 - timedelta(minutes=7 * i))
            for i in range(items)]


class ConditionalFeeds:
    """N feeds under /feed/<n>.xml that answer conditional GETs; see the module docstring."""

    def __init__(self, feeds: int, items: int, text_chars: int = 400) -> None:
        self.count, self.items, self.text_chars = feeds, items, text_chars
        self.bodies: dict[str, tuple[bytes, str | None, str, str]] = {}  # path -> body, ETag, Last-Modified, type
        self.log: list[tuple[float, str, int, str]] = []
        self.started = time.monotonic()
        self.base = ""
        self.runner: web.AppRunner | None = None

    def _build(self) -> None:
        modified = datetime(2026, 11, 27, 6, tzinfo=UTC)
        for n in range(self.count):
            entries = feed_entries(n, self.items, self.text_chars)
            kind = ("rss", "atom", "json")[n % 3]
            body = {"rss": rss, "atom": atom, "json": jsonfeed}[kind](entries, self.base)
            # Every fourth feed sends no ETag, so the If-Modified-Since path is polled too.
            etag = None if n % 4 == 3 else f'"v1-{n}"'
            ctype = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}[kind]
            self.bodies[f"/feed/{n}.xml"] = (body, etag, format_datetime(modified, usegmt=True), ctype)

    @staticmethod
    def _not_modified(request: web.Request, etag: str | None, last_modified: str) -> bool:
        if "If-None-Match" in request.headers:  # RFC 9110: If-None-Match wins over If-Modified-Since
            return etag is not None and request.headers["If-None-Match"] == etag
        since = request.headers.get("If-Modified-Since")
        if not since:
            return False
        try:
            return parsedate_to_datetime(since) >= parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return False

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one feed request: 304 when the validators match, else the whole feed."""
        found = self.bodies.get(request.path)
        if found is None:
            return web.Response(status=404, text="missing")
        body, etag, last_modified, ctype = found
        headers = {"Last-Modified": last_modified, **({"ETag": etag} if etag else {})}
        status = 304 if self._not_modified(request, etag, last_modified) else 200
        self.log.append((time.monotonic() - self.started, request.path, status, request.headers.get("User-Agent", "")))
        if status == 304:
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type=ctype, headers=headers)

    async def get_log(self, request: web.Request) -> web.Response:
        """The request log as JSON rows [seconds, path, status, user agent]."""
        return web.json_response(self.log)

    async def reset(self, request: web.Request) -> web.Response:
        """Forget the requests logged so far and restart the clock."""
        self.log.clear()
        self.started = time.monotonic()
        return web.json_response({"ok": True})

    async def start(self) -> ConditionalFeeds:
        """Bind a free port on 127.0.0.1, then render every feed (links need the base URL)."""
        app = web.Application()
        app.router.add_get("/_log", self.get_log)
        app.router.add_post("/_reset", self.reset)
        app.router.add_get("/feed/{name}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        self._build()
        return self


async def start_conditional_feeds(feeds: int, items: int, text_chars: int = 400) -> ConditionalFeeds:
    """Build and start a ConditionalFeeds server (the `setup` for serve_in_process)."""
    return await ConditionalFeeds(feeds, items, text_chars).start()


def fetch_pattern(log: list[list[Any]], feeds: int, interval: float, seconds: float) -> dict[str, Any]:
    """What a ConditionalFeeds log over `seconds` says about polling every `interval`: requests per process
    (User-Agent) and status, per interval window and per feed per interval, the time between two fetches
    of a feed, and duplicates (a feed fetched again within half an interval: polls on schedule are a whole
    interval apart, give or take a poll's jitter)."""
    by_feed: dict[str, list[float]] = {}
    for t, path, _, _ in log:
        by_feed.setdefault(path, []).append(t)
    gaps = sorted(b - a for times in by_feed.values() for a, b in itertools.pairwise(times))
    windows = math.ceil(seconds / interval)
    per_window = Counter(min(int(t // interval), windows - 1) for t, *_ in log)
    return {"interval": interval, "seconds": seconds, "requests": len(log), "feeds_fetched": len(by_feed),
            "by_process": dict(Counter(ua.rsplit("/", 1)[-1] for *_, ua in log)),
            "by_status": dict(Counter(str(status) for _, _, status, _ in log)),
            "requests_per_window": [per_window.get(w, 0) for w in range(windows)],
            "per_feed_per_interval": len(log) / feeds / (seconds / interval),
            "median_gap": statistics.median(gaps) if gaps else None, "gaps": len(gaps),
            "gaps_over_1_5_intervals": sum(1 for gap in gaps if gap > 1.5 * interval),
            "duplicates": sum(1 for gap in gaps if gap < interval / 2)}
