"""The seam between digests and chat front-ends: where a digest's messages go."""

from __future__ import annotations

from typing import Protocol

from bot.models import Story
from bot.settings import DigestSettings


class Delivery(Protocol):
    """A front-end that can post a digest (Discord, the console, the CLI's terminal)."""

    async def send_header(self, digest: DigestSettings, text: str) -> str | None:
        """Post the digest's header line; returns its message id, if the front-end has ids."""
        ...

    async def send_story(self, digest: DigestSettings, story: Story) -> str:
        """Post one story; returns the message id once the chat accepted it, raises if it did not."""
        ...

    async def send_text(self, digest: DigestSettings, text: str) -> None:
        """Post a plain line, such as "no new stories"."""
        ...

    async def notify_admin(self, text: str) -> None:
        """Tell the admins something (a paused feed, a refused config)."""
        ...
