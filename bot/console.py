"""The console front-end: the bot's commands typed at a prompt, over the same Frontend as Discord."""

from __future__ import annotations

import asyncio
import shlex
import sys
import threading
from typing import TextIO

from bot.errors import BriefingError, RateLimitedError
from bot.frontend import Frontend
from bot.models import Briefing, Story
from bot.settings import DigestSettings

CONSOLE_USER = "console"
PROMPT = "newsbrief> "


def format_briefing(briefing: Briefing) -> str:
    """A briefing as terminal text (bot.render when installed, else a plain fallback)."""
    try:
        from bot.render import render_text
    except ImportError:  # pragma: no cover - render.py ships with the package
        lines = [briefing.headline, *(f"- {s}" for s in briefing.summary)]
        return "\n".join(lines)
    return render_text(briefing)


class ConsoleDelivery:
    """Delivery protocol that prints digests to the terminal."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._count = 0

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def send_header(self, digest: DigestSettings, text: str) -> str | None:
        """Print the digest's header line."""
        self._say(f"=== [{digest.id}] {text}")
        return None

    async def send_story(self, digest: DigestSettings, story: Story) -> str:
        """Print one story; the id is a running number."""
        self._count += 1
        self._say(format_briefing(story.briefing))
        others = [s.url for s in story.sources if s.url and s.url != story.briefing.source.url]
        if others:
            self._say("Also reported by: " + ", ".join(others))
        self._say("")
        return f"console-{self._count}"

    async def send_text(self, digest: DigestSettings, text: str) -> None:
        """Print a plain line."""
        self._say(f"[{digest.id}] {text}")

    async def notify_admin(self, text: str) -> None:
        """Print an admin notice."""
        self._say(f"[admin] {text}")


def _reader(queue: asyncio.Queue[str | None], loop: asyncio.AbstractEventLoop, stream: TextIO) -> None:
    # A daemon thread, so a blocked readline never holds up shutdown.
    try:
        for line in iter(stream.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)
    except RuntimeError:
        return  # the console has ended and its loop is closed: nobody is listening any more


class Console:
    """Reads commands, runs them through the Frontend and prints the answers."""

    def __init__(self, frontend: Frontend, *, stdin: TextIO | None = None, out: TextIO | None = None) -> None:
        self.frontend = frontend
        self.stdin = stdin or sys.stdin
        self.out = out or sys.stdout
        self.delivery = ConsoleDelivery(self.out)

    def say(self, text: str) -> None:
        """Print a line of output."""
        print(text, file=self.out, flush=True)

    async def handle(self, line: str) -> bool:
        """Run one command line; returns False when the console should stop."""
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        if not words:
            return True
        name, args = words[0].lstrip("/").lower(), words[1:]
        try:
            return await self._dispatch(name, args)
        except RateLimitedError as err:
            self.say(f"Slow down: {err.message}")
        except BriefingError as err:
            self.say(f"Error: {err.message}" + (f"\n{err.hint}" if err.hint else ""))
        return True

    async def _dispatch(self, name: str, args: list[str]) -> bool:
        fe = self.frontend
        if name in ("quit", "exit"):
            return False
        if name == "brief":
            if not args:
                self.say("Usage: /brief URL [sentences]")
                return True
            sentences = int(args[1]) if len(args) > 1 and args[1].isdigit() else None
            # The console's one operator is not throttled per user; the global cap still holds.
            self.say(format_briefing(await fe.brief(CONSOLE_USER, args[0], sentences, cooldown=False)))
        elif name == "digest":
            self.say(await fe.digest(None, args[0] if args else None, self.delivery))
        elif name == "sources":
            self.say(fe.sources(None))
        elif name == "help":
            self.say(fe.help_text() + "\n  /quit                             leave the console")
        elif name == "config":
            sub = args[0] if args else ""
            if sub == "reload":
                self.say(await fe.config_reload())
            elif sub == "check":
                self.say(fe.config_check())
            elif sub == "show":
                self.say(fe.config_show())
            else:
                self.say("Usage: /config reload | check | show")
        else:
            self.say(f"Unknown command /{name}. Type /help for the list.")
        return True

    async def run(self) -> int:
        """Read and run commands until /quit or end of input; returns the exit code."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        threading.Thread(target=_reader, args=(queue, loop, self.stdin), daemon=True,
                         name="console-stdin").start()
        self.say("newsbrief console (no DISCORD_TOKEN set). Type /help for commands, /quit to leave.")
        while True:
            if self.stdin.isatty():
                print(PROMPT, end="", file=self.out, flush=True)
            line = await queue.get()
            if line is None or not await self.handle(line.strip()):
                return 0
