"""/brief: acknowledge at once, brief off the loop, answer with the embed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.embeds import briefing_embed, to_discord
from bot.chat.errors import NO_PINGS, reply_privately, user_message
from bot.errors import RateLimitedError

if TYPE_CHECKING:
    from bot.chat.client import NewsBot


class BriefCog(commands.Cog):
    """The /brief command."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="brief", description="Brief a news article: summary, key actors, related links")
    @app_commands.describe(url="The article's address", sentences="How many summary sentences (1-10)",
                           private="Only you see the briefing")
    async def brief(self, interaction: discord.Interaction, url: str,
                    sentences: app_commands.Range[int, 1, 10] | None = None, private: bool = False) -> None:
        """Brief one article."""
        try:
            slot = self.bot.frontend.admit_brief(str(interaction.user.id))
        except RateLimitedError as err:
            await reply_privately(interaction, user_message(err))
            return
        with slot:
            # Deferring first keeps us inside Discord's 3 s acknowledgement window whatever the page does.
            await interaction.response.defer(thinking=True, ephemeral=private)
            briefing = await self.bot.frontend.build_brief(url, sentences)
        embed = to_discord(briefing_embed(briefing))
        await interaction.followup.send(embed=embed, ephemeral=private, allowed_mentions=NO_PINGS)
