"""bot/app.py in-process: live reloads of digests, refused-reload notices, the ops endpoint and the digest metrics."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.console import ConsoleDelivery
from bot.digests import DigestReport, DigestService
from bot.errors import BriefingError
from bot.feedsync import FeedOutcome
from bot.ops.metered import MeteredDigestService
from bot.ops.metrics import WEBHOOK_RATELIMIT_LOGGER, WEBHOOK_RATELIMIT_MARK, Metrics
from bot.schedule import utc_now

DIGEST = """feeds:
  - id: world
    url: https://news.example/world.xml
digests:
  - id: morning
    channel: 123456789012345678
    feeds: [world]
    schedule: "* * * * *"
"""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, extra: str = "", *, port: int | None = None) -> None:
    ops = f"ops:\n  enabled: true\n  port: {port}\n" if port else ""
    path.write_text(f"storage:\n  path: {path.parent / 'state.db'}\n{ops}{extra}")


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    config = tmp_path / "config.yaml"
    write_config(config, port=free_port())
    running = App(str(config))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_reload_adds_then_removes_the_first_digest_without_restart(app: App) -> None:
    out = io.StringIO()
    scheduler = app.start_scheduler(ConsoleDelivery(out))
    assert scheduler is not None and app.frontend is not None and app.digests is not None
    assert await scheduler.seconds_to_next(utc_now()) == scheduler.max_sleep  # nothing scheduled
    config = Path(str(app.config.path))
    port = app.settings.ops.port

    write_config(config, DIGEST, port=port)
    result = await app.config.reload(reason="test")
    assert result.applied, result.errors
    assert [d.id for d in app.digests.settings.digests] == ["morning"]
    assert "Digest morning" in app.frontend.sources(None)
    assert app.frontend.select_digests(None, "morning")[0].feeds == ("world",)
    assert await scheduler.seconds_to_next(utc_now()) <= 60  # every minute, picked up live

    write_config(config, port=port)
    assert (await app.config.reload(reason="test")).applied
    assert app.digests.settings.digests == ()
    assert await scheduler.seconds_to_next(utc_now()) == scheduler.max_sleep
    with pytest.raises(BriefingError, match="No digest"):
        app.frontend.select_digests(None, None)


async def test_refused_reload_tells_the_admins_and_keeps_the_old_config(app: App) -> None:
    out = io.StringIO()
    app.start_scheduler(ConsoleDelivery(out))
    assert app.frontend is not None
    config = Path(str(app.config.path))
    before = app.settings
    write_config(config, "commands:\n  brief_cooldown: -1\n", port=app.settings.ops.port)

    result = await app.config.reload(reason="SIGHUP")
    assert not result.applied and app.settings is before
    notice = out.getvalue()
    assert "[admin] Config reload (SIGHUP) refused" in notice
    assert "brief_cooldown" in notice and "must be at least 0" in notice

    # The admin who typed /config reload gets the errors as the reply, not a second notice.
    out.truncate(0)
    out.seek(0)
    reply = await app.frontend.config_reload()
    assert reply.startswith("The new configuration was refused") and "brief_cooldown" in reply
    assert "[admin]" not in out.getvalue()


async def test_ops_endpoint_reports_health_and_metrics(app: App) -> None:
    assert app.ops is not None and app.frontend is not None
    base = f"http://127.0.0.1:{app.ops.port}"
    with pytest.raises(BriefingError) as refused:
        await app.frontend.brief("someone", "http://127.0.0.1:1/private")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
            body = json.loads(await resp.text())
        assert body == {"status": "ok", "checks": {"gateway": "ok", "store": "ok", "config": "ok"}}
        async with http.get(f"{base}/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
    assert f'newsbrief_briefings_failed_total{{reason="{refused.value.kind}"}} 1.0' in text
    assert "newsbrief_briefings_built_total 0.0" in text
    assert "newsbrief_loop_lag_seconds_count" in text


async def test_health_fails_when_the_gateway_is_down(app: App) -> None:
    assert app.ops is not None
    app.gateway_ok = lambda: False
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{app.ops.port}/healthz") as resp:
        assert resp.status == 503
        assert json.loads(await resp.text())["failing"] == ["gateway"]


async def test_ops_off_by_default(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    write_config(config)
    app = App(str(config))
    await app.start()
    try:
        assert app.ops is None and app.store is not None and app.digests is not None
    finally:
        await app.stop()


def _report(digest_id: str, posted: int) -> DigestReport:
    return DigestReport(digest_id, datetime(2026, 1, 1, tzinfo=UTC), posted=posted)


async def test_digest_runs_count_runs_and_stories(monkeypatch: pytest.MonkeyPatch) -> None:
    reports = [_report("a", 3), _report("b", 2)]

    async def fake_run_many(self: DigestService, ids: Any, delivery: Any, **kw: Any) -> list[DigestReport]:
        return reports

    monkeypatch.setattr(DigestService, "run_many", fake_run_many)
    service = MeteredDigestService.__new__(MeteredDigestService)
    service.metrics = metrics = Metrics()

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(f"newsbrief_{name}", labels)

    await service.run_many(["a", "b"], ConsoleDelivery(io.StringIO()), scheduled=utc_now())
    assert value("digest_runs_total") == 2
    assert value("stories_posted_total") == 5
    await service.run_many(["a"], ConsoleDelivery(io.StringIO()))  # /digest: on demand, not a scheduled run
    assert value("digest_runs_total") == 2 and value("stories_posted_total") == 10
    await service.run_many(["a"], ConsoleDelivery(io.StringIO()), dry_run=True, scheduled=utc_now())
    assert value("stories_posted_total") == 10


async def test_feed_refreshes_count_only_real_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Digest runs and background polls both go through refresh_feeds: each fetch counted once, by outcome."""
    statuses = {"a": "fetched", "b": "not_modified", "c": "error", "d": "backoff", "e": "paused", "f": "shared"}

    async def fake_refresh(self: DigestService, ids: Any, **kw: Any) -> dict[str, FeedOutcome]:
        return {f: FeedOutcome(f, statuses[f]) for f in ids}

    monkeypatch.setattr(DigestService, "refresh_feeds", fake_refresh)
    service = MeteredDigestService.__new__(MeteredDigestService)
    service.metrics = metrics = Metrics()

    def value(status: str) -> float | None:
        return metrics.registry.get_sample_value("newsbrief_feed_fetches_total", {"status": status})

    await service.refresh_feeds(list(statuses))
    assert (value("ok"), value("not_modified"), value("error")) == (1, 1, 1)  # reused/backed-off: no request
    await service.refresh_feeds(["a"], dry_run=True)
    assert value("ok") == 1


async def test_webhook_429_warnings_are_counted(app: App) -> None:
    import inspect

    import discord.webhook.async_ as webhook

    # The warning discord.py logs when a follow-up (webhook) request meets a 429 and is retried.
    assert f"Webhook ID %s {WEBHOOK_RATELIMIT_MARK}" in inspect.getsource(webhook)
    before = app.metrics.registry.get_sample_value("newsbrief_ratelimit_hits_total")
    logging.getLogger(WEBHOOK_RATELIMIT_LOGGER).warning(
        "Webhook ID %s is rate limited. Retrying in %.2f seconds.", 1, 0.5)
    logging.getLogger(WEBHOOK_RATELIMIT_LOGGER).warning("Webhook ID %s: something else", 1)
    assert app.metrics.registry.get_sample_value("newsbrief_ratelimit_hits_total") == (before or 0) + 1
