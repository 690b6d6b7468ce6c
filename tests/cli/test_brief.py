"""`python -m bot brief` end to end: formats, batches, errors and exit codes."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "articles" / "us-china-call.txt"


@dataclass
class Result:
    """What a run of the CLI printed and returned."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def brief(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Run `brief` in-process, from a directory without a config.yaml."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str, stdin: str | None = None) -> Result:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8"))))
        code = main(["brief", *args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def test_seed_as_json_has_headline_summary_and_source_path(brief: Callable[..., Result]) -> None:
    r = brief(str(SEED), "--format", "json")
    assert r.returncode == 0, r.stderr
    b = json.loads(r.stdout)
    assert b["headline"].startswith("US and Chinese Presidents to Discuss Russia")
    assert len(b["summary"]) == 3
    assert b["source"]["url"] == str(SEED)
    assert 0 < b["stats"]["reduction_percent"] < 100
    assert b["stats"]["words_in"] > b["stats"]["words_out"] > 0
    assert b["language"] == "en"


def test_jsonl_keeps_input_order_and_reports_failures(brief: Callable[..., Result], tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    r = brief(str(SEED), str(missing), "ftp://example.com/story.txt", str(SEED), "--format", "jsonl", "--sentences", "2")
    assert r.returncode == 1
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(lines) == 4
    assert len(lines[0]["summary"]) == 2 and lines[3]["headline"] == lines[0]["headline"]
    assert lines[1] == {"source": str(missing), "error": f"no such file: {missing}"}
    assert lines[2]["source"] == "ftp://example.com/story.txt"
    assert "only http and https" in lines[2]["error"]


def test_text_format_for_a_person_and_stdin(brief: Callable[..., Result]) -> None:
    r = brief("-", stdin=SEED.read_text(encoding="utf-8"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("US and Chinese Presidents")
    assert "Key actors" in r.stdout and "  • " in r.stdout and "reduced by" in r.stdout


def test_markdown_and_other_algorithm(brief: Callable[..., Result]) -> None:
    r = brief(str(SEED), "--format", "markdown", "--algorithm", "lexrank", "--ratio", "0.3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("## ")
    assert "**Key actors**" in r.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--ratio", "1.5"], "--ratio must be above 0"),
    (["--algorithm", "magic"], "unknown --algorithm 'magic'"),
    (["--sentences", "0"], "--sentences must be between"),
])
def test_bad_arguments_exit_2(brief: Callable[..., Result], args: list[str], message: str) -> None:
    r = brief(str(SEED), *args)
    assert r.returncode == 2
    assert message in r.stderr


def test_text_format_error_goes_to_stderr(brief: Callable[..., Result], tmp_path: Path) -> None:
    r = brief(str(tmp_path / "missing.html"))
    assert r.returncode == 1
    assert r.stdout == ""
    assert "no such file" in r.stderr


async def test_url_served_locally_is_fetched_and_briefed(tmp_path: Path) -> None:
    html = (ROOT / "examples" / "articles").glob("*.html")
    page = next(iter(sorted(html))).read_text(encoding="utf-8")

    async def article(_: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    async def missing(_: web.Request) -> web.Response:
        return web.Response(status=404, text="gone")

    app = web.Application()
    app.router.add_get("/story", article)
    app.router.add_get("/gone", missing)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f'fetch:\n  allow_hosts: ["127.0.0.1:{port}"]\n')
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "brief", f"http://127.0.0.1:{port}/story", f"http://127.0.0.1:{port}/gone",
            "--format", "jsonl", "--config", str(cfg), cwd=str(tmp_path),
            env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    finally:
        await runner.cleanup()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert proc.returncode == 1, err.decode()
    assert lines[0]["source"]["url"] == f"http://127.0.0.1:{port}/story"
    assert lines[0]["summary"] and lines[0]["headline"]
    assert lines[1]["source"] == f"http://127.0.0.1:{port}/gone"
    assert "404" in lines[1]["error"]
