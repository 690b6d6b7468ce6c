"""Hostile pages through the whole /brief path: BriefingService, the guarded session, process workers.

Every case must end in a domain error with a readable message or a sensible briefing, within a
bounded time, and the service must brief an ordinary article straight afterwards (issue 6).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from functools import cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from aiohttp import web

from bot.errors import BriefingError, ExtractError, FetchError
from bot.models import Briefing
from bot.news.briefing import BriefOptions, brief_content
from bot.news.fetch import make_session
from bot.news.service import BriefingService
from bot.news.workers import Workers
from bot.settings import DefaultsSettings, FetchSettings, Settings
from tests import hostile_payloads as hp
from tests.conftest import ServeApp
from tests.hostile_server import HITS, make_hostile_app

FETCH_TIMEOUT = 1.0
EXTRACT_TIMEOUT = 3.0
MAX_BYTES = 2 * 1024 * 1024
# No case may take longer than this, whatever the page does: the slower deadline plus slack.
BOUND = FETCH_TIMEOUT + EXTRACT_TIMEOUT + 3.0
PASSWD = Path("/etc/passwd")
PASSWD_LINE = PASSWD.read_text(encoding="utf-8", errors="replace").splitlines()[0] if PASSWD.exists() else ""


@cache
def _pages() -> dict[str, tuple[bytes, str]]:
    """Path -> (body, Content-Type) of the pages that attack extraction (built once: some are megabytes)."""
    return {
        "/article": (hp.article_html().encode(), "text/html; charset=utf-8"),
        "/deep-nesting": (hp.deeply_nested_html(), "text/html; charset=utf-8"),
        "/tiny-paragraphs": (hp.tiny_paragraphs_html(), "text/html; charset=utf-8"),
        "/billion-laughs": (hp.billion_laughs_xhtml(), "application/xhtml+xml"),
        "/billion-laughs-html": (hp.billion_laughs_xhtml(), "text/html"),
        "/quadratic": (hp.quadratic_xhtml(), "application/xhtml+xml"),
        "/quadratic-html": (hp.quadratic_xhtml(), "text/html"),
        "/xxe": (hp.external_entity_xhtml(), "application/xhtml+xml"),
        "/xxe-html": (hp.external_entity_html(), "text/html"),
        "/empty": (b"", "text/html"),
        "/blank": (b"   \r\n\t  ", "text/html; charset=utf-8"),
        "/pdf-as-html": (hp.pdf_bytes(), "text/html"),
        "/invalid-utf8-article": (hp.invalid_utf8_article(), "text/html; charset=utf-8"),
        "/navigation-only": (hp.navigation_only_html(), "text/html; charset=utf-8"),
    }


def _page_app() -> web.Application:
    """The fetch layer's hostile server plus the pages that attack extraction."""
    app = make_hostile_app()
    pages = _pages()

    async def page(request: web.Request) -> web.Response:
        body, content_type = pages[request.path]
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def network_entity(request: web.Request) -> web.Response:
        body = hp.network_entity_xhtml(request.query["canary"])
        return web.Response(body=body, headers={"Content-Type": request.query.get("type", "application/xhtml+xml")})

    for path in pages:
        app.router.add_get(path, page)
    app.router.add_get("/network-entity", network_entity)
    return app


@pytest.fixture(scope="module")
def workers() -> Iterator[Workers]:
    """One real process pool for the module, warmed so the first case is not timed on imports."""
    pool = Workers(size=2, mode="process")
    warm = asyncio.run(pool.run(brief_content, hp.article_html(), "http://warm.example/", True, BriefOptions(),
                                DefaultsSettings(), None, timeout=60))
    assert warm.summary
    yield pool
    pool.close()


@pytest.fixture
async def site(serve_app: ServeApp, workers: Workers) -> AsyncIterator[tuple[str, BriefingService]]:
    """(base URL, service): the hostile server's port plays the public web, with small limits."""
    base = await serve_app(_page_app())
    fetch_settings = FetchSettings(allow_hosts=(urlsplit(base).netloc,), connect_timeout=1.0, timeout=FETCH_TIMEOUT,
                                   max_bytes=MAX_BYTES, extract_timeout=EXTRACT_TIMEOUT)
    session = make_session(fetch_settings)
    try:
        yield base, BriefingService(Settings(fetch=fetch_settings), session, workers)
    finally:
        await session.close()


async def timed_brief(service: BriefingService, url: str) -> tuple[Briefing | BriefingError, float]:
    """Brief a URL; the outcome is the briefing or the domain error. Anything else fails the test."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(BOUND + 5):
            outcome: Briefing | BriefingError = await service.brief_url(url)
    except BriefingError as err:
        outcome = err
    elapsed = time.monotonic() - started
    assert elapsed < BOUND, f"{url} took {elapsed:.1f} s"
    return outcome, elapsed


def assert_readable(err: BriefingError) -> None:
    """A message for a person: a sentence of our own, no traceback, no bare library error."""
    text = str(err)
    assert 10 < len(text) < 300, text
    assert "Traceback" not in text and "Error:" not in text and "errno" not in text.lower(), text


async def assert_still_answers(service: BriefingService, base: str) -> None:
    """The next /brief of an ordinary article works (the pool and session survived)."""
    outcome, _ = await timed_brief(service, base + "/article")
    assert isinstance(outcome, Briefing), f"the next brief failed: {outcome}"
    assert outcome.headline == hp.ARTICLE_TITLE
    assert outcome.summary and any(hp.ARTICLE_MARK in s for s in outcome.summary)


def assert_sensible(briefing: Briefing) -> None:
    """A briefing that is a summary of the real article text, of a sane size."""
    assert briefing.summary and all(s.strip() for s in briefing.summary)
    assert any(hp.ARTICLE_MARK in s for s in briefing.summary), briefing.summary
    assert len(briefing.text) < 200_000 and all(len(s) < 2_000 for s in briefing.summary)


# --------------------------------------------------------------------------------------- network-side cases

@pytest.mark.parametrize(("path", "error", "words"), [
    ("/gzip-bomb", FetchError, "larger than 2 MB"),
    ("/endless", FetchError, "larger than 2 MB"),
    ("/slow-drip", FetchError, f"longer than {FETCH_TIMEOUT:g} s"),
])
async def test_bombs_and_endless_bodies_are_cut(site: tuple[str, BriefingService], path: str,
                                                error: type[BriefingError], words: str) -> None:
    base, service = site
    outcome, elapsed = await timed_brief(service, base + path)
    assert isinstance(outcome, error), outcome
    assert words in str(outcome)
    assert_readable(outcome)
    assert elapsed < FETCH_TIMEOUT + 1.5
    await assert_still_answers(service, base)


# ------------------------------------------------------------------------------------- extraction-side cases

async def test_tiny_paragraphs_hit_the_extraction_deadline_and_the_pool_recovers(
        site: tuple[str, BriefingService]) -> None:
    base, service = site
    outcome, elapsed = await timed_brief(service, base + "/tiny-paragraphs")
    assert isinstance(outcome, ExtractError), outcome
    assert f"longer than {EXTRACT_TIMEOUT:.0f} s" in str(outcome)
    assert_readable(outcome)
    assert EXTRACT_TIMEOUT <= elapsed < EXTRACT_TIMEOUT + FETCH_TIMEOUT + 1.5
    await assert_still_answers(service, base)


async def test_concurrent_briefs_survive_a_deadline_kill(site: tuple[str, BriefingService]) -> None:
    """A runaway extraction killed for its deadline must not take an innocent brief down with it."""
    base, service = site
    results = await asyncio.gather(timed_brief(service, base + "/tiny-paragraphs"),
                                   timed_brief(service, base + "/article"),
                                   timed_brief(service, base + "/article"))
    assert isinstance(results[0][0], ExtractError)
    for outcome, _ in results[1:]:
        assert isinstance(outcome, Briefing), outcome
    await assert_still_answers(service, base)


async def test_deeply_nested_page(site: tuple[str, BriefingService]) -> None:
    base, service = site
    outcome, _ = await timed_brief(service, base + "/deep-nesting")
    if isinstance(outcome, BriefingError):
        assert isinstance(outcome, ExtractError), outcome
        assert_readable(outcome)
    else:
        assert_sensible(outcome)
    await assert_still_answers(service, base)


@pytest.mark.parametrize("path", ["/billion-laughs", "/billion-laughs-html", "/quadratic", "/quadratic-html"])
async def test_entity_expansion_is_never_performed(site: tuple[str, BriefingService], path: str) -> None:
    base, service = site
    outcome, _ = await timed_brief(service, base + path)
    if isinstance(outcome, BriefingError):
        assert isinstance(outcome, ExtractError | FetchError), outcome
        assert_readable(outcome)
    else:
        assert_sensible(outcome)
        everything = repr(outcome)
        # Expanded, these would be 30 GB of "lol" or 100 MB of "x".
        assert "lollollol" not in everything and "x" * 1000 not in everything
    await assert_still_answers(service, base)


@pytest.mark.skipif(not PASSWD_LINE, reason="no /etc/passwd on this system")
@pytest.mark.parametrize("path", ["/xxe", "/xxe-html"])
async def test_external_entities_are_never_read(site: tuple[str, BriefingService], path: str) -> None:
    base, service = site
    outcome, _ = await timed_brief(service, base + path)
    everything = repr(outcome) + str(outcome)
    assert PASSWD_LINE not in everything and "root:x:0" not in everything
    if isinstance(outcome, Briefing):
        assert_sensible(outcome)
    else:
        assert_readable(outcome)
    await assert_still_answers(service, base)


@pytest.mark.parametrize("path", ["/empty", "/blank", "/navigation-only", "/pdf-as-html"])
async def test_pages_without_an_article_are_extract_errors(site: tuple[str, BriefingService], path: str) -> None:
    base, service = site
    outcome, _ = await timed_brief(service, base + path)
    assert isinstance(outcome, ExtractError | FetchError), outcome
    assert_readable(outcome)
    assert outcome.hint  # the reply tells the user what to do instead
    await assert_still_answers(service, base)


async def test_pdf_served_as_html_says_it_is_a_pdf(site: tuple[str, BriefingService]) -> None:
    base, service = site
    outcome, _ = await timed_brief(service, base + "/pdf-as-html")
    assert isinstance(outcome, FetchError), outcome
    assert "PDF" in str(outcome)


async def test_invalid_utf8_still_briefs(site: tuple[str, BriefingService]) -> None:
    base, service = site
    outcome, _ = await timed_brief(service, base + "/invalid-utf8-article")
    assert isinstance(outcome, Briefing), outcome
    assert_sensible(outcome)
    assert outcome.headline == hp.ARTICLE_TITLE
    assert "Tidewell" in outcome.text and "\x00" not in outcome.text
    outcome.text.encode("utf-8")  # no lone surrogates survive to the chat layer


async def test_pdf_typed_as_pdf_and_non_text_types_are_refused_before_reading(
        site: tuple[str, BriefingService]) -> None:
    base, service = site
    for path in ("/pdf", "/png", "/octet-png"):
        outcome, _ = await timed_brief(service, base + path)
        assert isinstance(outcome, FetchError), outcome
        assert "not an article" in str(outcome)
    await assert_still_answers(service, base)


@pytest.mark.parametrize("content_type", ["application/xhtml+xml", "text/html"])
async def test_external_dtds_and_entities_are_never_fetched(site: tuple[str, BriefingService], serve_app: ServeApp,
                                                            content_type: str) -> None:
    """A parser that fetched a DTD or entity would be a second, unguarded HTTP client: the canary sees nothing."""
    base, service = site
    canary_app = make_hostile_app()
    canary = await serve_app(canary_app) + "/canary"
    outcome, _ = await timed_brief(service, f"{base}/network-entity?{urlencode({'canary': canary, 'type': content_type})}")
    assert sum(canary_app[HITS].values()) == 0, canary_app[HITS]
    if isinstance(outcome, Briefing):
        assert_sensible(outcome)
    else:
        assert_readable(outcome)
