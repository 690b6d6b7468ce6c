"""The persistent store on PostgreSQL through asyncpg: the same schema, states and behaviour as bot/store.py.

The migrations are bot.store_schema.MIGRATIONS, translated by `pg_migration` (SQLite's AUTOINCREMENT becomes a
BIGSERIAL, INTEGER becomes BIGINT because SQLite integers are 64-bit), so one list describes both schemas.
Times stay ISO-8601 text in UTC, as on SQLite, so ordering and round trips are identical.

Every method runs in one transaction on a connection from a pool (asyncpg connections take one query at
a time, and the digest service calls the store from concurrent tasks). Where the SQLite store reads a
feed's state and then writes it, this one locks the row first (`_lock_feed`) so that several
processes sharing the database count failures and keep validators without lost updates. The delivery
states, their at-most-once rule and the claims (`mark_sending`, `claim_fetch`) are the ones described in
bot/store.py; here the claims are upserts whose WHERE is evaluated on the latest committed row, which
PostgreSQL locks for the rest of the transaction.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

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
    item_to_json,
    new_claim_token,
    stored_item_from_row,
)

log = logging.getLogger(__name__)

# Any fixed key works: it only has to be the same in every process that migrates this database.
_MIGRATION_LOCK = 0x6E657773  # "news"
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def pg_migration(script: str) -> str:
    """One SQLite migration script in PostgreSQL's dialect."""
    script = re.sub(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", "BIGSERIAL PRIMARY KEY", script, flags=re.I)
    return re.sub(r"\bINTEGER\b", "BIGINT", script, flags=re.I)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _redact(url: str) -> str:
    """The URL without its password, for error messages and logs."""
    return re.sub(r"(://[^/:@]*):[^/@]*@", r"\1:***@", url)


class _Lost(Exception):
    """Raised inside a transaction to roll a lost claim back."""


async def _lock_feed(conn: asyncpg.Connection, feed_id: str, url: str) -> asyncpg.Record | None:
    """Lock the feed's row for this transaction; returns it as it was, or None if the feed is new.

    A row that does not exist yet cannot be locked, so a new feed gets a placeholder row first: a
    concurrent transaction waits on its key until this one commits, then reads the committed row."""
    created = await conn.fetchval("INSERT INTO feeds (feed_id, url) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                                  " RETURNING feed_id", feed_id, url)
    if created is not None:
        return None
    return await conn.fetchrow("SELECT * FROM feeds WHERE feed_id = $1 FOR UPDATE", feed_id)


class PgStore:
    """Async PostgreSQL store; `await PgStore.open(url)` and `await store.close()`."""

    def __init__(self, pool: asyncpg.Pool, url: str, schema: str | None) -> None:
        self.pool = pool
        self.url = url
        self.schema = schema
        self._claims: dict[str, str] = {}

    @classmethod
    async def open(cls, url: str, *, schema: str | None = None, min_size: int = 1, max_size: int = 8) -> PgStore:
        """Connect to url (creating and migrating the schema); `schema` keeps the tables in their own schema."""
        if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
            raise StoreError(f"invalid PostgreSQL schema name {schema!r}")
        settings = {"search_path": schema} if schema else {}
        try:
            if schema:
                conn = await asyncpg.connect(url, timeout=10)
                try:
                    async with conn.transaction():
                        # IF NOT EXISTS alone races: two processes creating it at once, one fails.
                        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                finally:
                    await conn.close()
            pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, timeout=10,
                                             command_timeout=60, server_settings=settings)
        except Exception as err:
            raise StoreError(f"cannot open the store at {_redact(url)}: {err}") from err
        store = cls(pool, url, schema)
        try:
            await store._migrate()
        except Exception as err:
            await pool.close()
            raise StoreError(f"cannot migrate the store at {_redact(url)}: {err}") from err
        return store

    async def _migrate(self) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            # Two processes starting together must not both apply a migration.
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            current = await conn.fetchval("SELECT MAX(version) FROM schema_version") or 0
            for version, script in enumerate(MIGRATIONS, start=1):
                if version <= current:
                    continue
                await conn.execute(pg_migration(script))
                await conn.execute("INSERT INTO schema_version VALUES ($1)", version)
                log.info("store migrated to schema version %d", version)

    async def schema_version(self) -> int:
        """The applied schema version."""
        return int(await self.pool.fetchval("SELECT MAX(version) FROM schema_version") or 0)

    async def close(self) -> None:
        """Close the pool (commits nothing pending: every write commits itself)."""
        await self.pool.close()

    # -- feeds -------------------------------------------------------------------------------------

    async def feed_state(self, feed_id: str) -> FeedState | None:
        """The stored state of a feed, or None if it was never fetched."""
        row = await self.pool.fetchrow("SELECT * FROM feeds WHERE feed_id = $1", feed_id)
        return None if row is None else feed_state_from_row(row)

    async def record_fetch_ok(self, feed_id: str, url: str, *, status: int, etag: str | None,
                              last_modified: str | None, items: Sequence[tuple[str, FeedItem, str | None]],
                              now: datetime) -> tuple[int, bool]:
        """Store a successful fetch and its new items; returns (fetch sequence, was the feed paused)."""
        async with self.pool.acquire() as conn, conn.transaction():
            prev = await _lock_feed(conn, feed_id, url)
            seq = int(await conn.fetchval("INSERT INTO fetch_seq (feed_id, at) VALUES ($1, $2) RETURNING seq",
                                          feed_id, _iso(now)))
            if items:
                await conn.executemany(
                    "INSERT INTO items (feed_id, item_key, guid, link, title, published, first_seen, seq, filtered,"
                    " data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (feed_id, item_key) DO NOTHING",
                    [(feed_id, key, it.guid, it.link, it.title, _iso(it.published), _iso(now), seq, reason,
                      item_to_json(it)) for key, it, reason in items])
            if prev is not None and status == 304:
                etag, last_modified = etag or prev["etag"], last_modified or prev["last_modified"]
            await conn.execute(
                "INSERT INTO feeds (feed_id, url, etag, last_modified, last_status, last_error, failures, next_try,"
                " paused, last_fetch, last_success, seq) VALUES ($1, $2, $3, $4, $5, NULL, 0, NULL, 0, $6, $6, $7)"
                " ON CONFLICT (feed_id) DO UPDATE SET url=excluded.url, etag=excluded.etag,"
                " last_modified=excluded.last_modified, last_status=excluded.last_status, last_error=NULL,"
                " failures=0, next_try=NULL, paused=0, last_fetch=excluded.last_fetch,"
                " last_success=excluded.last_success, seq=excluded.seq",
                feed_id, url, etag, last_modified, status, _iso(now), seq)
        return seq, bool(prev and prev["paused"])

    async def record_fetch_error(self, feed_id: str, url: str, *, status: int | None, error: str, now: datetime,
                                 next_try: datetime, pause_after: int) -> tuple[FeedState, bool]:
        """Count a failed fetch; returns the new state and whether the feed just became paused."""
        async with self.pool.acquire() as conn, conn.transaction():
            prev = await _lock_feed(conn, feed_id, url)
            failures = (prev["failures"] if prev else 0) + 1
            paused = failures >= pause_after
            row = await conn.fetchrow(
                "INSERT INTO feeds (feed_id, url, last_status, last_error, failures, next_try, paused, last_fetch)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (feed_id) DO UPDATE SET url=excluded.url,"
                " last_status=excluded.last_status, last_error=excluded.last_error, failures=excluded.failures,"
                " next_try=excluded.next_try, paused=excluded.paused, last_fetch=excluded.last_fetch RETURNING *",
                feed_id, url, status, error[:500], failures, _iso(next_try), int(paused), _iso(now))
        return feed_state_from_row(row), paused and not (prev and prev["paused"])

    async def claim_fetch(self, url: str, now: datetime, fresh_for: timedelta, lease: timedelta) -> ClaimResult:
        """Claim the fetch of a feed URL for `lease`: "fetch" (ours: fetch, then `release_fetch`), "fresh"
        (fetched less than `fresh_for` ago: reuse the stored items) or "busy" (another holder's lease runs)."""
        token, now_ms = new_claim_token(), epoch_ms(now)
        limit = now_ms - int(fresh_for.total_seconds() * 1000)
        async with self.pool.acquire() as conn, conn.transaction():
            won = await conn.fetchval(CLAIM_FETCH_SQL.format("$1", "$2", "$3", "$4", "$5"), url, token,
                                      now_ms + int(lease.total_seconds() * 1000), limit, now_ms)
            fetched_at = None if won else await conn.fetchval("SELECT fetched_at FROM fetch_claims WHERE url = $1",
                                                              url)
        if won:
            self._claims[url] = token
            return "fetch"
        return claim_verdict(fetched_at, limit)

    async def release_fetch(self, url: str, now: datetime, ok: bool) -> None:
        """End this process's claim on url; `ok` records the fetch as done at `now` (fresh for others)."""
        token = self._claims.pop(url, None)
        if token is None:
            return
        await self.pool.execute(RELEASE_FETCH_SQL.format("$1::boolean", "$2::bigint", "$3", "$4"), ok, epoch_ms(now),
                                url, token)

    # -- items -------------------------------------------------------------------------------------

    async def known_keys(self, feed_id: str, keys: Iterable[str]) -> set[str]:
        """Which of these item keys the store already holds for the feed."""
        rows = await self.pool.fetch("SELECT item_key FROM items WHERE feed_id = $1 AND item_key = ANY($2::text[])",
                                     feed_id, list(keys))
        return {row[0] for row in rows}

    async def baseline(self, digest_id: str, feed_id: str) -> int | None:
        """The fetch sequence after which a feed's items are new for a digest (None: not yet set)."""
        since = await self.pool.fetchval("SELECT since FROM baselines WHERE digest_id = $1 AND feed_id = $2",
                                         digest_id, feed_id)
        return None if since is None else int(since)

    async def set_baseline(self, digest_id: str, feed_id: str, since: int, now: datetime) -> None:
        """Record where a digest starts reading a feed (first sight)."""
        await self.pool.execute("INSERT INTO baselines VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                                digest_id, feed_id, since, _iso(now))

    async def candidates(self, digest_id: str, feed_id: str, since: int) -> list[StoredItem]:
        """Unfiltered items of a feed seen after `since` and not yet delivered or skipped for the digest."""
        rows = await self.pool.fetch(
            "SELECT i.* FROM items i WHERE i.feed_id = $1 AND i.seq > $2 AND i.filtered IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM deliveries d WHERE d.digest_id = $3 AND d.feed_id = i.feed_id"
            " AND d.item_key = i.item_key) ORDER BY COALESCE(i.published, i.first_seen) DESC, i.seq DESC",
            feed_id, since, digest_id)
        return [stored_item_from_row(r) for r in rows]

    async def record_item_error(self, feed_id: str, key: str, error: str | None) -> None:
        """Remember why an item's article page could not be briefed (None clears it)."""
        await self.pool.execute("UPDATE items SET error = $1 WHERE feed_id = $2 AND item_key = $3",
                                error[:500] if error else None, feed_id, key)

    # -- deliveries --------------------------------------------------------------------------------

    async def mark_skipped(self, digest_id: str, keys: Iterable[tuple[str, str]], reason: str,
                           now: datetime, story_key: str | None = None) -> None:
        """Record items (feed_id, key) that this digest will not post, and why."""
        rows = [(digest_id, feed_id, key, story_key, reason, _iso(now)) for feed_id, key in keys]
        if not rows:
            return
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.executemany("INSERT INTO deliveries VALUES ($1, $2, $3, 'skipped', $4, $5, $6)"
                                   " ON CONFLICT DO NOTHING", rows)

    async def mark_sending(self, digest_id: str, channel: str, story_key: str, headline: str,
                           briefing: dict[str, Any], keys: Iterable[tuple[str, str]], now: datetime) -> bool:
        """Claim a story and commit the intent to post it BEFORE asking the chat (see bot/store.py's
        docstring); False, writing nothing, when the story or any of its items is already `sending` or
        `posted` for the digest (another process has it)."""
        # Sorted: two claims over overlapping items lock their rows in the same order and cannot deadlock.
        wanted = sorted(set(keys))
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                # The upserts replace every column, as SQLite's INSERT OR REPLACE does, unless the row
                # already holds a live claim: then nothing is returned and the claim is lost.
                won = await conn.fetchval(
                    "INSERT INTO stories VALUES ($1, $2, $3, $4, $5, NULL, 'sending', $6, NULL)"
                    " ON CONFLICT (digest_id, story_key) DO UPDATE SET channel=excluded.channel,"
                    " headline=excluded.headline, briefing=excluded.briefing, message_id=NULL, state='sending',"
                    " created=excluded.created, posted_at=NULL WHERE stories.state NOT IN ('sending', 'posted')"
                    " RETURNING 1",
                    story_key, digest_id, channel, headline, json.dumps(briefing, ensure_ascii=False), _iso(now))
                if won is None:
                    raise _Lost
                if wanted:
                    taken = await conn.fetch(
                        "INSERT INTO deliveries SELECT $1, k.feed_id, k.item_key, 'sending', $2, NULL, $3"
                        " FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS k(feed_id, item_key, n) ORDER BY k.n"
                        " ON CONFLICT (digest_id, feed_id, item_key) DO UPDATE SET state='sending',"
                        " story_key=excluded.story_key, reason=NULL, at=excluded.at"
                        " WHERE deliveries.state NOT IN ('sending', 'posted') RETURNING 1",
                        digest_id, story_key, _iso(now), [f for f, _ in wanted], [k for _, k in wanted])
                    if len(taken) != len(wanted):
                        raise _Lost
        except (_Lost, asyncpg.DeadlockDetectedError):
            # A deadlock victim lost a race to another claimant, which PostgreSQL let through.
            return False
        return True

    async def mark_posted(self, digest_id: str, story_key: str, message_id: str, now: datetime) -> None:
        """The chat accepted the story: its items are posted."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("UPDATE stories SET state='posted', message_id=$1, posted_at=$2 WHERE digest_id=$3"
                               " AND story_key=$4", message_id, _iso(now), digest_id, story_key)
            await conn.execute("UPDATE deliveries SET state='posted', at=$1 WHERE digest_id=$2 AND story_key=$3"
                               " AND state='sending'", _iso(now), digest_id, story_key)

    async def mark_send_failed(self, digest_id: str, story_key: str, error: str) -> None:
        """The chat refused the story for sure: forget the intent so the next run tries again."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM deliveries WHERE digest_id=$1 AND story_key=$2 AND state='sending'",
                               digest_id, story_key)
            # SQLite's json_set(briefing, '$.error', ?): the briefing stays JSON text with an "error" key.
            await conn.execute("UPDATE stories SET state='failed', briefing=(briefing::jsonb"
                               " || jsonb_build_object('error', $1::text))::text WHERE digest_id=$2 AND story_key=$3",
                               error[:500], digest_id, story_key)

    # -- runs --------------------------------------------------------------------------------------

    async def last_run(self, digest_id: str) -> datetime | None:
        """The scheduled time of the digest's last run, if any."""
        return _dt(await self.pool.fetchval("SELECT last_scheduled FROM runs WHERE digest_id = $1", digest_id))

    async def record_run(self, digest_id: str, scheduled: datetime, finished: datetime) -> None:
        """Remember that a digest ran for the schedule slot `scheduled`."""
        await self.pool.execute("INSERT INTO runs VALUES ($1, $2, $3) ON CONFLICT (digest_id) DO UPDATE SET"
                                " last_scheduled=excluded.last_scheduled, last_finished=excluded.last_finished",
                                digest_id, _iso(scheduled), _iso(finished))

    # -- explaining --------------------------------------------------------------------------------

    async def items_by_link(self, url: str) -> list[dict[str, Any]]:
        """Every stored item whose link is url, with its deliveries and stories (for /why)."""
        async with self.pool.acquire() as conn:
            items = [dict(r) for r in await conn.fetch(
                "SELECT feed_id, item_key, title, first_seen, seq, filtered, error FROM items"
                " WHERE link = $1 OR item_key = $2", url, "g:" + url)]
            for item in items:
                item["deliveries"] = [dict(r) for r in await conn.fetch(
                    "SELECT d.digest_id, d.state, d.reason, d.at, d.story_key, s.channel, s.message_id, s.headline,"
                    " s.posted_at FROM deliveries d LEFT JOIN stories s ON s.digest_id = d.digest_id"
                    " AND s.story_key = d.story_key WHERE d.feed_id = $1 AND d.item_key = $2",
                    item["feed_id"], item["item_key"])]
        return items
