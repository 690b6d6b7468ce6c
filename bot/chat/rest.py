"""A REST-only Discord delivery for one-shot commands (`python -m bot digest ID --post`): no gateway."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot.chat.client import apply_env_overrides
from bot.chat.delivery import DiscordDelivery
from bot.delivery import Delivery
from bot.settings import Settings


async def open_rest_delivery(token: str, settings: Settings) -> tuple[Delivery, Callable[[], Awaitable[None]]]:
    """Log in over HTTP only and return (delivery, close); channel sends need no gateway connection."""
    # The same DISCORD_API_BASE override as the bot: a proxy in production, the fake Discord in tests.
    apply_env_overrides()
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(token)
    except discord.LoginFailure:
        await client.close()
        from bot.errors import BriefingError

        raise BriefingError("Discord refused the token in DISCORD_TOKEN") from None
    return DiscordDelivery(client, lambda: settings), client.close
