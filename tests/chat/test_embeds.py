"""Embed building: every Discord limit holds for any briefing, and article text cannot ping or spoof."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chat.embeds import (
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    briefing_embed,
    embed_size,
    enforce_limits,
    message_problems,
    pack_messages,
    source_colour,
    story_embed,
)
from bot.chat.safety import clean, escape_markdown, escape_mentions, safe_url, truncate
from bot.models import Actor, Briefing, Link, Source, Stats, Story


def make_briefing(**kw: object) -> Briefing:
    base: dict[str, object] = dict(
        headline="Council approves new bridge", summary=("The council voted 7-2.", "Work starts in May."),
        actors=(Actor("Jane Doe", "person", role="mayor"), Actor("Acme Corp", "organization")),
        related=(Link("Budget story", "https://example.com/budget"),),
        source=Source(url="https://example.com/a", site="example.com", published=datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
        language="en", text="...", stats=Stats(400, 40, 90.0, 12.0), image="https://example.com/i.jpg")
    base.update(kw)
    return Briefing(**base)  # type: ignore[arg-type]


def test_embed_layout() -> None:
    e = briefing_embed(make_briefing())
    assert e["title"] == "Council approves new bridge"
    assert e["url"] == "https://example.com/a"
    assert e["description"] == "• The council voted 7\\-2.\n• Work starts in May."
    assert e["fields"][0] == {"name": "Key actors", "value": "**Jane Doe** — mayor\n**Acme Corp** — organization",
                              "inline": False}
    assert e["fields"][1]["value"] == "[Budget story](https://example.com/budget)"
    assert e["footer"]["text"] == "example.com · 2026-03-01 09:30 UTC · reduced by 90%"
    assert e["thumbnail"] == {"url": "https://example.com/i.jpg"}
    assert e["color"] == source_colour("example.com") != source_colour("other.org")


def test_mentions_are_broken() -> None:
    text = "@everyone @here <@123> <@!5> <@&9> <#77> </cmd:1> hi"
    out = escape_mentions(text)
    for raw in ("@everyone", "@here", "<@123>", "<@!5>", "<@&9>", "<#77>", "</cmd:1>"):
        assert raw not in out
    assert out.replace("\u200b", "") == text
    assert escape_mentions("<https://ex.com> <t:1700000000> <a:wave:1>") == \
        "<https://ex.com> <\u200bt:1700000000> <\u200ba:wave:1>"


def test_every_masked_link_is_neutralised() -> None:
    out = escape_markdown("[a](https://x.test) and [b](https://evil.test) [c](https://evil.test)")
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", out)
    assert out.count("\\[") == 3


def test_bare_urls_stay_clickable() -> None:
    assert escape_markdown("see https://ex.com/a_b_c now_") == "see https://ex.com/a_b_c now\\_"


def test_truncate_at_word_with_ellipsis() -> None:
    assert truncate("alpha beta gamma", 12) == "alpha beta…"
    assert truncate("short", 12) == "short"
    assert len(truncate("x" * 50, 10)) == 10
    assert truncate("ab \\*cd", 5) == "ab…"


def test_safe_url_refuses_other_schemes_and_quotes_parens() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://ex.com/a (b)") == "https://ex.com/a%20%28b%29"
    assert safe_url("https://ex.com/@everyone") == "https://ex.com/%40everyone"
    assert safe_url("https://user:pw@ex.com/") is None


def test_huge_briefing_fits_every_limit() -> None:
    b = make_briefing(headline="word " * 200, summary=tuple("sentence " * 100 for _ in range(40)),
                      actors=tuple(Actor(f"Name{i} " * 20, "person", role="role " * 50) for i in range(50)),
                      related=tuple(Link("t " * 100, f"https://ex.com/{i}") for i in range(80)),
                      source=Source(url="https://ex.com", site="s" * 5000))
    e = briefing_embed(b)
    assert message_problems([e]) == []
    assert len(e["description"]) <= DESCRIPTION_LIMIT
    assert all(line.startswith("• ") for line in e["description"].split("\n"))
    assert all(len(f["value"]) <= FIELD_VALUE_LIMIT for f in e["fields"])


def test_enforce_limits_shrinks_to_total() -> None:
    e = enforce_limits({"title": "t" * 300, "description": "d " * 3000,
                        "fields": [{"name": "n", "value": "v " * 600} for _ in range(30)], "footer": {"text": "f " * 1500}})
    assert len(e["fields"]) == 25
    assert embed_size(e) <= 6000
    assert message_problems([e]) == []


def test_pack_messages_splits_long_digests() -> None:
    embeds = [briefing_embed(make_briefing(summary=tuple("long sentence here " * 12 for _ in range(15))))
              for _ in range(23)]
    messages = pack_messages(embeds)
    assert sum(len(m) for m in messages) == 23
    assert len(messages) > 3
    assert all(message_problems(m) == [] for m in messages)


def test_story_embed_lists_other_outlets() -> None:
    b = make_briefing()
    story = Story("k", b, sources=(b.source, Source(url="https://other.org/x", site="other.org")))
    e = story_embed(story)
    assert e["fields"][-1] == {"name": "Also reported by", "value": "[other.org](https://other.org/x)", "inline": False}


text_st = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
hostile = st.sampled_from(["@everyone", "@here", "<@123>", "<@&4>", "<#5>", "[x](https://evil.test)", "**", "`", "\\",
                           "||", "> ", "# ", "\n", " ", "word", "https://ex.com/_a_"])
mixed = st.lists(st.one_of(text_st, hostile), max_size=25).map("".join)


@settings(max_examples=60, deadline=None)
@given(headline=mixed, summary=st.lists(mixed, max_size=30), names=st.lists(mixed, max_size=40),
       site=st.one_of(st.none(), mixed), links=st.lists(st.tuples(mixed, mixed), max_size=30), pct=st.floats(0, 100))
def test_any_briefing_gives_a_valid_safe_embed(headline: str, summary: list[str], names: list[str], site: str | None,
                                              links: list[tuple[str, str]], pct: float) -> None:
    b = make_briefing(headline=headline, summary=tuple(summary), actors=tuple(Actor(n, "person", role=n) for n in names),
                      related=tuple(Link(t, "https://ex.com/" + u) for t, u in links),
                      source=Source(url="https://ex.com", site=site), stats=Stats(1, 1, pct, 1.0))
    e = briefing_embed(b)
    assert message_problems([e]) == []
    blob = "\n".join([e["title"], e["description"], e["footer"]["text"], *(f["value"] for f in e["fields"])])
    assert not re.search(r"@(everyone|here)", blob, re.IGNORECASE)
    assert not re.search(r"<[@#]", blob)


@given(mixed)
def test_clean_never_leaves_a_mention(text: str) -> None:
    out = clean(text)
    assert not re.search(r"@(everyone|here)|<[@#/]", out, re.IGNORECASE)
    # Undoing the escapes gives back the text (control whitespace collapsed): nothing lost, nothing added.
    unescaped = re.sub(r"\\(.)", r"\1", out, flags=re.DOTALL).replace("\u200b", "")
    assert unescaped == re.sub(r"[\r\t\f\v]+", " ", text).replace("\u200b", "")
