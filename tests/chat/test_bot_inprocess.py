"""The Discord glue in process against the fake Discord: global sync, unexpected errors, private briefs,
/digest delivery and admin notices (the subprocess tests cover the real pipeline)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl

from bot.chat.client import NewsBot, apply_env_overrides
from bot.chat.errors import APOLOGY
from bot.errors import ExtractError
from bot.frontend import FileConfig, Frontend
from bot.models import Briefing, Source, Stats, Story
from bot.news.briefing import BriefOptions
from bot.settings import CommandSettings, DigestSettings, DiscordSettings, FeedSettings, Settings
from tests.fake_discord import ADMIN_CHANNEL_ID, CHANNEL_ID, FAST_READY, GUILD_ID, FakeDiscord


def briefing(url: str, headline: str = "Bridge approved") -> Briefing:
    return Briefing(headline, ("The council voted @everyone.",), (), (), Source(url=url, site="ex.com"), "en", "t",
                    Stats(100, 10, 90.0, 1.0))


class Service:
    async def brief_url(self, url: str, options: BriefOptions | None = None) -> Briefing:
        if "boom" in url:
            raise RuntimeError("a bug")
        if "bad" in url:
            raise ExtractError("no article there")
        return briefing(url)


class Digests:
    async def run(self, digest_id: str, delivery: Any, progress: Any = None) -> Any:
        digest = DIGEST
        await delivery.send_header(digest, "Morning digest <@&1>")
        await delivery.send_story(digest, Story("k", briefing("https://ex.com/s", "@here Story [x](https://evil.test)")))
        await delivery.notify_admin("feed wire paused after 5 failures")
        return type("Report", (), {"posted": 1})()


DIGEST = DigestSettings(id="morning", channel=CHANNEL_ID, schedule="0 7 * * *", feeds=("wire",))


@pytest.fixture
async def bot() -> AsyncIterator[tuple[FakeDiscord, NewsBot]]:
    fake = FakeDiscord()
    fake.start()
    old = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    apply_env_overrides({"DISCORD_API_BASE": fake.api_base, "DISCORD_GATEWAY_URL": fake.gateway_url})
    settings = Settings(discord=DiscordSettings(admin_channel=ADMIN_CHANNEL_ID), digests=(DIGEST,),
                        feeds=(FeedSettings(id="wire", url="https://wire.example/rss"),),
                        commands=CommandSettings(brief_cooldown=0))
    client = NewsBot(Frontend(FileConfig(None, settings), Service(), Digests()), guild_ready_timeout=FAST_READY)
    task = asyncio.create_task(client.start("token"))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 15)
        await asyncio.sleep(0.2)
        yield fake, client
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)
        fake.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old
        assert isinstance(old[1], yarl.URL)


async def wait(fake: FakeDiscord, method: str, path: str, count: int = 1) -> list[Any]:
    return await asyncio.to_thread(fake.wait_for, method, path, count=count, timeout=10)


async def test_env_overrides_and_global_sync(bot: tuple[FakeDiscord, NewsBot]) -> None:
    fake, client = bot
    assert discord.http.Route.BASE == fake.api_base
    assert fake.find("PUT", r"^/applications/\d+/commands$")
    assert not fake.find("PUT", r"/guilds/")
    assert client.intents.value == discord.Intents(guilds=True).value
    assert client.allowed_mentions is not None and client.allowed_mentions.to_dict() == {"parse": []}


async def test_unexpected_error_is_logged_once_and_user_gets_an_apology(
        bot: tuple[FakeDiscord, NewsBot], caplog: pytest.LogCaptureFixture) -> None:
    fake, _ = bot
    caplog.set_level(logging.INFO, logger="bot.chat.errors")
    _iid, token = await asyncio.to_thread(fake.interaction, "brief",
                                         [{"name": "url", "type": 3, "value": "https://ex.com/boom"}])
    post = (await wait(fake, "POST", rf"^/webhooks/\d+/{token}$"))[0]
    assert post.body["content"] == APOLOGY and post.body["flags"] == 64
    assert fake.find("DELETE", rf"/webhooks/\d+/{token}/messages/@original")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "/brief" in message and str(GUILD_ID) in message and "https://ex.com/boom" in message
    assert errors[0].exc_info is not None
    # Still answering.
    _iid, token = await asyncio.to_thread(fake.interaction, "brief",
                                         [{"name": "url", "type": 3, "value": "https://ex.com/ok"}])
    assert (await wait(fake, "POST", rf"^/webhooks/\d+/{token}$"))[0].body["embeds"]


async def test_private_brief_is_ephemeral_throughout(bot: tuple[FakeDiscord, NewsBot]) -> None:
    fake, _ = bot
    iid, token = await asyncio.to_thread(fake.interaction, "brief", [
        {"name": "url", "type": 3, "value": "https://ex.com/a"}, {"name": "private", "type": 5, "value": True}])
    cb = (await wait(fake, "POST", rf"^/interactions/{iid}/"))[0]
    assert cb.body == {"type": 5, "data": {"flags": 64}}
    post = (await wait(fake, "POST", rf"^/webhooks/\d+/{token}$"))[0]
    assert post.body["flags"] == 64
    assert "@everyone" not in post.body["embeds"][0]["description"]


async def test_domain_error_reply_has_message_and_hint(bot: tuple[FakeDiscord, NewsBot]) -> None:
    fake, _ = bot
    _, token = await asyncio.to_thread(fake.interaction, "brief",
                                       [{"name": "url", "type": 3, "value": "https://ex.com/bad"}])
    post = (await wait(fake, "POST", rf"^/webhooks/\d+/{token}$"))[0]
    assert post.body["content"] == f"No article there\n{ExtractError.hint}"


async def test_digest_posts_to_the_channel_without_pings(bot: tuple[FakeDiscord, NewsBot]) -> None:
    fake, _ = bot
    _, token = await asyncio.to_thread(fake.interaction, "digest")
    msgs = await wait(fake, "POST", rf"^/channels/{CHANNEL_ID}/messages$", count=2)
    header, story = msgs[0].body, msgs[1].body
    assert header["allowed_mentions"] == {"parse": []} and "<@&1>" not in header["content"]
    assert story["allowed_mentions"] == {"parse": []}
    title = story["embeds"][0]["title"]
    assert "@here" not in title and "[x](" not in title
    admin = (await wait(fake, "POST", rf"^/channels/{ADMIN_CHANNEL_ID}/messages$"))[0].body
    assert admin["content"] == "feed wire paused after 5 failures" and admin["allowed_mentions"] == {"parse": []}
    done = (await wait(fake, "POST", rf"^/webhooks/\d+/{token}$"))[0].body
    assert done["content"] == "morning: posted 1 story"


async def test_sources_lists_the_channel_digest(bot: tuple[FakeDiscord, NewsBot]) -> None:
    fake, _ = bot
    iid, _ = await asyncio.to_thread(fake.interaction, "sources")
    cb = (await wait(fake, "POST", rf"^/interactions/{iid}/"))[0]
    assert cb.body["data"]["content"].startswith("Digest morning: schedule `0 7 * * *`")

