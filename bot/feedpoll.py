"""Background feed polling: each feed used by a digest is fetched at its own interval, at a stable
phase inside that interval, so polls are spread out instead of all firing when a digest is due.

A feed's poll times are `phase + k * interval` seconds after the Unix epoch, where the phase is the
SHA-1 of its URL modulo the interval: every restart and every process sharing the database computes
the same times, and the store's fetch claim (a feed fetched less than its interval ago is not fetched
again) turns a poll into a result that the next digest run reuses.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.logs import log_context
from bot.schedule import Clock, Sleeper, sleep_or_wake, utc_now
from bot.settings import Settings

if TYPE_CHECKING:  # kept out of the import graph: the poller itself needs neither aiohttp nor the store
    from bot.feedsync import FeedOutcome, Notify

log = logging.getLogger(__name__)

# Phases are computed in whole milliseconds: fine enough to spread thousands of feeds, and exact in floats.
_PHASE_UNITS_PER_SECOND = 1000
# A slot this close ahead counts as due: datetimes round to microseconds, and a loop that woke a hair
# before a slot it cannot reach would otherwise spin on zero-second waits.
_EARLY = 0.001


class PollService(Protocol):
    """What the poller needs from DigestService."""

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        ...

    async def refresh_feeds(self, feed_ids: Sequence[str], *, notify: Notify | None = None,
                            dry_run: bool = False, max_age: float | None = None) -> dict[str, FeedOutcome]:
        """Fetch these feeds and store what is new; a fetch younger than `max_age` seconds is reused."""
        ...


def phase_offset(url: str, interval: float) -> float:
    """The feed's stable offset inside its interval (seconds): SHA-1 of the URL modulo the interval."""
    units = max(1, round(interval * _PHASE_UNITS_PER_SECOND))
    digest = hashlib.sha1(url.encode("utf-8"), usedforsecurity=False).digest()
    return (int.from_bytes(digest, "big") % units) / _PHASE_UNITS_PER_SECOND


def reuse_age(interval: float) -> float:
    """How recent another fetch of a feed must be for its poll to reuse it instead: half the interval.

    A fetch that young served this slot (another process polling the same phase, or a digest run just
    before); the previous slot's own fetch is about one interval old. Reusing anything younger than the
    full interval would skip every slot whose previous fetch ran a little late or took a while."""
    return interval / 2


def next_slot(after: float, phase: float, interval: float) -> float:
    """The first poll time `phase + k * interval` (epoch seconds) strictly after `after`."""
    k = math.floor((after - phase) / interval) + 1
    slot = phase + k * interval
    # Float rounding can land exactly on `after`; a slot must lie strictly ahead.
    return slot if slot > after else slot + interval


@dataclass
class _Feed:
    url: str
    interval: float
    phase: float
    next: float  # epoch seconds of the next poll


def _ts(when: datetime) -> float:
    return when.timestamp()


class FeedPoller:
    """Polls feeds in the background through `service.refresh_feeds`; `clock` and `sleep` are injectable."""

    def __init__(self, service: PollService, *, clock: Clock = utc_now, sleep: Sleeper | None = None,
                 notify: Notify | None = None, max_sleep: float = 300.0, grace: float = 3.0) -> None:
        self.service = service
        self.clock = clock
        self.notify = notify
        # The loop re-reads the clock at least this often, so a changed or jumped clock is noticed.
        self.max_sleep = max_sleep
        # How long stop() lets in-flight polls finish before abandoning them.
        self.grace = grace
        self._sleep = sleep
        self._feeds: dict[str, _Feed] = {}
        # (next poll, feed id), earliest first: a wake-up costs O(log n) per due feed, not a scan of all
        # feeds (2,000 feeds wake the loop about twice a second).
        self._heap: list[tuple[float, str]] = []
        self._inflight: set[str] = set()
        self._batches: set[asyncio.Task[dict[str, FeedOutcome]]] = set()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopped = False
        self.update(service.settings)

    # -- schedule ----------------------------------------------------------------------------------

    def update(self, settings: Settings) -> None:
        """Take a (reloaded) configuration: new feeds get their phase, removed or unused ones are dropped."""
        used = {feed_id for digest in settings.digests for feed_id in digest.feeds}
        now = _ts(self.clock())
        feeds: dict[str, _Feed] = {}
        for feed in settings.feeds:
            interval = feed.poll_interval(settings.fetch.feed_interval)
            if feed.id not in used or interval <= 0:
                continue
            old = self._feeds.get(feed.id)
            if old is not None and old.url == feed.url and old.interval == interval:
                feeds[feed.id] = old  # unchanged: keep its place in the schedule
                continue
            phase = phase_offset(feed.url, interval)
            feeds[feed.id] = _Feed(feed.url, interval, phase, next_slot(now, phase, interval))
        added = feeds.keys() - self._feeds.keys()
        removed = self._feeds.keys() - feeds.keys()
        self._feeds = feeds
        self._heap = [(f.next, feed_id) for feed_id, f in feeds.items()]
        heapq.heapify(self._heap)
        if added or removed or not feeds:
            log.info("background feed polling: %d feed(s) (%d added, %d dropped)", len(feeds), len(added), len(removed))
        self._wake.set()

    def polled(self) -> dict[str, tuple[float, float]]:
        """Each polled feed's (interval, phase) in seconds."""
        return {feed_id: (f.interval, f.phase) for feed_id, f in self._feeds.items()}

    def next_due(self, now: datetime) -> datetime:
        """When the next poll is due (now + max_sleep when no feed is polled)."""
        if not self._heap:
            return now + timedelta(seconds=self.max_sleep)
        return datetime.fromtimestamp(self._heap[0][0], UTC)

    def due(self, now: datetime) -> list[str]:
        """Feeds whose poll time has come and whose previous poll is not still running."""
        ts = _ts(now) + _EARLY
        return [feed_id for feed_id, f in self._feeds.items() if f.next <= ts and feed_id not in self._inflight]

    def _take_due(self, now: datetime) -> list[str]:
        """The due feeds, marked in flight; every passed slot moves on (a late loop polls once, not in a burst)."""
        ts = _ts(now) + _EARLY
        batch = []
        while self._heap and self._heap[0][0] <= ts:
            _, feed_id = heapq.heappop(self._heap)
            f = self._feeds[feed_id]
            f.next = next_slot(ts, f.phase, f.interval)
            heapq.heappush(self._heap, (f.next, feed_id))
            if feed_id in self._inflight:
                log.warning("feed %s: its previous background poll is still running; skipping this one", feed_id)
                continue
            batch.append(feed_id)
        self._inflight.update(batch)
        return batch

    # -- polling -----------------------------------------------------------------------------------

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Poll every feed due at `now` in one batch and wait for it; returns the feed ids polled."""
        batch = self._take_due(now or self.clock())
        if batch:
            await self._refresh(batch)
        return batch

    async def _refresh(self, batch: list[str]) -> dict[str, FeedOutcome]:
        # A reload between scheduling and running may have removed some; the service refuses unknown ids.
        ids = [feed_id for feed_id in batch if feed_id in self._feeds]
        try:
            if not ids:
                return {}
            with log_context(feed=",".join(ids)):
                max_age = reuse_age(min(self._feeds[feed_id].interval for feed_id in ids))
                outcomes = await self.service.refresh_feeds(ids, notify=self.notify, max_age=max_age)
                log.debug("background poll of %d feed(s): %s", len(ids),
                          ", ".join(f"{k}={v.status}" for k, v in outcomes.items()))
                return outcomes
        except asyncio.CancelledError:
            raise
        except Exception:  # one failed batch must not stop the polling; the next slot tries again
            log.exception("background poll of %d feed(s) failed: %s", len(ids), ", ".join(ids))
            return {}
        finally:
            self._inflight.difference_update(batch)

    def start(self) -> None:
        """Run the polling loop as a background task (call from inside the event loop)."""
        if self._task is None or self._task.done():
            self._stopped = False
            self._task = asyncio.create_task(self._run(), name="feed-poller")

    async def _run(self) -> None:
        while not self._stopped:
            self._wake.clear()
            now = self.clock()
            batch = self._take_due(now)
            if batch:
                # Its own task: a slow feed must not hold back the polls due after it.
                task = asyncio.create_task(self._refresh(batch), name="feed-poll")
                self._batches.add(task)
                task.add_done_callback(self._batches.discard)
            wait = (self.next_due(now) - now).total_seconds()
            await sleep_or_wake(min(self.max_sleep, max(0.0, wait)), self._wake, self._sleep)

    async def stop(self) -> None:
        """End the loop, let in-flight polls finish for up to `grace` seconds, then cancel what is left."""
        self._stopped = True
        self._wake.set()
        loop_task, self._task = self._task, None
        if loop_task is not None:
            loop_task.cancel()  # before the snapshot below: a cancelled loop starts no new batch
        pending: set[asyncio.Task[dict[str, FeedOutcome]]] = set(self._batches)
        try:
            if loop_task is not None:
                await asyncio.gather(loop_task, return_exceptions=True)
            if pending and self.grace > 0:
                _, pending = await asyncio.wait(pending, timeout=self.grace)
        finally:
            # Also reached when stop() itself is cancelled: nothing may outlive the poller.
            left = [task for task in pending if not task.done()]
            for task in left:
                task.cancel()
            if left:
                log.info("background feed polling stopped; abandoned %d in-flight poll(s)", len(left))
                await asyncio.gather(*left, return_exceptions=True)
