"""Wiring: one HTTP session, one worker pool, the services, then Discord or the console front-end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from bot.delivery import Delivery
from bot.errors import BriefingError
from bot.frontend import ConfigSource, FileConfig, Frontend
from bot.news.fetch import make_session
from bot.news.service import BriefingService
from bot.news.workers import Workers
from bot.settings import Settings

log = logging.getLogger(__name__)


def make_config(path: str | None) -> ConfigSource:
    """The ConfigManager when installed (live reload), else a plain file loader."""
    try:
        from bot.config_manager import ConfigManager
    except ImportError:
        return FileConfig(path)
    manager: ConfigSource = ConfigManager(path)
    return manager


def configure_logging(settings: Settings) -> None:
    """Plain logging at the configured level (discord.py's chatty loggers no lower than INFO)."""
    logging.basicConfig(level=getattr(logging, settings.logging.level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLogger().level))


async def make_digests(settings: Settings, service: BriefingService, session: Any) -> tuple[Any, Any]:
    """The digest service and its store; (None, None) when no digest is configured or they cannot start."""
    if not settings.digests:
        return None, None
    try:
        from bot.digests import DigestService
        from bot.store import Store
    except ImportError:
        log.warning("digests are configured but the feeds part is not installed")
        return None, None
    try:
        store = await Store.open(settings.storage.path)
    except BriefingError as err:
        log.error("digests disabled: cannot open the store: %s", err)
        return None, None
    try:
        return DigestService(settings, store, session, service), store
    except BriefingError as err:
        await store.close()
        log.error("digests disabled: %s", err)
        return None, None


async def warm_workers(workers: Workers) -> None:
    """Start every worker process now: spawning them on the first /brief stalled the loop for seconds
    (measured 2.5-3.2 s for the first burst of ten), past Discord's 3 s acknowledgement window."""
    await workers.start()


async def _until_signal(main: Callable[[], Awaitable[int]], stop: Callable[[], Awaitable[None]]) -> int:
    """Run `main` until it returns or SIGTERM/SIGINT arrives; a signal calls `stop`, then cancels after 8 s."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(main())
    stopping: list[asyncio.Future[None]] = []

    def on_signal() -> None:
        log.info("stopping on signal")
        stopping.append(asyncio.ensure_future(stop()))
        loop.call_later(8.0, task.cancel)

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
    try:
        return await task
    except asyncio.CancelledError:
        return 0


class _Background:
    """Long-running helper tasks (config watcher, scheduler) that end with the front-end."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []
        self.scheduler: Any = None

    def start(self, coro: Awaitable[Any], name: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task %s stopped", name)

        self.tasks.append(asyncio.create_task(guarded(), name=name))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def start_scheduler(background: _Background, digests: Any, delivery: Delivery, config: ConfigSource) -> Any:
    """Run scheduled digests through `delivery`; returns the scheduler (None without digests)."""
    if digests is None:
        return None
    from bot.scheduler import Scheduler

    scheduler = Scheduler(digests, delivery)
    background.start(scheduler.run_forever(), "scheduler")
    background.scheduler = scheduler
    return scheduler


async def run_app(config_path: str | None, token: str | None) -> int:
    """Run the bot until it is stopped; returns the process exit code."""
    config = make_config(config_path)
    settings = config.current
    configure_logging(settings)
    session = make_session(settings.fetch)
    workers = Workers()
    service = BriefingService(settings, session, workers)
    await warm_workers(workers)
    digests, store = await make_digests(settings, service, session)
    frontend = Frontend(config, service, digests)
    background = _Background()
    subscribe = getattr(config, "subscribe", None)
    if subscribe is not None:
        def on_reload(old: Settings, new: Settings, result: Any) -> None:
            # The services read their limits from their own settings; keep them in step with reloads.
            service.settings = new
            if digests is not None:
                try:
                    # Through the scheduler when it runs, so it also recomputes its next wake-up.
                    if background.scheduler is not None:
                        background.scheduler.update(new)
                    else:
                        digests.update_settings(new)
                except BriefingError as err:
                    log.error("digest settings not updated: %s", err)

        subscribe(on_reload)
    watch = getattr(config, "watch", None)
    if watch is not None:
        background.start(watch(), "config-watch")
    install_sighup = getattr(config, "install_sighup", None)
    if install_sighup is not None:
        install_sighup(asyncio.get_running_loop())
    try:
        if token:
            return await _run_discord(frontend, token, background, digests)
        from bot.console import Console

        console = Console(frontend)
        start_scheduler(background, digests, console.delivery, config)

        async def stop_console() -> None:
            return None

        return await _until_signal(console.run, stop_console)
    finally:
        await background.stop()
        await session.close()
        workers.close()
        if store is not None:
            await store.close()


async def _run_discord(frontend: Frontend, token: str, background: _Background, digests: Any) -> int:
    from bot.chat.client import NewsBot, apply_env_overrides
    from bot.chat.delivery import DiscordDelivery

    apply_env_overrides()
    bot = NewsBot(frontend)

    async def schedule_when_ready() -> None:
        await bot.wait_until_ready()
        start_scheduler(background, digests, DiscordDelivery(bot, lambda: frontend.settings), frontend.config)

    async def main() -> int:
        async with bot:
            if digests is not None:
                background.start(schedule_when_ready(), "scheduler-start")
            await bot.start(token)
        return 0

    return await _until_signal(main, bot.close)
