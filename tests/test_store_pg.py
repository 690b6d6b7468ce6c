"""The PostgreSQL store: the SQLite store's suite and the digest suite run again on PostgreSQL, plus what
only a server shows (concurrent migrations, row locks between processes, schema parity with SQLite).

PostgreSQL tests need NEWSBRIEF_TEST_PG_URL (`.ci/run` starts a server with `.ci/pg-start` and sets it);
without it they are skipped. Every test works in schemas of its own, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.errors import StoreError
from bot.models import FeedItem
from bot.settings import StorageSettings
from bot.store import MIGRATIONS, Store
from bot.store_factory import is_pg_url, open_store
from bot.store_pg import PgStore, pg_migration
from tests import test_digests, test_store
from tests.test_digests import server  # noqa: F401 - the fixture the digest suite's tests take

PG_URL = os.environ.get("NEWSBRIEF_TEST_PG_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="NEWSBRIEF_TEST_PG_URL is not set: no PostgreSQL server to test "
                                                 "against (.ci/pg-start starts one; .ci/run does so)")
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

# Tests of the SQLite suite that are about SQLite itself; each has a PostgreSQL counterpart below.
SQLITE_ONLY = {
    "test_migrations_wal_and_reopen": "WAL is SQLite's: see test_migrations_apply_once_even_when_opened_together",
    "test_unopenable_path_is_a_store_error": "a file path: see test_unreachable_server_is_a_store_error",
    "test_item_json_round_trip": "no store involved",
    "test_second_connection_sees_committed_writes": "raw aiosqlite: see test_second_connection_sees_commits",
    "test_write_waits_for_a_read_in_flight_on_the_same_connection": "SQLite's stale-snapshot answer; PgStore"
                                                                      " takes a pool connection per operation",
}


def _suite(module: Any, params: tuple[str, ...]) -> list[Any]:
    """The test functions of a module that take exactly `params`, in file order."""
    found = [fn for name, fn in vars(module).items()
             if name.startswith("test_") and inspect.iscoroutinefunction(fn) and name not in SQLITE_ONLY]
    for fn in found:
        got = tuple(inspect.signature(fn).parameters)
        assert got == params, f"{fn.__name__} takes {got}: teach test_store_pg.py how to run it on PostgreSQL"
    return found


STORE_SUITE = _suite(test_store, ("tmp_path",))
DIGEST_SUITE = _suite(test_digests, ("server", "tmp_path"))


class PgSchemas:
    """Stands in for `Store` in the SQLite suites: each distinct path opens its own PostgreSQL schema, and
    opening a path again opens the same schema (a restart on the same database)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.by_path: dict[str, str] = {}

    def fresh(self) -> str:
        """A new schema name, remembered for clean-up."""
        name = f"t_{uuid.uuid4().hex}"
        self.by_path[name] = name
        return name

    async def open(self, path: str | Path) -> PgStore:
        """The PgStore standing for the SQLite file at path."""
        schema = self.by_path.setdefault(str(path), f"t_{uuid.uuid4().hex}")
        return await PgStore.open(self.url, schema=schema, max_size=4)

    async def drop_all(self) -> None:
        """Drop every schema this test made."""
        conn = await asyncpg.connect(self.url)
        try:
            for schema in set(self.by_path.values()):
                await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await conn.close()


@pytest.fixture
async def pg() -> AsyncIterator[PgSchemas]:
    if not PG_URL:
        pytest.skip("NEWSBRIEF_TEST_PG_URL is not set")
    schemas = PgSchemas(PG_URL)
    yield schemas
    await schemas.drop_all()


def item(n: int) -> tuple[str, FeedItem, str | None]:
    return f"g:g{n}", FeedItem(feed_id="f", title=f"Item {n}", link=f"http://x.example/{n}", guid=f"g{n}"), None


# -- the same suites, on PostgreSQL ----------------------------------------------------------------------

@needs_pg
@pytest.mark.parametrize("case", STORE_SUITE, ids=[fn.__name__ for fn in STORE_SUITE])
async def test_store_suite_on_pg(case: Callable[[Path], Awaitable[None]], pg: PgSchemas, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_store, "Store", pg)
    await case(tmp_path)


@needs_pg
@pytest.mark.parametrize("case", DIGEST_SUITE, ids=[fn.__name__ for fn in DIGEST_SUITE])
async def test_digest_suite_on_pg(case: Callable[[Any, Path], Awaitable[None]], pg: PgSchemas,
                                  server: Any, tmp_path: Path,  # noqa: F811 - the imported fixture
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(test_digests, "Store", pg)
    await case(server, tmp_path)


def test_the_suites_are_not_empty() -> None:
    assert len(STORE_SUITE) >= 4 and len(DIGEST_SUITE) >= 8


# -- what only PostgreSQL shows ---------------------------------------------------------------------------

@needs_pg
async def test_migrations_apply_once_even_when_opened_together(pg: PgSchemas) -> None:
    schema = pg.fresh()
    assert PG_URL
    stores = await asyncio.gather(*(PgStore.open(PG_URL, schema=schema) for _ in range(4)))
    try:
        assert [await s.schema_version() for s in stores] == [len(MIGRATIONS)] * 4
        rows = await stores[0].pool.fetchval("SELECT COUNT(*) FROM schema_version")
        assert rows == len(MIGRATIONS)  # one row per migration: nobody applied one twice
    finally:
        for s in stores:
            await s.close()


@needs_pg
async def test_schema_matches_sqlite(pg: PgSchemas, tmp_path: Path) -> None:
    lite = await Store.open(tmp_path / "db")
    store = await pg.open("parity")
    try:
        async with lite.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                   " AND name NOT LIKE 'sqlite_%'") as cur:
            tables = sorted(r[0] for r in await cur.fetchall())
        assert len(tables) >= 8  # schema_version and the first migration's tables: not two empty schemas
        lite_cols = {}
        for table in tables:
            async with lite.db.execute(f"PRAGMA table_info({table})") as cur:
                lite_cols[table] = [(r["name"], bool(r["notnull"]), r["pk"] > 0) for r in await cur.fetchall()]
        rows = await store.pool.fetch(
            "SELECT c.table_name, c.column_name, c.is_nullable = 'NO' AS notnull, EXISTS (SELECT 1 FROM"
            " information_schema.key_column_usage k JOIN information_schema.table_constraints t"
            " ON t.constraint_name = k.constraint_name AND t.table_schema = k.table_schema"
            " WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema"
            " AND k.table_name = c.table_name AND k.column_name = c.column_name) AS pk"
            " FROM information_schema.columns c WHERE c.table_schema = $1"
            " ORDER BY c.table_name, c.ordinal_position", store.schema)
        pg_cols: dict[str, list[tuple[str, bool, bool]]] = {}
        for r in rows:
            pg_cols.setdefault(r["table_name"], []).append((r["column_name"], r["notnull"], r["pk"]))
        # SQLite lets a non-integer primary key column hold NULL; PostgreSQL makes every key column NOT NULL.
        assert {t: [(n, nn or pk, pk) for n, nn, pk in cols] for t, cols in lite_cols.items()} == pg_cols
    finally:
        await lite.close()
        await store.close()


@needs_pg
async def test_second_connection_sees_commits(pg: PgSchemas) -> None:
    store = await pg.open("a")
    try:
        await store.record_run("d", NOW, NOW)
        raw = await asyncpg.connect(PG_URL, server_settings={"search_path": store.schema or "public"})
        try:
            assert await raw.fetchval("SELECT last_scheduled FROM runs") == NOW.isoformat()
        finally:
            await raw.close()
    finally:
        await store.close()


@needs_pg
async def test_two_processes_count_failures_without_lost_updates(pg: PgSchemas) -> None:
    a, b = await pg.open("shared"), await pg.open("shared")  # two pools: as two bot processes
    try:
        results = await asyncio.gather(*(
            s.record_fetch_error("f", "http://x/", status=503, error="down", now=NOW, next_try=NOW,
                                 pause_after=10) for _ in range(10) for s in (a, b)))
        state = await a.feed_state("f")
        assert state is not None and state.failures == 20 and state.paused
        assert sum(just_paused for _, just_paused in results) == 1  # exactly one caller saw it pause
    finally:
        await a.close()
        await b.close()


@needs_pg
async def test_two_processes_store_each_item_once(pg: PgSchemas) -> None:
    a, b = await pg.open("shared"), await pg.open("shared")
    try:
        batch = [item(n) for n in range(50)]
        seqs = await asyncio.gather(*(s.record_fetch_ok("f", "http://x/", status=200, etag=None, last_modified=None,
                                                        items=batch, now=NOW) for s in (a, b, a, b)))
        assert len({seq for seq, _ in seqs}) == 4  # every fetch got its own sequence number
        assert await a.pool.fetchval("SELECT COUNT(*) FROM items") == 50
        assert len(await b.candidates("d", "f", 0)) == 50
        await a.mark_sending("d", "1", "s1", "Item 1", {}, [("f", "g:g1")], NOW)
        assert "g:g1" not in {c.key for c in await b.candidates("d", "f", 0)}  # the other process sees the claim
    finally:
        await a.close()
        await b.close()


@needs_pg
async def test_open_store_picks_postgresql_from_the_url(pg: PgSchemas) -> None:
    schema = pg.fresh()
    assert PG_URL
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
    finally:
        await conn.close()
    # asyncpg passes unknown URL query parameters on as server settings.
    store = await open_store(StorageSettings(path="unused.db", url=f"{PG_URL}?search_path={schema}"))
    try:
        assert isinstance(store, PgStore) and await store.schema_version() == len(MIGRATIONS)
        await store.set_baseline("d", "f", 3, NOW)
        assert await store.baseline("d", "f") == 3
    finally:
        await store.close()


# -- without a server -------------------------------------------------------------------------------------

async def test_open_store_defaults_to_sqlite(tmp_path: Path) -> None:
    store = await open_store(StorageSettings(path=str(tmp_path / "s" / "db.sqlite")))
    try:
        assert isinstance(store, Store) and (tmp_path / "s" / "db.sqlite").exists()
    finally:
        await store.close()


async def test_unknown_url_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="postgresql://"):
        await open_store(StorageSettings(path=str(tmp_path / "db"), url="mysql://u@127.0.0.1/x"))
    assert not (tmp_path / "db").exists()


def test_pg_url_schemes() -> None:
    assert is_pg_url("postgresql://u@h/db") and is_pg_url("POSTGRES://u@h/db")
    assert not is_pg_url(None) and not is_pg_url("") and not is_pg_url("sqlite:///x.db")


async def test_unreachable_server_is_a_store_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on once this closes
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StoreError) as caught:
        await PgStore.open(f"postgresql://bot:s3cret@127.0.0.1:{port}/news")
    assert f"127.0.0.1:{port}" in str(caught.value) and "s3cret" not in str(caught.value)


async def test_invalid_schema_name_is_refused() -> None:
    with pytest.raises(StoreError, match="schema"):
        await PgStore.open("postgresql://127.0.0.1:1/x", schema="a; DROP TABLE items")


def test_migrations_translate_to_postgresql() -> None:
    text = pg_migration("CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, n integer NOT NULL, note TEXT);")
    assert text == "CREATE TABLE t (seq BIGSERIAL PRIMARY KEY, n BIGINT NOT NULL, note TEXT);"
    for script in MIGRATIONS:
        assert "AUTOINCREMENT" not in pg_migration(script).upper()
