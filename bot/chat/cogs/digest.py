"""/digest: post the channel's (or the named) digest now, showing its progress while it runs."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.delivery import DiscordDelivery
from bot.chat.errors import NO_PINGS
from bot.chat.safety import clean, truncate

if TYPE_CHECKING:
    from bot.chat.client import NewsBot

log = logging.getLogger(__name__)

# A digest quicker than this shows no progress: the "thinking..." state says enough.
PROGRESS_DELAY = 1.0
# At most one edit per period: edits share the interaction webhook's rate limit with the final answer.
PROGRESS_EVERY = 1.0
_STAGES = {"feeds": "feeds fetched", "stories": "stories briefed"}


class ProgressReply:
    """A DigestService progress callback that shows the latest counts by editing the deferred reply (throttled)."""

    def __init__(self, interaction: discord.Interaction, *, delay: float = PROGRESS_DELAY,
                 every: float = PROGRESS_EVERY) -> None:
        self.interaction = interaction
        self.delay = delay
        self.every = every
        self.digest = ""
        self.counts: dict[str, tuple[int, int]] = {}
        self.shown: str | None = None
        self.edits = 0
        self._stop = asyncio.Event()

    def start_digest(self, digest_id: str) -> None:
        """Counts from here on belong to this digest."""
        self.digest = digest_id
        self.counts = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Record a stage's counts; the edit loop shows them (a callback must never wait on Discord)."""
        self.counts[stage] = (done, total)

    def text(self) -> str:
        """The progress line, e.g. 'morning: feeds fetched 3/5 · stories briefed 0/4'."""
        parts = [f"{_STAGES.get(stage, stage)} {done}/{total}" for stage, (done, total) in self.counts.items()]
        return f"{self.digest}: {' · '.join(parts)}" if parts else ""

    async def run(self) -> None:
        """Edit the reply whenever the line changed, first after `delay`, then every `every` seconds, until stop()."""
        if await self._stopped_within(self.delay):
            return
        while True:
            text = self.text()
            if text and text != self.shown:
                try:
                    await self.interaction.edit_original_response(content=truncate(clean(text), 2000),
                                                                  allowed_mentions=NO_PINGS)
                    self.shown = text
                    self.edits += 1
                except Exception as err:  # progress is a courtesy: no failure of it may touch the digest
                    log.warning("could not show /digest progress: %s", err)
            if await self._stopped_within(self.every):
                return

    def stop(self) -> None:
        """End the edit loop after any edit in flight (cancelling one could land it after the final answer)."""
        self._stop.set()

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            return False
        return True


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
        chosen = frontend.select_digests(interaction.channel_id, name)
        await interaction.response.defer(thinking=True)
        delivery = DiscordDelivery(self.bot, lambda: frontend.settings)
        service: Any = frontend.digests
        progress = ProgressReply(interaction)
        ticker = asyncio.create_task(progress.run())
        lines = []
        try:
            for digest in chosen:
                progress.start_digest(digest.id)
                report = await service.run(digest.id, delivery, progress=progress)
                count = report.posted
                lines.append(f"{digest.id}: posted {count} {'story' if count == 1 else 'stories'}")
        finally:
            progress.stop()
            await ticker
        summary = truncate(clean("\n".join(lines)), 2000)
        if progress.edits:
            # The reply shows progress: end it with the result rather than leave a stale count above it.
            await interaction.edit_original_response(content=summary, allowed_mentions=NO_PINGS)
        else:
            await interaction.followup.send(summary, allowed_mentions=NO_PINGS)
