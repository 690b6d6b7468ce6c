"""The SQLite store: migrations, WAL, validators and health, baselines, delivery states."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.errors import StoreError
from bot.models import FeedItem
from bot.store import MIGRATIONS, Store, item_from_json, item_to_json

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def it(n: int, published: datetime | None = None) -> tuple[str, FeedItem, str | None]:
    item = FeedItem(feed_id="f", title=f"Item {n}", link=f"http://x.example/{n}", guid=f"g{n}", published=published,
                    summary="s", content="<p>c</p>")
    return f"g:g{n}", item, None


async def test_migrations_wal_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "db.sqlite"
    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS)
    async with store.db.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"
    await store.close()
    again = await Store.open(path)  # migrations are not re-applied
    assert await again.schema_version() == len(MIGRATIONS)
    await again.close()


async def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError):
        await Store.open(tmp_path / "file" / "db.sqlite")


async def test_item_json_round_trip() -> None:
    _, item, _ = it(1, NOW)
    assert item_from_json(item_to_json(item)) == item


async def test_fetch_ok_keeps_first_sight_and_validators(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db")
    seq1, _ = await store.record_fetch_ok("f", "http://x/", status=200, etag='"a"', last_modified="Mon", items=[it(1)],
                                          now=NOW)
    seq2, _ = await store.record_fetch_ok("f", "http://x/", status=200, etag='"b"', last_modified=None,
                                          items=[it(1), it(2)], now=NOW + timedelta(hours=1))
    state = await store.feed_state("f")
    assert state is not None and state.etag == '"b"' and state.seq == seq2 > seq1
    await store.record_fetch_ok("f", "http://x/", status=304, etag=None, last_modified=None, items=[], now=NOW)
    state = await store.feed_state("f")
    assert state is not None and state.etag == '"b"' and state.last_status == 304  # a 304 keeps the validators
    assert await store.known_keys("f", ["g:g1", "g:g2", "g:g3"]) == {"g:g1", "g:g2"}
    new = await store.candidates("d", "f", seq1)
    assert [c.key for c in new] == ["g:g2"] and new[0].first_seen == NOW + timedelta(hours=1)
    await store.close()


async def test_errors_count_pause_and_success_resets(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db")
    paused_flags = []
    for n in range(3):
        state, paused_now = await store.record_fetch_error("f", "http://x/", status=503, error="down", now=NOW,
                                                           next_try=NOW + timedelta(minutes=n + 1), pause_after=3)
        paused_flags.append(paused_now)
    assert paused_flags == [False, False, True] and state.failures == 3 and state.paused
    _, was_paused = await store.record_fetch_ok("f", "http://x/", status=200, etag=None, last_modified=None, items=[],
                                                now=NOW)
    state2 = await store.feed_state("f")
    assert was_paused and state2 is not None and state2.failures == 0 and not state2.paused and state2.next_try is None
    await store.close()


async def test_delivery_states(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db")
    await store.record_fetch_ok("f", "http://x/", status=200, etag=None, last_modified=None,
                                items=[it(1), it(2), it(3), it(4)], now=NOW)
    await store.mark_skipped("d", [("f", "g:g4")], "ranked low", NOW)
    await store.mark_sending("d", "42", "s1", "Item 1", {"headline": "Item 1"}, [("f", "g:g1")], NOW)
    await store.mark_posted("d", "s1", "m1", NOW)
    await store.mark_sending("d", "42", "s2", "Item 2", {"headline": "Item 2"}, [("f", "g:g2")], NOW)
    await store.mark_send_failed("d", "s2", "HTTP 500")
    await store.mark_sending("d", "42", "s3", "Item 3", {"headline": "Item 3"}, [("f", "g:g3")], NOW)
    # s3 stays 'sending' (a crash): at-most-once, it is not offered again.
    assert [c.key for c in await store.candidates("d", "f", 0)] == ["g:g2"]
    assert len(await store.candidates("other", "f", 0)) == 4  # deliveries are per digest
    facts = await store.items_by_link("http://x.example/1")
    assert facts[0]["deliveries"][0]["state"] == "posted" and facts[0]["deliveries"][0]["message_id"] == "m1"
    await store.close()


async def test_runs_and_baselines(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db")
    assert await store.last_run("d") is None and await store.baseline("d", "f") is None
    await store.record_run("d", NOW, NOW + timedelta(minutes=1))
    await store.set_baseline("d", "f", 7, NOW)
    await store.set_baseline("d", "f", 9, NOW)  # the first baseline stays
    assert await store.last_run("d") == NOW and await store.baseline("d", "f") == 7
    await store.close()


async def test_second_connection_sees_committed_writes(tmp_path: Path) -> None:
    a = await Store.open(tmp_path / "db")
    await a.record_run("d", NOW, NOW)
    async with aiosqlite.connect(tmp_path / "db") as raw, raw.execute("SELECT COUNT(*) FROM runs") as cur:
        assert (await cur.fetchone())[0] == 1
    await a.close()


MIN = timedelta(minutes=1)


async def test_fetch_claim_fresh_busy_and_lease_expiry(tmp_path: Path) -> None:
    a, b = await Store.open(tmp_path / "db"), await Store.open(tmp_path / "db")  # two processes, one database
    url, fresh, lease = "http://x.example/feed", 15 * MIN, 2 * MIN
    try:
        assert await a.claim_fetch(url, NOW, fresh, lease) == "fetch"
        assert await b.claim_fetch(url, NOW, fresh, lease) == "busy"
        assert await a.claim_fetch(url, NOW, fresh, lease) == "busy"  # a second task of the holder waits too
        await a.release_fetch(url, NOW, ok=True)
        assert await b.claim_fetch(url, NOW + MIN, fresh, lease) == "fresh"
        assert await b.claim_fetch(url, NOW + MIN, timedelta(0), lease) == "fetch"  # 0: always fetch
        await b.release_fetch(url, NOW + MIN, ok=False)  # a failed fetch leaves the old time
        assert await a.claim_fetch(url, NOW + 16 * MIN, fresh, lease) == "fetch"
        # a dies holding the lease: b waits until the lease runs out, then takes the fetch over
        assert await b.claim_fetch(url, NOW + 17 * MIN, fresh, lease) == "busy"
        assert await b.claim_fetch(url, NOW + 18 * MIN, fresh, lease) == "fetch"
        await a.release_fetch(url, NOW + 19 * MIN, ok=True)  # the late holder's release changes nothing
        assert await a.claim_fetch(url, NOW + 19 * MIN, fresh, lease) == "busy"
        await b.release_fetch(url, NOW + 19 * MIN, ok=True)
        assert await a.claim_fetch(url, NOW + 20 * MIN, fresh, lease) == "fresh"
        assert await a.claim_fetch("http://x.example/other", NOW, fresh, lease) == "fetch"  # claims are per URL
    finally:
        await a.close()
        await b.close()


async def test_concurrent_fetch_claims_have_one_winner(tmp_path: Path) -> None:
    a, b = await Store.open(tmp_path / "db"), await Store.open(tmp_path / "db")
    try:
        results = await asyncio.gather(*(s.claim_fetch("http://x.example/f", NOW, 15 * MIN, MIN)
                                         for _ in range(8) for s in (a, b)))
        assert sorted(results) == ["busy"] * 15 + ["fetch"]
    finally:
        await a.close()
        await b.close()


async def test_mark_sending_is_a_claim(tmp_path: Path) -> None:
    a, b = await Store.open(tmp_path / "db"), await Store.open(tmp_path / "db")
    try:
        await a.record_fetch_ok("f", "http://x/", status=200, etag=None, last_modified=None,
                                items=[it(n) for n in range(1, 6)], now=NOW)
        await a.mark_skipped("d", [("f", "g:g5")], "ranked low", NOW)
        assert await a.mark_sending("d", "42", "s1", "One", {}, [("f", "g:g1"), ("f", "g:g2")], NOW)
        # any item already sending, or the same story, belongs to the other process: nothing is written
        assert not await b.mark_sending("d", "42", "s2", "Two", {}, [("f", "g:g2"), ("f", "g:g3")], NOW)
        assert not await b.mark_sending("d", "42", "s1", "One", {}, [("f", "g:g4")], NOW)
        assert {c.key for c in await b.candidates("d", "f", 0)} == {"g:g3", "g:g4"}
        assert await b.mark_sending("other", "43", "s1", "One", {}, [("f", "g:g1")], NOW)  # per digest
        await a.mark_posted("d", "s1", "m1", NOW)
        assert not await b.mark_sending("d", "42", "s3", "Three", {}, [("f", "g:g1")], NOW)  # posted stays taken
        assert await b.mark_sending("d", "42", "s2", "Two", {}, [("f", "g:g3"), ("f", "g:g5")], NOW)  # skipped: free
        await b.mark_send_failed("d", "s2", "HTTP 500")
        assert await a.mark_sending("d", "42", "s2", "Two", {}, [("f", "g:g3")], NOW)  # a refused story is free again
    finally:
        await a.close()
        await b.close()


async def test_concurrent_mark_sending_has_one_winner(tmp_path: Path) -> None:
    a, b = await Store.open(tmp_path / "db"), await Store.open(tmp_path / "db")
    try:
        await a.record_fetch_ok("f", "http://x/", status=200, etag=None, last_modified=None,
                                items=[it(n) for n in range(1, 4)], now=NOW)
        keys = [("f", "g:g1"), ("f", "g:g2"), ("f", "g:g3")]
        claims = [s.mark_sending("d", "42", f"s{n % 3}", "S", {}, keys[n % 3:] + keys[:n % 3], NOW)
                  for n in range(6) for s in (a, b)]
        assert sorted(await asyncio.gather(*claims)) == [False] * 11 + [True]
    finally:
        await a.close()
        await b.close()


async def test_stores_opened_together_migrate_once(tmp_path: Path) -> None:
    stores = await asyncio.gather(*(Store.open(tmp_path / "db") for _ in range(4)))  # four processes starting
    try:
        assert [await s.schema_version() for s in stores] == [len(MIGRATIONS)] * 4
    finally:
        for s in stores:
            await s.close()


async def test_write_waits_for_a_read_in_flight_on_the_same_connection(tmp_path: Path) -> None:
    # Feeds refresh concurrently on one connection: a write transaction may begin while another task's
    # read still holds a snapshot that a second process has since made stale. SQLite then answers
    # "database is locked" at once, without its busy timeout; the write must wait for the read instead.
    store = await Store.open(tmp_path / "db.sqlite")
    other = await Store.open(tmp_path / "db.sqlite")
    try:
        await store.record_fetch_ok("f", "http://x.example/f", status=200, etag=None, last_modified=None,
                                    items=[it(1), it(2), it(3)], now=NOW)
        async with store.db.execute("SELECT item_key FROM items") as cur:
            assert await cur.fetchone() is not None  # the read is open: its snapshot is held
            await other.set_baseline("d", "f", 1, NOW)  # another process commits after that snapshot
            write = asyncio.create_task(store.set_baseline("d", "g", 1, NOW))
            await asyncio.sleep(0.05)
        await asyncio.wait_for(write, 5)
        assert await store.baseline("d", "g") == 1
    finally:
        await store.close()
        await other.close()
