"""DiscordDelivery: bot/delivery.py's Delivery protocol over a connected discord.py client."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.chat.embeds import pack_messages, story_embed, to_discord
from bot.chat.safety import clean, truncate
from bot.models import Story
from bot.settings import DigestSettings, Settings

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()


class DiscordDelivery:
    """Posts digests to their channels; every send refuses pings."""

    def __init__(self, client: discord.Client, settings: Callable[[], Settings]) -> None:
        self.client = client
        self.settings = settings

    async def _channel(self, channel_id: int) -> Any:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self.client.fetch_channel(channel_id)
        return channel

    async def send_header(self, digest: DigestSettings, text: str) -> str | None:
        """Post the digest's header line."""
        channel = await self._channel(digest.channel)
        message = await channel.send(truncate(clean(text), 2000), allowed_mentions=NO_PINGS)
        return str(message.id)

    async def send_story(self, digest: DigestSettings, story: Story) -> str:
        """Post one story as an embed; returns the id of the (last) message Discord accepted."""
        channel = await self._channel(digest.channel)
        last = None
        for embeds in pack_messages([story_embed(story)]):
            last = await channel.send(embeds=[to_discord(e) for e in embeds], allowed_mentions=NO_PINGS)
        assert last is not None
        return str(last.id)

    async def send_text(self, digest: DigestSettings, text: str) -> None:
        """Post a plain line."""
        channel = await self._channel(digest.channel)
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
