"""The briefing service both front-ends call: fetch on the loop, CPU work in a worker."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable

import aiohttp

from bot.errors import ExtractError
from bot.models import Briefing
from bot.news.briefing import BriefOptions, brief_content
from bot.news.fetch import fetch
from bot.news.workers import Workers
from bot.settings import Settings

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_FEED_HINTS = ("rss", "atom", "xml", "json")
# Told of every finished briefing: seconds taken and the error (None when it was built).
Observer = Callable[[float, BaseException | None], None]


def is_html_type(content_type: str) -> bool | None:
    """True for HTML, False for plain text, None when the type does not say."""
    if content_type in _HTML_TYPES:
        return True
    if content_type == "text/plain":
        return False
    return None


class BriefingService:
    """Brief a URL or a text: one shared session for the network, a worker pool for the rest."""

    def __init__(self, settings: Settings, session: aiohttp.ClientSession | None, workers: Workers,
                 *, observer: Observer | None = None) -> None:
        self.settings = settings
        self.session = session
        self.workers = workers
        self.observer = observer

    async def _observed(self, work: Awaitable[Briefing]) -> Briefing:
        if self.observer is None:
            return await work
        started = time.perf_counter()
        try:
            briefing = await work
        except asyncio.CancelledError:  # shutdown: neither a success nor a failure
            raise
        except Exception as err:
            self.observer(time.perf_counter() - started, err)
            raise
        self.observer(time.perf_counter() - started, None)
        return briefing

    async def brief_url(self, url: str, options: BriefOptions | None = None,
                        *, language_hint: str | None = None) -> Briefing:
        """Fetch a page and brief it; raises a BriefingError the user can read."""
        return await self._observed(self._brief_url(url, options, language_hint))

    async def _brief_url(self, url: str, options: BriefOptions | None, language_hint: str | None) -> Briefing:
        if self.session is None:
            raise RuntimeError("BriefingService needs an aiohttp session to fetch URLs")
        page = await fetch(self.session, url, self.settings.fetch)
        is_html = is_html_type(page.content_type)
        if is_html is None and any(h in page.content_type for h in _FEED_HINTS) and not page.text.lstrip()[:200].lower().startswith(("<!doctype html", "<html")):
            raise ExtractError("that link is a feed or data file, not an article",
                               hint="Add feeds to config.yaml; /brief takes an article's own page.")
        return await self._brief_text(page.text, page.final_url, is_html, options, language_hint, None)

    async def brief_text(self, content: str, *, url: str | None = None, is_html: bool | None = None,
                         options: BriefOptions | None = None, language_hint: str | None = None,
                         source_url: str | None = None) -> Briefing:
        """Brief HTML or plain text in a worker; `source_url` overrides the reported source (e.g. a file path)."""
        return await self._observed(self._brief_text(content, url, is_html, options, language_hint, source_url))

    async def _brief_text(self, content: str, url: str | None, is_html: bool | None, options: BriefOptions | None,
                          language_hint: str | None, source_url: str | None) -> Briefing:
        opts = options or BriefOptions()
        briefing = await self.workers.run(brief_content, content, url, is_html, opts, self.settings.defaults,
                                          language_hint, timeout=self.settings.fetch.extract_timeout)
        if source_url is not None:
            briefing = dataclasses.replace(briefing, source=dataclasses.replace(briefing.source, url=source_url))
        return briefing
