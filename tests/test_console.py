"""The console front-end: commands typed at a prompt, in process and as `python -m bot run` without a token."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from aiohttp import web

from bot.console import Console
from bot.errors import FetchError
from bot.frontend import FileConfig, Frontend
from bot.models import Briefing, Source, Stats
from bot.news.briefing import BriefOptions
from bot.settings import CommandSettings, Settings
from tests.fake_discord import FakeDiscord

ROOT = Path(__file__).resolve().parents[1]


class Service:
    def __init__(self) -> None:
        self.calls: list[tuple[str, BriefOptions | None]] = []

    async def brief_url(self, url: str, options: BriefOptions | None = None) -> Briefing:
        self.calls.append((url, options))
        if url.endswith("/404"):
            raise FetchError("the page answered 404 Not Found")
        return Briefing("Bridge approved", ("The council voted.", "Work starts soon."), (), (),
                        Source(url=url, site="ex.com"), "en", "text", Stats(100, 10, 90.0, 1.0))


async def run_lines(*lines: str, cooldown: float = 0) -> tuple[str, Service]:
    service = Service()
    fe = Frontend(FileConfig(None, Settings(commands=CommandSettings(brief_cooldown=cooldown))), service)
    out = io.StringIO()
    code = await Console(fe, stdin=io.StringIO("".join(f"{line}\n" for line in lines)), out=out).run()
    assert code == 0
    return out.getvalue(), service


async def test_brief_prints_the_briefing() -> None:
    out, service = await run_lines("/brief https://ex.com/a 2")
    assert "Bridge approved" in out and "The council voted." in out
    assert service.calls == [("https://ex.com/a", BriefOptions(sentences=2))]


async def test_errors_are_printed_and_the_console_goes_on() -> None:
    out, _service = await run_lines("/brief https://ex.com/404", "/nonsense", "/brief", "/help")
    assert "Error: the page answered 404 Not Found" in out
    assert "Check that the link opens in a browser" in out
    assert "Unknown command /nonsense" in out
    assert "Usage: /brief URL" in out
    assert "/digest [name]" in out


async def test_console_operator_has_no_per_user_cooldown() -> None:
    out, service = await run_lines("/brief https://ex.com/a", "/brief https://ex.com/b", cooldown=30)
    assert "Slow down" not in out
    assert len(service.calls) == 2


async def test_quit_stops_reading() -> None:
    _out, service = await run_lines("/quit", "/brief https://ex.com/a")
    assert service.calls == []


async def test_digest_sources_and_config() -> None:
    out, _ = await run_lines("/digest", "/sources", "/config show", "/config check", "/config")
    assert "No digest is configured" in out
    assert "No digests are configured for this bot" in out
    assert '"brief_cooldown": 0' in out
    assert "No config file is in use" in out
    assert "Usage: /config reload | check | show" in out


def test_run_without_token_starts_the_console(tmp_path: Path) -> None:
    async def article(_: web.Request) -> web.Response:
        return web.Response(text=(ROOT / "tests/fixtures/us-china-call.html").read_text(), content_type="text/html")

    server = FakeDiscord()
    server.start(lambda app: app.router.add_get("/article", article))
    try:
        config = tmp_path / "config.yaml"
        config.write_text(f'fetch:\n  allow_hosts: ["127.0.0.1:{server.extra_port}"]\n'
                          f"storage:\n  path: {tmp_path / 'state.db'}\n")
        env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
        stdin = (f"/brief http://127.0.0.1:{server.extra_port}/article 2\n"
                 f"/brief http://127.0.0.1:{server.extra_port + 1 if server.extra_port < 65535 else 1}/x\n"
                 "/help\n/quit\n")
        proc = subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                              input=stdin, capture_output=True, text=True, timeout=60)
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    assert "newsbrief console (no DISCORD_TOKEN set)" in proc.stdout
    assert "US and Chinese Presidents to Discuss Russia" in proc.stdout
    # The second port is not in allow_hosts: the URL guard refuses it, in words.
    assert "Error:" in proc.stdout and "not allowed" in proc.stdout
    assert "/sources" in proc.stdout
