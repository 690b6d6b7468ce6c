"""BriefingService tells its observer of every finished briefing exactly once, and times the session's fetches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.errors import BriefingError, FetchError
from bot.news.fetch import make_session
from bot.news.service import BriefingService
from bot.news.workers import Workers
from bot.ops.metrics import Metrics, fetch_trace_config
from bot.settings import FetchSettings, Settings
from tests.conftest import ServeApp

PAGE = (Path(__file__).resolve().parents[1] / "fixtures" / "us-china-call.html").read_text(encoding="utf-8")


@pytest.fixture
def workers() -> Iterator[Workers]:
    """Thread workers: the observer is what is tested, not process isolation."""
    pool = Workers(size=1, mode="thread")
    yield pool
    pool.close()


@pytest.fixture
async def site(serve_app: ServeApp, workers: Workers) -> AsyncIterator[tuple[str, BriefingService, Metrics]]:
    """A local page server and a service whose observer and session trace feed one Metrics."""
    app = web.Application()

    async def article(_request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def missing(_request: web.Request) -> web.Response:
        return web.Response(status=404, text="gone")

    app.router.add_get("/article", article)
    app.router.add_get("/missing", missing)
    base = await serve_app(app)
    fetch_settings = FetchSettings(allow_hosts=(urlsplit(base).netloc,))
    metrics = Metrics()
    session = make_session(fetch_settings, trace_configs=[fetch_trace_config(metrics)])
    try:
        yield base, BriefingService(Settings(fetch=fetch_settings), session, workers,
                                    observer=metrics.observe_briefing), metrics
    finally:
        await session.close()


def _samples(metrics: Metrics) -> dict[str, float]:
    body, _ = metrics.render()
    return {f"{s.name}{sorted(s.labels.items()) if s.labels else ''}": s.value
            for family in text_string_to_metric_families(body.decode()) for s in family.samples}


async def test_url_briefing_is_counted_once_and_its_fetch_timed(site: tuple[str, BriefingService, Metrics]) -> None:
    base, service, metrics = site
    briefing = await service.brief_url(f"{base}/article")
    assert briefing.headline
    samples = _samples(metrics)
    # brief_url runs brief_text's work inside: still one briefing, not two.
    assert samples["newsbrief_briefings_built_total"] == 1
    assert samples["newsbrief_briefing_seconds_count"] == 1
    assert samples["newsbrief_fetch_seconds_count"] == 1


async def test_failed_briefing_is_counted_by_reason(site: tuple[str, BriefingService, Metrics]) -> None:
    base, service, metrics = site
    with pytest.raises(FetchError):
        await service.brief_url(f"{base}/missing")
    with pytest.raises(BriefingError):
        await service.brief_text("", url="file.txt", is_html=False)
    samples = _samples(metrics)
    assert samples["newsbrief_briefings_failed_total[('reason', 'fetch')]"] == 1
    assert samples["newsbrief_briefings_built_total"] == 0
    assert sum(v for k, v in samples.items() if k.startswith("newsbrief_briefings_failed_total")) == 2
    assert samples["newsbrief_fetch_seconds_count"] == 1  # a 404 is still a timed request


async def test_without_observer_nothing_is_required(workers: Workers) -> None:
    service = BriefingService(Settings(), None, workers)
    briefing = await service.brief_text(PAGE, url="https://example.com/a", is_html=True)
    assert briefing.summary
