"""The place and given-name lists of bot/data, loaded once on first use."""

from __future__ import annotations

from functools import cache
from importlib import resources


def _lines(name: str) -> list[str]:
    text = resources.files("bot").joinpath("data", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@cache
def places() -> dict[str, int]:
    """Place name -> population (10 000 000 for countries and regions)."""
    out: dict[str, int] = {}
    for line in _lines("places.txt"):
        name, _, pop = line.partition("\t")
        out[name] = int(pop or 0)
    return out


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
