"""Group briefed feed items into stories and rank them (pure: no I/O, no clock of its own).

Two items tell the same story when their headline+lead token sets overlap enough (Jaccard
on lower-cased, stop-word-free, crudely stemmed words). An item joins the group holding its
most similar "core" member (a group's first CORE_SIZE items): a paraphrase of a paraphrase
still joins, but a group cannot drift from topic to topic by chaining as single link would.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from bot.models import Briefing, FeedItem, Link, Source, Story
from bot.news.feeds import strip_html

# Tuned on tests/fixtures/feeds/stories.json: same-story pairs score 0.32 and up, different
# stories at most 0.11 (shared words such as "harbour", "next week"); 0.2 sits between.
SAME_STORY_THRESHOLD = 0.2
CORE_SIZE = 3

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = frozenset(
    "a an the and or but of to in on at for from by with as is are was were be been it its this that these"
    " those after before over under into out up down about than then has have had not no new says said will"
    " would could can may more most after amid against between during he she they we you i his her their our"
    " le la les de des du un une et en der die das und ein eine el los las y".split())


@dataclass(frozen=True)
class Candidate:
    """One new item waiting to be grouped: the item and its feed's standing (briefed later, if chosen)."""

    key: str
    item: FeedItem
    feed_name: str
    priority: int = 0
    seen: datetime | None = None

    @property
    def when(self) -> datetime | None:
        """The best time we have for the item: published, else first seen."""
        return self.item.published or self.seen


def _stem(word: str) -> str:
    # A crude, language-agnostic suffix strip: "floods"/"flooding"/"flooded" meet at "flood".
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> frozenset[str]:
    """The comparable words of a text."""
    return frozenset(_stem(w) for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP and len(w) > 2)


# Enough raw markup to hold a 300-character lead: stripping a whole 50 KB content on the loop stalled it.
_RAW_LEAD = 2000


def _raw_lead(candidate: Candidate) -> str:
    return (candidate.item.summary or candidate.item.content or "")[:_RAW_LEAD]


def _lead(candidate: Candidate) -> str:
    # The feed's own lead: grouping runs before briefing so that only chosen stories are briefed.
    return strip_html(_raw_lead(candidate))[:300]


def _same_article(link: str | None) -> str | None:
    """The link as an article identity: outlets re-title one article, but it keeps its address."""
    if not link:
        return None
    parts = urlsplit(link)
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}?{parts.query}"


def signature(candidate: Candidate) -> frozenset[str]:
    """Headline plus lead tokens, the basis of the similarity."""
    return tokens(f"{candidate.item.title} {_lead(candidate)}")


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two token sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def group(candidates: Sequence[Candidate], threshold: float = SAME_STORY_THRESHOLD) -> list[list[Candidate]]:
    """Stories, each in input order: an item joins the group one of whose core members it matches best."""
    sigs = [signature(c) for c in candidates]
    links = [_same_article(c.item.link) for c in candidates]
    return [[candidates[i] for i in g] for g in _group_indices(sigs, threshold, links)]


def _group_indices(sigs: Sequence[frozenset[str]], threshold: float,
                   links: Sequence[str | None] = ()) -> list[list[int]]:
    members: list[list[int]] = []
    # token -> (group, item) for the core members only: an inverted index instead of all pairs.
    index: dict[str, list[tuple[int, int]]] = {}
    by_link: dict[str, int] = {}
    for i, sig in enumerate(sigs):
        link = links[i] if i < len(links) else None
        if link is not None and link in by_link:
            members[by_link[link]].append(i)
            continue
        shared: dict[tuple[int, int], int] = {}
        for token in sig:
            for entry in index.get(token, ()):
                shared[entry] = shared.get(entry, 0) + 1
        best, best_sim = -1, threshold
        for (g, j), common in shared.items():
            sim = common / (len(sig) + len(sigs[j]) - common)
            if sim >= best_sim and (best < 0 or sim > best_sim or g < best):
                best, best_sim = g, sim
        if best < 0:
            best = len(members)
            members.append([])
        members[best].append(i)
        if link is not None:
            by_link[link] = best
        if len(members[best]) <= CORE_SIZE:
            for token in sig:
                index.setdefault(token, []).append((best, i))
    return members


def _outlet(candidate: Candidate) -> str:
    return candidate.feed_name or urlsplit(candidate.item.link or "").netloc


def score(members: Sequence[Candidate], now: datetime) -> float:
    """Rank score: outlets carrying the story first, then recency (half-life 12 h), then priority."""
    outlets = len({_outlet(c) for c in members})
    times = [c.when for c in members if c.when is not None]
    age_h = max(0.0, (now - max(times)).total_seconds() / 3600) if times else 24.0
    recency = math.exp(-age_h * math.log(2) / 12)
    priority = max(c.priority for c in members)
    return outlets * 2.0 + recency + 0.5 * priority


def lead_order(members: Sequence[Candidate]) -> list[Candidate]:
    """Members in the order they should lead: feed priority, then the richest feed text, then earliest."""
    def key(c: Candidate) -> tuple[int, int, float]:
        when = c.when.timestamp() if c.when else float("inf")
        return (-c.priority, -len(c.item.content or c.item.summary or ""), when)
    return sorted(members, key=key)


def story_key(members: Sequence[Candidate]) -> str:
    """A stable id of a story: a hash of its members' item keys."""
    joined = "\n".join(sorted(f"{c.item.feed_id}\t{c.key}" for c in members))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:16]


def build_story(members: Sequence[Candidate], lead: Candidate, briefing: Briefing) -> Story:
    """One Story: the lead's briefing, with the other outlets' articles merged into its related links."""
    others = [c for c in lead_order(members) if c is not lead]
    related: list[Link] = []
    seen_urls = {lead.item.link, briefing.source.url}
    for c in others:
        url = c.item.link
        if url and url not in seen_urls:
            seen_urls.add(url)
            related.append(Link(title=f"{c.feed_name}: {c.item.title}" if c.feed_name else c.item.title, url=url))
    for link in briefing.related:
        if link.url not in seen_urls:
            seen_urls.add(link.url)
            related.append(link)
    sources = [Source(url=lead.item.link or briefing.source.url, site=lead.feed_name or briefing.source.site,
                      author=lead.item.author or briefing.source.author, published=lead.when or briefing.source.published)]
    sources += [Source(url=c.item.link, site=c.feed_name or urlsplit(c.item.link or "").netloc or None,
                       author=c.item.author, published=c.when) for c in others]
    return Story(key=story_key(members), briefing=replace(briefing, related=tuple(related)),
                 sources=tuple(sources), items=tuple(c.item for c in [lead, *others]))


def rank(groups: Sequence[Sequence[Candidate]], now: datetime) -> list[list[Candidate]]:
    """Groups best first."""
    return [list(g) for g in sorted(groups, key=lambda g: score(g, now), reverse=True)]


Row = tuple[str, str, str, int, float | None, str | None]  # title, raw lead, outlet, priority, POSIX time, raw link


def to_row(candidate: Candidate) -> Row:
    """What grouping and ranking read, as plain values: cheap to send to a worker process."""
    when = candidate.when
    # The lead and the link stay raw here: stripping and parsing are CPU work for the worker, not for
    # the event loop (4,000 urlsplit calls held the loop for 30-40 ms).
    return (candidate.item.title, _raw_lead(candidate), _outlet(candidate), candidate.priority,
            when.timestamp() if when else None, candidate.item.link)


def _score_rows(rows: Sequence[Row], now: float) -> float:
    outlets = len({r[2] for r in rows})
    times = [r[4] for r in rows if r[4] is not None]
    age_h = max(0.0, (now - max(times)) / 3600) if times else 24.0
    return outlets * 2.0 + math.exp(-age_h * math.log(2) / 12) + 0.5 * max(r[3] for r in rows)


def group_and_rank(rows: Sequence[Row], now: datetime, threshold: float = SAME_STORY_THRESHOLD) -> list[list[int]]:
    """Group then rank, in one worker call; returns positions in `rows`, best story first (same order as rank())."""
    sigs = [tokens(f"{r[0]} {strip_html(r[1])[:300]}") for r in rows]
    groups = _group_indices(sigs, threshold, [_same_article(r[5]) for r in rows])
    stamp = now.timestamp()
    return sorted(groups, key=lambda g: _score_rows([rows[i] for i in g], stamp), reverse=True)
