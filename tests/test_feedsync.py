"""Feed fetches shared between processes through the store's fetch claims, on SQLite and on PostgreSQL
(when NEWSBRIEF_TEST_PG_URL names a server): one HTTP request for a feed however many processes refresh it."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import feedsync
from bot.digests import DigestService
from bot.errors import StoreError
from bot.feedsync import FeedSync, HealthPolicy
from bot.news.fetch import make_session
from bot.settings import DigestSettings, FeedSettings, FetchSettings, Settings
from bot.store import Store
from bot.store_factory import StoreLike
from tests.feed_helpers import Clock, Entry, FeedServer, RecordingDelivery, SimpleBriefer, make_settings

PG_URL = os.environ.get("NEWSBRIEF_TEST_PG_URL")
ITEMS = [Entry("n0", "Storm floods Portwen harbour", "/n/0", "Heavy rain flooded the harbour overnight."),
         Entry("n1", "Astronomers spot a bright comet", "/n/1", "A comet will be visible to the naked eye."),
         Entry("n2", "Council election turnout hits a record", "/n/2", "More voters than ever took part."),
         Entry("n3", "New bridge opens to cyclists", "/n/3", "The crossing cuts the commute by ten minutes.")]

Opener = Callable[[], Awaitable[StoreLike]]


@pytest.fixture(params=["sqlite", "pg"])
async def opener(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens a store on one shared database each time it is called: each call stands for a process."""
    opened: list[StoreLike] = []
    schema = f"t_{uuid.uuid4().hex}"
    if request.param == "pg" and not PG_URL:
        pytest.skip("NEWSBRIEF_TEST_PG_URL is not set")

    async def open_one() -> StoreLike:
        if request.param == "sqlite":
            store: StoreLike = await Store.open(tmp_path / "shared.db")
        else:
            from bot.store_pg import PgStore

            assert PG_URL
            store = await PgStore.open(PG_URL, schema=schema, max_size=4)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()
    if request.param == "pg":
        import asyncpg

        conn = await asyncpg.connect(PG_URL)
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await conn.close()


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    srv.publish("/a.xml", "rss", ITEMS[:2])
    srv.publish("/b.xml", "atom", ITEMS[2:])
    yield srv
    await srv.stop()


def settings_for(server: FeedServer, *, interval: float = 900.0, feed_interval: float | None = None,
                 **fetch: Any) -> Settings:
    feeds = [FeedSettings(id="a", url=server.base + "/a.xml", name="Gazette", interval=feed_interval),
             FeedSettings(id="b", url=server.base + "/b.xml", name="Times")]
    digest = DigestSettings(id="d", channel=1, schedule="0 7 * * *", feeds=("a", "b"), max_stories=10)
    base = make_settings(server, feeds, [digest], "unused.db")
    fetch_settings = FetchSettings(**{**base.fetch.__dict__, "feed_interval": interval, **fetch})
    return Settings(feeds=base.feeds, digests=base.digests, storage=base.storage, fetch=fetch_settings)


class Process:
    """One bot process: its own store connection, HTTP session and digest service, on the shared database."""

    def __init__(self, settings: Settings, store: StoreLike, clock: Clock) -> None:
        self.session = make_session(settings.fetch)
        self.service = DigestService(settings, store, self.session, SimpleBriefer(self.session, settings.fetch),
                                     clock=clock)

    async def close(self) -> None:
        await self.session.close()


async def processes(n: int, settings: Settings, opener: Opener, clock: Clock) -> list[Process]:
    return [Process(settings, await opener(), clock) for _ in range(n)]


async def test_concurrent_refreshes_fetch_each_feed_once(server: FeedServer, opener: Opener) -> None:
    server.delay["/a.xml"] = server.delay["/b.xml"] = 0.05  # both processes ask while the first is fetching
    clock = Clock()
    one, two = await processes(2, settings_for(server), opener, clock)
    try:
        first, second = await asyncio.gather(one.service.refresh_feeds(["a", "b"]),
                                             two.service.refresh_feeds(["a", "b"]))
        seen = [await p.service.store.candidates("d", "a", 0) for p in (one, two)]
    finally:
        await one.close()
        await two.close()
    assert server.hits == {"/a.xml": 1, "/b.xml": 1}
    assert sorted([first["a"].status, second["a"].status]) == ["fetched", "shared"]
    assert sorted([first["b"].status, second["b"].status]) == ["fetched", "shared"]
    assert [sorted(s.item.title for s in found) for found in seen] == [sorted(e.title for e in ITEMS[:2])] * 2


async def test_digests_in_two_processes_post_each_story_once(server: FeedServer, opener: Opener) -> None:
    feeds = [FeedSettings(id="a", url=server.base + "/a.xml", first_fetch="post"),
             FeedSettings(id="b", url=server.base + "/b.xml", first_fetch="post")]
    digest = DigestSettings(id="d", channel=1, schedule="0 7 * * *", feeds=("a", "b"), max_stories=10)
    settings = make_settings(server, feeds, [digest], "unused.db")
    clock = Clock()
    procs = await processes(2, settings, opener, clock)
    chats = [RecordingDelivery(), RecordingDelivery()]
    try:
        reports = await asyncio.gather(*(p.service.run_many(["d"], chat, scheduled=clock())
                                         for p, chat in zip(procs, chats, strict=True)))
    finally:
        for p in procs:
            await p.close()
    posted = [s.briefing.headline for chat in chats for s in chat.stories]
    assert sorted(posted) == sorted(e.title for e in ITEMS)  # every story once, none twice
    assert sum(r[0].posted for r in reports) == len(ITEMS)
    assert server.hits["/a.xml"] == server.hits["/b.xml"] == 1
    # a process that won no story posted no header either
    assert [len(chat.headers) for chat in chats] == [1 if chat.stories else 0 for chat in chats]


async def test_fresh_window_interval_and_on_demand_runs(server: FeedServer, opener: Opener) -> None:
    clock = Clock()
    (proc,) = await processes(1, settings_for(server, interval=600, feed_interval=60), opener, clock)
    try:
        await proc.service.refresh_feeds(["a", "b"])
        clock.advance(seconds=30)
        reused = await proc.service.refresh_feeds(["a", "b"])  # both within their intervals
        clock.advance(seconds=60)
        later = await proc.service.refresh_feeds(["a", "b"])  # a's own 60 s passed, b's 600 s did not
        on_demand = await proc.service.refresh_feeds(["b"], max_age=0)  # /digest and the CLI: fetch now
        chat = RecordingDelivery()
        await proc.service.run("d", chat)  # an on-demand run fetches however fresh the feeds are
    finally:
        await proc.close()
    assert reused["a"].status == reused["b"].status == "shared"
    assert later["a"].status == "not_modified" and later["b"].status == "shared"
    assert on_demand["b"].status == "not_modified"
    assert server.hits == {"/a.xml": 3, "/b.xml": 3}


async def test_a_release_the_store_refuses_keeps_the_fetch(server: FeedServer, opener: Opener,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    (proc,) = await processes(1, settings_for(server), opener, clock)

    async def refused(*_: object) -> None:
        raise StoreError("the store is unavailable")

    monkeypatch.setattr(proc.service.store, "release_fetch", refused)
    try:
        outcome = (await proc.service.refresh_feeds(["b"]))["b"]
        stored = await proc.service.store.candidates("d", "b", 0)
    finally:
        await proc.close()
    assert outcome.status == "fetched" and outcome.error is None
    assert sorted(s.item.title for s in stored) == sorted(e.title for e in ITEMS[2:])


async def test_interval_zero_always_fetches(server: FeedServer, opener: Opener) -> None:
    clock = Clock()
    (proc,) = await processes(1, settings_for(server, interval=0), opener, clock)
    try:
        statuses = [(await proc.service.refresh_feeds(["b"]))["b"].status for _ in range(3)]
    finally:
        await proc.close()
    assert statuses == ["fetched", "not_modified", "not_modified"] and server.hits["/b.xml"] == 3


async def test_dead_holder_is_waited_for_then_its_lease_expires(server: FeedServer, opener: Opener,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    settings = settings_for(server, connect_timeout=0.02, timeout=0.02, extract_timeout=0.02)
    dead = await opener()
    (proc,) = await processes(1, settings, opener, clock)
    sync = FeedSync(proc.service.store, None, settings.fetch, fetcher=None, runner=None,  # type: ignore[arg-type]
                    limiter=proc.service.limiter, clock=clock)
    monkeypatch.setattr(feedsync, "LEASE_SLACK", 0.1)  # the lease: 0.02 + 0.02 + 0.02 + 0.1 s
    lease = sync.lease([settings.feeds[1]])
    assert lease == timedelta(seconds=0.16)
    try:
        # A process claimed the feed and was killed before releasing it.
        assert await dead.claim_fetch(server.base + "/b.xml", clock(), timedelta(0), lease) == "fetch"
        started = asyncio.get_running_loop().time()
        waited = await proc.service.refresh_feeds(["b"])
        elapsed = asyncio.get_running_loop().time() - started
        clock.advance(seconds=1)  # the dead holder's lease has run out
        taken_over = await proc.service.refresh_feeds(["b"])
    finally:
        await proc.close()
    assert waited["b"].status == "busy" and "another process" in (waited["b"].error or "")
    assert 0.16 <= elapsed < 2.0
    assert taken_over["b"].status == "fetched" and server.hits["/b.xml"] == 1


async def test_failed_fetch_is_not_reused_as_fresh(server: FeedServer, opener: Opener) -> None:
    server.fail["/b.xml"] = 1
    clock = Clock()
    one, two = await processes(2, settings_for(server), opener, clock)
    try:
        failed = await one.service.refresh_feeds(["b"])
        backing_off = await two.service.refresh_feeds(["b"])  # the other process honours the backoff
        clock.advance(minutes=2)
        recovered = await two.service.refresh_feeds(["b"])
    finally:
        await one.close()
        await two.close()
    assert failed["b"].status == "error" and backing_off["b"].status == "backoff"
    assert recovered["b"].status == "fetched" and server.hits["/b.xml"] == 2


async def test_feeds_sharing_a_url_are_refreshed_together(server: FeedServer, opener: Opener) -> None:
    feeds = [FeedSettings(id="a", url=server.base + "/a.xml"),
             FeedSettings(id="a-comets", url=server.base + "/a.xml", include=("comet",))]
    digest = DigestSettings(id="d", channel=1, schedule="0 7 * * *", feeds=("a",))
    settings = make_settings(server, feeds, [digest], "unused.db")
    clock = Clock()
    (proc,) = await processes(1, settings, opener, clock)
    try:
        outcomes = await proc.service.refresh_feeds(["a"])
        comets = await proc.service.store.candidates("other", "a-comets", 0)
    finally:
        await proc.close()
    assert set(outcomes) == {"a", "a-comets"} and server.hits["/a.xml"] == 1
    assert [c.item.title for c in comets] == [ITEMS[1].title]  # stored through that feed's own filter


async def test_lost_story_claims_post_nothing(server: FeedServer, opener: Opener,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    feeds = [FeedSettings(id="b", url=server.base + "/b.xml", first_fetch="post")]
    digest = DigestSettings(id="d", channel=1, schedule="0 7 * * *", feeds=("b",))
    (proc,) = await processes(1, make_settings(server, feeds, [digest], "unused.db"), opener, clock)

    async def lost(*args: object) -> bool:
        return False

    monkeypatch.setattr(proc.service.store, "mark_sending", lost)
    chat = RecordingDelivery()
    try:
        report = await proc.service.run("d", chat)
    finally:
        await proc.close()
    assert chat.headers == [] and chat.stories == [] and report.posted == 0 and report.stories == []
    assert report.skipped["being posted by another process"] == 2


def test_health_policy_from_settings() -> None:
    policy = HealthPolicy.from_settings(FetchSettings(retry_base=10, retry_max=100, pause_after_failures=3))
    assert policy == HealthPolicy(base=10.0, cap=100.0, pause_after=3)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [10.0, 20.0, 100.0, 100.0]
    assert HealthPolicy.from_settings(FetchSettings()) == HealthPolicy(base=60.0, cap=21600.0, pause_after=5)


async def test_reload_changes_the_health_policy(server: FeedServer, tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db")
    settings = settings_for(server, retry_base=10.0)
    service = DigestService(settings, store, None, None)
    try:
        assert service.policy.base == 10.0
        service.update_settings(settings_for(server, retry_base=30.0, pause_after_failures=2))
        assert service.policy == HealthPolicy(base=30.0, cap=21600.0, pause_after=2)
        fixed = DigestService(settings, store, None, None, policy=HealthPolicy(base=1.0))
        fixed.update_settings(settings_for(server, retry_base=30.0))
        assert fixed.policy.base == 1.0  # an explicit policy stays
    finally:
        await store.close()


async def test_a_feed_the_other_process_does_not_know_is_fetched(server: FeedServer, opener: Opener) -> None:
    clock = Clock()
    digest = DigestSettings(id="d", channel=1, schedule="0 7 * * *", feeds=("gazette",))
    mine = make_settings(server, [FeedSettings(id="gazette", url=server.base + "/a.xml")], [digest], "unused.db")
    (other,) = await processes(1, settings_for(server), opener, clock)  # knows the URL as feed "a"
    (proc,) = await processes(1, mine, opener, clock)
    try:
        await other.service.refresh_feeds(["a"])
        outcome = (await proc.service.refresh_feeds(["gazette"]))["gazette"]
        again = (await proc.service.refresh_feeds(["gazette"]))["gazette"]
    finally:
        await other.close()
        await proc.close()
    # A fresh fetch stored under another feed id leaves nothing to reuse for "gazette": it fetches once.
    assert outcome.status == "fetched" and outcome.new_items == 2 and again.status == "shared"
    assert server.hits["/a.xml"] == 2
