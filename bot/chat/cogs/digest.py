"""/digest: post the channel's (or the named) digest now."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.delivery import DiscordDelivery
from bot.chat.errors import NO_PINGS
from bot.chat.safety import clean, truncate

if TYPE_CHECKING:
    from bot.chat.client import NewsBot


class DigestCog(commands.Cog):
    """The /digest command."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="digest", description="Post this channel's digest (or the named one) now")
    @app_commands.describe(name="The digest's id from config.yaml")
    async def digest(self, interaction: discord.Interaction, name: str | None = None) -> None:
        """Run a digest now."""
        frontend = self.bot.frontend
        # Raises before deferring when nothing is configured, so the refusal stays private and instant.
        frontend.select_digests(interaction.channel_id, name)
        await interaction.response.defer(thinking=True)
        delivery = DiscordDelivery(self.bot, lambda: frontend.settings)
        summary = await frontend.digest(interaction.channel_id, name, delivery)
        await interaction.followup.send(truncate(clean(summary), 2000), allowed_mentions=NO_PINGS)
