"""End to end with two shards: two real bot processes (`python -m bot run`, one shard of two each, given by
NEWSBRIEF_SHARD_COUNT / NEWSBRIEF_SHARD_IDS) on one PostgreSQL database against the fake Discord.

Two guilds, one per shard, each with a digest channel; both digests read the same two feeds. As in
test_e2e_digest.py the runs are the schedulers' own start-up catch-up of a missed slot, seeded through the store.
Each process posts with its own token, so the fake tells who posted what.

Needs NEWSBRIEF_TEST_PG_URL (`eval "$(.ci/pg-start)"`); the test makes a database of its own and drops it.
"""

from __future__ import annotations

import asyncio
import collections
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiohttp import web

from bot.settings import StorageSettings
from bot.store_factory import open_store
from tests.chat.test_e2e_digest import NOW, Env, channel_posts, feed_routes, story_posts
from tests.fake_discord import CHANNEL_2_ID, CHANNEL_ID, GUILD_2_ID, GUILD_ID, FakeDiscord, shard_of

PG_URL = os.environ.get("NEWSBRIEF_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="NEWSBRIEF_TEST_PG_URL is not set: no PostgreSQL server for two "
                                                   "processes to share (.ci/pg-start starts one)")
FEEDS = ("/feeds/ledger.xml", "/feeds/courier.atom")
NO_NEWS = "No new stories since the last digest."


@dataclass
class ShardBot(Env):
    """One bot process running one shard of two, with a token of its own."""

    shard: int = 0

    def child_env(self) -> dict[str, str]:
        """The bot's environment: the fake Discord, its token and its shard."""
        return {**super().child_env(), "DISCORD_TOKEN": self.token, "NEWSBRIEF_SHARD_COUNT": "2",
                "NEWSBRIEF_SHARD_IDS": str(self.shard)}

    @property
    def token(self) -> str:
        """This process's bot token (the fake records it with every request)."""
        return f"shard-{self.shard}-token"

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when a machine dies."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(5)
        self.proc = None


async def admin(sql: str) -> None:
    """One statement on the test server's own database (databases are made and dropped from there)."""
    import asyncpg

    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed_last_run(url: str, digest_ids: list[str], when: datetime) -> None:
    """Leave the state of bots whose digests last ran at `when` (then they were down)."""
    store = await open_store(StorageSettings(url=url))
    try:
        for digest_id in digest_ids:
            await store.record_run(digest_id, when, when)
    finally:
        await store.close()


@pytest.fixture
def bots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ShardBot, ShardBot, collections.Counter[str]]]:
    """The fake Discord (two guilds), the outlets (counting feed requests), a fresh database, no bot running."""
    fetched: collections.Counter[str] = collections.Counter()

    def routes(app: web.Application) -> None:
        @web.middleware
        async def count(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                        ) -> web.StreamResponse:
            fetched[request.path] += 1
            return await handler(request)

        feed_routes(app)
        app.middlewares.append(count)

    fake = FakeDiscord(guilds={GUILD_ID: (CHANNEL_ID,), GUILD_2_ID: (CHANNEL_2_ID,)})
    fake.start(routes)
    assert PG_URL is not None
    database = f"nb_shards_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    url = urlunsplit(urlsplit(PG_URL)._replace(path=f"/{database}"))
    tmp = tmp_path_factory.mktemp("shards-e2e")
    web_base = f"http://127.0.0.1:{fake.extra_port}"
    config = tmp / "config.yaml"
    config.write_text(f"""discord:
  guilds: [{GUILD_ID}, {GUILD_2_ID}]
fetch:
  allow_hosts: ["127.0.0.1:{fake.extra_port}"]
  timeout: 5
feeds:
  - id: ledger
    url: {web_base}{FEEDS[0]}
    name: Daily Ledger
    first_fetch: post
  - id: courier
    url: {web_base}{FEEDS[1]}
    name: World Courier
    first_fetch: post
digests:
  - id: first
    channel: {CHANNEL_ID}
    schedule: "0 7 * * *"
    feeds: [ledger, courier]
  - id: second
    channel: {CHANNEL_2_ID}
    schedule: "0 7 * * *"
    feeds: [ledger, courier]
storage:
  url: {url}
""")
    asyncio.run(seed_last_run(url, ["first", "second"], NOW - timedelta(days=3)))
    zero, one = (ShardBot(fake, tmp, config, tmp / "unused.db", web_base, shard=i) for i in (0, 1))
    try:
        yield zero, one, fetched
    finally:
        for bot in (zero, one):
            if bot.proc is not None:
                bot.stop_bot()
        fake.stop()
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        print(zero.logs())


def test_two_shard_processes_post_each_digest_once_and_a_killed_one_resumes(
        bots: tuple[ShardBot, ShardBot, collections.Counter[str]]) -> None:
    zero, one, fetched = bots
    fake = zero.fake
    assert (shard_of(GUILD_ID, 2), shard_of(GUILD_2_ID, 2)) == (0, 1)
    # The first digest's second story is held in flight; shard 0's process is killed while it waits.
    fake.hold_next("POST", rf"^/channels/{CHANNEL_ID}/messages$", 4.0, after=2)
    zero.start_bot("shard0")
    one.start_bot("shard1")

    second = fake.wait_for("POST", rf"^/channels/{CHANNEL_2_ID}/messages$", count=3, timeout=40)
    first = fake.wait_for("POST", rf"^/channels/{CHANNEL_ID}/messages$", count=3, timeout=40)
    zero.kill()
    # Each shard's process saw only its own guild and posted only its own digest, once.
    assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
    assert {p.auth for p in first} == {f"Bot {zero.token}"}
    assert {p.auth for p in second} == {f"Bot {one.token}"}
    for posts, digest in ((first, "first"), (second, "second")):
        assert posts[0].body["content"].startswith(f"{digest} · 2 new stories"), posts[0].body
        assert [len(p.body["embeds"]) for p in posts[1:]] == [1, 1]
    titles = [p.body["embeds"][0]["title"] for p in story_posts(second)]
    assert [p.body["embeds"][0]["title"] for p in story_posts(first)] == titles
    # Both processes ran a digest over both feeds at the same moment: each feed was fetched once.
    assert [fetched[path] for path in FEEDS] == [1, 1], dict(fetched)

    # Restarted on the same shard, the process catches up the interrupted run: the story whose post was in
    # flight when it died is not posted again (at most once), nor is anything else.
    zero.start_bot("shard0-restarted")
    quiet = fake.wait_for("POST", rf"^/channels/{CHANNEL_ID}/messages$", count=4, timeout=40)[3]
    assert quiet.body["content"] == NO_NEWS and quiet.auth == f"Bot {zero.token}"
    time.sleep(0.5)  # a duplicate, in either channel, would arrive now
    assert story_posts(channel_posts(fake, CHANNEL_ID)) == story_posts(first)
    assert channel_posts(fake, CHANNEL_2_ID) == second
    # Within fetch.feed_interval (15 min) the restarted process reused the stored fetches: once per interval.
    assert [fetched[path] for path in FEEDS] == [1, 1], dict(fetched)
    assert zero.stop_bot() == 0 and one.stop_bot() == 0
