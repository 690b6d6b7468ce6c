"""Wiring: one HTTP session, one worker pool, the services, then Discord or the console front-end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from bot.frontend import ConfigSource, FileConfig, Frontend
from bot.news.fetch import make_session
from bot.news.service import BriefingService
from bot.news.workers import Workers
from bot.settings import Settings

log = logging.getLogger(__name__)


def make_config(path: str | None) -> ConfigSource:
    """The ConfigManager when installed (live reload), else a plain file loader."""
    try:
        from bot.config_manager import ConfigManager  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return FileConfig(path)
    manager: ConfigSource = ConfigManager(path)
    return manager


def configure_logging(settings: Settings) -> None:
    """Plain logging at the configured level (discord.py's noisy loggers one level quieter)."""
    logging.basicConfig(level=getattr(logging, settings.logging.level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLogger().level))


def make_digests(settings: Settings, service: BriefingService, session: Any) -> tuple[Any, Any]:
    """The digest service and store when the feeds part is installed; (None, None) otherwise."""
    return None, None


async def _until_signal(main: Callable[[], Awaitable[int]], stop: Callable[[], Awaitable[None]]) -> int:
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


async def run_app(config_path: str | None, token: str | None) -> int:
    """Run the bot until it is stopped; returns the process exit code."""
    config = make_config(config_path)
    settings = config.current
    configure_logging(settings)
    session = make_session(settings.fetch)
    workers = Workers()
    service = BriefingService(settings, session, workers)
    subscribe = getattr(config, "subscribe", None)
    if subscribe is not None:
        # The service reads limits from its own settings; keep them in step with reloads.
        subscribe(lambda new, *_: setattr(service, "settings", new))
    digests, store = make_digests(settings, service, session)
    frontend = Frontend(config, service, digests)
    try:
        if token:
            return await _run_discord(frontend, token)
        from bot.console import Console

        console = Console(frontend)

        async def stop_console() -> None:
            return None

        return await _until_signal(console.run, stop_console)
    finally:
        await session.close()
        workers.close()
        if store is not None:
            await store.close()


async def _run_discord(frontend: Frontend, token: str) -> int:
    from bot.chat.client import NewsBot, apply_env_overrides

    apply_env_overrides()
    bot = NewsBot(frontend)

    async def main() -> int:
        async with bot:
            await bot.start(token)
        return 0

    return await _until_signal(main, bot.close)
