"""DiscordDelivery: bot/delivery.py's Delivery protocol over a connected discord.py client."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.chat.embeds import pack_messages, story_embed, to_discord
from bot.chat.safety import clean, truncate
from bot.models import Story
from bot.settings import DigestSettings, Settings

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
# A week, Discord's longest: a daily digest's thread stays open from one run to the next.
THREAD_ARCHIVE_MINUTES = 10080
# Within one run every message goes to the thread found for the header; the next run looks again
# (the thread may have been archived, renamed or deleted in between).
THREAD_CACHE_SECONDS = 600.0
THREAD_NAME_LIMIT = 100


class DiscordDelivery:
    """Posts digests to their channels; every send refuses pings."""

    def __init__(self, client: discord.Client, settings: Callable[[], Settings]) -> None:
        self.client = client
        self.settings = settings
        self._threads: dict[tuple[int, str], tuple[float, Any]] = {}
        self._thread_lock = asyncio.Lock()

    async def _channel(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self.client.fetch_channel(channel_id)
        return channel

    async def _destination(self, digest: DigestSettings) -> Any:
        """The digest's channel, or its thread there (found or created) when the digest names one."""
        channel = await self._channel(digest.channel)
        name = (digest.thread or "").strip()[:THREAD_NAME_LIMIT]
        if not name:
            return channel
        async with self._thread_lock:  # one lookup (and at most one creation) per run
            cached = self._threads.get((channel.id, name))
            if cached is not None and time.monotonic() - cached[0] < THREAD_CACHE_SECONDS:
                return cached[1]
            thread = await self._find_or_create_thread(channel, name)
            self._threads[(channel.id, name)] = (time.monotonic(), thread)
            return thread

    async def _find_or_create_thread(self, channel: Any, name: str) -> Any:
        """An active thread of that name in the channel, else an archived one reopened, else a new one."""
        # The gateway's cache knows the active threads; a REST-only client (digest --post) asks Discord.
        active = [t for t in getattr(channel, "threads", ()) if t.name == name and not t.archived]
        if not active:
            active = [t for t in await channel.guild.active_threads()
                      if t.parent_id == channel.id and t.name == name and not t.archived]
        if active:
            return max(active, key=lambda t: t.id)
        async for thread in channel.archived_threads(limit=50):
            if thread.name == name and not thread.locked:
                # Unarchiving an unlocked thread needs only Send Messages, like posting in it.
                return await thread.edit(archived=False)
        log.info("creating thread %r in channel %s for a digest", name, channel.id)
        return await channel.create_thread(name=name, type=discord.ChannelType.public_thread,
                                           auto_archive_duration=THREAD_ARCHIVE_MINUTES)

    async def send_header(self, digest: DigestSettings, text: str) -> str | None:
        """Post the digest's header line (in the digest's thread when it names one)."""
        channel = await self._destination(digest)
        message = await channel.send(truncate(clean(text), 2000), allowed_mentions=NO_PINGS)
        return str(message.id)

    async def send_story(self, digest: DigestSettings, story: Story) -> str:
        """Post one story as an embed; returns the id of the (last) message Discord accepted."""
        channel = await self._destination(digest)
        last = None
        for embeds in pack_messages([story_embed(story)]):
            last = await channel.send(embeds=[to_discord(e) for e in embeds], allowed_mentions=NO_PINGS)
        assert last is not None
        return str(last.id)

    async def send_text(self, digest: DigestSettings, text: str) -> None:
        """Post a plain line."""
        channel = await self._destination(digest)
        await channel.send(truncate(clean(text), 2000), allowed_mentions=NO_PINGS)

    async def notify_admin(self, text: str) -> None:
        """Post to the configured admin channel, or log when there is none."""
        channel_id = self.settings().discord.admin_channel
        if channel_id is None:
            log.warning("admin notice (no admin_channel configured): %s", text)
            return
        try:
            channel = await self._channel(channel_id)
            await channel.send(truncate(clean(text), 2000), allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.exception("could not post an admin notice: %s", text)


if TYPE_CHECKING:
    from bot.delivery import Delivery

    def _implements_protocol(d: DiscordDelivery) -> Delivery:
        return d  # mypy checks DiscordDelivery against the Delivery protocol here
