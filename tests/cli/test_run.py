"""`python -m bot run`: refuses bad or missing config files before starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main


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
