"""Wiring: one HTTP session, one worker pool, the store and services, the ops endpoint, then Discord or the console."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot.config_manager import ConfigManager, ReloadResult
from bot.delivery import Delivery
from bot.errors import BriefingError
from bot.feedpoll import FeedPoller
from bot.frontend import Frontend
from bot.logs import log_context, setup_logging
from bot.news.fetch import make_session
from bot.news.service import BriefingService
from bot.news.workers import Workers
from bot.ops.http import OpsServer
from bot.ops.metered import MeteredDigestService
from bot.ops.metrics import LoopLagProbe, Metrics, count_discord_ratelimits, fetch_trace_config
from bot.scheduler import Owns, Scheduler
from bot.settings import Settings
from bot.sharding import ShardPlan, channel_owner, resolve_shards
from bot.store_factory import StoreLike, is_pg_url, open_store

log = logging.getLogger(__name__)

# A signal first asks everything to stop; whatever is still running after this is cancelled,
# which keeps the whole exit (cleanup included) inside the 10 s Docker and systemd allow.
STOP_GRACE = 6.0
# The loop-lag probe's period: 10 wake-ups a second cost nothing and catch any stall over 0.1 s.
LAG_INTERVAL = 0.1
class _Background:
    """Long-running helper tasks (config watcher, scheduler, lag probe) that end with the front-end."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []
        self._coros: list[Coroutine[Any, Any, Any]] = []

    def start(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run `coro` as a task whose failure is logged, not raised."""
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task %s stopped", name)

        self._coros.append(coro)
        self.tasks.append(asyncio.create_task(guarded(), name=name))

    async def stop(self) -> None:
        """Cancel every task and wait for them to end."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for coro in self._coros:
            coro.close()  # one cancelled before its first step was never awaited; Python would warn


class App:
    """The bot's process: `start()` the shared parts, run a front-end, `stop()`; reloads are applied live."""

    def __init__(self, config_path: str | None, token: str | None = None) -> None:
        self.config = ConfigManager(config_path)
        self.token = token
        self.metrics = Metrics()
        self.background = _Background()
        self.scheduler: Scheduler | None = None
        self.delivery: Delivery | None = None  # where admin notices go, once a front-end runs
        self.store: StoreLike | None = None
        self.digests: MeteredDigestService | None = None
        self.poller: FeedPoller | None = None
        self.ops: OpsServer | None = None
        self.gateway_ok: Callable[[], bool] = lambda: True  # console mode: there is no gateway to lose
        self._undo_ratelimits: Callable[[], None] | None = None
        self._probe = LoopLagProbe(LAG_INTERVAL, self.metrics.observe_loop_lag)
        settings = self.config.current
        setup_logging(settings.logging.level, settings.logging.format, secrets=[token] if token else ())
        self.session: Any = None
        self.workers = Workers()
        self.service: BriefingService | None = None
        self.frontend: Frontend | None = None

    @property
    def settings(self) -> Settings:
        """The settings in force now."""
        return self.config.current

    async def start(self) -> None:
        """Open the session, workers, store, digest service and ops endpoint; subscribe to reloads."""
        settings = self.settings
        # Every fetch and every briefing, from /brief, digests or the console, is observed in one place.
        self.session = make_session(settings.fetch, trace_configs=[fetch_trace_config(self.metrics)])
        self.service = BriefingService(settings, self.session, self.workers, observer=self.metrics.observe_briefing)
        # Spawning workers on the first /brief stalled the loop for seconds, past Discord's 3 s window.
        await self.workers.start()
        try:
            # Opened even without digests: a reload may add the first one, and /why reads it.
            self.store = await open_store(settings.storage)
        except BriefingError as err:
            log.error("digests disabled: cannot open the store: %s", err)
        if self.store is not None:
            try:
                self.digests = MeteredDigestService(settings, self.store, self.session, self.service)
                self.digests.metrics = self.metrics
            except BriefingError as err:
                log.error("digests disabled: %s", err)
        if self.digests is not None:
            self.poller = FeedPoller(self.digests, notify=self._notify)
            self.poller.start()
        self.frontend = Frontend(self.config, self.service, self.digests)
        self.config.subscribe(self._on_reload)
        self.config.on_refused(self._on_refused)
        self.background.start(self.config.watch(), "config-watch")
        self.config.install_sighup(asyncio.get_running_loop())
        self.background.start(self._probe.run(), "loop-lag")
        self._undo_ratelimits = count_discord_ratelimits(self.metrics)
        if settings.ops.enabled:
            self.ops = OpsServer(self.metrics, {"gateway": self.gateway_ok_now, "store": self.store_ok,
                                                "config": self.config_ok},
                                 host=settings.ops.host, port=settings.ops.port)
            try:
                await self.ops.start()
            except OSError as err:
                # A taken port must not keep the bot from serving its users.
                log.error("ops endpoint not started on %s:%d: %s", settings.ops.host, settings.ops.port, err)
                self.ops = None
        # Start-up objects (modules, lexicons, the parsed config) live for the whole run: moving them out of
        # the cyclic collector's view took full collections from ~90 ms to a few ms in bench/bench_feeds.py,
        # and a full collection stalls the event loop (and the gateway heartbeat) for its whole length.
        gc.collect()
        gc.freeze()

    def gateway_ok_now(self) -> bool:
        """Health check: the Discord gateway is connected (always true for the console)."""
        return self.gateway_ok()

    async def store_ok(self) -> bool:
        """Health check: the store answers a query."""
        if self.store is None:
            return False
        await self.store.schema_version()
        return True

    def config_ok(self) -> bool:
        """Health check: a configuration is loaded."""
        return isinstance(self.config.current, Settings)

    def start_scheduler(self, delivery: Delivery, owns: Owns | None = None) -> Scheduler | None:
        """Run scheduled digests through `delivery` (also where admin notices go); None without a store.
        `owns` limits the run to this process's digests (sharding)."""
        self.delivery = delivery
        if self.digests is None:
            return None
        self.scheduler = Scheduler(self.digests, delivery, owns=owns)
        self.background.start(self.scheduler.run_forever(), "scheduler")
        return self.scheduler

    async def _on_reload(self, old: Settings, new: Settings, result: ReloadResult) -> None:
        if self.service is not None:
            # The services read their limits from their own settings; keep them in step.
            self.service.settings = new
        if (old.logging.level, old.logging.format) != (new.logging.level, new.logging.format):
            setup_logging(new.logging.level, new.logging.format, secrets=[self.token] if self.token else ())
        if self.digests is None:
            return
        try:
            # Through the scheduler when it runs, so it also recomputes its next wake-up.
            if self.scheduler is not None:
                self.scheduler.update(new)
            else:
                self.digests.update_settings(new)
            # Only settings the digest service accepted reach the poller.
            if self.poller is not None:
                self.poller.update(new)
        except BriefingError as err:
            log.error("digest settings not updated: %s", err)
            await self._notify(f"The reloaded digests could not be applied: {err}")

    async def _on_refused(self, result: ReloadResult, reason: str) -> None:
        # ConfigManager has logged it; the admin who typed /config reload gets the errors as the reply.
        if reason == "command":
            return
        errors = "\n".join(f"- {e}" for e in result.errors)
        await self._notify(f"Config reload ({reason}) refused; the last good configuration stays in force:\n{errors}")

    async def _notify(self, text: str) -> None:
        if self.delivery is None:
            log.warning("admin notice (no front-end yet): %s", text)
            return
        try:
            await self.delivery.notify_admin(text)
        except Exception:
            log.exception("could not notify the admins")

    async def stop(self) -> None:
        """Stop the background tasks and ops endpoint, then close the session, workers and store."""
        if self.poller is not None:
            await self.poller.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        self._probe.stop()
        await self.background.stop()
        if self._undo_ratelimits is not None:
            self._undo_ratelimits()
        if self.ops is not None:
            await self.ops.stop()
        if self.session is not None:
            await self.session.close()
        self.workers.close()
        if self.store is not None:
            await self.store.close()

    async def run(self) -> int:
        """Start, run Discord (with a token) or the console until stopped, then stop; returns the exit code."""
        # Checked before anything opens: a wrong shard setting must stop the process at once, with exit 2.
        plan = resolve_shards(self.settings.discord) if self.token else ShardPlan()
        try:
            await self.start()
            if self.token:
                return await self._run_discord(self.token, plan)
            return await self._run_console()
        finally:
            await self.stop()

    async def _run_console(self) -> int:
        from bot.console import Console

        assert self.frontend is not None
        console = Console(self.frontend)
        self.start_scheduler(console.delivery)
        # The console's stdin reader is a daemon thread: cancelling its task is the whole stop.
        return await until_signal(console.run, None)

    async def _run_discord(self, token: str, plan: ShardPlan) -> int:
        from bot.chat.client import apply_env_overrides, make_bot
        from bot.chat.delivery import DiscordDelivery

        assert self.frontend is not None
        frontend = self.frontend
        apply_env_overrides()
        if plan.partial and not is_pg_url(self.settings.storage.url):
            log.warning("running %s on SQLite: the other shards' processes cannot share this state; "
                        "set storage.url to a PostgreSQL database", plan.describe())
        log.info("connecting to Discord: %s", plan.describe())
        bot = make_bot(frontend, plan)
        # Only a process that runs some of the shards leaves digests to others; with every shard here, a
        # channel missing from the cache is still posted to (fetched over REST), as without sharding.
        owns = channel_owner(bot, plan) if plan.partial else None
        self.gateway_ok = lambda: bot.is_ready() and not bot.is_closed()
        tag_interactions(bot.tree)

        async def schedule_when_ready() -> None:
            await bot.wait_until_ready()
            self.start_scheduler(DiscordDelivery(bot, lambda: frontend.settings), owns)

        async def main() -> int:
            # bot.start, not bot.run: run() would install discord.py's own log handler beside ours.
            async with bot:
                self.background.start(schedule_when_ready(), "scheduler-start")
                await bot.start(token)
            return 0

        return await until_signal(main, bot.close)


def _interaction_fields(interaction: Any) -> dict[str, object]:
    data = interaction.data if isinstance(interaction.data, dict) else {}
    options = data.get("options") or []
    url = next((o.get("value") for o in options if isinstance(o, dict) and o.get("name") == "url"), None)
    return {"guild": interaction.guild_id, "channel": interaction.channel_id, "command": data.get("name"),
            "url": url if isinstance(url, str) else None}


def tag_interactions(tree: Any) -> None:
    """Put guild, channel, command and url on every log line about a slash command, its errors included."""
    original = getattr(tree, "_from_interaction", None)
    if original is None:  # discord.py internals moved: lines just lose their context fields
        log.debug("CommandTree._from_interaction not found; interaction log lines carry no context")
        return

    def tagged(interaction: Any) -> None:
        # discord.py starts one task per interaction in here; a task copies the context it is
        # created in, so the fields follow the command and its error handler, and nothing else.
        with log_context(**_interaction_fields(interaction)):
            original(interaction)

    tree._from_interaction = tagged


async def until_signal(main: Callable[[], Awaitable[int]], stop: Callable[[], Awaitable[None]] | None) -> int:
    """Run `main` until it returns or SIGTERM/SIGINT arrives. A signal calls `stop` and cancels `main` after
    STOP_GRACE; with no `stop`, it cancels `main` at once."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(main())
    stopping: list[asyncio.Future[None]] = []

    def on_signal() -> None:
        if stopping or task.done():
            return  # a second signal changes nothing: the first already set the deadline
        log.info("stopping on signal")
        if stop is None:
            task.cancel()
            return
        stopping.append(asyncio.ensure_future(stop()))
        loop.call_later(STOP_GRACE, task.cancel)

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
    try:
        return await task
    except asyncio.CancelledError:
        return 0
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


async def run_app(config_path: str | None, token: str | None) -> int:
    """Run the bot until it is stopped; returns the process exit code."""
    return await App(config_path, token).run()
