"""/sources and /help."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.errors import NO_PINGS
from bot.chat.safety import escape_mentions

if TYPE_CHECKING:
    from bot.chat.client import NewsBot


def chunks(text: str, size: int = 1900) -> list[str]:
    """Split text at line ends into pieces Discord accepts as message content."""
    out: list[str] = []
    current = ""
    for line in text.splitlines():
        line = line[:size]
        if current and len(current) + len(line) + 1 > size:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*out, current] if current else out or ["(empty)"]


async def send_long(interaction: discord.Interaction, text: str, *, ephemeral: bool = True) -> None:
    """Answer with `text`, over several messages when it is long."""
    parts = chunks(escape_mentions(text))
    await interaction.response.send_message(parts[0], ephemeral=ephemeral, allowed_mentions=NO_PINGS)
    for part in parts[1:]:
        await interaction.followup.send(part, ephemeral=ephemeral, allowed_mentions=NO_PINGS)


class InfoCog(commands.Cog):
    """The /sources and /help commands."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources", description="The feeds and digests for this channel")
    async def sources(self, interaction: discord.Interaction) -> None:
        """List this channel's digests, feeds, schedules and next runs."""
        await send_long(interaction, self.bot.frontend.sources(interaction.channel_id))

    @app_commands.command(name="help", description="What this bot does and its commands")
    async def help(self, interaction: discord.Interaction) -> None:
        """Show the help text."""
        await send_long(interaction, self.bot.frontend.help_text())
