"""Shard settings (config and NEWSBRIEF_SHARD_* environment), the ownership predicate, and sharded clients
against the fake Discord (several gateway connections, each told only about its own guilds)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.__main__ import main
from bot.chat.client import NewsBot, ShardedNewsBot, apply_env_overrides, make_bot
from bot.errors import ConfigError
from bot.frontend import FileConfig, Frontend
from bot.settings import DigestSettings, DiscordSettings, Settings
from bot.sharding import ShardPlan, channel_owner, resolve_shards
from tests.fake_discord import (
    CHANNEL_2_ID,
    CHANNEL_ID,
    FAST_READY,
    GUILD_2_ID,
    GUILD_ID,
    FakeDiscord,
    shard_of,
)

NEWS = DigestSettings(id="news", channel=CHANNEL_ID, schedule="0 7 * * *", feeds=("f",))
NEWS_2 = DigestSettings(id="news2", channel=CHANNEL_2_ID, schedule="0 7 * * *", feeds=("f",))
ELSEWHERE = DigestSettings(id="gone", channel=123, schedule="0 7 * * *", feeds=("f",))


def test_the_two_test_guilds_sit_on_different_shards() -> None:
    assert (shard_of(GUILD_ID, 2), shard_of(GUILD_2_ID, 2)) == (0, 1)


@pytest.mark.parametrize(("config", "env", "plan"), [
    (DiscordSettings(), {}, ShardPlan()),
    (DiscordSettings(shard_count=4), {}, ShardPlan(4, None)),
    (DiscordSettings(shard_count=4, shard_ids=(3, 1)), {}, ShardPlan(4, (1, 3))),
    (DiscordSettings(), {"NEWSBRIEF_SHARD_COUNT": "4", "NEWSBRIEF_SHARD_IDS": "0,2"}, ShardPlan(4, (0, 2))),
    (DiscordSettings(shard_count=2, shard_ids=(0,)), {"NEWSBRIEF_SHARD_IDS": " 1 "}, ShardPlan(2, (1,))),
    (DiscordSettings(shard_count=2, shard_ids=(1,)), {"NEWSBRIEF_SHARD_COUNT": "3"}, ShardPlan(3, (1,))),
    (DiscordSettings(shard_count=2), {"NEWSBRIEF_SHARD_COUNT": "", "NEWSBRIEF_SHARD_IDS": ""}, ShardPlan(2, None)),
])
def test_environment_overrides_the_config(config: DiscordSettings, env: dict[str, str], plan: ShardPlan) -> None:
    assert resolve_shards(config, env) == plan


@pytest.mark.parametrize(("config", "env", "message"), [
    (DiscordSettings(), {"NEWSBRIEF_SHARD_IDS": "0"}, "needs a shard count"),
    (DiscordSettings(shard_ids=(0,)), {}, "needs a shard count"),
    (DiscordSettings(), {"NEWSBRIEF_SHARD_COUNT": "2", "NEWSBRIEF_SHARD_IDS": "0,2"}, "between 0 and 1"),
    (DiscordSettings(shard_count=2, shard_ids=(0, 0)), {}, "listed twice"),
    (DiscordSettings(shard_count=2, shard_ids=()), {}, "at least one shard"),
    (DiscordSettings(shard_count=3, shard_ids=(-1,)), {}, "between 0 and 2"),
    (DiscordSettings(), {"NEWSBRIEF_SHARD_COUNT": "two"}, "whole number"),
    (DiscordSettings(), {"NEWSBRIEF_SHARD_COUNT": "0"}, "whole number"),
    (DiscordSettings(shard_count=2), {"NEWSBRIEF_SHARD_IDS": "0;1"}, "separated by commas"),
])
def test_bad_shard_settings_are_config_errors(config: DiscordSettings, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_shards(config, env)


def test_plan_ownership_and_description() -> None:
    assert ShardPlan().owns_guild(GUILD_2_ID) and not ShardPlan().partial and not ShardPlan().sharded
    assert ShardPlan(2, None).owns_guild(GUILD_2_ID) and not ShardPlan(2, None).partial
    half = ShardPlan(2, (1,))
    assert half.partial and half.owns_guild(GUILD_2_ID) and not half.owns_guild(GUILD_ID)
    assert (ShardPlan().describe(), ShardPlan(2, None).describe(), ShardPlan(4, (0, 2)).describe()) == (
        "unsharded", "shards 0,1 of 2", "shards 0,2 of 4")


def test_channel_owner_needs_a_cached_channel_on_our_shard() -> None:
    guild_1, guild_2 = SimpleNamespace(id=GUILD_ID), SimpleNamespace(id=GUILD_2_ID)
    cache = {CHANNEL_ID: SimpleNamespace(guild=guild_1), CHANNEL_2_ID: SimpleNamespace(guild=guild_2)}
    client = SimpleNamespace(get_channel=cache.get)
    owns = channel_owner(client, ShardPlan(2, (1,)))
    # Cached but on shard 0 (a stale cache entry), cached on shard 1, not cached at all.
    assert [owns(d) for d in (NEWS, NEWS_2, ELSEWHERE)] == [False, True, False]
    assert [channel_owner(client, ShardPlan(2, None))(d) for d in (NEWS, NEWS_2, ELSEWHERE)] == [True, True, False]


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    server = FakeDiscord(guilds={GUILD_ID: (CHANNEL_ID,), GUILD_2_ID: (CHANNEL_2_ID,)})
    server.start()
    old = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    apply_env_overrides({"DISCORD_API_BASE": server.api_base, "DISCORD_GATEWAY_URL": server.gateway_url})
    try:
        yield server
    finally:
        server.stop()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old


def frontend() -> Frontend:
    settings = Settings(discord=DiscordSettings(guilds=(GUILD_ID, GUILD_2_ID)), digests=(NEWS, NEWS_2))
    return Frontend(FileConfig(None, settings), None, None)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def connected(client: discord.Client) -> AsyncIterator[None]:
    """Run the client until its shards are ready, then close it."""
    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        return None  # discord.py spaces IDENTIFYs 5 s apart for Discord's rate limit; the fake has none

    client.before_identify_hook = no_wait  # type: ignore[method-assign]
    task = asyncio.create_task(client.start("token"))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 15)
        yield
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)


async def test_unsharded_plan_keeps_the_plain_client(fake: FakeDiscord) -> None:
    bot = make_bot(frontend(), ShardPlan(), guild_ready_timeout=FAST_READY)
    assert type(bot) is NewsBot
    async with connected(bot):
        assert {g.id for g in bot.guilds} == {GUILD_ID, GUILD_2_ID}
    assert [i.get("shard") for i in fake.identifies] == [None]
    assert not fake.find("GET", r"^/gateway/bot$")


async def test_one_shard_of_two_sees_only_its_guild(fake: FakeDiscord) -> None:
    plan = ShardPlan(2, (1,))
    bot = make_bot(frontend(), plan, guild_ready_timeout=FAST_READY)
    assert isinstance(bot, ShardedNewsBot)
    async with connected(bot):
        assert [g.id for g in bot.guilds] == [GUILD_2_ID]
        assert fake.connected_shards() == [(1, 2)]
        owns = channel_owner(bot, plan)
        assert [owns(NEWS), owns(NEWS_2)] == [False, True]
    assert [i["shard"] for i in fake.identifies] == [[1, 2]]


async def test_all_shards_in_one_process_open_one_connection_each(fake: FakeDiscord) -> None:
    bot = make_bot(frontend(), ShardPlan(2, None), guild_ready_timeout=FAST_READY)
    async with connected(bot):
        assert {g.id for g in bot.guilds} == {GUILD_ID, GUILD_2_ID}
        assert sorted(fake.connected_shards()) == [(0, 2), (1, 2)]
        assert {g.id: g.shard_id for g in bot.guilds} == {GUILD_ID: 0, GUILD_2_ID: 1}
        # A guild event reaches only the connection that owns the guild, as on Discord.
        seen: list[Any] = []

        async def updated(before: discord.Guild, after: discord.Guild) -> None:
            seen.append(after.id)

        bot.add_listener(updated, "on_guild_update")
        await asyncio.to_thread(fake.dispatch, "GUILD_UPDATE", fake.guild_payload(GUILD_2_ID) | {"name": "Renamed"})
        await asyncio.sleep(0.3)
        assert seen == [GUILD_2_ID] and bot.get_guild(GUILD_2_ID).name == "Renamed"  # type: ignore[union-attr]


async def test_a_sharded_client_without_a_count_asks_gateway_bot(fake: FakeDiscord) -> None:
    fake.recommended_shards = 2
    client = discord.AutoShardedClient(intents=discord.Intents(guilds=True))
    async with connected(client):
        assert client.shard_count == 2 and sorted(fake.connected_shards()) == [(0, 2), (1, 2)]
    assert len(fake.find("GET", r"^/gateway/bot$")) == 1


@pytest.mark.parametrize(("env", "message"), [
    ({"NEWSBRIEF_SHARD_COUNT": "2", "NEWSBRIEF_SHARD_IDS": "2"}, "between 0 and 1"),
    ({"NEWSBRIEF_SHARD_IDS": "0"}, "needs a shard count"),
])
def test_run_refuses_bad_shard_settings_before_connecting(
        env: dict[str, str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"storage:\n  path: {tmp_path / 'state.db'}\n")
    monkeypatch.setenv("DISCORD_TOKEN", "fake-token")
    monkeypatch.setenv("DISCORD_API_BASE", "http://127.0.0.1:9/api/v10")  # nothing listens: must not be asked
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["run", "--config", str(config)]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "state.db").exists()  # refused before the store was opened
