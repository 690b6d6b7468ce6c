"""FeedPoller: stable, spread phases; intervals and overrides; reloads; failures; stop() mid-poll.

Every test runs on an injected clock (and, for the loop, an injected sleep) against a fake service;
tests/test_feedpoll_service.py runs the poller through the real DigestService.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.feedpoll import FeedPoller, next_slot, phase_offset
from bot.feedsync import FeedOutcome
from bot.settings import DigestSettings, FeedSettings, FetchSettings, Settings
from tests.feed_helpers import Clock

T0 = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def make(feeds: Sequence[FeedSettings], *, interval: float = 900.0,
         digest_feeds: Sequence[str] | None = None) -> Settings:
    ids = tuple(f.id for f in feeds) if digest_feeds is None else tuple(digest_feeds)
    return Settings(feeds=tuple(feeds), digests=(DigestSettings(id="d", channel=1, schedule="0 7 * * *", feeds=ids),),
                    fetch=FetchSettings(feed_interval=interval))


def feed(feed_id: str, interval: float | None = None, url: str | None = None) -> FeedSettings:
    return FeedSettings(id=feed_id, url=url or f"https://{feed_id}.example.org/rss.xml", interval=interval)


class FakeService:
    """Records refresh_feeds calls with the clock's time; can fail or block on request."""

    def __init__(self, settings: Settings, clock: Any) -> None:
        self.settings = settings
        self.clock = clock
        self.calls: list[tuple[datetime, list[str]]] = []
        self.fail_next = 0
        self.block: asyncio.Event | None = None
        self.cancelled = 0
        self.finished = 0
        self.notify: Any = None
        self.max_ages: list[float | None] = []

    async def refresh_feeds(self, feed_ids: Sequence[str], *, notify: Any = None, progress: Any = None,
                            dry_run: bool = False, max_age: float | None = None) -> dict[str, FeedOutcome]:
        self.calls.append((self.clock(), list(feed_ids)))
        self.notify = notify
        self.max_ages.append(max_age)
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("database is locked")
        if self.block is not None:
            try:
                await self.block.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        self.finished += 1
        return {f: FeedOutcome(f, "not_modified") for f in feed_ids}

    def polls(self, feed_id: str) -> list[datetime]:
        return [when for when, ids in self.calls if feed_id in ids]


class FakeTime:
    """Clock plus sleep: sleeping advances the clock; at `until` the sleeper parks until cancelled."""

    def __init__(self, start: datetime, until: datetime) -> None:
        self.now = start
        self.until = until
        self.sleeps: list[float] = []
        self.reached = asyncio.Event()

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        for _ in range(5):  # let the poll tasks started before this sleep take their first steps
            await asyncio.sleep(0)
        if self.now + timedelta(seconds=seconds) >= self.until:
            self.reached.set()
            await asyncio.Event().wait()
        self.now += timedelta(seconds=seconds)


async def drive(poller: FeedPoller, start: datetime, end: datetime) -> list[tuple[datetime, list[str]]]:
    """Move the poller's clock to each next_due until `end` and tick there, as the loop would."""
    ticks = []
    now = start
    while True:
        now = poller.next_due(now)
        if now >= end:
            return ticks
        poller.clock.now = now  # type: ignore[attr-defined]
        ticks.append((now, await poller.tick()))


def slot_of(when: datetime, interval: float, phase: float) -> float:
    """How far `when` is from the nearest poll time phase + k * interval (seconds)."""
    off = (when.timestamp() - phase) % interval
    return min(off, interval - off)


# -- phases -----------------------------------------------------------------------------------------


def test_phase_is_the_same_in_another_process() -> None:
    urls = [f"https://news{i}.example.com/feed" for i in range(5)]
    code = ("from bot.feedpoll import phase_offset; import sys; "
            "print(' '.join(repr(phase_offset(u, 900.0)) for u in sys.argv[1:]))")
    # A different hash seed: Python's own hash() would give other phases there; SHA-1 must not.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code, *urls], capture_output=True, text=True, check=True,
                         env=env, cwd=Path(__file__).resolve().parent.parent).stdout.split()
    here = [phase_offset(u, 900.0) for u in urls]
    assert [float(x) for x in out] == here
    assert all(0 <= p < 900 for p in here) and len(set(here)) == len(here)


def test_phases_survive_a_restart_and_follow_the_url() -> None:
    settings = make([feed("a"), feed("b")])
    first = FeedPoller(FakeService(settings, Clock(T0)), clock=Clock(T0)).polled()
    later = Clock(T0 + timedelta(hours=5, seconds=17))
    again = FeedPoller(FakeService(settings, later), clock=later).polled()
    assert first == again
    assert first["a"] == (900.0, phase_offset("https://a.example.org/rss.xml", 900.0))
    assert first["a"][1] != first["b"][1]


def _binomial_tail(n: int, p: float, k: int) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))


def _max_in_window(points: list[float], width: float, period: float) -> int:
    """The most points inside any half-open window [t, t + width) on a circle of length `period`."""
    ordered = sorted(points)
    wrapped = ordered + [p + period for p in ordered]
    best, j = 0, 0
    for i, start in enumerate(ordered):
        j = max(j, i)
        while j < len(wrapped) and wrapped[j] < start + width:
            j += 1
        best = max(best, j - i)
    return best


def test_200_feeds_are_spread_over_the_interval() -> None:
    n, interval, width = 200, 900.0, 10.0
    feeds = [feed(f"f{i}", url=f"https://outlet{i}.example.net/rss/world.xml") for i in range(n)]
    poller = FeedPoller(FakeService(make(feeds), Clock(T0)), clock=Clock(T0))
    phases = [phase for _, phase in poller.polled().values()]
    assert len(phases) == n

    # If the phases were independent uniform draws, a window holding m points can be slid to start at one
    # of them, so P(max >= m) <= n * P(Binomial(n - 1, width / interval) >= m - 1). The bound is the
    # smallest m for which that is below 1e-3: a well-spread hash passes, a clumping one does not.
    alpha = 1e-3
    bound = next(m for m in range(2, n + 1) if n * _binomial_tail(n - 1, width / interval, m - 1) < alpha)
    most = _max_in_window(phases, width, interval)
    assert most < bound, (most, bound)

    # And the whole distribution: Kolmogorov-Smirnov against uniform on [0, interval) at alpha = 1e-3.
    ordered = sorted(p / interval for p in phases)
    ks = max(max((i + 1) / n - x, x - i / n) for i, x in enumerate(ordered))
    assert ks < math.sqrt(-math.log(alpha / 2) / 2) / math.sqrt(n), ks


def test_next_slot_is_strictly_after() -> None:
    assert next_slot(100.0, 10.0, 30.0) == 130.0
    assert next_slot(99.0, 10.0, 30.0) == 100.0
    assert next_slot(5.0, 10.0, 30.0) == 10.0


# -- intervals --------------------------------------------------------------------------------------


async def test_each_feed_is_polled_once_per_interval_at_its_phase() -> None:
    feeds = [feed(f"f{i}") for i in range(20)]
    clock = Clock(T0)
    service = FakeService(make(feeds), clock)
    poller = FeedPoller(service, clock=clock)
    ticks = await drive(poller, T0, T0 + timedelta(seconds=3 * 900))
    for f in feeds:
        interval, phase = poller.polled()[f.id]
        times = [when for when, ids in ticks if f.id in ids]
        assert len(times) == 3
        assert all(slot_of(t, interval, phase) < 1e-3 for t in times)
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert all(abs(g - 900.0) < 1e-3 for g in gaps), gaps
    # Between two slots nothing is due, and a tick there polls nothing.
    between = ticks[0][0] + timedelta(seconds=0.5)
    if between < ticks[1][0]:
        assert poller.due(between) == [] and await poller.tick(between) == []


async def test_a_late_tick_polls_each_overdue_feed_once() -> None:
    clock = Clock(T0)
    service = FakeService(make([feed("a"), feed("b")]), clock)
    poller = FeedPoller(service, clock=clock)
    late = T0 + timedelta(seconds=3 * 900 + 1)  # the loop slept through three slots of each feed
    assert sorted(await poller.tick(late)) == ["a", "b"]
    assert len(service.calls) == 1 and poller.due(late) == []
    assert poller.next_due(late) > late


async def test_feeds_due_together_go_in_one_batch() -> None:
    # Two feed ids on one URL share a phase; the service fetches the URL once for both.
    url = "https://shared.example.org/rss.xml"
    clock = Clock(T0)
    service = FakeService(make([feed("x", url=url), feed("y", url=url), feed("z")]), clock)
    poller = FeedPoller(service, clock=clock)
    await drive(poller, T0, T0 + timedelta(seconds=900))
    assert sorted(ids for _, ids in service.calls if "x" in ids) == [["x", "y"]]


async def test_per_feed_interval_overrides_the_default_and_zero_turns_it_off() -> None:
    feeds = [feed("a"), feed("b", interval=300.0), feed("c", interval=0.0)]
    clock = Clock(T0)
    service = FakeService(make(feeds), clock)
    poller = FeedPoller(service, clock=clock)
    assert set(poller.polled()) == {"a", "b"} and poller.polled()["b"][0] == 300.0
    await drive(poller, T0, T0 + timedelta(seconds=1800))
    assert (len(service.polls("a")), len(service.polls("b")), len(service.polls("c"))) == (2, 6, 0)
    # A poll reuses only a fetch from its own slot (younger than half the feed's interval).
    assert {age for (_, ids), age in zip(service.calls, service.max_ages, strict=True) if ids == ["b"]} == {150.0}
    assert {age for (_, ids), age in zip(service.calls, service.max_ages, strict=True) if ids == ["a"]} == {450.0}
    b_times = service.polls("b")
    assert all(abs((y - x).total_seconds() - 300.0) < 1e-3 for x, y in itertools.pairwise(b_times))


async def test_default_interval_zero_disables_background_polling() -> None:
    clock = Clock(T0)
    service = FakeService(make([feed("a"), feed("b", interval=600.0)], interval=0.0), clock)
    poller = FeedPoller(service, clock=clock)
    assert set(poller.polled()) == {"b"}  # only a feed that asks for its own interval
    off = FeedPoller(FakeService(make([feed("a")], interval=0.0), clock), clock=clock, max_sleep=120.0)
    assert off.polled() == {} and off.next_due(T0) == T0 + timedelta(seconds=120)
    assert await off.tick(T0 + timedelta(days=1)) == []


def test_only_feeds_used_by_a_digest_are_polled() -> None:
    settings = make([feed("a"), feed("b"), feed("c")], digest_feeds=["a", "c"])
    assert set(FeedPoller(FakeService(settings, Clock(T0)), clock=Clock(T0)).polled()) == {"a", "c"}


async def test_reload_adds_and_drops_feeds_and_keeps_the_others_in_place() -> None:
    clock = Clock(T0)
    service = FakeService(make([feed("a"), feed("b"), feed("m")]), clock)
    poller = FeedPoller(service, clock=clock)
    a_next = poller._feeds["a"].next
    clock.advance(seconds=100)
    new = make([feed("a"), feed("c"), feed("m", url="https://moved.example.org/feed")])
    service.settings = new
    poller.update(new)
    assert set(poller.polled()) == {"a", "c", "m"}
    assert poller._feeds["a"].next == a_next  # unchanged feeds keep their slot
    assert poller.polled()["c"] == (900.0, phase_offset("https://c.example.org/rss.xml", 900.0))
    assert poller.polled()["m"][1] == phase_offset("https://moved.example.org/feed", 900.0)
    await drive(poller, clock(), clock() + timedelta(seconds=900))
    assert service.polls("b") == [] and len(service.polls("c")) == 1 and len(service.polls("a")) == 1
    # A digest dropping its last use of a feed stops its polling too.
    poller.update(make([feed("a"), feed("c")], digest_feeds=["c"]))
    assert set(poller.polled()) == {"c"}


async def test_feed_removed_while_its_batch_waits_is_not_sent_to_the_service() -> None:
    clock = Clock(T0)
    service = FakeService(make([feed("a"), feed("b")]), clock)
    poller = FeedPoller(service, clock=clock)
    late = T0 + timedelta(seconds=901)
    batch = poller._take_due(late)
    poller.update(make([feed("a")]))
    await poller._refresh(batch)
    assert service.calls == [(T0, ["a"])] and poller.due(late + timedelta(seconds=900)) == ["a"]


# -- the loop ---------------------------------------------------------------------------------------


async def test_loop_sleeps_until_each_slot_and_polls_there() -> None:
    feeds = [feed(f"f{i}") for i in range(6)]
    time = FakeTime(T0, T0 + timedelta(seconds=2 * 900))
    service = FakeService(make(feeds), time)
    poller = FeedPoller(service, clock=time, sleep=time.sleep, max_sleep=300.0)
    poller.start()
    await asyncio.wait_for(time.reached.wait(), 5)
    await poller.stop()
    assert all(s <= 300.0 for s in time.sleeps)
    for f in feeds:
        interval, phase = poller.polled()[f.id]
        times = service.polls(f.id)
        assert len(times) == 2 and all(slot_of(t, interval, phase) < 1e-3 for t in times), times


async def test_a_failing_batch_is_logged_and_later_polls_go_on(caplog: pytest.LogCaptureFixture) -> None:
    time = FakeTime(T0, T0 + timedelta(seconds=3 * 900))
    service = FakeService(make([feed("a")]), time)
    service.fail_next = 2
    notices: list[str] = []

    async def notify(text: str) -> None:
        notices.append(text)

    poller = FeedPoller(service, clock=time, sleep=time.sleep, notify=notify)
    with caplog.at_level(logging.ERROR, logger="bot.feedpoll"):
        poller.start()
        await asyncio.wait_for(time.reached.wait(), 5)
        await poller.stop()
    assert len(service.calls) == 3 and service.finished == 1
    failures = [r for r in caplog.records if "background poll of 1 feed(s) failed: a" in r.getMessage()]
    assert len(failures) == 2 and failures[0].exc_info is not None
    assert service.notify is notify  # admin notices (paused / resumed feeds) reach the caller's channel


async def test_a_poll_still_running_at_its_next_slot_is_not_doubled() -> None:
    time = FakeTime(T0, T0 + timedelta(seconds=3 * 60))
    service = FakeService(make([feed("a")], interval=60.0), time)
    service.block = asyncio.Event()
    poller = FeedPoller(service, clock=time, sleep=time.sleep)
    poller.start()
    await asyncio.wait_for(time.reached.wait(), 5)
    assert len(service.calls) == 1  # the second and third slots came while the first poll hung
    assert poller.due(time.now + timedelta(seconds=60)) == []
    service.block.set()
    await asyncio.sleep(0)
    assert poller.due(time.now + timedelta(seconds=60)) == ["a"]
    await poller.stop()


async def test_stop_during_a_refresh_abandons_it_cleanly() -> None:
    time = FakeTime(T0, T0 + timedelta(seconds=900))
    service = FakeService(make([feed("a")]), time)
    service.block = asyncio.Event()
    poller = FeedPoller(service, clock=time, sleep=time.sleep, grace=0.0)
    poller.start()
    await asyncio.wait_for(time.reached.wait(), 5)
    assert len(service.calls) == 1 and poller._inflight == {"a"}
    await asyncio.wait_for(poller.stop(), 1)
    assert service.cancelled == 1 and service.finished == 0
    assert poller._batches == set() and poller._inflight == set() and poller._task is None


async def test_stop_lets_a_refresh_finish_within_the_grace() -> None:
    time = FakeTime(T0, T0 + timedelta(seconds=900))
    service = FakeService(make([feed("a")]), time)
    service.block = asyncio.Event()
    poller = FeedPoller(service, clock=time, sleep=time.sleep, grace=5.0)
    poller.start()
    await asyncio.wait_for(time.reached.wait(), 5)
    asyncio.get_running_loop().call_later(0.02, service.block.set)
    await asyncio.wait_for(poller.stop(), 2)
    assert service.finished == 1 and service.cancelled == 0 and poller._batches == set()


async def test_stop_cancelled_while_waiting_still_cancels_the_refresh() -> None:
    time = FakeTime(T0, T0 + timedelta(seconds=900))
    service = FakeService(make([feed("a")]), time)
    service.block = asyncio.Event()
    poller = FeedPoller(service, clock=time, sleep=time.sleep, grace=30.0)
    poller.start()
    await asyncio.wait_for(time.reached.wait(), 5)
    stopping = asyncio.create_task(poller.stop())
    await asyncio.sleep(0.01)
    stopping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert service.cancelled == 1 and poller._batches == set()


async def test_real_wait_wakes_on_reload() -> None:
    # No injected sleep: the loop waits on its wake-up event for up to max_sleep (60 s here). A reload
    # adding a feed whose slot is now must be polled at once, not a minute later.
    clock = Clock(T0)
    service = FakeService(make([feed("a")], digest_feeds=[]), clock)
    poller = FeedPoller(service, clock=clock, max_sleep=60.0)
    poller.start()
    await asyncio.sleep(0.01)
    slot = next_slot(T0.timestamp(), phase_offset("https://a.example.org/rss.xml", 900.0), 900.0)
    clock.now = datetime.fromtimestamp(slot - 0.0005, UTC)  # half a millisecond before a's slot
    poller.update(make([feed("a")]))
    for _ in range(100):
        if service.calls:
            break
        await asyncio.sleep(0.01)
    assert service.calls == [(clock.now, ["a"])]
    await asyncio.wait_for(poller.stop(), 1)
