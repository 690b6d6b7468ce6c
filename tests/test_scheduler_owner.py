"""The scheduler's ownership predicate (sharding): only owned digests are run, caught up, waited for or recorded."""

from __future__ import annotations

from pathlib import Path

from bot.scheduler import Owns, Scheduler
from bot.settings import DigestSettings
from tests.feed_helpers import Clock, RecordingDelivery
from tests.test_schedule import make, utc


def owner(owned: set[str]) -> Owns:
    """A predicate over a mutable set of owned digest ids (a test can hand a digest over mid-way)."""
    def owns(digest: DigestSettings) -> bool:
        return digest.id in owned
    return owns


async def test_first_start_records_only_owned_digests(tmp_path: Path) -> None:
    clock = Clock(utc(2026, 11, 27, 6, 0))
    service, _, store = await make(str(tmp_path / "db"), clock)
    owned = {"morning"}
    scheduler = Scheduler(service, RecordingDelivery(), clock=clock, owns=owner(owned))
    assert await scheduler.catch_up() == []
    assert await store.last_run("morning") == clock.now
    assert await store.last_run("evening") is None  # the other process's to start counting
    assert [d.id for d in scheduler.owned()] == ["morning"]
    await store.close()


async def test_catch_up_and_ticks_run_only_owned_digests(tmp_path: Path) -> None:
    db = str(tmp_path / "db")
    clock = Clock(utc(2026, 11, 27, 6, 0))
    service, _, store = await make(db, clock)
    await Scheduler(service, RecordingDelivery(), clock=clock).catch_up()  # both digests start counting
    await store.close()
    clock.now = utc(2026, 11, 30, 12, 0)  # down for three days: both missed slots
    service, fetcher, store = await make(db, clock)
    owned = {"evening"}
    delivery = RecordingDelivery()
    scheduler = Scheduler(service, delivery, clock=clock, owns=owner(owned))
    assert await scheduler.catch_up() == ["evening"]
    assert len(fetcher.calls) == 1
    assert await store.last_run("evening") == clock.now
    # The missed morning digest is another process's: neither run nor marked done here.
    assert await store.last_run("morning") == utc(2026, 11, 27, 6, 0)
    assert await scheduler.due(utc(2026, 11, 30, 18, 59)) == []
    assert await scheduler.tick(utc(2026, 11, 30, 19, 0)) == ["evening"]
    assert await scheduler.tick(utc(2026, 12, 1, 7, 0)) == []  # the morning slot, not ours
    assert await store.last_run("morning") == utc(2026, 11, 27, 6, 0)
    await store.close()


async def test_unowned_overdue_digest_does_not_spin_the_loop(tmp_path: Path) -> None:
    db = str(tmp_path / "db")
    clock = Clock(utc(2026, 11, 27, 6, 0))
    service, _, store = await make(db, clock)
    await store.record_run("morning", utc(2026, 11, 1, 7, 0), utc(2026, 11, 1, 7, 0))  # long overdue elsewhere
    owned = {"evening"}
    scheduler = Scheduler(service, RecordingDelivery(), clock=clock, owns=owner(owned))
    await scheduler.catch_up()
    # Waits for its own evening slot (capped), not 0 s for the morning digest it does not run.
    assert await scheduler.seconds_to_next(clock.now) == 300.0
    clock.now = utc(2026, 11, 27, 18, 58)
    assert await scheduler.seconds_to_next(clock.now) == 120.0
    await store.close()


async def test_a_digest_handed_over_is_run_from_the_next_tick(tmp_path: Path) -> None:
    clock = Clock(utc(2026, 11, 27, 6, 0))
    service, fetcher, store = await make(str(tmp_path / "db"), clock)
    owned: set[str] = set()
    scheduler = Scheduler(service, RecordingDelivery(), clock=clock, owns=owner(owned))
    assert await scheduler.catch_up() == []
    assert await scheduler.tick(utc(2026, 11, 27, 7, 0)) == [] and fetcher.calls == []
    owned.add("morning")  # e.g. the guild became available on this process's shard
    assert await scheduler.tick(utc(2026, 11, 27, 7, 0)) == ["morning"]
    assert await store.last_run("evening") is None
    await store.close()
