"""Plain frozen data that flows through the pipeline: no behaviour beyond small derived values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ActorKind = Literal["person", "organization", "location"]


@dataclass(frozen=True)
class Link:
    """A link the article offers, with its visible title."""

    title: str
    url: str


@dataclass(frozen=True)
class Article:
    """The readable content of one page or text, as extracted."""

    headline: str
    paragraphs: tuple[str, ...]
    url: str | None = None
    canonical_url: str | None = None
    author: str | None = None
    published: datetime | None = None
    site: str | None = None
    language: str | None = None
    image: str | None = None
    related: tuple[Link, ...] = ()
    description: str | None = None

    @property
    def text(self) -> str:
        """The main text, paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Actor:
    """A key person, organisation or location of a story."""

    name: str
    kind: ActorKind
    role: str | None = None
    mentions: int = 1
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """Where a briefing's article came from."""

    url: str | None = None
    site: str | None = None
    author: str | None = None
    published: datetime | None = None


@dataclass(frozen=True)
class Stats:
    """How much shorter the briefing is, and what it cost."""

    words_in: int
    words_out: int
    reduction_percent: float
    elapsed_ms: float


@dataclass(frozen=True)
class Briefing:
    """Everything a reader gets about one article."""

    headline: str
    summary: tuple[str, ...]
    actors: tuple[Actor, ...]
    related: tuple[Link, ...]
    source: Source
    language: str
    text: str
    stats: Stats
    image: str | None = None


@dataclass(frozen=True)
class FeedItem:
    """One entry of a news feed."""

    feed_id: str
    title: str
    link: str | None
    guid: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    author: str | None = None
    summary: str | None = None
    content: str | None = None
    image: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Story:
    """One story of a digest: the lead briefing and every outlet that carried it."""

    key: str
    briefing: Briefing
    sources: tuple[Source, ...] = ()
    items: tuple[FeedItem, ...] = field(default=())
