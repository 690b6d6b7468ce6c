"""/config reload | check | show, for server admins only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.cogs.info import send_long

if TYPE_CHECKING:
    from bot.chat.client import NewsBot


def is_admin(interaction: discord.Interaction, admin_role: str | None) -> bool:
    """Manage Server in this channel, or the configured admin role (by name or id)."""
    if interaction.permissions.manage_guild:
        return True
    member = interaction.user
    if admin_role and isinstance(member, discord.Member):
        role_ids = {str(r) for r in member._roles}
        names = {r.name for r in member.roles}
        return admin_role in role_ids or admin_role in names
    return False


async def _admin_check(interaction: discord.Interaction) -> bool:
    bot: NewsBot = interaction.client  # type: ignore[assignment]
    # Default permissions only hide the command; servers can override them, so check again here.
    if not is_admin(interaction, bot.frontend.settings.discord.admin_role):
        raise app_commands.CheckFailure("not an admin")
    return True


class AdminCog(commands.Cog):
    """The /config command group."""

    config = app_commands.Group(name="config", description="Manage the bot's configuration",
                                default_permissions=discord.Permissions(manage_guild=True), guild_only=True)

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @config.command(name="reload", description="Re-read config.yaml and apply it if valid")
    @app_commands.check(_admin_check)
    async def reload(self, interaction: discord.Interaction) -> None:
        """Reload the configuration."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        text = await self.bot.frontend.config_reload()
        await interaction.followup.send(text[:1900], ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    @config.command(name="check", description="Validate config.yaml without applying it")
    @app_commands.check(_admin_check)
    async def check(self, interaction: discord.Interaction) -> None:
        """Validate the configuration file."""
        await send_long(interaction, self.bot.frontend.config_check())

    @config.command(name="show", description="Show the active settings (no secrets)")
    @app_commands.check(_admin_check)
    async def show(self, interaction: discord.Interaction) -> None:
        """Show the active settings."""
        await send_long(interaction, self.bot.frontend.config_show())
