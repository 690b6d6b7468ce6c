"""Metrics render in the Prometheus text format; the loop-lag probe sees a blocked event loop."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time

import discord.http
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.errors import BlockedURLError, ExtractError, RateLimitedError
from bot.ops.metrics import (
    DISCORD_RATELIMIT_LOGGER,
    DISCORD_RATELIMIT_PREFIX,
    LoopLagProbe,
    Metrics,
    count_discord_ratelimits,
    failure_reason,
)

NAMES = [
    "briefings_built", "briefings_failed", "feed_fetches", "digest_runs", "stories_posted",
    "fetch_seconds", "briefing_seconds", "loop_lag_seconds", "loop_lag_max_seconds", "ratelimit_hits",
]


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body, _ = metrics.render()
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_render_has_every_metric_and_counts() -> None:
    metrics = Metrics()
    metrics.briefings_built.inc()
    metrics.briefings_failed.labels(reason=failure_reason(ExtractError("no text"))).inc(2)
    metrics.feed_fetches.labels(status="not_modified").inc(3)
    metrics.digest_runs.inc()
    metrics.stories_posted.inc(5)
    metrics.fetch_seconds.observe(0.3)
    metrics.briefing_seconds.observe(1.5)
    metrics.observe_loop_lag(0.02)
    metrics.observe_loop_lag(0.004)
    metrics.ratelimit_hits.inc()
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    families = {family.name for family in text_string_to_metric_families(body.decode())}
    for name in NAMES:
        assert f"newsbrief_{name}" in families, name
    samples = _samples(metrics)
    assert samples[("newsbrief_briefings_built_total", ())] == 1
    assert samples[("newsbrief_briefings_failed_total", (("reason", "extract"),))] == 2
    assert samples[("newsbrief_briefings_failed_total", (("reason", "timeout"),))] == 0  # pre-created
    assert samples[("newsbrief_feed_fetches_total", (("status", "not_modified"),))] == 3
    assert samples[("newsbrief_stories_posted_total", ())] == 5
    assert samples[("newsbrief_fetch_seconds_bucket", (("le", "0.25"),))] == 0
    assert samples[("newsbrief_fetch_seconds_bucket", (("le", "0.5"),))] == 1
    assert samples[("newsbrief_loop_lag_seconds_count", ())] == 2
    assert samples[("newsbrief_loop_lag_max_seconds", ())] == pytest.approx(0.02)
    assert samples[("newsbrief_ratelimit_hits_total", ())] == 1


def test_two_instances_do_not_collide() -> None:
    first, second = Metrics(), Metrics()
    first.digest_runs.inc()
    assert _samples(first)[("newsbrief_digest_runs_total", ())] == 1
    assert _samples(second)[("newsbrief_digest_runs_total", ())] == 0


def test_failure_reason() -> None:
    assert failure_reason(BlockedURLError("private")) == "blocked"
    assert failure_reason(RateLimitedError("slow down", 3.0)) == "rate_limited"
    assert failure_reason(TimeoutError()) == "timeout"
    assert failure_reason(KeyError("x")) == "internal"


def test_discord_ratelimit_warnings_are_counted() -> None:
    # The hook relies on discord.py's own wording and logger; fail loudly if an upgrade changes them.
    assert discord.http._log.name == DISCORD_RATELIMIT_LOGGER
    assert f"'{DISCORD_RATELIMIT_PREFIX} %s %s responded with 429." in inspect.getsource(discord.http)
    metrics = Metrics()
    undo = count_discord_ratelimits(metrics)
    logger = logging.getLogger(DISCORD_RATELIMIT_LOGGER)
    try:
        logger.warning(DISCORD_RATELIMIT_PREFIX + " %s %s responded with 429. Retrying in %.2f seconds.",
                       "POST", "https://discord.com/api/v10/channels/1/messages", 1.5)
        logger.warning("Global rate limit has been hit. Retrying in %.2f seconds.", 1.5)  # same 429, not twice
        logger.warning("something else")
    finally:
        undo()
    logger.warning(DISCORD_RATELIMIT_PREFIX + " after undo")
    assert _samples(metrics)[("newsbrief_ratelimit_hits_total", ())] == 1


async def test_probe_detects_a_blocking_call() -> None:
    seen: list[float] = []
    probe = LoopLagProbe(interval=0.01, on_sample=seen.append)
    task = asyncio.create_task(probe.run())
    await asyncio.sleep(0.1)
    quiet_max = probe.max_lag
    time.sleep(0.2)  # noqa: ASYNC251 -- the deliberate stall: nothing else on the loop can run
    await asyncio.sleep(0.05)
    probe.stop()
    await asyncio.wait_for(task, 1.0)
    assert quiet_max < 0.1  # an idle loop: scheduler noise only, well under the stall
    # The probe was asleep for at most `interval` of the stall, so it sees at least 0.2 - 0.01.
    assert 0.19 <= probe.max_lag < 0.4
    assert probe.samples == len(seen) >= 5
    assert max(seen) == probe.max_lag


async def test_probe_stops_promptly_and_survives_a_bad_callback() -> None:
    def bad(_: float) -> None:
        raise RuntimeError("boom")

    probe = LoopLagProbe(interval=10.0, on_sample=bad)
    task = asyncio.create_task(probe.run())
    await asyncio.sleep(0.01)
    started = time.monotonic()
    probe.stop()
    await asyncio.wait_for(task, 1.0)
    assert time.monotonic() - started < 0.5
    assert probe.samples == 0

    probe = LoopLagProbe(interval=0.005, on_sample=bad)
    task = asyncio.create_task(probe.run())
    await asyncio.sleep(0.05)
    probe.stop()
    await asyncio.wait_for(task, 1.0)
    assert probe.samples >= 2  # kept sampling after the callback raised
