"""`python -m bot brief SOURCE...`: brief URLs, files or standard input, offline for files."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import add_config_argument, settings_from_args
from bot.errors import BriefingError
from bot.news.urlguard import check_url, is_url

if TYPE_CHECKING:  # the pipeline imports (sumy, nltk, trafilatura) cost a second: only `brief` pays it
    from bot.models import Briefing
    from bot.news.briefing import BriefOptions
    from bot.news.service import BriefingService
    from bot.settings import Settings

FORMATS = ("text", "markdown", "json", "jsonl")
# Below this many sources, worker processes cost more to start than they save.
PROCESS_POOL_FROM = 3


@dataclass(frozen=True)
class Outcome:
    """What became of one SOURCE: a briefing or the message of its error."""

    source: str
    briefing: Briefing | None = None
    error: str | None = None


def register(subparsers: Any) -> None:
    """Add the `brief` sub-command."""
    p = subparsers.add_parser("brief", help="brief articles from URLs, files or standard input",
                              description="Brief each SOURCE: an http(s) URL, a .html/.htm file, any other "
                                          "file read as plain text, or - for standard input.")
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.add_argument("--format", choices=FORMATS, default="text")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--sentences", type=int, metavar="N", help="sentences in the summary")
    size.add_argument("--ratio", type=float, metavar="R", help="share of the article's sentences (0-1)")
    p.add_argument("--algorithm", metavar="NAME", help="news (default), lead, lexrank, lsa, textrank, luhn, kl, "
                                                       "sumbasic, edmundson or reduction")
    p.add_argument("--language", metavar="CODE", help="article language (default: page, config, detection)")
    add_config_argument(p)
    p.set_defaults(func=run_brief)


def _validate(args: argparse.Namespace) -> str | None:
    if args.sentences is not None and not 1 <= args.sentences <= 50:
        return "--sentences must be between 1 and 50"
    if args.ratio is not None and not 0 < args.ratio <= 1:
        return "--ratio must be above 0 and at most 1"
    if args.algorithm:
        from bot.news.summarise import ALGORITHMS

        if args.algorithm not in ALGORITHMS:
            return f"unknown --algorithm {args.algorithm!r} (choose from {', '.join(ALGORITHMS)})"
    return None


def _read_local(source: str) -> tuple[str, bool]:
    """Read a file or stdin; returns (text, is_html)."""
    from bot.news.content import decode_body

    if source == "-":
        data = sys.stdin.buffer.read()
        text = decode_body(data, None)
        return text, text.lstrip()[:500].lower().startswith(("<!doctype html", "<html"))
    path = Path(source)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BriefingError(f"no such file: {source}") from None
    except IsADirectoryError:
        raise BriefingError(f"{source} is a directory, not a file") from None
    except OSError as err:
        raise BriefingError(f"cannot read {source}: {err.strerror}") from None
    return decode_body(data, None), path.suffix.lower() in (".html", ".htm", ".xhtml")


async def _brief_one(service: BriefingService, source: str, options: BriefOptions) -> Briefing:
    if is_url(source):
        check_url(source, service.settings.fetch)  # refuses ftp:, file:, credentials... before any file look-up
        return await service.brief_url(source, options)
    text, is_html = _read_local(source)
    return await service.brief_text(text, is_html=is_html, options=options, source_url=source)


async def _run(settings: Settings, args: argparse.Namespace, options: BriefOptions) -> int:
    from bot.news.fetch import make_session
    from bot.news.service import BriefingService
    from bot.news.workers import Workers

    sources: list[str] = args.sources
    needs_net = any(is_url(s) for s in sources)
    workers = Workers(mode="process" if len(sources) >= PROCESS_POOL_FROM else "thread")
    session = make_session(settings.fetch) if needs_net else None
    service = BriefingService(settings, session, workers)
    limit = asyncio.Semaphore(max(2 * workers.size, settings.fetch.concurrency))

    async def one(source: str) -> Outcome:
        async with limit:
            try:
                return Outcome(source, briefing=await _brief_one(service, source, options))
            except BriefingError as err:
                return Outcome(source, error=str(err))

    tasks = [asyncio.create_task(one(s)) for s in sources]
    progress = None
    if len(sources) > 1 and sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(total=len(sources), file=sys.stderr, unit="article")
    failures = 0
    outcomes: list[Outcome] = []
    try:
        for task in tasks:
            outcome = await task
            if progress is not None:
                progress.update(1)
            failures += outcome.error is not None
            if args.format == "jsonl":
                _emit_jsonl(outcome)
            elif args.format in ("text", "markdown"):
                _emit_human(outcome, args.format, first=not outcomes)
            outcomes.append(outcome)
    finally:
        if progress is not None:
            progress.close()
        if session is not None:
            await session.close()
        workers.close()
    if args.format == "json":
        objs = [_as_obj(o) for o in outcomes]
        print(json.dumps(objs[0] if len(objs) == 1 else objs, ensure_ascii=False, indent=2))
    return 1 if failures else 0


def _as_obj(outcome: Outcome) -> dict[str, Any]:
    from bot.render import briefing_to_dict

    if outcome.briefing is None:
        return {"source": outcome.source, "error": outcome.error}
    return briefing_to_dict(outcome.briefing)


def _emit_jsonl(outcome: Outcome) -> None:
    from bot.render import render_json

    if outcome.briefing is None:
        print(json.dumps(_as_obj(outcome), ensure_ascii=False), flush=True)
    else:
        print(render_json(outcome.briefing, indent=None), flush=True)


def _emit_human(outcome: Outcome, fmt: str, *, first: bool) -> None:
    from bot.render import render_markdown, render_text

    if outcome.briefing is None:
        print(f"newsbrief: {outcome.source}: {outcome.error}", file=sys.stderr, flush=True)
        return
    if not first:
        print("\n" + ("-" * 40 if fmt == "text" else "---") + "\n")
    print(render_text(outcome.briefing) if fmt == "text" else render_markdown(outcome.briefing), flush=True)


def run_brief(args: argparse.Namespace) -> int:
    """Entry point of `brief`: 0 when every source briefed, 1 when any failed, 2 on bad arguments."""
    problem = _validate(args)
    if problem:
        print(f"newsbrief brief: {problem}", file=sys.stderr)
        return 2
    settings = settings_from_args(args)
    if settings is None:
        return 2
    from bot.news.briefing import BriefOptions

    options = BriefOptions(sentences=args.sentences, ratio=args.ratio, algorithm=args.algorithm,
                           language=args.language)
    return asyncio.run(_run(settings, args, options))
