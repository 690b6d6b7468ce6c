"""The persistent store: SQLite through aiosqlite, WAL mode, versioned migrations.

Delivery states of an item for one digest (table `deliveries`):
    (no row) -> sending -> posted            a normal post
    (no row) -> skipped                      filtered, over a limit, ranked out, or failed
A row is written as `sending` and committed BEFORE the chat is asked to post, and turned to
`posted` (with the message id) right after the chat accepted it. A crash between the two
leaves `sending`: such items are never offered again (at-most-once), because posting a story
twice is the visible failure; `/why` reports them as "possibly posted, run interrupted".
Everything not yet `sending` is simply picked up by the next run, so a kill loses nothing.

Several processes may share one database (sharding). `mark_sending` is therefore a claim: it writes
nothing and returns False when any of the story's items is already `sending` or `posted` for that
digest, so two processes running the same digest at once post each story once. Feed fetches are
shared the same way through `claim_fetch` / `release_fetch`, one row per feed URL in `fetch_claims`:
a URL fetched less than `fresh_for` ago is reused, one being fetched under an unexpired lease is
waited for, and the lease of a holder that died simply runs out. Claims take SQLite's write lock
first (BEGIN IMMEDIATE), so their check and write are one atomic step across processes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import StoreError
from bot.models import FeedItem
from bot.store_schema import (
    CLAIM_FETCH_SQL,
    MIGRATIONS,
    RELEASE_FETCH_SQL,
    ClaimResult,
    FeedState,
    StoredItem,
    claim_verdict,
    epoch_ms,
    feed_state_from_row,
    from_iso,
    item_from_json,
    item_to_json,
    new_claim_token,
    stored_item_from_row,
    to_iso,
)

# The schema's names stay importable from here, where they lived before bot/store_schema.py.
__all__ = ["MIGRATIONS", "ClaimResult", "FeedState", "Store", "StoredItem", "item_from_json", "item_to_json"]

log = logging.getLogger(__name__)
BUSY_TIMEOUT = 30  # seconds a write waits for another process's write lock


class _Lost(Exception):
    """Raised inside a transaction to roll a lost claim back."""


async def _enable_wal(db: aiosqlite.Connection) -> None:
    """Switch the file to WAL mode; retried, because the switch needs the file to itself and, when several
    processes open a new database at once, SQLite reports "locked" without waiting for the busy timeout."""
    for attempt in range(100):
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == 99:
                raise
            await asyncio.sleep(0.05)


async def _begin_immediate(db: aiosqlite.Connection) -> None:
    """BEGIN IMMEDIATE, retried while SQLite answers "locked" without waiting: it does so when a read of
    another task on this same connection is still open on a snapshot that another process's commit has
    made stale (waiting could deadlock, so the busy timeout is skipped); that read ends within moments."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.002
    while True:
        try:
            await db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(0.1, pause * 2)


class Store:
    """Async SQLite store; `await Store.open(path)` and `await store.close()`."""

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self.db = db
        self.path = path
        # One connection serves every task of the process: writes take turns, so that one task's
        # commit never commits (or its rollback undoes) another task's half-done statements.
        self._write = asyncio.Lock()
        self._claims: dict[str, str] = {}

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        """Open (creating and migrating) the database at path; ":memory:" works for tests."""
        target = str(path)
        try:
            if target != ":memory:":
                Path(target).parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(target, timeout=BUSY_TIMEOUT)
            db.row_factory = aiosqlite.Row
            await _enable_wal(db)
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT * 1000}")
            store = cls(db, target)
            await store._migrate()
        except Exception as err:
            raise StoreError(f"cannot open the store at {target}: {err}") from err
        return store

    async def _migrate(self) -> None:
        await self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        async with self.db.execute("SELECT MAX(version) FROM schema_version") as cur:
            row = await cur.fetchone()
        current = (row[0] if row else None) or 0
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            try:
                await self.db.executescript(f"BEGIN IMMEDIATE; {script};"
                                            f" INSERT INTO schema_version VALUES ({version}); COMMIT;")
            except sqlite3.OperationalError:
                await self.db.rollback()
                if await self.schema_version() >= version:
                    continue  # another process opening the same file applied it first
                raise
            log.info("store migrated to schema version %d", version)

    async def schema_version(self) -> int:
        """The applied schema version."""
        async with self.db.execute("SELECT MAX(version) FROM schema_version") as cur:
            row = await cur.fetchone()
        return int(row[0] or 0) if row else 0

    async def close(self) -> None:
        """Close the connection (commits nothing pending: every write commits itself)."""
        await self.db.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """One write transaction, begun IMMEDIATE: it takes the database's write lock (waiting up to the
        busy timeout) before its first read, so a check and the write that depends on it are atomic across
        processes, and a write never fails at once with "database is locked" as a deferred transaction
        does when another connection wrote after it started reading."""
        async with self._write:
            await _begin_immediate(self.db)
            try:
                yield
            except BaseException:
                await self.db.rollback()
                raise
            await self.db.commit()

    # -- feeds -------------------------------------------------------------------------------------

    async def feed_state(self, feed_id: str) -> FeedState | None:
        """The stored state of a feed, or None if it was never fetched."""
        async with self.db.execute("SELECT * FROM feeds WHERE feed_id = ?", (feed_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else feed_state_from_row(row)

    async def record_fetch_ok(self, feed_id: str, url: str, *, status: int, etag: str | None,
                              last_modified: str | None, items: Sequence[tuple[str, FeedItem, str | None]],
                              now: datetime) -> tuple[int, bool]:
        """Store a successful fetch and its new items; returns (fetch sequence, was the feed paused)."""
        async with self._transaction():
            prev = await self.feed_state(feed_id)
            cur = await self.db.execute("INSERT INTO fetch_seq (feed_id, at) VALUES (?, ?)", (feed_id, to_iso(now)))
            seq = int(cur.lastrowid or 0)
            await self.db.executemany(
                "INSERT INTO items (feed_id, item_key, guid, link, title, published, first_seen, seq, filtered,"
                " data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_id, item_key) DO NOTHING",
                [(feed_id, key, it.guid, it.link, it.title, to_iso(it.published), to_iso(now), seq, reason,
                  item_to_json(it)) for key, it, reason in items])
            if prev is not None and status == 304:
                etag, last_modified = etag or prev.etag, last_modified or prev.last_modified
            await self.db.execute(
                "INSERT INTO feeds (feed_id, url, etag, last_modified, last_status, last_error, failures, next_try,"
                " paused, last_fetch, last_success, seq) VALUES (?, ?, ?, ?, ?, NULL, 0, NULL, 0, ?, ?, ?)"
                " ON CONFLICT (feed_id) DO UPDATE SET url=excluded.url, etag=excluded.etag,"
                " last_modified=excluded.last_modified, last_status=excluded.last_status, last_error=NULL,"
                " failures=0, next_try=NULL, paused=0, last_fetch=excluded.last_fetch,"
                " last_success=excluded.last_success, seq=excluded.seq",
                (feed_id, url, etag, last_modified, status, to_iso(now), to_iso(now), seq))
        return seq, bool(prev and prev.paused)

    async def record_fetch_error(self, feed_id: str, url: str, *, status: int | None, error: str, now: datetime,
                                 next_try: datetime, pause_after: int) -> tuple[FeedState, bool]:
        """Count a failed fetch; returns the new state and whether the feed just became paused."""
        async with self._transaction():
            prev = await self.feed_state(feed_id)
            failures = (prev.failures if prev else 0) + 1
            paused = failures >= pause_after
            await self.db.execute(
                "INSERT INTO feeds (feed_id, url, last_status, last_error, failures, next_try, paused, last_fetch)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_id) DO UPDATE SET url=excluded.url,"
                " last_status=excluded.last_status, last_error=excluded.last_error, failures=excluded.failures,"
                " next_try=excluded.next_try, paused=excluded.paused, last_fetch=excluded.last_fetch",
                (feed_id, url, status, error[:500], failures, to_iso(next_try), int(paused), to_iso(now)))
            state = await self.feed_state(feed_id)
        assert state is not None
        return state, paused and not (prev and prev.paused)

    async def claim_fetch(self, url: str, now: datetime, fresh_for: timedelta, lease: timedelta) -> ClaimResult:
        """Claim the fetch of a feed URL for `lease`: "fetch" (ours: fetch, then `release_fetch`), "fresh"
        (fetched less than `fresh_for` ago: reuse the stored items) or "busy" (another holder's lease runs)."""
        token, now_ms = new_claim_token(), epoch_ms(now)
        limit = now_ms - int(fresh_for.total_seconds() * 1000)
        async with self._transaction():
            async with self.db.execute(CLAIM_FETCH_SQL.format("?", "?", "?", "?", "?"),
                                       (url, token, now_ms + int(lease.total_seconds() * 1000), limit, now_ms)) as cur:
                won = await cur.fetchone() is not None
            if not won:
                async with self.db.execute("SELECT fetched_at FROM fetch_claims WHERE url = ?", (url,)) as cur:
                    row = await cur.fetchone()
        if won:
            self._claims[url] = token
            return "fetch"
        return claim_verdict(row[0] if row else None, limit)

    async def release_fetch(self, url: str, now: datetime, ok: bool) -> None:
        """End this process's claim on url; `ok` records the fetch as done at `now` (fresh for others)."""
        token = self._claims.pop(url, None)
        if token is None:
            return
        async with self._transaction():
            await self.db.execute(RELEASE_FETCH_SQL.format("?", "?", "?", "?"), (int(ok), epoch_ms(now), url, token))

    # -- items -------------------------------------------------------------------------------------

    async def known_keys(self, feed_id: str, keys: Iterable[str]) -> set[str]:
        """Which of these item keys the store already holds for the feed."""
        wanted = list(keys)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            async with self.db.execute(f"SELECT item_key FROM items WHERE feed_id = ? AND item_key IN ({marks})",
                                       (feed_id, *chunk)) as cur:
                found.update(row[0] for row in await cur.fetchall())
        return found

    async def baseline(self, digest_id: str, feed_id: str) -> int | None:
        """The fetch sequence after which a feed's items are new for a digest (None: not yet set)."""
        async with self.db.execute("SELECT since FROM baselines WHERE digest_id = ? AND feed_id = ?",
                                   (digest_id, feed_id)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def set_baseline(self, digest_id: str, feed_id: str, since: int, now: datetime) -> None:
        """Record where a digest starts reading a feed (first sight)."""
        async with self._transaction():
            await self.db.execute("INSERT OR IGNORE INTO baselines VALUES (?, ?, ?, ?)",
                                  (digest_id, feed_id, since, to_iso(now)))

    async def candidates(self, digest_id: str, feed_id: str, since: int) -> list[StoredItem]:
        """Unfiltered items of a feed seen after `since` and not yet delivered or skipped for the digest."""
        sql = ("SELECT i.* FROM items i WHERE i.feed_id = ? AND i.seq > ? AND i.filtered IS NULL AND NOT EXISTS"
               " (SELECT 1 FROM deliveries d WHERE d.digest_id = ? AND d.feed_id = i.feed_id"
               " AND d.item_key = i.item_key) ORDER BY COALESCE(i.published, i.first_seen) DESC, i.seq DESC")
        async with self.db.execute(sql, (feed_id, since, digest_id)) as cur:
            rows = await cur.fetchall()
        return [stored_item_from_row(r) for r in rows]

    async def record_item_error(self, feed_id: str, key: str, error: str | None) -> None:
        """Remember why an item's article page could not be briefed (None clears it)."""
        async with self._transaction():
            await self.db.execute("UPDATE items SET error = ? WHERE feed_id = ? AND item_key = ?",
                                  (error[:500] if error else None, feed_id, key))

    # -- deliveries --------------------------------------------------------------------------------

    async def mark_skipped(self, digest_id: str, keys: Iterable[tuple[str, str]], reason: str,
                           now: datetime, story_key: str | None = None) -> None:
        """Record items (feed_id, key) that this digest will not post, and why."""
        async with self._transaction():
            await self.db.executemany(
                "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, 'skipped', ?, ?, ?)",
                [(digest_id, feed_id, key, story_key, reason, to_iso(now)) for feed_id, key in keys])

    async def mark_sending(self, digest_id: str, channel: str, story_key: str, headline: str,
                           briefing: dict[str, Any], keys: Iterable[tuple[str, str]], now: datetime) -> bool:
        """Claim a story and commit the intent to post it BEFORE asking the chat (see the module
        docstring); False, writing nothing, when the story or any of its items is already `sending`
        or `posted` for the digest (another process has it)."""
        wanted = list(dict.fromkeys(keys))
        try:
            async with self._transaction():
                async with self.db.execute("SELECT 1 FROM stories WHERE digest_id = ? AND story_key = ?"
                                           " AND state IN ('sending', 'posted')", (digest_id, story_key)) as cur:
                    if await cur.fetchone() is not None:
                        raise _Lost
                for feed_id, key in wanted:
                    async with self.db.execute(
                            "SELECT 1 FROM deliveries WHERE digest_id = ? AND feed_id = ? AND item_key = ?"
                            " AND state IN ('sending', 'posted')", (digest_id, feed_id, key)) as cur:
                        if await cur.fetchone() is not None:
                            raise _Lost
                await self.db.execute(
                    "INSERT OR REPLACE INTO stories VALUES (?, ?, ?, ?, ?, NULL, 'sending', ?, NULL)",
                    (story_key, digest_id, channel, headline, json.dumps(briefing, ensure_ascii=False), to_iso(now)))
                await self.db.executemany(
                    "INSERT OR REPLACE INTO deliveries VALUES (?, ?, ?, 'sending', ?, NULL, ?)",
                    [(digest_id, feed_id, key, story_key, to_iso(now)) for feed_id, key in wanted])
        except _Lost:
            return False
        return True

    async def mark_posted(self, digest_id: str, story_key: str, message_id: str, now: datetime) -> None:
        """The chat accepted the story: its items are posted."""
        async with self._transaction():
            await self.db.execute("UPDATE stories SET state='posted', message_id=?, posted_at=? WHERE digest_id=?"
                                  " AND story_key=?", (message_id, to_iso(now), digest_id, story_key))
            await self.db.execute("UPDATE deliveries SET state='posted', at=? WHERE digest_id=? AND story_key=?"
                                  " AND state='sending'", (to_iso(now), digest_id, story_key))

    async def mark_send_failed(self, digest_id: str, story_key: str, error: str) -> None:
        """The chat refused the story for sure: forget the intent so the next run tries again."""
        async with self._transaction():
            await self.db.execute("DELETE FROM deliveries WHERE digest_id=? AND story_key=? AND state='sending'",
                                  (digest_id, story_key))
            await self.db.execute("UPDATE stories SET state='failed', briefing=json_set(briefing, '$.error', ?)"
                                  " WHERE digest_id=? AND story_key=?", (error[:500], digest_id, story_key))

    # -- runs --------------------------------------------------------------------------------------

    async def last_run(self, digest_id: str) -> datetime | None:
        """The scheduled time of the digest's last run, if any."""
        async with self.db.execute("SELECT last_scheduled FROM runs WHERE digest_id = ?", (digest_id,)) as cur:
            row = await cur.fetchone()
        return from_iso(row[0]) if row else None

    async def record_run(self, digest_id: str, scheduled: datetime, finished: datetime) -> None:
        """Remember that a digest ran for the schedule slot `scheduled`."""
        async with self._transaction():
            await self.db.execute("INSERT INTO runs VALUES (?, ?, ?) ON CONFLICT (digest_id) DO UPDATE SET"
                                  " last_scheduled=excluded.last_scheduled, last_finished=excluded.last_finished",
                                  (digest_id, to_iso(scheduled), to_iso(finished)))

    # -- explaining --------------------------------------------------------------------------------

    async def items_by_link(self, url: str) -> list[dict[str, Any]]:
        """Every stored item whose link is url, with its deliveries and stories (for /why)."""
        async with self.db.execute("SELECT feed_id, item_key, title, first_seen, seq, filtered, error FROM items"
                                   " WHERE link = ? OR item_key = ?", (url, "g:" + url)) as cur:
            items = [dict(r) for r in await cur.fetchall()]
        for item in items:
            async with self.db.execute(
                    "SELECT d.digest_id, d.state, d.reason, d.at, d.story_key, s.channel, s.message_id, s.headline,"
                    " s.posted_at FROM deliveries d LEFT JOIN stories s ON s.digest_id = d.digest_id"
                    " AND s.story_key = d.story_key WHERE d.feed_id = ? AND d.item_key = ?",
                    (item["feed_id"], item["item_key"])) as cur:
                item["deliveries"] = [dict(r) for r in await cur.fetchall()]
        return items
