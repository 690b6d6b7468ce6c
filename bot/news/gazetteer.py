"""The place and given-name lists of bot/data, loaded once on first use."""

from __future__ import annotations

from functools import cache
from pathlib import Path

# bot/data ships inside the package (pyproject package-data); a plain path is much cheaper than importlib.resources
_DATA = Path(__file__).resolve().parent.parent / "data"


def _lines(name: str) -> list[str]:
    text = (_DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and line[0] != "#"]


@cache
def places() -> dict[str, int]:
    """Place name -> population (10 000 000 for countries and regions)."""
    pairs = (line.split("\t", 1) for line in _lines("places.txt"))
    return {p[0]: int(p[1]) if len(p) > 1 else 0 for p in pairs}


@cache
def places_folded() -> dict[str, str]:
    """Case-folded place name -> its spelling in the list, for all-caps headlines."""
    return {name.casefold(): name for name in places()}


@cache
def first_names() -> frozenset[str]:
    """Common given names, title-cased."""
    return frozenset(_lines("first_names.txt"))


@cache
def capitals() -> dict[str, str]:
    """Capital city -> its country, for names used as a government ("Beijing said")."""
    return dict(line.split("\t", 1) for line in _lines("capitals.txt") if "\t" in line)


@cache
def common_words() -> frozenset[str]:
    """Lower-case English words that a dictionary never lists capitalised ("yield", "troops")."""
    return frozenset(_lines("common_words.txt"))


def common_word(word: str) -> bool:
    """Whether a capitalised word is an ordinary English word rather than a name ("Refunds", "Harvest")."""
    return word.lower() in common_words() and word not in first_names() and word not in places()


def preload() -> None:
    """Load every list now (e.g. at start-up) so the first briefing does not pay for it."""
    places()
    places_folded()
    first_names()
    capitals()
    common_words()
