"""One interface over the two store back-ends: `StoreLike`, and `open_store` choosing by the configuration."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.errors import StoreError
from bot.models import FeedItem
from bot.settings import StorageSettings
from bot.store import Store
from bot.store_schema import ClaimResult, FeedState, StoredItem

if TYPE_CHECKING:
    from bot.store_pg import PgStore

PG_SCHEMES = ("postgresql://", "postgres://")


class StoreLike(Protocol):
    """What the digest service, /why and the app need from a store (SQLite `Store` and `PgStore` both are)."""

    async def schema_version(self) -> int:
        """The applied schema version."""
        ...

    async def close(self) -> None:
        """Release the connection(s)."""
        ...

    async def feed_state(self, feed_id: str) -> FeedState | None:
        """The stored state of a feed, or None if it was never fetched."""
        ...

    async def record_fetch_ok(self, feed_id: str, url: str, *, status: int, etag: str | None,
                              last_modified: str | None, items: Sequence[tuple[str, FeedItem, str | None]],
                              now: datetime) -> tuple[int, bool]:
        """Store a successful fetch and its new items; returns (fetch sequence, was the feed paused)."""
        ...

    async def record_fetch_error(self, feed_id: str, url: str, *, status: int | None, error: str, now: datetime,
                                 next_try: datetime, pause_after: int) -> tuple[FeedState, bool]:
        """Count a failed fetch; returns the new state and whether the feed just became paused."""
        ...

    async def claim_fetch(self, url: str, now: datetime, fresh_for: timedelta, lease: timedelta) -> ClaimResult:
        """Claim the fetch of a feed URL across processes: "fetch" (ours), "fresh" (reuse) or "busy"."""
        ...

    async def release_fetch(self, url: str, now: datetime, ok: bool) -> None:
        """End this process's claim on url; `ok` records the fetch as done at `now`."""
        ...

    async def known_keys(self, feed_id: str, keys: Iterable[str]) -> set[str]:
        """Which of these item keys the store already holds for the feed."""
        ...

    async def baseline(self, digest_id: str, feed_id: str) -> int | None:
        """The fetch sequence after which a feed's items are new for a digest (None: not yet set)."""
        ...

    async def set_baseline(self, digest_id: str, feed_id: str, since: int, now: datetime) -> None:
        """Record where a digest starts reading a feed (first sight)."""
        ...

    async def candidates(self, digest_id: str, feed_id: str, since: int) -> list[StoredItem]:
        """Unfiltered items of a feed seen after `since` and not yet delivered or skipped for the digest."""
        ...

    async def record_item_error(self, feed_id: str, key: str, error: str | None) -> None:
        """Remember why an item's article page could not be briefed (None clears it)."""
        ...

    async def mark_skipped(self, digest_id: str, keys: Iterable[tuple[str, str]], reason: str,
                           now: datetime, story_key: str | None = None) -> None:
        """Record items (feed_id, key) that this digest will not post, and why."""
        ...

    async def mark_sending(self, digest_id: str, channel: str, story_key: str, headline: str,
                           briefing: dict[str, Any], keys: Iterable[tuple[str, str]], now: datetime) -> bool:
        """Claim a story and commit the intent to post it before asking the chat; False if another has it."""
        ...

    async def mark_posted(self, digest_id: str, story_key: str, message_id: str, now: datetime) -> None:
        """The chat accepted the story: its items are posted."""
        ...

    async def mark_send_failed(self, digest_id: str, story_key: str, error: str) -> None:
        """The chat refused the story for sure: forget the intent so the next run tries again."""
        ...

    async def last_run(self, digest_id: str) -> datetime | None:
        """The scheduled time of the digest's last run, if any."""
        ...

    async def record_run(self, digest_id: str, scheduled: datetime, finished: datetime) -> None:
        """Remember that a digest ran for the schedule slot `scheduled`."""
        ...

    async def items_by_link(self, url: str) -> list[dict[str, Any]]:
        """Every stored item whose link is url, with its deliveries and stories (for /why)."""
        ...


def is_pg_url(url: str | None) -> bool:
    """Whether a storage URL names a PostgreSQL database."""
    return bool(url) and str(url).lower().startswith(PG_SCHEMES)


async def open_store(storage: StorageSettings) -> Store | PgStore:
    """The configured store: PostgreSQL when `storage.url` is a postgresql:// URL, else SQLite at `storage.path`."""
    if storage.url and is_pg_url(storage.url):
        # Imported here so that SQLite-only runs never load asyncpg.
        from bot.store_pg import PgStore

        return await PgStore.open(storage.url)
    if storage.url:
        # Falling back to SQLite would quietly split the state of processes that meant to share a database.
        raise StoreError("storage.url must start with postgresql:// or postgres:// (or be left out for SQLite)")
    return await Store.open(storage.path)


if TYPE_CHECKING:
    # mypy proves here that both back-ends satisfy the protocol.
    def _conforms(sqlite: Store, pg: PgStore) -> tuple[StoreLike, StoreLike]:
        return sqlite, pg
