"""Grouping items into stories, ranking them, and building a Story with merged related links."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.models import Briefing, FeedItem, Link, Source, Stats
from bot.news.digest import (
    SAME_STORY_THRESHOLD,
    Candidate,
    build_story,
    group,
    group_and_rank,
    lead_order,
    rank,
    signature,
    similarity,
    story_key,
    to_row,
)

FIXTURE = Path(__file__).parent.parent / "fixtures/feeds/stories.json"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def cand(i: int, title: str, lead: str, feed: str = "f", priority: int = 0, hours_ago: float = 1.0,
         content: str | None = None) -> Candidate:
    item = FeedItem(feed_id=feed, title=title, link=f"http://{feed}.example/{i}", guid=str(i), summary=lead,
                    content=content, published=NOW - timedelta(hours=hours_ago))
    return Candidate(key=f"g:{i}", item=item, feed_name=feed.upper(), priority=priority)


def briefing(headline: str, url: str) -> Briefing:
    return Briefing(headline=headline, summary=("One.",), actors=(), related=(Link("Background", "http://bg.example/"),
                    Link("dup", "http://b.example/2")), source=Source(url=url, site="site"), language="en",
                    text="One.", stats=Stats(1, 1, 0.0, 1.0))


def test_fixture_stories_group_exactly_by_story() -> None:
    data = json.loads(FIXTURE.read_text())["items"]
    cands = [cand(i, x["title"], x["lead"], feed=f"o{i}") for i, x in enumerate(data)]
    groups = group(cands)
    found = sorted(sorted(data[int(c.key[2:])]["story"] for c in g) for g in groups)
    expected = defaultdict(list)
    for x in data:
        expected[x["story"]].append(x["story"])
    assert found == sorted(expected.values())


def test_threshold_separates_fixture_pairs() -> None:
    data = json.loads(FIXTURE.read_text())["items"]
    sigs = [signature(cand(i, x["title"], x["lead"])) for i, x in enumerate(data)]
    same = [similarity(sigs[i], sigs[j]) for i in range(len(data)) for j in range(i + 1, len(data))
            if data[i]["story"] == data[j]["story"]]
    other = [similarity(sigs[i], sigs[j]) for i in range(len(data)) for j in range(i + 1, len(data))
             if data[i]["story"] != data[j]["story"]]
    assert max(other) < SAME_STORY_THRESHOLD <= min(same)


def test_paraphrases_join_and_empty_text_never_matches() -> None:
    a = cand(1, "River Wend floods Portwen harbour", "storm")
    b = cand(2, "Portwen harbour flooded by storm", "River Wend")
    c = cand(3, "", "")
    assert [len(g) for g in group([a, b, c])] == [2, 1]
    assert similarity(frozenset(), frozenset({"x"})) == 0.0


def test_groups_do_not_drift_by_chaining() -> None:
    # Each headline shares two of its four words with the previous one only.
    words = [f"word{i}" for i in range(20)]
    chain = [cand(i, " ".join(words[2 * i:2 * i + 4]), "") for i in range(8)]
    sizes = [len(g) for g in group(chain)]
    assert sizes[0] == 4 and sum(sizes) == 8 and len(sizes) > 1  # core of 3, plus one; then a new story


def test_rank_prefers_outlets_then_recency_then_priority() -> None:
    wide = [cand(1, "x", "", "a", hours_ago=20), cand(2, "x", "", "b", hours_ago=20)]
    fresh = [cand(3, "y", "", "c", hours_ago=0)]
    stale = [cand(4, "z", "", "d", hours_ago=48)]
    favoured = [cand(5, "w", "", "e", priority=2, hours_ago=48)]
    order = rank([stale, fresh, favoured, wide], NOW)
    assert [g[0].key for g in order] == ["g:1", "g:5", "g:3", "g:4"]


def test_build_story_merges_other_outlets_into_related_and_sources() -> None:
    lead = cand(1, "Lead headline", "lead", "a", priority=1)
    other = cand(2, "Other outlet headline", "other", "b")
    assert lead_order([other, lead])[0] is lead
    story = build_story([other, lead], lead, briefing("Lead headline", "http://a.example/1"))
    assert [link.url for link in story.briefing.related] == ["http://b.example/2", "http://bg.example/"]
    assert story.briefing.related[0].title == "B: Other outlet headline"
    assert [s.site for s in story.sources] == ["A", "B"] and story.sources[1].url == "http://b.example/2"
    assert story.items[0] is lead.item and story.key == story_key([lead, other])


def test_group_and_rank_on_rows_matches_group_then_rank() -> None:
    data = json.loads(FIXTURE.read_text())["items"]
    cands = [cand(i, x["title"], x["lead"], feed=f"o{i % 5}", hours_ago=i) for i, x in enumerate(data)]
    by_rows = [[cands[i] for i in g] for g in group_and_rank([to_row(c) for c in cands], NOW)]
    assert by_rows == rank(group(cands), NOW)


def test_lead_order_uses_richest_text_when_priorities_tie() -> None:
    thin = cand(1, "t", "short")
    rich = cand(2, "t", "short", content="<p>" + "long text " * 50 + "</p>")
    assert lead_order([thin, rich])[0] is rich


def test_one_link_is_one_story_in_the_worker_path_too() -> None:
    from dataclasses import replace

    a = cand(1, "Harbour bridge reopens after repairs", "The bridge reopened on Monday.", feed="a")
    b = cand(2, "Weekend traffic news", "Drivers can cross again.", feed="b")
    b = replace(b, item=replace(b.item, link=a.item.link + "#comments"))
    c = cand(3, "Council approves budget", "Schools get more money.", feed="c")
    groups = group_and_rank([to_row(x) for x in (a, b, c)], NOW)
    assert sorted(sorted(g) for g in groups) == [[0, 1], [2]]


def test_rows_carry_raw_lead_markup_for_the_worker() -> None:
    big = "<p>" + "word " * 20000 + "</p>"
    row = to_row(cand(1, "Title here", "", content=big))
    assert len(row[1]) <= 2000 and row[1].startswith("<p>")
