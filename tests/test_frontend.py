"""The front-end-neutral command layer: limits, digests, sources and config commands."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.errors import BriefingError, ExtractError, RateLimitedError
from bot.frontend import FileConfig, Frontend
from bot.models import Briefing, Source, Stats
from bot.news.briefing import BriefOptions
from bot.settings import CommandSettings, DigestSettings, FeedSettings, Settings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class SlowService:
    """Records requests; each briefing waits for `gate` so concurrency can be observed."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, BriefOptions | None]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def brief_url(self, url: str, options: BriefOptions | None = None) -> Briefing:
        self.calls.append((url, options))
        await self.gate.wait()
        if "bad" in url:
            raise ExtractError("no article there")
        return Briefing(url, ("s",), (), (), Source(url=url), "en", "t", Stats(10, 1, 90.0, 1.0))


def frontend(commands: CommandSettings | None = None, **settings: Any) -> tuple[Frontend, SlowService, Clock]:
    clock = Clock()
    service = SlowService()
    config = FileConfig(None, Settings(commands=commands or CommandSettings(brief_cooldown=10,
                                                                            max_concurrent_briefings=2), **settings))
    return Frontend(config, service, clock=clock), service, clock


async def test_brief_passes_url_and_sentences() -> None:
    fe, service, _ = frontend()
    b = await fe.brief("u1", " <https://ex.com/a> ", 4)
    assert b.headline == "https://ex.com/a"
    assert service.calls == [("https://ex.com/a", BriefOptions(sentences=4))]


async def test_sentences_out_of_range_is_a_domain_error() -> None:
    fe, service, _ = frontend()
    with pytest.raises(BriefingError, match="between 1 and 10"):
        await fe.brief("u1", "https://ex.com", 11)
    assert service.calls == []


async def test_per_user_cooldown_says_when() -> None:
    fe, _, clock = frontend()
    await fe.brief("u1", "https://ex.com/a")
    clock.now += 3.2
    with pytest.raises(RateLimitedError, match="try again in 7 s") as err:
        await fe.brief("u1", "https://ex.com/b")
    assert err.value.retry_after == pytest.approx(6.8)
    await fe.brief("u2", "https://ex.com/b")  # other users are not held up
    clock.now += 7
    await fe.brief("u1", "https://ex.com/c")


async def test_cooldown_applies_after_a_failed_brief_too() -> None:
    fe, _, _ = frontend()
    with pytest.raises(ExtractError):
        await fe.brief("u1", "https://ex.com/bad")
    with pytest.raises(RateLimitedError):
        await fe.brief("u1", "https://ex.com/a")


async def test_global_cap_on_concurrent_briefings() -> None:
    fe, service, _ = frontend()
    service.gate.clear()
    first = asyncio.create_task(fe.brief("a", "https://ex.com/1"))
    second = asyncio.create_task(fe.brief("b", "https://ex.com/2"))
    await asyncio.sleep(0)
    with pytest.raises(RateLimitedError, match="busy with 2 briefings"):
        await fe.brief("c", "https://ex.com/3")
    service.gate.set()
    await asyncio.gather(first, second)
    await fe.brief("d", "https://ex.com/4")  # slots were given back
    assert fe._in_flight == 0


async def test_slot_released_when_the_briefing_fails() -> None:
    fe, _, _ = frontend(CommandSettings(brief_cooldown=0, max_concurrent_briefings=1))
    for _ in range(3):
        with pytest.raises(ExtractError):
            await fe.brief("u", "https://ex.com/bad")
    assert fe._in_flight == 0


DIGEST = DigestSettings(id="morning", channel=42, schedule="0 7 * * *", feeds=("wire",))
FEED = FeedSettings(id="wire", url="https://wire.example/rss", name="The Wire")


async def test_digest_without_config_or_service_is_explained() -> None:
    fe, _, _ = frontend()
    with pytest.raises(BriefingError, match="No digest is configured"):
        await fe.digest(42, None, delivery=None)  # type: ignore[arg-type]
    fe, _, _ = frontend(digests=(DIGEST,), feeds=(FEED,))
    with pytest.raises(BriefingError, match="no digest called 'evening'"):
        fe.select_digests(42, "evening")
    with pytest.raises(BriefingError, match="not available"):
        await fe.digest(42, None, delivery=None)  # type: ignore[arg-type]


async def test_digest_runs_through_the_service() -> None:
    class Digests:
        def __init__(self) -> None:
            self.ran: list[tuple[str, object]] = []

        async def run(self, digest_id: str, delivery: object) -> object:
            self.ran.append((digest_id, delivery))
            return type("Report", (), {"posted": 3})()

    digests = Digests()
    fe, _, _ = frontend(digests=(DIGEST,), feeds=(FEED,))
    fe.digests = digests
    sink = object()
    assert await fe.digest(42, None, sink) == "morning: posted 3 stories"  # type: ignore[arg-type]
    assert digests.ran == [("morning", sink)]
    with pytest.raises(BriefingError):
        await fe.digest(7, None, sink)  # type: ignore[arg-type]


def test_sources_lists_digests_feeds_and_next_run() -> None:
    fe, _, _ = frontend(digests=(DIGEST,), feeds=(FEED,))
    text = fe.sources(42)
    assert "Digest morning: schedule `0 7 * * *` (UTC), next run " in text
    assert "07:00" in text
    assert "  - The Wire: <https://wire.example/rss>" in text
    assert "No digests are configured for this channel" in fe.sources(7)


async def test_config_reload_check_and_show(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("commands:\n  brief_cooldown: 5\n")
    config = FileConfig(str(path))
    fe = Frontend(config, SlowService())
    assert fe.settings.commands.brief_cooldown == 5
    assert fe.config_check() == f"{path} is valid."
    path.write_text("commands:\n  brief_cooldown: 9\n")
    assert "Configuration reloaded" in await fe.config_reload()
    assert fe.settings.commands.brief_cooldown == 9
    path.write_text("commandz: {}\n")
    assert "problems" in fe.config_check()
    refused = await fe.config_reload()
    assert refused.startswith("The new configuration was refused")
    assert fe.settings.commands.brief_cooldown == 9
    assert '"brief_cooldown": 9' in fe.config_show()


def test_help_names_every_command() -> None:
    fe, _, _ = frontend()
    for cmd in ("/brief", "/digest", "/sources", "/help", "/config reload"):
        assert cmd in fe.help_text()


def test_reloaded_limits_apply() -> None:
    fe, _, clock = frontend()
    fe.config._settings = replace(fe.settings, commands=CommandSettings(brief_cooldown=0))  # type: ignore[attr-defined]
    fe.admit_brief("u").__exit__(None, None, None)
    fe.admit_brief("u").__exit__(None, None, None)
    assert clock.now == 100.0


async def test_cooldown_can_be_waived_but_not_the_cap() -> None:
    fe, service, _ = frontend(CommandSettings(brief_cooldown=60, max_concurrent_briefings=1))
    await fe.brief("op", "https://ex.com/1", cooldown=False)
    await fe.brief("op", "https://ex.com/2", cooldown=False)
    service.gate.clear()
    running = asyncio.create_task(fe.brief("op", "https://ex.com/3", cooldown=False))
    await asyncio.sleep(0)
    with pytest.raises(RateLimitedError, match="busy"):
        await fe.brief("op", "https://ex.com/4", cooldown=False)
    service.gate.set()
    await running
