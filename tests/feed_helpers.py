"""Test doubles for digest tests: a local feed server, a recording delivery, a small briefer, a clock."""

from __future__ import annotations

import asyncio
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.models import Briefing, Link, Source, Stats, Story
from bot.news.fetch import fetch
from bot.settings import DigestSettings, FeedSettings, FetchSettings, Settings, StorageSettings


@dataclass
class Entry:
    """One generated feed item."""

    guid: str | None
    title: str
    path: str
    text: str
    published: datetime | None = None


def rss(entries: list[Entry], base: str) -> bytes:
    """An RSS 2.0 feed with content:encoded."""
    items = []
    for e in entries:
        guid = f"<guid isPermaLink=\"false\">{e.guid}</guid>" if e.guid else ""
        date = f"<pubDate>{e.published.strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>" if e.published else ""
        items.append(f"<item><title>{html.escape(e.title)}</title><link>{base}{e.path}</link>{guid}{date}"
                     f"<description>{html.escape(e.text[:80])}</description>"
                     f"<content:encoded><![CDATA[<p>{e.text}</p>]]></content:encoded></item>")
    return ('<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>T</title><link>{base}/</link>{''.join(items)}</channel></rss>").encode()


def atom(entries: list[Entry], base: str) -> bytes:
    """An Atom feed with xhtml content."""
    out = []
    for e in entries:
        when = (e.published or datetime(2026, 11, 27, tzinfo=UTC)).isoformat().replace("+00:00", "Z")
        out.append(f"<entry><title>{html.escape(e.title)}</title><link href=\"{base}{e.path}\"/>"
                   f"<id>{e.guid or base + e.path}</id><updated>{when}</updated>"
                   f"<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{html.escape(e.text)}</p>"
                   f"</div></content></entry>")
    return ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>'
            f"<updated>2026-11-27T00:00:00Z</updated>{''.join(out)}</feed>").encode()


def jsonfeed(entries: list[Entry], base: str) -> bytes:
    """A JSON Feed 1.1."""
    items = [{"id": e.guid or e.path, "url": base + e.path, "title": e.title, "content_html": f"<p>{e.text}</p>",
              **({"date_published": e.published.isoformat()} if e.published else {})} for e in entries]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items}).encode()


def article_page(title: str, text: str) -> str:
    """An article page."""
    paras = "".join(f"<p>{html.escape(text)} Paragraph {i} adds more detail for readers.</p>" for i in range(3))
    return f"<html><head><title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{paras}</body></html>"


@dataclass
class FeedServer:
    """A loopback server whose feeds and pages the test edits between runs."""

    feeds: dict[str, tuple[str, list[Entry]]] = field(default_factory=dict)  # path -> (kind, entries)
    raw: dict[str, bytes] = field(default_factory=dict)
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (title, text)
    fail: dict[str, int] = field(default_factory=dict)  # path -> failures still to serve
    hits: dict[str, int] = field(default_factory=dict)
    not_modified: dict[str, int] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)  # path -> seconds to wait before answering
    base: str = ""
    runner: web.AppRunner | None = None

    def publish(self, path: str, kind: str, entries: list[Entry]) -> None:
        """Serve a feed; its items' pages are served too."""
        self.feeds[path] = (kind, list(entries))
        for e in entries:
            self.pages.setdefault(e.path, (e.title, e.text))

    def body(self, path: str) -> bytes:
        """The current bytes of a feed."""
        if path in self.raw:
            return self.raw[path]
        kind, entries = self.feeds[path]
        return {"rss": rss, "atom": atom, "json": jsonfeed}[kind](entries, self.base)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        if path in self.delay:
            await asyncio.sleep(self.delay[path])
        if self.fail.get(path, 0) > 0:
            self.fail[path] -= 1
            return web.Response(status=503, text="down")
        if path in self.feeds or path in self.raw:
            body = self.body(path)
            tag = '"%x"' % (hash(body) & 0xFFFFFFFF)
            if request.headers.get("If-None-Match") == tag:
                self.not_modified[path] = self.not_modified.get(path, 0) + 1
                return web.Response(status=304, headers={"ETag": tag})
            ctype = "application/feed+json" if path.endswith(".json") else "application/rss+xml"
            return web.Response(body=body, content_type=ctype, headers={"ETag": tag})
        if path in self.pages:
            title, text = self.pages[path]
            return web.Response(text=article_page(title, text), content_type="text/html")
        return web.Response(status=404, text="missing")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@dataclass
class RecordingDelivery:
    """A fake chat: records every message; can be told to fail or to 'crash' on a given story."""

    headers: list[str] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    crash_on: int | None = None  # 1-based story number after which the process "dies"
    refuse_on: int | None = None  # 1-based story number the chat refuses

    async def send_header(self, digest: DigestSettings, text: str) -> str | None:
        self.headers.append(text)
        return f"h{len(self.headers)}"

    async def send_story(self, digest: DigestSettings, story: Story) -> str:
        number = len(self.stories) + 1
        if self.refuse_on == number:
            raise RuntimeError("chat refused the message")
        self.stories.append(story)
        if self.crash_on == number:
            raise Crash("killed after the chat accepted the story")
        return f"m{number}"

    async def send_text(self, digest: DigestSettings, text: str) -> None:
        self.texts.append(text)

    async def notify_admin(self, text: str) -> None:
        self.notices.append(text)


class Crash(BaseException):
    """Stands for a kill -9: not an Exception, so nothing in the service catches it."""


_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_PARA = re.compile(r"<p>(.*?)</p>", re.S)


class SimpleBriefer:
    """Briefs pages through the real fetch with a trivial 'first sentences' summary (the NLP is tested elsewhere)."""

    def __init__(self, session: Any, settings: FetchSettings) -> None:
        self.session = session
        self.settings = settings
        self.urls: list[str] = []
        self.texts: list[str] = []

    def _briefing(self, content: str, url: str | None, sentences: int) -> Briefing:
        title = html.unescape(_TITLE.search(content).group(1)) if _TITLE.search(content) else "untitled"
        paras = [html.unescape(re.sub(r"<[^>]+>", "", p)) for p in _PARA.findall(content)]
        if not paras:
            from bot.errors import ExtractError

            raise ExtractError("no text")
        return Briefing(headline=title, summary=tuple(paras[:sentences]), actors=(),
                        related=(Link("More on the site", (url or "") + "#more"),), source=Source(url=url),
                        language="en", text="\n\n".join(paras), stats=Stats(1, 1, 0.0, 1.0))

    async def brief_url(self, url: str, options: Any = None, *, language_hint: str | None = None) -> Briefing:
        self.urls.append(url)
        page = await fetch(self.session, url, self.settings)
        return self._briefing(page.text, page.final_url, options.sentences or 3)

    async def brief_text(self, content: str, *, url: str | None = None, is_html: bool | None = None,
                         options: Any = None, language_hint: str | None = None) -> Briefing:
        self.texts.append(url or "")
        return self._briefing(content, url, options.sentences or 3)


class Clock:
    """A settable clock."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def make_settings(server: FeedServer, feeds: list[FeedSettings], digests: list[DigestSettings],
                  db: str) -> Settings:
    """Settings letting the loopback server play the public web."""
    host = server.base.split("//", 1)[1]
    return Settings(feeds=tuple(feeds), digests=tuple(digests), storage=StorageSettings(path=db),
                    fetch=FetchSettings(allow_hosts=(host,), timeout=5.0, concurrency=8, per_host_concurrency=4))
