"""The Discord client: Guilds intent only, no pings by default, commands synced once in setup_hook."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.chat.cogs.admin import AdminCog
from bot.chat.cogs.brief import BriefCog
from bot.chat.cogs.digest import DigestCog
from bot.chat.cogs.info import InfoCog
from bot.chat.errors import on_app_command_error
from bot.frontend import Frontend
from bot.sharding import ShardPlan

log = logging.getLogger(__name__)


def apply_env_overrides(env: Mapping[str, str] = os.environ) -> None:
    """Point discord.py at DISCORD_API_BASE / DISCORD_GATEWAY_URL when set (a proxy, or the tests' fake)."""
    api = env.get("DISCORD_API_BASE")
    if api:
        discord.http.Route.BASE = api.rstrip("/")
    gateway = env.get("DISCORD_GATEWAY_URL")
    if gateway:
        # A plain client, and a sharded one given its shard count, connect to DEFAULT_GATEWAY; only a sharded
        # client without a count asks GET /gateway/bot (and uses the URL Discord answers).
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


class NewsBot(commands.Bot):
    """The newsbrief bot: slash commands only, over the shared Frontend."""

    def __init__(self, frontend: Frontend, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None,
                         allowed_mentions=discord.AllowedMentions.none(), **options)
        self.frontend = frontend
        self.tree.on_error = on_app_command_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        """Add the cogs and sync the commands: to the configured guilds (instant) when any, else globally."""
        for cog in (BriefCog(self), DigestCog(self), InfoCog(self), AdminCog(self)):
            await self.add_cog(cog)
        guilds = self.frontend.settings.discord.guilds
        if guilds:
            for guild_id in guilds:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands (global changes can take a while to appear)", len(synced))

    async def on_ready(self) -> None:
        """Log who we are; deliberately no command sync here (on_ready fires again on every reconnect)."""
        log.info("connected as %s to %d guilds", self.user, len(self.guilds))


class ShardedNewsBot(NewsBot, commands.AutoShardedBot):
    """NewsBot over discord.py's AutoShardedBot: the shards of a ShardPlan (all of them when it names none)."""

    def __init__(self, frontend: Frontend, plan: ShardPlan, **options: Any) -> None:
        super().__init__(frontend, shard_count=plan.count,
                         shard_ids=list(plan.ids) if plan.ids is not None else None, **options)
        self.plan = plan

    async def on_shard_ready(self, shard_id: int) -> None:
        """Log each shard as its guilds arrive."""
        log.info("shard %d of %s ready", shard_id, self.shard_count)


def make_bot(frontend: Frontend, plan: ShardPlan, **options: Any) -> NewsBot:
    """The client for a plan: a plain NewsBot when unsharded (one connection, as always), else a ShardedNewsBot.
    `options` go to discord.py's client (tests shorten `guild_ready_timeout` against the fake)."""
    if not plan.sharded:
        return NewsBot(frontend, **options)
    return ShardedNewsBot(frontend, plan, **options)
