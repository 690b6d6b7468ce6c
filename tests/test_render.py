"""Renderers: every documented JSON field, and what a terminal reader sees."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.models import Actor, Briefing, Link, Source, Stats
from bot.render import briefing_to_dict, render_json, render_markdown, render_text


def make_briefing(**over: object) -> Briefing:
    base: dict[str, object] = {
        "headline": "Leaders to meet in Rome",
        "summary": ("The leaders will meet on Friday.", "They will discuss the war."),
        "actors": (Actor("Joe Biden", "person", "US President", 3), Actor("China", "location", None, 2)),
        "related": (Link("Earlier talks [part 1]", "https://news.example/earlier"),),
        "source": Source("https://news.example/rome", "News Example", "A. Writer", datetime(2022, 3, 18, 9, 30, tzinfo=UTC)),
        "language": "en",
        "text": "The leaders will meet on Friday. They will discuss the war. More text follows here.",
        "stats": Stats(words_in=100, words_out=12, reduction_percent=88.0, elapsed_ms=4.2),
    }
    base.update(over)
    return Briefing(**base)  # type: ignore[arg-type]


def test_dict_has_every_documented_field() -> None:
    d = briefing_to_dict(make_briefing())
    assert set(d) >= {"headline", "summary", "actors", "related", "text", "source", "language", "stats"}
    assert d["actors"][0] == {"name": "Joe Biden", "kind": "person", "role": "US President", "mentions": 3}
    assert d["source"]["published"] == "2022-03-18T09:30:00+00:00"
    assert d["stats"]["reduction_percent"] == 88.0
    assert json.loads(render_json(make_briefing())) == d
    assert "\n" not in render_json(make_briefing(), indent=None)


def test_text_shows_bullets_actors_related_and_source() -> None:
    out = render_text(make_briefing())
    lines = out.splitlines()
    assert lines[0] == "Leaders to meet in Rome"
    assert "  • The leaders will meet on Friday." in lines
    assert any("Joe Biden, US President (person, 3×)" in line for line in lines)
    assert any(line.startswith("  Earlier talks [part 1] <https://news.example/earlier>") for line in lines)
    assert "Source: News Example · A. Writer · 2022-03-18 09:30 · https://news.example/rome" in lines
    assert "reduced by 88%" in out


def test_markdown_links_headline_and_escapes_brackets() -> None:
    out = render_markdown(make_briefing())
    assert out.startswith("## [Leaders to meet in Rome](https://news.example/rome)")
    assert "- [Earlier talks \\[part 1\\]](https://news.example/earlier)" in out


def test_text_without_optional_parts() -> None:
    out = render_text(make_briefing(actors=(), related=(), source=Source()))
    assert "Key actors" not in out and "Related" not in out
    assert "Source: unknown source" in out
