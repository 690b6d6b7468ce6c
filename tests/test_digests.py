"""DigestService end to end against a loopback feed server: fetch, store, group, deliver, restart, why."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.digests import DigestService
from bot.errors import ConfigError
from bot.feedsync import HealthPolicy
from bot.news.fetch import make_session
from bot.settings import DigestSettings, FeedSettings
from bot.store import Store
from tests.feed_helpers import (
    Clock,
    Crash,
    Entry,
    FeedServer,
    RecordingDelivery,
    SimpleBriefer,
    make_settings,
)

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
OLD = [Entry("a-old", "Council approves new library budget", "/a/library", "The council voted to fund the library.", T0)]
FLOOD = [
    Entry("a-1", "Storm floods Portwen harbour as River Wend bursts banks", "/a/flood",
          "Heavy rain made the River Wend burst its banks and flood Portwen harbour; crews evacuated residents.", T0),
    Entry("b-1", "River Wend bursts its banks, flooding Portwen harbour", "/b/flood",
          "The River Wend burst its banks after storm rain, flooding Portwen harbour and forcing evacuations.", T0),
    Entry(None, "Portwen harbour flooded after River Wend bursts banks in storm", "/c/flood",
          "Storm rain made the River Wend burst its banks, flooding Portwen harbour overnight.", T0),
]
OTHER = [Entry("b-2", "Astronomers spot a bright comet over the northern sky", "/b/comet",
               "A new comet will be visible to the naked eye next week, astronomers said.", T0)]


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    srv.publish("/a.xml", "rss", OLD)
    srv.publish("/b.xml", "atom", [])
    srv.publish("/c.json", "json", [])
    yield srv
    await srv.stop()


def feeds(server: FeedServer, **extra: object) -> list[FeedSettings]:
    return [FeedSettings(id="a", url=server.base + "/a.xml", name="Gazette", **extra),  # type: ignore[arg-type]
            FeedSettings(id="b", url=server.base + "/b.xml", name="Times", priority=1),
            FeedSettings(id="c", url=server.base + "/c.json", name="Bay Daily")]


MORNING = DigestSettings(id="morning", channel=42, schedule="0 7 * * *", feeds=("a", "b", "c"), sentences=2)


class Harness:
    def __init__(self, server: FeedServer, db: str, feed_list: list[FeedSettings] | None = None,
                 digests: list[DigestSettings] | None = None, clock: Clock | None = None,
                 policy: HealthPolicy | None = None) -> None:
        self.settings = make_settings(server, feed_list or feeds(server), digests or [MORNING], db)
        self.clock = clock or Clock()
        self.policy = policy

    async def __aenter__(self) -> DigestService:
        self.store = await Store.open(self.settings.storage.path)
        self.session = make_session(self.settings.fetch)
        self.briefer = SimpleBriefer(self.session, self.settings.fetch)
        return DigestService(self.settings, self.store, self.session, self.briefer, clock=self.clock,
                             policy=self.policy)

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()
        await self.store.close()


async def test_first_sight_stores_then_new_items_post_grouped(server: FeedServer, tmp_path: Path) -> None:
    async with Harness(server, str(tmp_path / "db.sqlite")) as service:
        chat = RecordingDelivery()
        first = await service.run("morning", chat)
        assert first.stories == [] and chat.texts == ["No new stories since the last digest."]
        server.publish("/a.xml", "rss", OLD + FLOOD[:1])
        server.publish("/b.xml", "atom", FLOOD[1:2] + OTHER)
        server.publish("/c.json", "json", FLOOD[2:])
        second = await service.run("morning", chat)
        old = await service.why(server.base + "/a/library")
        grouped = await service.why(server.base + "/a/flood")
    assert "already in the feed when the digest first read it" in old
    assert "posted by digest morning in <#42>" in grouped
    assert "grouped into the story “River Wend bursts its banks, flooding Portwen harbour”" in grouped
    assert chat.stories[0].briefing.headline.startswith("River Wend bursts")  # Times has priority 1
    assert len(chat.stories) == 2 and second.posted == 2
    flood = chat.stories[0]
    assert {s.site for s in flood.sources} == {"Gazette", "Times", "Bay Daily"}
    related = [link.url for link in flood.briefing.related]
    assert server.base + "/a/flood" in related and server.base + "/c/flood" in related
    assert "Council approves" not in " ".join(s.briefing.headline for s in chat.stories)
    assert len(chat.stories[0].briefing.summary) == 2  # the digest's sentences setting reached the briefer
    assert chat.headers == ["morning · 2 new stories · 2026-11-27 09:00 UTC"]


async def test_first_fetch_post_posts_current_items(server: FeedServer, tmp_path: Path) -> None:
    server.publish("/a.xml", "rss", OLD)
    feed = [FeedSettings(id="a", url=server.base + "/a.xml", name="Gazette", first_fetch="post")]
    digest = DigestSettings(id="d", channel=1, schedule="0 7 * * *", feeds=("a",))
    async with Harness(server, str(tmp_path / "db.sqlite"), feed, [digest]) as service:
        chat = RecordingDelivery()
        await service.run("d", chat)
    assert [s.briefing.headline for s in chat.stories] == ["Council approves new library budget"]


async def test_conditional_get_304_and_one_fetch_per_url(server: FeedServer, tmp_path: Path) -> None:
    other = DigestSettings(id="evening", channel=43, schedule="0 19 * * *", feeds=("a", "b"))
    db = str(tmp_path / "db.sqlite")
    async with Harness(server, db, digests=[MORNING, other]) as service:
        chat = RecordingDelivery()
        await service.run_many(["morning", "evening"], chat)
        assert server.hits["/a.xml"] == 1 and server.hits["/b.xml"] == 1
    async with Harness(server, db, digests=[MORNING, other]) as service:  # validators survive a restart
        reports = await service.run_many(["morning", "evening"], chat)
    assert server.not_modified["/a.xml"] == 1 and server.not_modified["/c.json"] == 1
    assert reports[0].feeds["a"].status == "not_modified"


async def test_restart_and_crash_post_nothing_twice(server: FeedServer, tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite")
    async with Harness(server, db) as service:
        await service.run("morning", RecordingDelivery())
    server.publish("/a.xml", "rss", OLD + FLOOD[:1])
    server.publish("/b.xml", "atom", OTHER)
    server.publish("/c.json", "json", [Entry("c-9", "Rail strike called off after late talks", "/c/rail",
                                             "Unions and operators agreed a pay deal late on Thursday.", T0)])
    crashing = RecordingDelivery(crash_on=2)
    async with Harness(server, db) as service:
        with pytest.raises(Crash):
            await service.run("morning", crashing)
    assert len(crashing.stories) == 2
    async with Harness(server, db) as service:  # a new process on the same database
        after = RecordingDelivery()
        await service.run("morning", after)
        again = RecordingDelivery()
        await service.run("morning", again)
        interrupted = await service.why(crashing.stories[1].items[0].link or "")
    posted_before = {s.briefing.headline for s in crashing.stories}
    assert len(after.stories) == 1 and after.stories[0].briefing.headline not in posted_before
    assert again.stories == []
    assert "interrupted" in interrupted


async def test_refused_story_is_offered_again(server: FeedServer, tmp_path: Path) -> None:
    db = str(tmp_path / "db.sqlite")
    async with Harness(server, db) as service:
        await service.run("morning", RecordingDelivery())
        server.publish("/b.xml", "atom", OTHER)
        refused = RecordingDelivery(refuse_on=1)
        report = await service.run("morning", refused)
        assert report.posted == 0 and report.errors
        retry = RecordingDelivery()
        await service.run("morning", retry)
    assert [s.briefing.headline for s in retry.stories] == [OTHER[0].title]


async def test_dry_run_records_nothing(server: FeedServer, tmp_path: Path) -> None:
    async with Harness(server, str(tmp_path / "db.sqlite")) as service:
        await service.run("morning", RecordingDelivery())
        server.publish("/b.xml", "atom", OTHER)
        dry = RecordingDelivery()
        await service.run("morning", dry, dry_run=True)
        real = RecordingDelivery()
        await service.run("morning", real)
    assert [s.briefing.headline for s in dry.stories] == [s.briefing.headline for s in real.stories] == [OTHER[0].title]


async def test_page_failure_falls_back_to_feed_text_and_is_explained(server: FeedServer, tmp_path: Path) -> None:
    async with Harness(server, str(tmp_path / "db.sqlite")) as service:
        await service.run("morning", RecordingDelivery())
        server.publish("/b.xml", "atom", OTHER)
        del server.pages["/b/comet"]
        chat = RecordingDelivery()
        await service.run("morning", chat)
        answer = await service.why(server.base + "/b/comet")
    assert chat.stories[0].briefing.summary[0].startswith("A new comet")
    assert "article page failed" in answer and "404" in answer
    assert "posted by digest morning in <#42>" in answer


async def test_filters_limits_and_why(server: FeedServer, tmp_path: Path) -> None:
    feed_list = [FeedSettings(id="a", url=server.base + "/a.xml", name="Gazette", exclude=("comet",),
                              include_regex=(r"(?i)portwen|comet|rail",), max_items=5)]
    digest = DigestSettings(id="d", channel=7, schedule="0 7 * * *", feeds=("a",), max_stories=1)
    async with Harness(server, str(tmp_path / "db.sqlite"), feed_list, [digest]) as service:
        await service.run("d", RecordingDelivery())
        rail = Entry("a-r", "Rail strike called off", "/a/rail", "Unions agreed a deal on rail pay.",
                     T0 - timedelta(days=1))
        server.publish("/a.xml", "rss", OLD + FLOOD[:1] + OTHER + [rail])
        chat = RecordingDelivery()
        report = await service.run("d", chat)
        comet = await service.why(server.base + "/b/comet")
        old = await service.why(server.base + "/a/library")
        never = await service.why(server.base + "/nowhere")
        dropped = await service.why(server.base + "/a/rail")
    assert len(chat.stories) == 1 and report.skipped == {"ranked below the top 1 stories": 1}
    assert "exclude keyword 'comet'" in comet
    assert "filtered out by the feed's rule: no include_regex match" in old
    assert never.startswith("Never seen")
    assert chat.stories[0].items[0].title.startswith("Storm floods")
    assert "not posted by digest d: ranked below the top 1 stories" in dropped


async def test_failing_feed_backs_off_pauses_and_resumes(server: FeedServer, tmp_path: Path) -> None:
    clock = Clock()
    server.fail["/a.xml"] = 3
    feed_list = feeds(server)[:1]
    digest = DigestSettings(id="d", channel=7, schedule="0 7 * * *", feeds=("a",))
    async with Harness(server, str(tmp_path / "db.sqlite"), feed_list, [digest], clock,
                       HealthPolicy(base=60, cap=3600, pause_after=3)) as service:
        chat = RecordingDelivery()
        statuses = []
        for _ in range(3):
            report = await service.run("d", chat)
            statuses.append(report.feeds["a"].status)
            skipped = await service.run("d", chat)  # within the backoff: no request at all
            statuses.append(skipped.feeds["a"].status)
            clock.advance(hours=2)
        state = await service.store.feed_state("a")
        recovered = await service.run("d", chat)
    assert statuses == ["error", "backoff", "error", "backoff", "error", "paused"]
    assert server.hits["/a.xml"] == 4 and recovered.feeds["a"].status == "fetched"
    assert state is not None and state.failures == 3 and state.paused and "503" in (state.last_error or "")
    assert len(chat.notices) == 2 and "paused" in chat.notices[0] and "resumed" in chat.notices[1]


async def test_huge_and_hostile_feeds_are_bounded(server: FeedServer, tmp_path: Path) -> None:
    big = [Entry(f"g{i}", f"Item number {i} about the weather", f"/big/{i}", "Some text.", T0) for i in range(10_000)]
    server.publish("/big.xml", "rss", big)
    bomb = (Path(__file__).parent / "fixtures/feeds/entity_bomb.xml").read_bytes().replace(b"BODY", b"&a;" * 5000)
    server.raw["/bomb.xml"] = bomb
    feed_list = [FeedSettings(id="big", url=server.base + "/big.xml", first_fetch="post", max_items=10),
                 FeedSettings(id="bomb", url=server.base + "/bomb.xml", first_fetch="post")]
    digest = DigestSettings(id="d", channel=7, schedule="0 7 * * *", feeds=("big", "bomb"), max_stories=3)
    started = time.perf_counter()
    async with Harness(server, str(tmp_path / "db.sqlite"), feed_list, [digest]) as service:
        report = await service.run("d", RecordingDelivery())
    assert time.perf_counter() - started < 10
    assert report.feeds["big"].new_items == 500 and report.feeds["bomb"].status == "fetched"
    assert report.skipped["over the feed's max_items (10) in one run"] == 490
    # The ten near-identical headlines are one story; the bomb's item has an unreachable link and no text.
    assert len(report.stories) == 1 and len(report.stories[0].items) == 10
    assert any("bomb.example" in error for error in report.errors)


async def test_unexpected_briefer_failure_falls_back_and_run_survives(server: FeedServer, tmp_path: Path) -> None:
    async with Harness(server, str(tmp_path / "db.sqlite")) as service:
        await service.run("morning", RecordingDelivery())
        server.publish("/b.xml", "atom", OTHER)

        async def broken(*args: object, **kw: object) -> None:
            raise RuntimeError("pool broke")

        service.briefer.brief_url = broken  # type: ignore[method-assign]
        chat = RecordingDelivery()
        report = await service.run("morning", chat)
        answer = await service.why(server.base + "/b/comet")
    assert [s.briefing.headline for s in chat.stories] == [OTHER[0].title] and report.posted == 1
    assert "internal error (RuntimeError)" in answer


async def test_refresh_feeds_fetches_without_running_a_digest(server: FeedServer, tmp_path: Path) -> None:
    server.publish("/b.xml", "atom", OTHER)
    async with Harness(server, str(tmp_path / "db.sqlite")) as service:
        outcomes = await service.refresh_feeds(["a", "b", "a"])
        state = await service.store.feed_state("b")
        with pytest.raises(ConfigError, match="nope"):
            await service.refresh_feeds(["nope"])
        last = await service.store.last_run("morning")
    assert set(outcomes) == {"a", "b"} and outcomes["b"].status == "fetched" and outcomes["b"].new_items == 1
    assert server.hits["/a.xml"] == 1 and "/c.json" not in server.hits
    assert state is not None and state.seq is not None and last is None
