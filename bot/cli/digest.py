"""`python -m bot digest ID` and `python -m bot why URL`: digests and explanations from the terminal."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TextIO

from bot.cli.common import add_config_argument, settings_from_args
from bot.delivery import Delivery
from bot.errors import BriefingError
from bot.models import Story
from bot.render import briefing_to_dict, render_markdown, render_text
from bot.settings import DigestSettings, Settings

FORMATS = ("text", "markdown", "json")
# Process workers give extraction a hard deadline; tests switch to threads to skip their start-up.
WORKER_MODE = "process"


def register(subparsers: Any) -> None:
    """Add the `digest` and `why` sub-commands."""
    p = subparsers.add_parser("digest", help="run a digest now and print it (or post it with --post)",
                              description="Fetch the digest's feeds and print its new stories. Without --post the "
                                          "stories are recorded as delivered (to the terminal), so the next run "
                                          "shows only newer ones; --dry-run records nothing.")
    p.add_argument("digest_id", metavar="ID")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print what a real run would deliver; record nothing")
    mode.add_argument("--post", action="store_true", help="post to the digest's Discord channel (DISCORD_TOKEN)")
    p.add_argument("--format", choices=FORMATS, default="text")
    add_config_argument(p)
    p.set_defaults(func=run_digest)
    w = subparsers.add_parser("why", help="explain why an article was or was not posted",
                              description="Answer from the store: never seen, filtered, posted, grouped or failed.")
    w.add_argument("url", metavar="URL")
    add_config_argument(w)
    w.set_defaults(func=run_why)


def story_to_dict(story: Story) -> dict[str, Any]:
    """One story in the documented JSON shape."""
    data = briefing_to_dict(story.briefing)
    return {
        "headline": data["headline"],
        "summary": data["summary"],
        "actors": data["actors"],
        "related": data["related"],
        "sources": [{"url": s.url, "site": s.site, "published": s.published.isoformat() if s.published else None}
                    for s in story.sources],
    }


class TerminalDelivery:
    """A Delivery that prints (text, markdown) or collects (json) the digest."""

    def __init__(self, fmt: str = "text", out: TextIO | None = None) -> None:
        self.fmt = fmt
        self.out = out or sys.stdout
        self.stories: list[Story] = []
        self.lines: list[str] = []
        self._count = 0

    def _print(self, text: str) -> None:
        if self.fmt != "json":
            print(text, file=self.out, flush=True)

    async def send_header(self, digest: DigestSettings, text: str) -> str | None:
        """Print the header line."""
        self._print(f"# {text}\n" if self.fmt == "markdown" else f"{text}\n")
        return None

    async def send_story(self, digest: DigestSettings, story: Story) -> str:
        """Print one story; the message id is its position in this run."""
        self.stories.append(story)
        self._count += 1
        if self.fmt == "markdown":
            self._print(render_markdown(story.briefing) + "\n")
        elif self.fmt == "text":
            self._print(render_text(story.briefing) + "\n")
        return f"terminal:{self._count}"

    async def send_text(self, digest: DigestSettings, text: str) -> None:
        """Print a plain line."""
        self.lines.append(text)
        self._print(text)

    async def notify_admin(self, text: str) -> None:
        """Admin notices go to standard error."""
        print(f"notice: {text}", file=sys.stderr)

    def json_document(self, digest_id: str, generated: datetime) -> str:
        """The whole run as the documented JSON object."""
        return json.dumps({"digest": digest_id, "generated": generated.isoformat(),
                           "stories": [story_to_dict(s) for s in self.stories]}, ensure_ascii=False, indent=2)


async def _open_discord(settings: Settings) -> tuple[Delivery, Callable[[], Awaitable[None]]]:
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        raise BriefingError("--post needs the bot token in the DISCORD_TOKEN environment variable")
    try:
        from bot.chat.rest import open_rest_delivery
    except ImportError:
        raise BriefingError("--post is not available yet in this build (no Discord REST delivery)") from None
    result: tuple[Delivery, Callable[[], Awaitable[None]]] = await open_rest_delivery(token, settings)
    return result


async def _digest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.digests import DigestService
    from bot.news.fetch import make_session
    from bot.news.service import BriefingService
    from bot.news.workers import Workers
    from bot.store_factory import StoreLike, open_store

    store: StoreLike = await open_store(settings.storage)
    workers = Workers(mode=WORKER_MODE)
    session = make_session(settings.fetch)
    close_delivery: Callable[[], Awaitable[None]] | None = None
    try:
        service = DigestService(settings, store, session, BriefingService(settings, session, workers))
        service.digest(args.digest_id)
        terminal = TerminalDelivery(args.format)
        delivery: Delivery = terminal
        if args.post:
            delivery, close_delivery = await _open_discord(settings)
        report = await service.run(args.digest_id, delivery, dry_run=args.dry_run)
        if args.format == "json" and not args.post:
            print(terminal.json_document(report.digest_id, report.generated))
        for error in report.errors:
            print(f"warning: {error}", file=sys.stderr)
        if args.post:
            print(f"{report.digest_id}: posted {report.posted} of {len(report.stories)} stories", file=sys.stderr)
        return 0 if report.posted == len(report.stories) else 1
    finally:
        if close_delivery is not None:
            await close_delivery()
        await session.close()
        await store.close()
        workers.close()


async def _why(args: argparse.Namespace, settings: Settings) -> int:
    from bot.explain import explain
    from bot.store_factory import StoreLike, open_store

    store: StoreLike = await open_store(settings.storage)
    try:
        print(await explain(store, settings, args.url.strip()))
    finally:
        await store.close()
    return 0


def _run(coro_fn: Callable[[argparse.Namespace, Settings], Awaitable[int]], args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if settings is None:
        return 2
    try:
        return asyncio.run(coro_fn(args, settings))  # type: ignore[arg-type]
    except BriefingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run_digest(args: argparse.Namespace) -> int:
    """Run the digest named on the command line; returns the exit code."""
    return _run(_digest, args)


def run_why(args: argparse.Namespace) -> int:
    """Explain what happened to a URL; returns the exit code."""
    return _run(_why, args)
