"""Cron schedules across daylight-saving changes, and the scheduler loop with an injected clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.digests import DigestService
from bot.errors import ConfigError
from bot.news.fetch import FetchResult
from bot.schedule import Schedule
from bot.scheduler import Scheduler
from bot.settings import DigestSettings, FeedSettings, Settings, StorageSettings
from bot.store import Store
from tests.feed_helpers import Clock, RecordingDelivery


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekday_mornings_across_spring_forward_in_london() -> None:
    runs = Schedule("0 7 * * mon-fri", "Europe/London").runs_between(utc(2027, 3, 25), utc(2027, 3, 31))
    # 07:00 GMT before the change on Sunday 28 March, 07:00 BST (06:00 UTC) after; no weekend runs.
    assert runs == [utc(2027, 3, 25, 7), utc(2027, 3, 26, 7), utc(2027, 3, 29, 6), utc(2027, 3, 30, 6)]


def test_autumn_fall_back_runs_the_repeated_hour_once() -> None:
    runs = Schedule("30 1 * * *", "Europe/London").runs_between(utc(2026, 10, 24), utc(2026, 10, 27))
    # 01:30 happens twice on 25 October: the first (BST, 00:30 UTC) only.
    assert runs == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_spring_gap_time_runs_shifted_by_the_gap() -> None:
    runs = Schedule("30 1 * * *", "Europe/London").runs_between(utc(2027, 3, 27), utc(2027, 3, 30))
    assert runs == [utc(2027, 3, 27, 1, 30), utc(2027, 3, 28, 1, 30), utc(2027, 3, 29, 0, 30)]


def test_hourly_schedule_on_the_day_of_the_change_has_no_duplicates() -> None:
    runs = Schedule("0 * * * *", "Europe/London").runs_between(utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))
    assert runs == sorted(set(runs)) and runs[0] == utc(2026, 10, 25, 0)


def test_previous_run_and_other_zones() -> None:
    sched = Schedule("0 7 * * *", "America/New_York")
    assert sched.next_after(utc(2026, 11, 27, 11, 59)) == utc(2026, 11, 27, 12)
    assert sched.previous_at_or_before(utc(2026, 11, 27, 12)) == utc(2026, 11, 27, 12)
    assert sched.previous_at_or_before(utc(2026, 11, 27, 11, 59)) == utc(2026, 11, 26, 12)


@pytest.mark.parametrize(("expr", "tz"), [("0 7 * *", "UTC"), ("0 7 * * *", "Mars/Olympus"), ("61 * * * *", "UTC")])
def test_invalid_schedules_are_config_errors(expr: str, tz: str) -> None:
    with pytest.raises(ConfigError):
        Schedule(expr, tz)


EMPTY_RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>E</title></channel></rss>'


class CountingFetcher:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, session: Any, url: str, settings: Any, **kw: Any) -> FetchResult:
        self.calls.append(url)
        return FetchResult(url, url, 200, "application/rss+xml", "utf-8", EMPTY_RSS, EMPTY_RSS.decode(), None, None)


def settings(db: str, catch_up: bool = True) -> Settings:
    feed = FeedSettings(id="f", url="http://feeds.example/rss")
    digests = (DigestSettings(id="morning", channel=1, schedule="0 7 * * *", feeds=("f",), timezone="Europe/London",
                              catch_up=catch_up, empty="silent"),
               DigestSettings(id="evening", channel=2, schedule="0 19 * * *", feeds=("f",), catch_up=catch_up,
                              empty="silent"))
    return Settings(feeds=(feed,), digests=digests, storage=StorageSettings(path=db))


async def make(db: str, clock: Clock, catch_up: bool = True) -> tuple[DigestService, CountingFetcher, Store]:
    store = await Store.open(db)
    fetcher = CountingFetcher()
    service = DigestService(settings(db, catch_up), store, None, briefer=None, clock=clock, fetcher=fetcher)
    return service, fetcher, store


async def test_due_digests_run_together_with_one_fetch(tmp_path: Path) -> None:
    clock = Clock(utc(2026, 11, 27, 6, 0))
    service, fetcher, store = await make(str(tmp_path / "db"), clock)
    scheduler = Scheduler(service, RecordingDelivery(), clock=clock)
    assert await scheduler.catch_up() == []  # first start: nothing was missed
    assert await scheduler.tick(utc(2026, 11, 27, 6, 59)) == []
    assert await scheduler.tick(utc(2026, 11, 27, 7, 0)) == ["morning"]
    assert await scheduler.tick(utc(2026, 11, 27, 7, 0)) == []  # never twice for one slot
    assert await scheduler.seconds_to_next(utc(2026, 11, 27, 7, 0)) == 300.0  # capped
    clock.now = utc(2026, 11, 28, 19, 0)  # the service's clock too: a feed fetched within its interval is reused
    both = await scheduler.tick(clock.now)  # both missed slots collapse into one run each
    assert both == ["morning", "evening"] and len(fetcher.calls) == 2
    assert await store.last_run("morning") == utc(2026, 11, 28, 19, 0)
    await store.close()


@pytest.mark.parametrize("catch_up", [True, False])
async def test_catch_up_after_downtime_runs_once_at_most(tmp_path: Path, catch_up: bool) -> None:
    db = str(tmp_path / "db")
    clock = Clock(utc(2026, 11, 27, 6, 0))
    service, _, store = await make(db, clock, catch_up)
    await Scheduler(service, RecordingDelivery(), clock=clock).catch_up()
    await store.close()
    clock.now = utc(2026, 11, 30, 12, 0)  # down for three days: three morning and three evening slots missed
    service, fetcher, store = await make(db, clock, catch_up)
    ran = await Scheduler(service, RecordingDelivery(), clock=clock).catch_up()
    assert ran == (["morning", "evening"] if catch_up else [])
    assert len(fetcher.calls) == (1 if catch_up else 0)
    # A catch-up run counts for the time it ran; a skipped one marks the missed slot as done.
    assert await store.last_run("morning") == (clock.now if catch_up else utc(2026, 11, 30, 7, 0))
    scheduler = Scheduler(service, RecordingDelivery(), clock=clock)
    scheduler._started = clock.now
    assert await scheduler.due(clock.now) == []
    await store.close()


async def test_run_forever_with_injected_sleep_and_stop(tmp_path: Path) -> None:
    clock = Clock(utc(2026, 11, 27, 6, 58))
    service, fetcher, store = await make(str(tmp_path / "db"), clock)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds=seconds)
        if len(waits) == 3:
            scheduler.stop()
        await asyncio.sleep(0)

    scheduler = Scheduler(service, RecordingDelivery(), clock=clock, sleep=sleep)
    await asyncio.wait_for(scheduler.run_forever(), 5)
    assert waits[0] == 120.0 and len(fetcher.calls) == 1  # woke at 07:00 and ran the morning digest once
    assert clock.now - utc(2026, 11, 27, 7) == timedelta(seconds=600)
    await store.close()
