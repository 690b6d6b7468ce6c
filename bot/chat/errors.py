"""The one error handler for every slash command: domain errors privately, surprises logged once."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.errors import BriefingError, RateLimitedError

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()
APOLOGY = "Sorry, something went wrong on our side. The problem has been logged; please try again later."
NOT_ADMIN = "This command is for server admins: it needs the Manage Server permission or the bot's admin role."


def user_message(error: BaseException) -> str:
    """The reply the user sees for `error`."""
    if isinstance(error, RateLimitedError):
        return f"Slow down: {error.message}"
    if isinstance(error, BriefingError):
        text = error.message[:1].upper() + error.message[1:]
        return f"{text}\n{error.hint}" if error.hint else text
    if isinstance(error, app_commands.CheckFailure):
        return NOT_ADMIN
    return APOLOGY


async def reply_privately(interaction: discord.Interaction, text: str) -> None:
    """Tell only the user: after a public defer the thinking message is deleted first, since the next
    followup would otherwise replace it for the whole channel."""
    text = text[:1900]
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
        return
    try:
        await interaction.delete_original_response()
    except discord.HTTPException:
        log.debug("could not delete the deferred response", exc_info=True)
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)


def _describe(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else "?"
    url = getattr(interaction.namespace, "url", None)
    return f"/{command} guild={interaction.guild_id} user={interaction.user.id} url={url!r}"


async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """Translate any command failure into a private reply; never let it escape the bot."""
    original: BaseException = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, BriefingError):
        log.info("%s refused: %s", _describe(interaction), original.kind)
    elif isinstance(original, app_commands.CheckFailure):
        log.info("%s refused: not an admin", _describe(interaction))
    else:
        log.error("%s failed", _describe(interaction), exc_info=original)
    try:
        await reply_privately(interaction, user_message(original))
    except Exception as exc:  # the interaction expired or we are shutting down; the error is already logged
        log.warning("%s: could not send the error reply: %r", _describe(interaction), exc)
