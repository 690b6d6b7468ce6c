"""Cron expression + IANA time zone -> run times, correct across daylight-saving changes.

croniter is driven with naive local wall-clock times and each result is mapped back to an
aware time by hand, so the rules are ours and explicit:
- a wall time that does not exist (spring-forward gap) runs shifted by the gap (01:30 -> 02:30 BST);
- a wall time that happens twice (autumn fall back) runs once, at its first occurrence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from bot.errors import ConfigError

Clock = Callable[[], datetime]
Sleeper = Callable[[float], Awaitable[None]]


def utc_now() -> datetime:
    """The real clock: an aware UTC datetime."""
    return datetime.now(UTC)


async def sleep_or_wake(seconds: float, wake: asyncio.Event, sleep: Sleeper | None = None) -> None:
    """Wait `seconds`, or less when `wake` is set; an injected `sleep` (tests' clock) replaces the real wait.

    The caller clears `wake` before it works out `seconds`, so a wake-up that comes meanwhile is not lost."""
    if sleep is not None:
        await sleep(seconds)
        return
    try:
        await asyncio.wait_for(wake.wait(), timeout=seconds)
    except TimeoutError:
        pass


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {name!r} (use an IANA name such as Europe/London)") from None


def validate(expression: str, timezone: str) -> None:
    """Raise ConfigError if the cron expression or the time zone is invalid."""
    _zone(timezone)
    if not croniter.is_valid(expression):
        raise ConfigError(f"invalid cron schedule {expression!r} (e.g. \"0 7 * * mon-fri\")")


def _resolve(local: datetime, zone: ZoneInfo) -> datetime:
    """Map a naive wall time to UTC: fold=0 picks the first of a repeated hour and, for a wall
    time inside a spring-forward gap, the offset before the change (so it runs the gap's length later)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


class Schedule:
    """A cron schedule in a time zone."""

    def __init__(self, expression: str, timezone: str = "UTC") -> None:
        validate(expression, timezone)
        self.expression = expression
        self.zone = _zone(timezone)

    def next_after(self, moment: datetime) -> datetime:
        """The first run time strictly after `moment` (aware, UTC)."""
        local = moment.astimezone(self.zone).replace(tzinfo=None)
        # Step from the wall time; a run whose resolved instant is not after `moment` (the
        # repeated hour of a fall-back) is skipped.
        itr = croniter(self.expression, local.replace(second=0, microsecond=0))
        for _ in range(10_000):
            candidate_local: datetime = itr.get_next(datetime)
            resolved = _resolve(candidate_local, self.zone)
            if resolved > moment.astimezone(UTC):
                return resolved
        raise ConfigError(f"schedule {self.expression!r} never runs")

    def previous_at_or_before(self, moment: datetime) -> datetime:
        """The last run time at or before `moment` (aware, UTC)."""
        local = moment.astimezone(self.zone).replace(tzinfo=None)
        # Start a few hours late: in a repeated hour the wall clock runs behind the instant.
        itr = croniter(self.expression, local.replace(second=0, microsecond=0) + timedelta(hours=3))
        for _ in range(10_000):
            candidate_local: datetime = itr.get_prev(datetime)
            resolved = _resolve(candidate_local, self.zone)
            if resolved <= moment.astimezone(UTC):
                return resolved
        raise ConfigError(f"schedule {self.expression!r} never ran")

    def runs_between(self, start: datetime, end: datetime, limit: int = 1000) -> list[datetime]:
        """Run times in (start, end], at most `limit` of them."""
        runs: list[datetime] = []
        current = start
        while len(runs) < limit:
            current = self.next_after(current)
            if current > end:
                break
            runs.append(current)
        return runs
