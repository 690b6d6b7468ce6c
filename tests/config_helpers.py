"""Helpers shared by the config tests: a small valid config and the problems a bad one reports."""

from __future__ import annotations

import textwrap

import pytest

from bot.errors import ConfigError
from bot.settings import parse_settings

FEED = "feeds:\n  - id: bbc\n    url: https://feeds.bbci.co.uk/news/world/rss.xml\n"


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    """The problems parse_settings reports for `text` (it must refuse it)."""
    with pytest.raises(ConfigError) as info:
        parse_settings(textwrap.dedent(text), env=env or {})
    return info.value.problems


def digest(**fields: str) -> str:
    """A config with one valid feed and one digest whose keys are overridden by `fields`."""
    keys = {"id": "morning", "channel": "123456789012345678", "schedule": '"0 7 * * *"', "feeds": "[bbc]"}
    keys.update(fields)
    body = "".join(f"    {k}: {v}\n" for k, v in keys.items()).replace("    ", "  - ", 1)
    return FEED + "digests:\n" + body
