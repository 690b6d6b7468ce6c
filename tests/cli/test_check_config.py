"""`python -m bot check-config [PATH]`: exit 0 with a summary, exit 1 with every problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
VALID = """\
discord:
  guilds: [111]
feeds:
  - id: bbc-world
    url: https://feeds.bbci.co.uk/news/world/rss.xml
  - id: reuters
    url: https://example.com/reuters.xml
digests:
  - id: morning
    channel: 123456789012345678
    schedule: "0 7 * * mon-fri"
    timezone: Europe/London
    feeds: [bbc-world, reuters]
"""
INVALID = """\
feeds:
  - id: bbc-world
    url: https://feeds.bbci.co.uk/news/world/rss.xml
digests:
  - id: morning
    channel: general
    schedule: "0 25 * * *"
    feeds: [bbc-wrld]
fetch:
  timout: 5
"""


def test_valid_file_prints_summary_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(VALID)
    assert main(["check-config", str(path)]) == 0
    assert capsys.readouterr().out == f"{path} OK: 2 feeds, 1 digest, 1 guild\n"


def test_invalid_file_prints_every_problem_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(INVALID)
    assert main(["check-config", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f'{path}:6:14 digests[0].channel: "general" is not a Discord id (expected a number such as 123456789012345678)',
        f'{path}:7:15 digests[0].schedule: "0 25 * * *" is not a valid cron expression (hour must be 0-23)',
        f'{path}:8:13 digests[0].feeds[0]: unknown feed "bbc-wrld" (did you mean "bbc-world"?)',
        f'{path}:10:3 fetch.timout: unknown key (did you mean "timeout"?)',
    ]


def test_yaml_syntax_error_is_reported_the_same_way(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("fetch:\n  timeout: 3\n   max_bytes: 4\n")
    assert main(["check-config", str(path)]) == 1
    assert capsys.readouterr().out == f"{path}:3:13 invalid YAML: mapping values are not allowed here\n"


def test_missing_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(tmp_path / "absent.yaml")]) == 1
    assert capsys.readouterr().out == f"{tmp_path / 'absent.yaml'}: file not found\n"


def test_default_path_is_config_yaml_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.yaml").write_text("")
    monkeypatch.chdir(tmp_path)
    assert main(["check-config"]) == 0
    assert capsys.readouterr().out == "config.yaml OK: 0 feeds, 0 digests, 0 guilds\n"


def test_bundled_config_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(ROOT / "config.yaml")]) == 0
    assert capsys.readouterr().out.endswith("config.yaml OK: 0 feeds, 0 digests, 0 guilds\n")


def test_check_config_as_a_subprocess(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("storage:\n  path: ${NB_DB_DIR}/${NB_UNSET_VAR}\n")
    env = {**os.environ, "NB_DB_DIR": "data"}
    env.pop("NB_UNSET_VAR", None)
    refused = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", str(bad)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 1
    assert refused.stdout == f"{bad}:2:9 storage.path: environment variable NB_UNSET_VAR is not set (used as ${{NB_UNSET_VAR}})\n"


def test_environment_variables_are_read_from_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text('discord:\n  guilds: ["${NB_GUILD}"]\n')
    monkeypatch.setenv("NB_GUILD", "4242")
    assert main(["check-config", str(path)]) == 0
    assert capsys.readouterr().out == f"{path} OK: 0 feeds, 0 digests, 1 guild\n"
    monkeypatch.delenv("NB_GUILD")
    assert main(["check-config", str(path)]) == 1
    assert capsys.readouterr().out == f"{path}:2:12 discord.guilds[0]: environment variable NB_GUILD is not set (used as ${{NB_GUILD}})\n"
