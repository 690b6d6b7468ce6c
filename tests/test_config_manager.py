"""Live reload: valid files are applied with a change report, bad ones refused, half-writes ignored."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

import pytest

from bot.config_manager import ConfigManager, ReloadResult, describe_changes
from bot.errors import ConfigError
from bot.settings import Settings, parse_settings

FEEDS = """\
feeds:
  - id: bbc-world
    url: https://feeds.bbci.co.uk/news/world/rss.xml
  - id: reuters
    url: https://example.com/reuters.xml
"""
MORNING = """\
digests:
  - id: morning
    channel: 123456789012345678
    schedule: "0 7 * * *"
    feeds: [bbc-world]
"""
GOOD = FEEDS + MORNING


class Recorder:
    """A subscriber that remembers every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Settings, Settings, ReloadResult]] = []

    async def __call__(self, old: Settings, new: Settings, result: ReloadResult) -> None:
        self.calls.append((old, new, result))


def write(path: Path, text: str) -> None:
    """Write and bump the mtime, so that two writes within one clock tick still differ."""
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    return path


async def test_reload_applies_a_valid_file_and_reports_changes(config: Path) -> None:
    manager = ConfigManager(config)
    recorder = Recorder()
    manager.subscribe(recorder)
    old = manager.current
    edited = GOOD.replace('"0 7 * * *"', '"0 8 * * *"')
    edited = edited.replace("  - id: reuters\n    url: https://example.com/reuters.xml\n", "")
    write(config, edited + "fetch:\n  timeout: 20\n")

    result = await manager.reload(reason="test")

    assert result.applied and result.errors == ()
    assert result.changes == (
        "feed reuters removed",
        "digest morning: schedule '0 7 * * *' -> '0 8 * * *'",
        "fetch: timeout 30.0 -> 20.0",
    )
    assert manager.current.digests[0].schedule == "0 8 * * *"
    assert len(recorder.calls) == 1
    assert recorder.calls[0][0] is old and recorder.calls[0][1] is manager.current
    assert recorder.calls[0][2] is result


async def test_reload_refuses_an_invalid_file_and_keeps_the_old_settings(
    config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manager = ConfigManager(config)
    recorder = Recorder()
    manager.subscribe(recorder)
    refusals: list[tuple[ReloadResult, str]] = []
    manager.on_refused(lambda result, reason: refusals.append((result, reason)))
    before = manager.current
    write(config, GOOD.replace('"0 7 * * *"', '"0 25 * * *"'))

    with caplog.at_level(logging.WARNING, logger="bot.config_manager"):
        result = await manager.reload(reason="command")

    assert refusals == [(result, "command")]
    assert not result.applied and result.changes == ()
    assert result.errors == (
        f'{config}:9:15 digests[0].schedule: "0 25 * * *" is not a valid cron expression (hour must be 0-23)',
    )
    assert manager.current is before and manager.current.digests[0].schedule == "0 7 * * *"
    assert recorder.calls == []
    assert "hour must be 0-23" in caplog.text and "keeping the last good config" in caplog.text


async def test_reload_of_a_missing_file_is_refused(config: Path) -> None:
    manager = ConfigManager(config)
    await asyncio.to_thread(config.unlink)
    result = await manager.reload()
    assert not result.applied and result.errors == (f"{config}: file not found or not readable",)
    assert len(manager.current.digests) == 1


async def test_unchanged_reload_calls_no_subscriber(config: Path) -> None:
    manager = ConfigManager(config)
    recorder = Recorder()
    manager.subscribe(recorder)
    result = await manager.reload()
    assert result == ReloadResult(applied=True, changes=(), errors=())
    assert recorder.calls == []


async def test_a_failing_subscriber_does_not_block_the_others(config: Path) -> None:
    manager = ConfigManager(config)
    seen: list[str] = []

    def broken(old: Settings, new: Settings, result: ReloadResult) -> None:
        raise RuntimeError("boom")

    manager.subscribe(broken)
    manager.subscribe(lambda old, new, result: seen.append(new.digests[0].schedule))
    write(config, GOOD.replace('"0 7 * * *"', '"30 6 * * *"'))
    result = await manager.reload()
    assert result.applied and seen == ["30 6 * * *"]


def test_manager_refuses_to_start_on_an_invalid_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("fetch: {timeout: 0}\n")
    with pytest.raises(ConfigError):
        ConfigManager(path)
    assert ConfigManager(None).current == Settings()


def test_change_report_names_added_removed_and_changed_items() -> None:
    old = parse_settings(GOOD, env={})
    new = parse_settings(
        FEEDS.replace("https://example.com/reuters.xml", "https://example.com/r2.xml")
        + MORNING
        + '  - id: evening\n    channel: 1\n    schedule: "0 19 * * *"\n    feeds: [reuters]\n'
        + "defaults:\n  sentences: 4\ndiscord:\n  guilds: [5]\n",
        env={},
    )
    assert describe_changes(old, new) == (
        "feed reuters: url 'https://example.com/reuters.xml' -> 'https://example.com/r2.xml'",
        "digest evening added",
        "discord: guilds [] -> [5]",
        "defaults: sentences 3 -> 4",
    )


def test_change_report_hides_values_from_the_environment() -> None:
    old = parse_settings("storage:\n  url: ${DB}\n", env={"DB": "postgres://a:secret1@h/x"})
    new = parse_settings("storage:\n  url: ${DB}\n", env={"DB": "postgres://a:secret2@h/x"})
    assert describe_changes(old, new) == ("storage: url changed",)


async def test_watch_applies_only_the_settled_complete_file(config: Path) -> None:
    manager = ConfigManager(config)
    recorder = Recorder()
    manager.subscribe(recorder)
    task = asyncio.create_task(manager.watch(interval=0.02, settle=0.3))
    try:
        await asyncio.sleep(0.05)
        complete = GOOD.replace('"0 7 * * *"', '"0 9 * * *"')
        # An editor's save caught halfway. The cut leaves a VALID file with no digests, so
        # applying it would silently drop the morning digest.
        write(config, complete[: complete.index("digests:")])
        await asyncio.sleep(0.1)  # well inside the settle time
        write(config, complete)
        for _ in range(100):
            if recorder.calls:
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
    assert len(recorder.calls) == 1
    assert recorder.calls[0][2].changes == ("digest morning: schedule '0 7 * * *' -> '0 9 * * *'",)
    assert manager.current.digests[0].schedule == "0 9 * * *"


async def test_watch_refuses_a_settled_invalid_file_then_applies_a_later_valid_one(config: Path) -> None:
    manager = ConfigManager(config)
    recorder = Recorder()
    manager.subscribe(recorder)
    refusals: list[str] = []
    manager.on_refused(lambda result, reason: refusals.append(reason))
    task = asyncio.create_task(manager.watch(interval=0.02, settle=0.1))
    try:
        await asyncio.sleep(0.05)
        # Truncated and left that way: once settled it is validated and refused, once.
        write(config, GOOD[: GOOD.index("feeds: [")])
        await asyncio.sleep(0.4)
        assert recorder.calls == [] and manager.current.digests[0].feeds == ("bbc-world",)
        assert refusals == ["file changed"]
        write(config, GOOD.replace("feeds: [bbc-world]", "feeds: [reuters]"))
        for _ in range(100):
            if recorder.calls:
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
    assert [call[2].changes for call in recorder.calls] == [("digest morning: feeds ['bbc-world'] -> ['reuters']",)]


async def test_sighup_triggers_a_reload(config: Path) -> None:
    if not hasattr(signal, "SIGHUP"):
        pytest.skip("no SIGHUP on this platform")
    manager = ConfigManager(config)
    done = asyncio.Event()
    results: list[ReloadResult] = []

    def record(old: Settings, new: Settings, result: ReloadResult) -> None:
        results.append(result)
        done.set()

    manager.subscribe(record)
    loop = asyncio.get_running_loop()
    manager.install_sighup(loop)
    try:
        write(config, GOOD.replace("channel: 123456789012345678", "channel: 42"))
        os.kill(os.getpid(), signal.SIGHUP)
        await asyncio.wait_for(done.wait(), timeout=5)
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
    assert results[0].changes == ("digest morning: channel 123456789012345678 -> 42",)
    assert manager.current.digests[0].channel == 42
