"""/digest and digest delivery in process: the real DigestService over a loopback feed server, the real
NewsBot against the fake Discord (progress edits of the deferred reply; digests posted into a thread)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
import yarl

from bot.chat.client import NewsBot, apply_env_overrides
from bot.chat.delivery import DiscordDelivery
from bot.chat.rest import open_rest_delivery
from bot.digests import DigestService
from bot.frontend import FileConfig, Frontend
from bot.news.fetch import make_session
from bot.settings import DigestSettings, FeedSettings
from bot.store import Store
from tests.fake_discord import ADMIN_CHANNEL_ID, CHANNEL_ID, FAST_READY, FakeDiscord, Recorded
from tests.feed_helpers import Entry, FeedServer, SimpleBriefer, make_settings

NOW = datetime.now(UTC)
SLOW = [Entry("s-1", "Storm floods Portwen harbour", "/slow/flood", "Heavy rain flooded Portwen harbour.", NOW),
        Entry("s-2", "Astronomers spot a bright comet", "/slow/comet", "A new comet will be visible next week.",
              NOW - timedelta(hours=1))]
QUICK = [Entry("q-1", "Council approves the library budget", "/quick/library", "The council funded the library.",
               NOW)]


@dataclasses.dataclass
class Rig:
    fake: FakeDiscord
    server: FeedServer
    client: NewsBot
    service: DigestService


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    server = FeedServer()
    await server.start()
    server.publish("/slow.xml", "rss", SLOW)
    server.publish("/quick.xml", "rss", QUICK)
    fake = FakeDiscord()
    fake.start()
    old = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    apply_env_overrides({"DISCORD_API_BASE": fake.api_base, "DISCORD_GATEWAY_URL": fake.gateway_url})
    feeds = [FeedSettings(id="slowwire", url=server.base + "/slow.xml", first_fetch="post"),
             FeedSettings(id="quickwire", url=server.base + "/quick.xml", first_fetch="post")]
    digests = [DigestSettings(id="slow", channel=CHANNEL_ID, schedule="0 7 * * *", feeds=("slowwire",)),
               DigestSettings(id="quick", channel=CHANNEL_ID, schedule="0 7 * * *", feeds=("quickwire",)),
               DigestSettings(id="threaded", channel=CHANNEL_ID, schedule="0 7 * * *", feeds=("quickwire",),
                              thread="Morning news")]
    settings = make_settings(server, feeds, digests, str(tmp_path / "state.db"))
    store = await Store.open(settings.storage.path)
    session = make_session(settings.fetch)
    service = DigestService(settings, store, session, SimpleBriefer(session, settings.fetch))
    client = NewsBot(Frontend(FileConfig(None, settings), object(), service),  # type: ignore[arg-type]
                     guild_ready_timeout=FAST_READY)
    task = asyncio.create_task(client.start("token"))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 15)
        yield Rig(fake, server, client, service)
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)
        await session.close()
        await store.close()
        await server.stop()
        fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old
        assert isinstance(old[1], yarl.URL)


async def wait(fake: FakeDiscord, method: str, path: str, count: int = 1) -> list[Recorded]:
    return await asyncio.to_thread(fake.wait_for, method, path, count=count, timeout=10)


async def digest_command(fake: FakeDiscord, name: str) -> str:
    _iid, token = await asyncio.to_thread(fake.interaction, "digest", [{"name": "name", "type": 3, "value": name}])
    return token


async def test_slow_digest_edits_its_deferred_reply_with_progress(rig: Rig) -> None:
    fake = rig.fake
    rig.server.delay["/slow.xml"] = 1.6
    for entry in SLOW:
        rig.server.delay[entry.path] = 1.0
    token = await digest_command(fake, "slow")
    await wait(fake, "POST", rf"^/channels/{CHANNEL_ID}/messages$", count=3)
    edits = await wait(fake, "PATCH", rf"^/webhooks/\d+/{token}/messages/@original$", count=3)
    await asyncio.sleep(0.3)
    edits = fake.find("PATCH", rf"^/webhooks/\d+/{token}/messages/@original$")
    texts = [e.body["content"] for e in edits]
    # Feeds first (the feed answers after 1.6 s), then briefing (each page takes 1 s), then the result.
    assert texts[0] == "slow: feeds fetched 0/1", texts
    assert any(t.startswith("slow: feeds fetched 1/1 · stories briefed ") for t in texts[1:-1]), texts
    assert texts[-1] == "slow: posted 2 stories"
    assert len(texts) == len(set(texts))  # an unchanged line is not sent again
    progress = edits[:-1]
    assert all(b.at - a.at >= 0.9 for a, b in itertools.pairwise(progress))  # throttled
    assert all(e.body["allowed_mentions"] == {"parse": []} for e in edits)
    # The result replaced the progress line; no second message under it.
    assert not fake.find("POST", rf"^/webhooks/\d+/{token}$")


async def test_quick_digest_answers_without_progress_edits(rig: Rig) -> None:
    fake = rig.fake
    token = await digest_command(fake, "quick")
    done = (await wait(fake, "POST", rf"^/webhooks/\d+/{token}$"))[0]
    assert done.body["content"] == "quick: posted 1 story"
    assert not fake.find("PATCH", rf"^/webhooks/\d+/{token}/messages/@original$")


def thread_posts(fake: FakeDiscord, thread_id: str) -> list[Recorded]:
    return fake.find("POST", rf"^/channels/{thread_id}/messages$")


async def test_a_digest_that_names_a_thread_posts_into_it(rig: Rig) -> None:
    fake = rig.fake
    delivery = DiscordDelivery(rig.client, lambda: rig.service.settings)
    report = await rig.service.run("threaded", delivery)
    assert report.posted == 1
    created = fake.find("POST", rf"^/channels/{CHANNEL_ID}/threads$")
    assert [c.body["name"] for c in created] == ["Morning news"]
    assert created[0].body["type"] == 11 and created[0].body["auto_archive_duration"] == 10080
    thread_id = next(iter(fake.threads))
    posts = thread_posts(fake, thread_id)
    assert posts[0].body["content"].startswith("threaded · 1 new story")
    assert posts[1].body["embeds"][0]["title"] == QUICK[0].title
    assert not fake.find("POST", rf"^/channels/{CHANNEL_ID}/messages$")  # nothing in the channel itself

    # The next run (a new delivery, as after a restart) finds the thread instead of making another.
    await rig.service.run("threaded", DiscordDelivery(rig.client, lambda: rig.service.settings))
    assert thread_posts(fake, thread_id)[2].body["content"] == "No new stories since the last digest."
    assert len(fake.find("POST", r"/threads$")) == 1


async def test_rest_only_delivery_finds_active_and_reopens_archived_threads(rig: Rig) -> None:
    fake = rig.fake
    fake.thread(ADMIN_CHANNEL_ID, "Morning news")  # a namesake in another channel is not the digest's
    mine = fake.thread(CHANNEL_ID, "Morning news")
    settings = rig.service.settings
    delivery, close = await open_rest_delivery("token", settings)
    try:
        digest = rig.service.digest("threaded")
        await delivery.send_text(digest, "one")
        await delivery.send_text(digest, "two")
        assert [p.body["content"] for p in thread_posts(fake, mine["id"])] == ["one", "two"]
        assert len(fake.find("GET", r"^/guilds/\d+/threads/active$")) == 1  # looked up once per run
    finally:
        await close()
    await asyncio.to_thread(fake.archive_thread, mine["id"])
    delivery, close = await open_rest_delivery("token", settings)
    try:
        await delivery.send_text(rig.service.digest("threaded"), "three")
    finally:
        await close()
    reopened = fake.find("PATCH", rf"^/channels/{mine['id']}$")
    assert [r.body for r in reopened] == [{"archived": False}]
    assert [p.body["content"] for p in thread_posts(fake, mine["id"])] == ["one", "two", "three"]
    assert not fake.find("POST", r"/threads$")
