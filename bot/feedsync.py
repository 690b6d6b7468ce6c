"""Polite feed fetching for digests: one fetch per URL per run, bounded concurrency overall and
per host, conditional GET with validators from the store, exponential backoff and pausing.

Processes sharing a database share fetches too: each URL is claimed in the store before it is
fetched (`StoreLike.claim_fetch`). A URL fetched within its freshness window is not fetched again
(outcome "shared": the digest then reads the stored items, exactly as after its own fetch); a URL
another process is fetching right now is waited for, then reused."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.errors import BriefingError, FeedError
from bot.models import FeedItem
from bot.news.feeds import MAX_PARSE_ITEMS, parse_feed_job
from bot.schedule import Clock
from bot.settings import FeedSettings, FetchSettings
from bot.store_factory import StoreLike
from bot.store_schema import FeedState

log = logging.getLogger(__name__)

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9,"
               " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
Progress = Callable[[str, int, int], Awaitable[None] | None]
Notify = Callable[[str], Awaitable[None]]
Runner = Callable[..., Awaitable[Any]]

# A fetch that finished this long before a waiter first found the URL busy still counts as the one it
# waited for: the holder's clock (another machine, perhaps) may lag a little behind the waiter's.
CLOCK_SKEW = timedelta(seconds=5)
# Waiting for another process's fetch polls the store, from this interval doubling up to the cap.
WAIT_FIRST, WAIT_CAP = 0.02, 1.0
# Added to a claim's lease beyond the fetch and parse deadlines: storing the items takes time too.
LEASE_SLACK = 30.0


async def report_progress(progress: Progress | None, stage: str, done: int, total: int) -> None:
    """Call a progress callback (sync or async); its failures never stop a digest."""
    if progress is None:
        return
    try:
        result = progress(stage, done, total)
        if inspect.isawaitable(result):
            await result
    except Exception:  # a front-end's progress display must not break the run
        log.exception("progress callback failed")


class HostLimiter:
    """At most `total` fetches at once, and at most `per_host` to any one host."""

    def __init__(self, total: int, per_host: int) -> None:
        self._total = asyncio.Semaphore(max(1, total))
        self._per_host_limit = max(1, per_host)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, url: str) -> Any:
        """Hold one overall and one per-host slot while fetching url."""
        host = (urlsplit(url).hostname or "").lower()
        sem = self._hosts.setdefault(host, asyncio.Semaphore(self._per_host_limit))
        async with sem, self._total:
            yield


@dataclass
class FeedOutcome:
    """What one feed's refresh did in this run."""

    feed_id: str
    # fetched | not_modified | shared (another fetch reused) | busy (another process still fetching
    # when our wait ran out; the stored items are used) | backoff | paused | error
    status: str
    new_items: int = 0
    error: str | None = None
    # Dry runs write nothing: the freshly parsed (key, item, filter reason) travel in memory instead.
    fresh: list[tuple[str, FeedItem, str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class HealthPolicy:
    """Backoff of failing feeds: delay = base * 2^(failures-1), capped; paused after `pause_after`."""

    base: float = 60.0
    cap: float = 6 * 3600.0
    pause_after: int = 5

    @classmethod
    def from_settings(cls, fetch: FetchSettings) -> HealthPolicy:
        """The policy configured by fetch.retry_base, retry_max and pause_after_failures."""
        return cls(base=fetch.retry_base, cap=fetch.retry_max, pause_after=fetch.pause_after_failures)

    def delay(self, failures: int) -> timedelta:
        """How long to wait before the next try after `failures` consecutive failures."""
        if failures >= self.pause_after:
            return timedelta(seconds=self.cap)
        return timedelta(seconds=min(self.cap, self.base * 2 ** max(0, failures - 1)))


class FeedSync:
    """Refresh a set of feeds for one run."""

    def __init__(self, store: StoreLike, session: aiohttp.ClientSession | None, fetch_settings: FetchSettings,
                 *, fetcher: Callable[..., Awaitable[Any]], runner: Runner, limiter: HostLimiter, clock: Clock,
                 policy: HealthPolicy | None = None) -> None:
        self.store = store
        self.session = session
        self.fetch_settings = fetch_settings
        self.fetcher = fetcher
        self.runner = runner
        self.limiter = limiter
        self.clock = clock
        self.policy = policy or HealthPolicy()

    async def refresh(self, feeds: Sequence[FeedSettings], *, dry_run: bool = False,
                      progress: Progress | None = None, notify: Notify | None = None,
                      max_age: float | None = None) -> dict[str, FeedOutcome]:
        """Fetch each distinct URL once (concurrently, within the limits) and store what is new.

        A URL fetched (by any process sharing the store) less than its feeds' interval ago
        (`feed.interval`, else `fetch.feed_interval`; 0 means always) is reused, not fetched. `max_age`
        (seconds) lowers that window for this call: the on-demand runs (/digest, the CLI) pass 0, since
        whoever asks for a digest now expects the feeds as they are now; even then a fetch of the same
        URL in flight elsewhere is waited for and reused rather than repeated. Dry runs claim nothing
        and always fetch (they store nothing that another process could reuse)."""
        by_url: dict[str, list[FeedSettings]] = {}
        for feed in feeds:
            by_url.setdefault(feed.url, []).append(feed)
        outcomes: dict[str, FeedOutcome] = {}
        done = 0
        await report_progress(progress, "feeds", 0, len(by_url))

        async def one(url: str, group: list[FeedSettings]) -> None:
            nonlocal done
            try:
                for outcome in await self._refresh_url(url, group, dry_run, notify, max_age):
                    outcomes[outcome.feed_id] = outcome
            except Exception as err:  # one broken feed must never stop the others
                log.exception("refreshing %s failed", url)
                for feed in group:
                    outcomes[feed.id] = FeedOutcome(feed.id, "error", error=f"internal error: {err}")
            done += 1
            await report_progress(progress, "feeds", done, len(by_url))

        await asyncio.gather(*(one(url, group) for url, group in by_url.items()))
        return outcomes

    def fresh_for(self, group: Sequence[FeedSettings], max_age: float | None) -> timedelta:
        """How recent a fetch of the group's URL must be to be reused: the shortest interval of its feeds."""
        default = self.fetch_settings.feed_interval
        seconds = max(0.0, min(f.poll_interval(default) for f in group))
        if max_age is not None:
            seconds = min(seconds, max(0.0, max_age))
        return timedelta(seconds=seconds)

    def lease(self, group: Sequence[FeedSettings]) -> timedelta:
        """How long a claim on a URL lasts: the worst-case fetch, then parsing it for each feed, plus slack."""
        fs = self.fetch_settings
        return timedelta(seconds=fs.connect_timeout + fs.timeout + fs.extract_timeout * len(group) + LEASE_SLACK)

    async def _refresh_url(self, url: str, group: list[FeedSettings], dry_run: bool, notify: Notify | None,
                           max_age: float | None) -> list[FeedOutcome]:
        fresh_for, lease = self.fresh_for(group, max_age), self.lease(group)
        first_busy: datetime | None = None
        wait_started = time.monotonic()
        pause = WAIT_FIRST
        while True:
            now = self.clock()
            state = await self.store.feed_state(group[0].id)
            if state is not None and state.next_try is not None and now < state.next_try:
                status = "paused" if state.paused else "backoff"
                return [FeedOutcome(f.id, status, error=state.last_error) for f in group]
            if dry_run:
                return await self._fetch(url, group, state, now, dry_run, notify)
            window = fresh_for if first_busy is None else max(fresh_for, now - first_busy + CLOCK_SKEW)
            claim = await self.store.claim_fetch(url, now, window, lease)
            if claim == "fetch":
                ok = False
                try:
                    outcomes = await self._fetch(url, group, state, now, dry_run, notify)
                    ok = all(o.status != "error" for o in outcomes)
                    return outcomes
                finally:
                    await self._release(url, ok)
            if claim == "fresh":
                # The holder stored its feeds before it released the URL, so a feed of ours with no
                # state now was not among them (another configuration): it has nothing to reuse.
                if fresh_for and any([await self.store.feed_state(f.id) is None for f in group]):
                    fresh_for, first_busy = timedelta(0), None
                    continue
                return [FeedOutcome(f.id, "shared") for f in group]
            # Busy: another process (or task) is fetching it; its result is what this run wants.
            if first_busy is None:
                first_busy, wait_started = now, time.monotonic()
            if time.monotonic() - wait_started >= lease.total_seconds():
                message = "another process is still fetching this feed; its stored items are used"
                log.warning("feed %s: %s", url, message)
                return [FeedOutcome(f.id, "busy", error=message) for f in group]
            await asyncio.sleep(pause)
            pause = min(WAIT_CAP, pause * 2)

    async def _release(self, url: str, ok: bool) -> None:
        # The feed's items are stored by now, so a store that fails to record the release costs only
        # time: other processes wait out the lease, then fetch again. The outcome stands.
        try:
            await self.store.release_fetch(url, self.clock(), ok)
        except Exception:
            log.exception("feed %s: releasing its fetch claim failed; other processes wait for the lease", url)

    async def _fetch(self, url: str, group: list[FeedSettings], state: FeedState | None, now: datetime,
                     dry_run: bool, notify: Notify | None) -> list[FeedOutcome]:
        etag = state.etag if state else None
        last_modified = state.last_modified if state else None
        try:
            async with self.limiter.slot(url):
                result = await self.fetcher(self.session, url, self.fetch_settings, etag=etag,
                                            last_modified=last_modified, accept=FEED_ACCEPT)
            if result.not_modified:
                parsed: dict[str, list[tuple[str, FeedItem, str | None]]] = {f.id: [] for f in group}
            else:
                parsed = {}
                for feed in group:
                    parsed[feed.id] = await self._parse(result, feed)
        except BriefingError as err:
            return await self._failed(url, group, err, now, dry_run, notify)
        status_code = 304 if result.not_modified else int(result.status)
        outcomes = []
        for feed in group:
            fresh = parsed[feed.id]
            known = await self.store.known_keys(feed.id, (k for k, _, _ in fresh))
            new = [entry for entry in fresh if entry[0] not in known]
            if dry_run:
                outcomes.append(FeedOutcome(feed.id, "not_modified" if result.not_modified else "fetched",
                                            len(new), fresh=new))
                continue
            _, was_paused = await self.store.record_fetch_ok(
                feed.id, url, status=status_code, etag=result.etag, last_modified=result.last_modified,
                items=new, now=now)
            if was_paused and notify is not None:
                await notify(f"Feed {feed.name or feed.id} ({url}) works again: resumed.")
            outcomes.append(FeedOutcome(feed.id, "not_modified" if result.not_modified else "fetched", len(new)))
        return outcomes

    async def _parse(self, result: Any, feed: FeedSettings) -> list[tuple[str, FeedItem, str | None]]:
        try:
            items: list[tuple[str, FeedItem, str | None]] = await self.runner(
                parse_feed_job, result.body, feed, result.final_url, result.content_type or "", MAX_PARSE_ITEMS)
        except BriefingError:
            raise
        except Exception as err:  # a parser bug on hostile input is that feed's failure, not the run's
            raise FeedError(f"the feed could not be read: {err}") from err
        return items

    async def _failed(self, url: str, group: list[FeedSettings], err: BriefingError, now: datetime,
                      dry_run: bool, notify: Notify | None) -> list[FeedOutcome]:
        message = str(err)
        status = getattr(err, "status", None)
        if dry_run:
            return [FeedOutcome(f.id, "error", error=message) for f in group]
        outcomes = []
        for feed in group:
            prev = await self.store.feed_state(feed.id)
            failures = (prev.failures if prev else 0) + 1
            state, paused_now = await self.store.record_fetch_error(
                feed.id, url, status=status if isinstance(status, int) else None, error=message, now=now,
                next_try=now + self.policy.delay(failures), pause_after=self.policy.pause_after)
            log.warning("feed %s failed (%d in a row): %s", feed.id, state.failures, message)
            if paused_now and notify is not None:
                await notify(f"Feed {feed.name or feed.id} ({url}) failed {state.failures} times in a row and is"
                             f" paused; it is retried every {self.policy.cap / 3600:.0f} h. Last error: {message}")
            outcomes.append(FeedOutcome(feed.id, "error", error=message))
        return outcomes

