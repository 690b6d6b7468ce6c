"""Prometheus metrics for one bot process, and a probe that measures event-loop stalls."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.errors import BriefingError

__all__ = [
    "BRIEFING_FAILURE_REASONS",
    "FEED_FETCH_STATUSES",
    "LoopLagProbe",
    "Metrics",
    "count_discord_ratelimits",
    "failure_reason",
    "fetch_trace_config",
]

log = logging.getLogger(__name__)

# Pre-created label values so dashboards see a 0 series before the first failure.
BRIEFING_FAILURE_REASONS = (
    "fetch", "blocked", "extract", "summarise", "feed", "rate_limited", "store", "timeout", "internal",
)
FEED_FETCH_STATUSES = ("ok", "not_modified", "error")

# Network fetches: tens of ms from a cache to the 20 s extract timeout.
_FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)
_BRIEFING_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0)
# A healthy loop lags under a millisecond; anything past 100 ms delays the gateway heartbeat.
_LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def failure_reason(exc: BaseException) -> str:
    """The `reason` label for a failed briefing: the error's kind, `timeout` or `internal`."""
    if isinstance(exc, BriefingError):
        return exc.kind
    if isinstance(exc, TimeoutError):
        return "timeout"
    return "internal"


class Metrics:
    """Every metric of one bot process, in its own registry (so tests and processes never collide)."""

    def __init__(self, *, namespace: str = "newsbrief", registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        ns, reg = namespace, self.registry
        self.briefings_built = Counter("briefings_built", "Briefings built successfully.", namespace=ns, registry=reg)
        self.briefings_failed = Counter(
            "briefings_failed", "Briefings that failed, by reason.", ["reason"], namespace=ns, registry=reg
        )
        self.feed_fetches = Counter(
            "feed_fetches", "Feed fetches by outcome (ok, not_modified, error).", ["status"], namespace=ns, registry=reg
        )
        self.digest_runs = Counter("digest_runs", "Scheduled digest runs started.", namespace=ns, registry=reg)
        self.stories_posted = Counter("stories_posted", "Stories posted to channels.", namespace=ns, registry=reg)
        self.fetch_seconds = Histogram(
            "fetch_seconds", "Time from sending one page or feed request to its response headers (or its failure).",
            namespace=ns, registry=reg, buckets=_FETCH_BUCKETS
        )
        self.briefing_seconds = Histogram(
            "briefing_seconds", "Time to build one briefing, fetch included.", namespace=ns, registry=reg,
            buckets=_BRIEFING_BUCKETS,
        )
        self.loop_lag_seconds = Histogram(
            "loop_lag_seconds", "How late the event loop woke a periodic timer.", namespace=ns, registry=reg,
            buckets=_LAG_BUCKETS,
        )
        self.loop_lag_max_seconds = Gauge(
            "loop_lag_max_seconds", "Longest event-loop stall since start.", namespace=ns, registry=reg
        )
        self.ratelimit_hits = Counter(
            "ratelimit_hits", "Discord HTTP rate limits hit (429 or a pre-emptive wait).", namespace=ns, registry=reg
        )
        for reason in BRIEFING_FAILURE_REASONS:
            self.briefings_failed.labels(reason=reason)
        for status in FEED_FETCH_STATUSES:
            self.feed_fetches.labels(status=status)
        self._lag_max = 0.0

    def observe_loop_lag(self, lag: float) -> None:
        """Record one loop-lag sample (the `on_sample` of a LoopLagProbe)."""
        self.loop_lag_seconds.observe(lag)
        if lag > self._lag_max:
            self._lag_max = lag
            self.loop_lag_max_seconds.set(lag)

    def observe_briefing(self, seconds: float, error: BaseException | None) -> None:
        """Record one finished briefing (the `observer` of a BriefingService): built, or failed by reason."""
        if error is None:
            self.briefings_built.inc()
            self.briefing_seconds.observe(seconds)
        else:
            self.briefings_failed.labels(reason=failure_reason(error)).inc()

    def render(self) -> tuple[bytes, str]:
        """Body and content type in the Prometheus text format."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def fetch_trace_config(metrics: Metrics) -> aiohttp.TraceConfig:
    """An aiohttp trace that times every request of the shared session into `fetch_seconds`.

    A session-level trace sees every fetch (pages for /brief and digests, feeds) without the
    network module knowing about metrics; each redirect hop is its own request.
    """

    async def started(_session: Any, ctx: SimpleNamespace, _params: Any) -> None:
        ctx.started = time.perf_counter()

    async def finished(_session: Any, ctx: SimpleNamespace, _params: Any) -> None:
        if hasattr(ctx, "started"):
            metrics.fetch_seconds.observe(time.perf_counter() - ctx.started)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    trace.on_request_end.append(finished)
    trace.on_request_exception.append(finished)
    return trace


# discord.py retries 429s inside its HTTP client and only tells anyone through this warning
# (discord/http.py); tests/ops/test_metrics.py checks the installed version still logs it.
DISCORD_RATELIMIT_LOGGER = "discord.http"
DISCORD_RATELIMIT_PREFIX = "We are being rate limited."
# Interaction follow-ups go through discord.py's webhook client, which retries its 429s too and
# reports them only in this warning (discord/webhook/async_.py; tests/test_app.py checks it).
WEBHOOK_RATELIMIT_LOGGER = "discord.webhook.async_"
WEBHOOK_RATELIMIT_MARK = "is rate limited. Retrying"


class _RateLimitCounter(logging.Filter):
    """Counts the log records that report a 429 into `ratelimit_hits`; never drops a record."""

    def __init__(self, metrics: Metrics, is_429: Callable[[str], bool]) -> None:
        super().__init__()
        self.metrics = metrics
        self.is_429 = is_429

    def filter(self, record: logging.LogRecord) -> bool:
        """Count the record if it is a 429 report; always keep it."""
        if isinstance(record.msg, str) and self.is_429(record.msg):
            self.metrics.ratelimit_hits.inc()
        return True


def count_discord_ratelimits(metrics: Metrics) -> Callable[[], None]:
    """Count every 429 that discord.py's HTTP and webhook clients report into `ratelimit_hits`; returns an undo."""
    # A logger filter sees the record whatever handlers and levels the root has.
    installed = [
        (logging.getLogger(DISCORD_RATELIMIT_LOGGER),
         _RateLimitCounter(metrics, lambda msg: msg.startswith(DISCORD_RATELIMIT_PREFIX))),
        (logging.getLogger(WEBHOOK_RATELIMIT_LOGGER),
         _RateLimitCounter(metrics, lambda msg: WEBHOOK_RATELIMIT_MARK in msg)),
    ]
    for logger, counter in installed:
        logger.addFilter(counter)

    def undo() -> None:
        for logger, counter in installed:
            logger.removeFilter(counter)

    return undo


class LoopLagProbe:
    """Sleeps `interval` seconds over and over; how late each wake-up comes is the loop's stall."""

    def __init__(self, interval: float = 0.05, on_sample: Callable[[float], None] | None = None) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0")
        self.interval = interval
        self.on_sample = on_sample
        self.max_lag = 0.0
        self.samples = 0
        self._stopping = False
        self._wake: asyncio.Future[None] | None = None

    async def run(self) -> None:
        """Measure until `stop()` (or cancellation); a stall of S seconds shows as a lag of at least S - interval."""
        loop = asyncio.get_running_loop()
        self._stopping = False
        while not self._stopping:
            due = loop.time() + self.interval
            # A future with a timer, not asyncio.sleep, so that stop() can wake it at once.
            self._wake = loop.create_future()
            handle = loop.call_at(due, _resolve, self._wake)
            try:
                await self._wake
            finally:
                handle.cancel()
                self._wake = None
            if self._stopping:
                break
            lag = max(0.0, loop.time() - due)
            self.samples += 1
            if lag > self.max_lag:
                self.max_lag = lag
            if self.on_sample is not None:
                try:
                    self.on_sample(lag)
                except Exception:
                    log.exception("loop-lag sample callback failed")

    def stop(self) -> None:
        """Make `run()` return promptly, without recording a partial sample."""
        self._stopping = True
        if self._wake is not None:
            _resolve(self._wake)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
