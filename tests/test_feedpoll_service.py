"""FeedPoller through the real DigestService and store: polls fetch from a loopback feed server, reuse a
fetch made just before their slot, and two processes on one database fetch each feed once per slot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.digests import DigestService
from bot.feedpoll import FeedPoller
from bot.news.fetch import make_session
from bot.settings import DigestSettings, FeedSettings
from bot.store import Store
from tests.feed_helpers import Clock, Entry, FeedServer, SimpleBriefer, make_settings

T0 = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


class LateClock(Clock):
    """A clock running `lag` seconds behind the slot it was set to, like a loop that woke up late."""

    lag = 0.0

    def __call__(self) -> datetime:
        return self.now + timedelta(seconds=self.lag)


class TickingClock(Clock):
    """A clock one millisecond later at each reading."""

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    when = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    srv.publish("/a.xml", "rss", [Entry("a-1", "Harbour reopens", "/a/1", "The harbour reopened.", when)])
    srv.publish("/b.xml", "atom", [])
    yield srv
    await srv.stop()


@asynccontextmanager
async def real_service(server: FeedServer, db: Path, clock: Clock) -> AsyncIterator[DigestService]:
    """A DigestService (own store connection and HTTP session, like one bot process) for feeds a and b."""
    feeds = [FeedSettings(id="a", url=server.base + "/a.xml"),
             FeedSettings(id="b", url=server.base + "/b.xml", interval=300.0)]
    digest = DigestSettings(id="d", channel=1, schedule="0 7 * * *", feeds=("a", "b"))
    settings = make_settings(server, feeds, [digest], str(db))
    store = await Store.open(settings.storage.path)
    session = make_session(settings.fetch)
    try:
        yield DigestService(settings, store, session, SimpleBriefer(session, settings.fetch), clock=clock)
    finally:
        await session.close()
        await store.close()


@pytest.mark.parametrize("lags", [(0.0, 0.0, 0.0, 0.0), (0.3, 0.2, 0.1, 0.0)], ids=["on-time", "late-then-on-time"])
async def test_polls_go_through_the_digest_service_to_the_feeds(server: FeedServer, tmp_path: Path,
                                                                 lags: tuple[float, ...]) -> None:
    # The second case: each poll starts a little less late than the one before, so consecutive fetches of
    # a feed are a hair under one interval apart. Every slot must still fetch: reusing any fetch younger
    # than the full interval would drop about half the polls of a real, jittery loop.
    clock = LateClock(T0)
    async with real_service(server, tmp_path / "db.sqlite", clock) as service:
        poller = FeedPoller(service, clock=clock)
        polled = []
        for lag in lags:
            clock.now, clock.lag = poller.next_due(clock.now), lag
            polled += await poller.tick()
        state = await service.store.feed_state("a")
    # In 900 s b (every 300 s) is polled three times, a once; a's item is stored for the next digest.
    assert sorted(polled) == ["a", "b", "b", "b"]
    assert server.hits.get("/b.xml") == 3 and server.hits.get("/a.xml") == 1
    assert state is not None and state.seq is not None


async def test_a_poll_reuses_a_fetch_made_just_before_its_slot(server: FeedServer, tmp_path: Path) -> None:
    clock = Clock(T0)
    async with real_service(server, tmp_path / "db.sqlite", clock) as service:
        poller = FeedPoller(service, clock=clock)
        slot = poller.next_due(T0)
        [first] = poller.due(slot)
        path = "/a.xml" if first == "a" else "/b.xml"
        clock.now = slot - timedelta(seconds=20)  # a digest run (or another process) fetched it just now
        await service.refresh_feeds([first])
        clock.now = slot
        assert await poller.tick() == [first]
        reused = server.hits.get(path)
        clock.now = slot + timedelta(seconds=poller.polled()[first][0])  # its next slot fetches again
        assert first in await poller.tick()
    assert reused == 1 and server.hits.get(path) == 2


async def test_two_processes_polling_one_store_fetch_each_feed_once_per_slot(server: FeedServer,
                                                                            tmp_path: Path) -> None:
    # Both processes compute the same phases, so they poll at the same moments; the store's fetch claim
    # lets one fetch and the other reuse it. Time moves on with every reading, as it does between two
    # processes: a frozen clock would stamp the other's fetch with this process's very "now".
    clock = TickingClock(T0)
    db = tmp_path / "db.sqlite"
    async with real_service(server, db, clock) as one, real_service(server, db, clock) as two:
        pollers = [FeedPoller(one, clock=clock), FeedPoller(two, clock=clock)]
        assert pollers[0].polled() == pollers[1].polled()
        for _ in range(4):
            clock.now = pollers[0].next_due(clock.now)
            batches = await asyncio.gather(*(p.tick() for p in pollers))
            assert batches[0] == batches[1] and batches[0]
    assert server.hits.get("/b.xml") == 3 and server.hits.get("/a.xml") == 1
