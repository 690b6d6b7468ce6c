"""The loop that runs digests when their schedule says, plus one catch-up per digest at start."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot.delivery import Delivery
from bot.digests import DigestService
from bot.schedule import Clock, Sleeper, sleep_or_wake, utc_now
from bot.settings import DigestSettings, Settings

log = logging.getLogger(__name__)

# Whether this process runs a digest (sharding: the process whose shard holds the channel's guild).
Owns = Callable[[DigestSettings], bool]


class Scheduler:
    """Runs due digests together (so shared feeds are fetched once); `clock` and `sleep` are injectable.

    With `owns`, only the digests it accepts are run or recorded: another process runs (and records) the rest.
    """

    def __init__(self, service: DigestService, delivery: Delivery, clock: Clock = utc_now,
                 sleep: Sleeper | None = None, max_sleep: float = 300.0, owns: Owns | None = None) -> None:
        self.service = service
        self.owns = owns
        self.delivery = delivery
        self.clock = clock
        self.max_sleep = max_sleep
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._stopped = False
        self._started: datetime | None = None

    def update(self, settings: Settings) -> None:
        """Take a reloaded configuration; the loop recomputes its next wake-up."""
        self.service.update_settings(settings)
        self._wake.set()

    def stop(self) -> None:
        """Ask the loop to end after the run in progress (if any)."""
        self._stopped = True
        self._wake.set()

    def owned(self) -> list[DigestSettings]:
        """The configured digests this process runs now (ownership can change as guilds come and go)."""
        digests = self.service.settings.digests
        if self.owns is None:
            return list(digests)
        owns = self.owns
        return [d for d in digests if owns(d)]

    async def _last(self, digest_id: str) -> datetime:
        last = await self.service.store.last_run(digest_id)
        assert self._started is not None
        return last or self._started

    async def catch_up(self, now: datetime | None = None) -> list[str]:
        """At start: run each owned digest that missed a slot while the bot was down, once at most."""
        now = now or self.clock()
        self._started = now
        due: list[str] = []
        skipped: list[str] = []
        for digest in self.owned():
            last = await self.service.store.last_run(digest.id)
            slot = self.service.schedules[digest.id].previous_at_or_before(now)
            if last is None:
                # Never ran: nothing was missed; start counting from now.
                await self.service.store.record_run(digest.id, now, now)
            elif last < slot:
                (due if digest.catch_up else skipped).append(digest.id)
        for digest_id in skipped:
            log.info("digest %s missed a run while the bot was down; catch_up is off, skipping it", digest_id)
            slot = self.service.schedules[digest_id].previous_at_or_before(now)
            await self.service.store.record_run(digest_id, slot, now)
        if due:
            log.info("catching up missed digests: %s", ", ".join(due))
            await self._run(due, now)
        return due

    async def due(self, now: datetime) -> list[str]:
        """The owned digests whose next slot after their last run is at or before now."""
        if self._started is None:
            self._started = now
        out = []
        for digest in self.owned():
            if self.service.schedules[digest.id].next_after(await self._last(digest.id)) <= now:
                out.append(digest.id)
        return out

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Run every digest due at `now` in one batch; returns their ids."""
        now = now or self.clock()
        due = await self.due(now)
        if due:
            await self._run(due, now)
        return due

    async def _run(self, digest_ids: list[str], now: datetime) -> None:
        try:
            await self.service.run_many(digest_ids, self.delivery, scheduled=now)
        except Exception as err:  # the loop must survive a failed run; the next slot tries again
            log.exception("digest run %s failed", ", ".join(digest_ids))
            for digest_id in digest_ids:
                await self.service.store.record_run(digest_id, now, self.clock())
            try:
                await self.delivery.notify_admin(f"Digest run {', '.join(digest_ids)} failed: {err}")
            except Exception:
                log.exception("could not notify the admins")

    async def seconds_to_next(self, now: datetime) -> float:
        """Seconds until the earliest next slot of an owned digest (capped at max_sleep, so that a digest
        this process comes to own is looked at again within max_sleep)."""
        waits = [self.max_sleep]
        # Another process's digest is never waited for: its stored last run may lag, and would spin the loop.
        for digest in self.owned():
            nxt = self.service.schedules[digest.id].next_after(await self._last(digest.id))
            waits.append((nxt - now).total_seconds())
        return max(0.0, min(waits))

    async def run_forever(self) -> None:
        """Catch up, then run due digests until stop() is called."""
        await self.catch_up()
        while not self._stopped:
            self._wake.clear()
            await sleep_or_wake(await self.seconds_to_next(self.clock()), self._wake, self._sleep)
            if self._stopped:
                break
            await self.tick()
