"""`python -m bot digest` and `why` against a loopback feed server, with the real briefing pipeline."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.__main__ import main
from tests.feed_helpers import Entry, FeedServer

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
TEXT = ("Heavy rain overnight made the River Wend burst its banks and flood the harbour town of Portwen. "
        "Emergency crews from the county council evacuated two hundred residents from homes near the quay. "
        "Forecasters expect the water to fall slowly over the weekend, the council said on Friday.")


@pytest.fixture(autouse=True)
def thread_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.cli.digest.WORKER_MODE", "thread")


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    srv = FeedServer()
    await srv.start()
    srv.publish("/a.xml", "rss", [Entry("a1", "Storm floods Portwen harbour as River Wend bursts banks", "/a/flood",
                                        TEXT, T0)])
    srv.publish("/b.json", "json", [Entry("b1", "River Wend bursts its banks, flooding Portwen harbour", "/b/flood",
                                          TEXT, T0)])
    yield srv
    await srv.stop()


def write_config(tmp_path: Path, server: FeedServer) -> str:
    host = server.base.split("//", 1)[1]
    path = tmp_path / "config.yaml"
    path.write_text(f"""
feeds:
  - id: gazette
    url: {server.base}/a.xml
    name: Gazette
    first_fetch: post
  - id: bay
    url: {server.base}/b.json
    name: Bay Daily
    first_fetch: post
digests:
  - id: morning
    channel: 123456789012345678
    schedule: "0 7 * * mon-fri"
    timezone: Europe/London
    feeds: [gazette, bay]
    sentences: 2
storage:
  path: {tmp_path / "db.sqlite"}
fetch:
  allow_hosts: ["{host}"]
""", encoding="utf-8")
    return str(path)


async def test_digest_json_then_records_and_why(server: FeedServer, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, server)
    assert await asyncio.to_thread(main, ["digest", "morning", "--config", config, "--dry-run", "--format", "json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert await asyncio.to_thread(main, ["digest", "morning", "--config", config, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert dry["stories"] == out["stories"]  # the dry run recorded nothing
    assert out["digest"] == "morning" and datetime.fromisoformat(out["generated"]).tzinfo is not None
    (story,) = out["stories"]  # both outlets' items are one story
    assert set(story) == {"headline", "summary", "actors", "related", "sources"}
    assert 1 <= len(story["summary"]) <= 2 and "Portwen" in " ".join(story["summary"])
    assert {s["site"] for s in story["sources"]} == {"Gazette", "Bay Daily"}
    assert all(set(s) == {"url", "site", "published"} for s in story["sources"])
    assert any(r["url"].endswith("/flood") for r in story["related"])
    assert await asyncio.to_thread(main, ["digest", "morning", "--config", config]) == 0
    assert "No new stories" in capsys.readouterr().out  # the first run recorded its stories as delivered
    assert await asyncio.to_thread(main, ["why", server.base + "/b/flood", "--config", config]) == 0
    assert "posted by digest morning" in capsys.readouterr().out


async def test_unknown_digest_and_post_without_token(server: FeedServer, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path, server)
    assert await asyncio.to_thread(main, ["digest", "nope", "--config", config]) == 2
    assert "no digest called 'nope' (known: morning)" in capsys.readouterr().err
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert await asyncio.to_thread(main, ["digest", "morning", "--config", config, "--post"]) == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err
