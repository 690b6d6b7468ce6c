"""Services observed into the process's metrics: digest runs, stories posted, feed fetches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.delivery import Delivery
from bot.digests import DigestReport, DigestService
from bot.feedsync import FeedOutcome, Notify, Progress
from bot.logs import log_context
from bot.ops.metrics import Metrics

# FeedOutcome.status -> the feed_fetches `status` label; backoff and paused feeds were not fetched.
_FETCH_STATUS = {"fetched": "ok", "not_modified": "not_modified", "error": "error"}


class MeteredDigestService(DigestService):
    """DigestService that counts runs, stories posted and feed fetches, and tags its log lines."""

    metrics: Metrics | None = None

    async def run_many(self, digest_ids: Sequence[str], delivery: Delivery, *, dry_run: bool = False,
                       progress: Progress | None = None, scheduled: datetime | None = None) -> list[DigestReport]:
        """As DigestService.run_many, observed into `metrics` (dry runs are not counted; fetches are, below)."""
        with log_context(digest=",".join(digest_ids)):
            reports = await super().run_many(digest_ids, delivery, dry_run=dry_run, progress=progress,
                                             scheduled=scheduled)
        metrics = self.metrics
        if metrics is None or dry_run:
            return reports
        if scheduled is not None:  # only the scheduler passes a slot; /digest runs are on demand
            metrics.digest_runs.inc(len(digest_ids))
        for report in reports:
            metrics.stories_posted.inc(report.posted)
        return reports

    async def refresh_feeds(self, feed_ids: Sequence[str], *, notify: Notify | None = None,
                            progress: Progress | None = None, dry_run: bool = False,
                            max_age: float | None = None) -> dict[str, FeedOutcome]:
        """As DigestService.refresh_feeds, with each real fetch counted (digest runs and background polls)."""
        outcomes = await super().refresh_feeds(feed_ids, notify=notify, progress=progress, dry_run=dry_run,
                                               max_age=max_age)
        if self.metrics is not None and not dry_run:
            # Reused, backed-off and paused feeds made no request: only fetches are counted.
            for outcome in outcomes.values():
                if outcome.status in _FETCH_STATUS:
                    self.metrics.feed_fetches.labels(status=_FETCH_STATUS[outcome.status]).inc()
        return outcomes
