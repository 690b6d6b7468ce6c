"""The store's schema, shared by both back-ends: the migrations, the fetch-claim statements, and the
row types with their conversions (SQLite's bot/store.py and PostgreSQL's bot/store_pg.py use them all)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from bot.models import FeedItem

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE feeds (
        feed_id TEXT PRIMARY KEY, url TEXT NOT NULL, etag TEXT, last_modified TEXT,
        last_status INTEGER, last_error TEXT, failures INTEGER NOT NULL DEFAULT 0,
        next_try TEXT, paused INTEGER NOT NULL DEFAULT 0, last_fetch TEXT, last_success TEXT, seq INTEGER
    );
    CREATE TABLE fetch_seq (seq INTEGER PRIMARY KEY AUTOINCREMENT, feed_id TEXT NOT NULL, at TEXT NOT NULL);
    CREATE TABLE items (
        feed_id TEXT NOT NULL, item_key TEXT NOT NULL, guid TEXT, link TEXT, title TEXT,
        published TEXT, first_seen TEXT NOT NULL, seq INTEGER NOT NULL, filtered TEXT, error TEXT,
        data TEXT NOT NULL, PRIMARY KEY (feed_id, item_key)
    );
    CREATE INDEX items_link ON items(link);
    CREATE INDEX items_seq ON items(feed_id, seq);
    CREATE TABLE baselines (digest_id TEXT NOT NULL, feed_id TEXT NOT NULL, since INTEGER NOT NULL,
                            created TEXT NOT NULL, PRIMARY KEY (digest_id, feed_id));
    CREATE TABLE stories (
        story_key TEXT NOT NULL, digest_id TEXT NOT NULL, channel TEXT, headline TEXT, briefing TEXT,
        message_id TEXT, state TEXT NOT NULL, created TEXT NOT NULL, posted_at TEXT,
        PRIMARY KEY (digest_id, story_key)
    );
    CREATE TABLE deliveries (
        digest_id TEXT NOT NULL, feed_id TEXT NOT NULL, item_key TEXT NOT NULL, state TEXT NOT NULL,
        story_key TEXT, reason TEXT, at TEXT NOT NULL, PRIMARY KEY (digest_id, feed_id, item_key)
    );
    CREATE TABLE runs (digest_id TEXT PRIMARY KEY, last_scheduled TEXT, last_finished TEXT);
    """,
    # 2: cross-process fetch claims, one row per feed URL; times in milliseconds since the epoch so
    # that both back-ends compare them as plain integers
    """
    CREATE TABLE fetch_claims (url TEXT PRIMARY KEY, holder TEXT, lease_until INTEGER, fetched_at INTEGER);
    """,
)

ClaimResult = Literal["fetch", "fresh", "busy"]

# One upsert decides a fetch claim atomically on both back-ends (SQLite >= 3.35 and PostgreSQL): the
# row is taken only when nobody fetched the URL within the freshness window and no lease is running.
# Parameters: url, holder token, lease end, freshness limit (fetched_at must exceed it), now.
CLAIM_FETCH_SQL = (
    "INSERT INTO fetch_claims (url, holder, lease_until, fetched_at) VALUES ({0}, {1}, {2}, NULL)"
    " ON CONFLICT (url) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until"
    " WHERE (fetch_claims.fetched_at IS NULL OR fetch_claims.fetched_at <= {3})"
    " AND (fetch_claims.lease_until IS NULL OR fetch_claims.lease_until <= {4}) RETURNING holder")
# Parameters: ok, now, url, holder token. A holder whose lease was taken over changes nothing.
RELEASE_FETCH_SQL = (
    "UPDATE fetch_claims SET fetched_at = CASE WHEN {0} THEN {1} ELSE fetched_at END, holder = NULL,"
    " lease_until = NULL WHERE url = {2} AND holder = {3}")


def epoch_ms(value: datetime) -> int:
    """A time as whole milliseconds since the Unix epoch (how fetch claims store times)."""
    return int(value.timestamp() * 1000)


def claim_verdict(fetched_at: int | None, fresh_limit: int) -> ClaimResult:
    """What a claim that did not win means: the URL is fresh, or someone holds its lease."""
    return "fresh" if fetched_at is not None and fetched_at > fresh_limit else "busy"


def new_claim_token() -> str:
    """A token naming one claim, so that only its holder can release it."""
    return uuid.uuid4().hex



def to_iso(value: datetime | None) -> str | None:
    """A time as ISO-8601 text in UTC (how the store keeps times), None for None."""
    return value.astimezone(UTC).isoformat() if value else None


def from_iso(value: str | None) -> datetime | None:
    """The inverse of to_iso."""
    return datetime.fromisoformat(value) if value else None


def item_to_json(item: FeedItem) -> str:
    """The item as JSON (kept so a restart can brief it again from the store)."""
    data = {k: getattr(item, k) for k in ("feed_id", "title", "link", "guid", "author", "summary",
                                          "content", "image", "language")}
    data["published"] = to_iso(item.published)
    data["updated"] = to_iso(item.updated)
    return json.dumps(data, ensure_ascii=False)


def item_from_json(text: str) -> FeedItem:
    """The inverse of item_to_json."""
    data: dict[str, Any] = json.loads(text)
    data["published"] = from_iso(data.get("published"))
    data["updated"] = from_iso(data.get("updated"))
    return FeedItem(**data)


@dataclass(frozen=True)
class FeedState:
    """What the store remembers of one feed: validators and health."""

    feed_id: str
    url: str
    etag: str | None
    last_modified: str | None
    last_status: int | None
    last_error: str | None
    failures: int
    next_try: datetime | None
    paused: bool
    last_success: datetime | None
    seq: int | None


@dataclass(frozen=True)
class StoredItem:
    """An item as stored, with its store key and fetch sequence."""

    key: str
    item: FeedItem
    seq: int
    first_seen: datetime
    filtered: str | None
    error: str | None


class Row(Protocol):
    """A result row looked up by column name (sqlite3.Row and asyncpg.Record both are)."""

    def __getitem__(self, key: str, /) -> Any: ...


def feed_state_from_row(row: Row) -> FeedState:
    """A `feeds` row (SQLite or PostgreSQL, same columns) as a FeedState."""
    return FeedState(feed_id=row["feed_id"], url=row["url"], etag=row["etag"], last_modified=row["last_modified"],
                     last_status=row["last_status"], last_error=row["last_error"], failures=row["failures"],
                     next_try=from_iso(row["next_try"]), paused=bool(row["paused"]),
                     last_success=from_iso(row["last_success"]), seq=row["seq"])


def stored_item_from_row(row: Row) -> StoredItem:
    """An `items` row (SQLite or PostgreSQL, same columns) as a StoredItem."""
    return StoredItem(key=row["item_key"], item=item_from_json(row["data"]), seq=row["seq"],
                      first_seen=datetime.fromisoformat(row["first_seen"]), filtered=row["filtered"],
                      error=row["error"])
