"""Feed parsing (RSS 0.91/1.0/2.0, Atom, JSON Feed), hostile feeds, and per-feed filters."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ConfigError, FeedError
from bot.models import FeedItem
from bot.news.feeds import FeedFilter, item_key, parse_feed, sanitize_xml, strip_html
from bot.settings import FeedSettings

FIXTURES = Path(__file__).parent.parent / "fixtures/feeds"
BASE = "http://news.example/feed.xml"


def parse(name: str, **kw: object) -> list[FeedItem]:
    return parse_feed((FIXTURES / name).read_bytes(), feed_id="f", base_url=BASE, **kw)  # type: ignore[arg-type]


def test_rss2_content_encoded_relative_links_duplicates_and_missing_fields() -> None:
    items = parse("rss_content.xml")
    assert [i.title for i in items] == ["Storm floods harbour town as river bursts banks",
                                        "Council approves new library budget",
                                        "Football club wins the award for best stadium"]  # duplicate guid dropped
    first, undated, other = items
    assert first.link == "http://news.example/articles/storm-floods" and first.guid == "hg-1001"
    assert first.published == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert "Emergency crews evacuated" in (first.content or "") and first.summary
    assert first.image == "http://news.example/img/storm.jpg" and first.language == "en"
    assert undated.guid is None and undated.published is None and item_key(undated).startswith("l:")
    assert other.published == datetime(2026, 11, 26, 17, 30, tzinfo=UTC)  # +0100 normalised


def test_atom_xhtml_content() -> None:
    flood, rail = parse("atom_xhtml.xml")
    assert flood.author == "Ben Ode" and flood.link == "http://times.example/2026/flood"
    assert flood.published == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    assert flood.updated == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert "burst its banks" in strip_html(flood.content or "")
    assert rail.summary == "Unions and operators agreed a deal."


def test_json_feed() -> None:
    flood, comet = parse("jsonfeed.json", content_type="application/feed+json")
    assert flood.guid == "bay-77" and flood.author == "Cy Dee" and flood.image == "http://bay.example/i.jpg"
    assert comet.link == "http://news.example/science/comet"  # relative url resolved
    assert comet.content == "A comet will be visible next week." and comet.published is not None
    assert comet.published.utcoffset() is not None


@pytest.mark.parametrize(("name", "title"), [("rss1.xml", "Bridge reopens after repairs"),
                                             ("rss091.xml", "Market opens higher")])
def test_old_rss_versions(name: str, title: str) -> None:
    assert [i.title for i in parse(name)] == [title]


def test_quadratic_entity_feed_is_not_expanded() -> None:
    body = (FIXTURES / "entity_bomb.xml").read_bytes().replace(b"BODY", b"&a;" * 5000)
    started = time.perf_counter()
    items = parse_feed(body, feed_id="b", base_url=BASE)
    assert time.perf_counter() - started < 2
    assert len(items) == 1 and len(items[0].summary or "") < 100_000  # expanded it would be 5000 x 500 chars


def test_ten_thousand_items_are_cut_before_parsing() -> None:
    items_xml = b"".join(b"<item><title>Item %d</title><link>http://big.example/%d</link></item>" % (i, i)
                         for i in range(10_000))
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>' + items_xml + b"</channel></rss>"
    started = time.perf_counter()
    items = parse_feed(body, feed_id="b", base_url=BASE)
    assert time.perf_counter() - started < 3
    assert len(items) == 500 and items[-1].title == "Item 499"
    assert sanitize_xml(b"<feed><entry>a</entry><entry>b</entry></feed>", max_items=1) == b"<feed><entry>a</entry></feed>"


@pytest.mark.parametrize("body", [b"", b"   ", b"<html><body>not a feed</body></html>", b"{\"no\": 1}",
                                  b"\xff\xfe garbage \x00", b"{broken json"])
def test_not_a_feed_is_a_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(body, feed_id="x", base_url=BASE)


def item(title: str, summary: str = "") -> FeedItem:
    return FeedItem(feed_id="f", title=title, link="http://x.example/", summary=summary)


def test_keyword_filters_are_whole_word_and_case_insensitive() -> None:
    rule = FeedFilter.from_settings(FeedSettings(id="f", url=BASE, include=("war", "peace talks"), exclude=("Sport",)))
    assert rule.reason(item("Peace  Talks resume")) is None
    assert rule.reason(item("The WAR in the north")) is None
    assert rule.reason(item("Film wins award")) == "no include keyword (war, peace talks)"
    assert rule.reason(item("War of words", "<p>sport news</p>")) == "exclude keyword 'sport'"


def test_regex_filters_use_re2() -> None:
    rule = FeedFilter.from_settings(FeedSettings(id="f", url=BASE, include_regex=(r"(?i)^breaking",),
                                                 exclude_regex=(r"\d{4} (?:quiz|puzzle)",)))
    assert rule.reason(item("BREAKING: dam fails")) is None
    assert rule.reason(item("Breaking: the 2026 quiz")) == "exclude_regex '\\\\d{4} (?:quiz|puzzle)'"
    assert rule.reason(item("Weather")) == "no include_regex match ((?i)^breaking)"
    # A pattern that backtracks exponentially in Python's re is linear in RE2.
    evil = FeedFilter.from_settings(FeedSettings(id="f", url=BASE, exclude_regex=(r"(a+)+$",)))
    started = time.perf_counter()
    assert evil.reason(item("a" * 5000 + "!")) is None
    assert time.perf_counter() - started < 1


def test_backreferences_and_bad_patterns_are_config_errors() -> None:
    for pattern in (r"(a)\1", "(unclosed"):
        with pytest.raises(ConfigError, match="invalid regular expression"):
            FeedFilter.from_settings(FeedSettings(id="f", url=BASE, include_regex=(pattern,)))
