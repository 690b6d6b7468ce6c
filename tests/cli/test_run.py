"""`python -m bot run`: refuses bad config files; the running console bot serves /healthz, logs JSON, stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_missing_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["run", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_invalid_config_is_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    bad = tmp_path / "config.yaml"
    bad.write_text("commandz: 1\n")
    assert main(["run", "--config", str(bad)]) == 2
    assert "commandz: unknown key" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_console_bot_serves_ops_logs_json_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "config.yaml"
    config.write_text(f"storage:\n  path: {tmp_path / 'state.db'}\nlogging:\n  format: json\n"
                      f"ops:\n  enabled: ${{OPS_ON:-false}}\n  port: {port}\n")
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"} | {"OPS_ON": "true"}
    # stdin stays open: at end of input the console (and the bot) would stop by itself.
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the ops endpoint never came up"
                time.sleep(0.2)
        assert status == 200, body
        assert json.loads(body)["checks"] == {"gateway": "ok", "store": "ok", "config": "ok"}
        status, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert 'newsbrief_briefings_failed_total{reason="fetch"} 0.0' in metrics
        assert "newsbrief_loop_lag_seconds_bucket" in metrics
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0  # wait, not communicate: that closes stdin, and end of input stops it too
        out, err = proc.communicate()
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    lines = [line for line in err.decode().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line of the log is one JSON object
    messages = [r["message"] for r in records]
    assert any("ops endpoint listening" in m for m in messages)
    assert any("stopping on signal" in m for m in messages), messages
    assert not any(r["level"] in ("ERROR", "CRITICAL") for r in records), records
    assert b"newsbrief console" in out
