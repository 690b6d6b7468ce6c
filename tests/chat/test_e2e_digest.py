"""End to end for digests: the real bot subprocess (and `python -m bot digest --post`) against the fake Discord,
with two local outlets whose feeds carry the same story.

No test-only hooks: the scheduled run is the scheduler's own start-up catch-up. The store is seeded, through the
product's Store API, with the state a bot leaves behind when it last ran days ago and was then down; at start the
scheduler sees the missed slot of "0 7 * * *" and runs the digest once, as it would in production.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.store import Store
from tests.fake_discord import CHANNEL_ID, GUILD_ID, FakeDiscord, Recorded
from tests.feed_helpers import Entry, article_page, atom, rss

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = (ROOT / "tests/fixtures/us-china-call.html").read_text(encoding="utf-8")
NOW = datetime.now(UTC).replace(microsecond=0)
CALL_LEAD = ("US President Joe Biden will hold a phone call with Chinese President Xi Jinping about Russia's "
             "invasion of Ukraine, as the White House warned Beijing against military aid to Russia.")
LEDGER = [
    Entry("ledger-1", "US and Chinese presidents to discuss Russia's invasion of Ukraine", "/ledger/us-china-call",
          CALL_LEAD, NOW - timedelta(minutes=30)),
    Entry("ledger-2", "Springfield council approves the new river bridge", "/ledger/bridge",
          "The city council of Springfield voted on Tuesday to build a new bridge over the river.",
          NOW - timedelta(hours=2)),
]
COURIER = [
    Entry("courier-1", "Biden and Xi to discuss Russia's invasion of Ukraine in a phone call", "/courier/biden-xi",
          CALL_LEAD, NOW - timedelta(minutes=20)),
]
BRIDGE_TEXT = ("The city council of Springfield met on Tuesday and approved the new bridge over the river, which "
               "engineers say will carry twenty thousand cars a day when it opens in three years. The mayor said "
               "the vote ended a decade of debate, and construction is due to begin in the spring.")


def feed_routes(app: web.Application) -> None:
    """The outlets: an RSS feed and an Atom feed, and their article pages."""
    def base(request: web.Request) -> str:
        return f"http://{request.host}"

    async def ledger(request: web.Request) -> web.Response:
        return web.Response(body=rss(LEDGER, base(request)), content_type="application/rss+xml")

    async def courier(request: web.Request) -> web.Response:
        return web.Response(body=atom(COURIER, base(request)), content_type="application/atom+xml")

    async def call_page(_: web.Request) -> web.Response:
        return web.Response(text=ARTICLE, content_type="text/html")

    async def bridge_page(_: web.Request) -> web.Response:
        return web.Response(text=article_page(LEDGER[1].title, BRIDGE_TEXT), content_type="text/html")

    app.router.add_get("/feeds/ledger.xml", ledger)
    app.router.add_get("/feeds/courier.atom", courier)
    app.router.add_get("/ledger/us-china-call", call_page)
    app.router.add_get("/courier/biden-xi", call_page)
    app.router.add_get("/ledger/bridge", bridge_page)


@dataclass
class Env:
    """The running pieces: the fake Discord (whose second port serves the outlets) and the bot's files."""

    fake: FakeDiscord
    tmp: Path
    config: Path
    db: Path
    web: str
    proc: subprocess.Popen[bytes] | None = None

    def child_env(self) -> dict[str, str]:
        """The environment of a bot process pointed at the fake Discord."""
        return {**os.environ, "DISCORD_TOKEN": "fake-token", "DISCORD_API_BASE": self.fake.api_base,
                "DISCORD_GATEWAY_URL": self.fake.gateway_url, "PYTHONUNBUFFERED": "1"}

    def start_bot(self, name: str) -> None:
        """Start `python -m bot run` (its output goes to <tmp>/<name>.log)."""
        log = (self.tmp / f"{name}.log").open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(self.config)], cwd=ROOT,
                                     env=self.child_env(), stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def stop_bot(self) -> int:
        """SIGTERM the bot and wait for it; returns its exit code."""
        assert self.proc is not None
        self.proc.terminate()
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)
        finally:
            self.proc = None

    def logs(self) -> str:
        """Every log the bot processes wrote."""
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.tmp.glob("*.log")))


def seed_last_run(db: Path, digest_ids: list[str], when: datetime) -> None:
    """Leave the state of a bot whose digests last ran at `when` (then the bot was down)."""
    async def seed() -> None:
        store = await Store.open(str(db))
        try:
            for digest_id in digest_ids:
                await store.record_run(digest_id, when, when)
        finally:
            await store.close()

    asyncio.run(seed())


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """Fake Discord and the outlets up; the config written; no bot running yet."""
    fake = FakeDiscord()
    fake.start(feed_routes)
    tmp = tmp_path_factory.mktemp("digest-e2e")
    web_base = f"http://127.0.0.1:{fake.extra_port}"
    config = tmp / "config.yaml"
    db = tmp / "state.db"
    config.write_text(f"""discord:
  guilds: [{GUILD_ID}]
fetch:
  allow_hosts: ["127.0.0.1:{fake.extra_port}"]
  timeout: 5
feeds:
  - id: ledger
    url: {web_base}/feeds/ledger.xml
    name: Daily Ledger
    first_fetch: post
  - id: courier
    url: {web_base}/feeds/courier.atom
    name: World Courier
    first_fetch: post
digests:
  - id: morning
    channel: {CHANNEL_ID}
    schedule: "0 7 * * *"
    timezone: Europe/London
    feeds: [ledger, courier]
    max_stories: 5
    sentences: 3
  - id: evening
    channel: {CHANNEL_ID}
    schedule: "0 18 * * *"
    feeds: [ledger]
    thread: Evening briefing
  - id: manual
    channel: {CHANNEL_ID}
    schedule: "0 7 1 1 *"
    feeds: [ledger, courier]
    empty: silent
    catch_up: false
storage:
  path: {db}
""")
    running = Env(fake, tmp, config, db, web_base)
    try:
        yield running
    finally:
        if running.proc is not None:
            running.stop_bot()
        fake.stop()
        print(running.logs())


def channel_posts(fake: FakeDiscord, channel: int = CHANNEL_ID) -> list[Recorded]:
    """Every message the bot posted to a channel (not interaction replies)."""
    return fake.find("POST", rf"^/channels/{channel}/messages$")


def story_posts(posts: list[Recorded]) -> list[Recorded]:
    """The posts that carry an embed (stories; headers and notices are plain lines)."""
    return [p for p in posts if (p.body or {}).get("embeds")]


def test_missed_scheduled_digest_lands_grouped_and_a_restart_posts_nothing_twice(env: Env) -> None:
    fake = env.fake
    seed_last_run(env.db, ["morning", "evening"], NOW - timedelta(days=3))
    env.start_bot("bot1")
    posts = fake.wait_for("POST", rf"^/channels/{CHANNEL_ID}/messages$", count=3, timeout=40)
    time.sleep(0.5)  # anything more (a duplicate, a stray line) would arrive now
    posts = channel_posts(fake)
    assert len(posts) == 3, [p.body for p in posts]
    header, *stories = posts
    assert header.body["content"].startswith("morning · 2 new stories"), header.body
    assert not header.body.get("embeds")
    for post in posts:
        assert post.body["allowed_mentions"] == {"parse": []}
    assert [len(p.body["embeds"]) for p in stories] == [1, 1]
    embeds = [p.body["embeds"][0] for p in stories]
    # Three items, two stories: the call told by two outlets is one message, ranked first.
    call, bridge = embeds
    assert "Ukraine" in call["title"], call
    assert call["description"].startswith("• ")
    also = {f["name"]: f["value"] for f in call.get("fields", [])}.get("Also reported by", "")
    # The lead is the earliest report (the Daily Ledger's); the Courier's is linked beside it.
    assert f"[World Courier]({env.web}/courier/biden-xi)" in also, call
    assert "Springfield" in bridge["title"] or "bridge" in bridge["title"].lower(), bridge
    assert "Also reported by" not in {f["name"] for f in bridge.get("fields", [])}
    # The evening digest, due in the same catch-up, posts into its own thread of the channel (made for it).
    created = fake.wait_for("POST", rf"^/channels/{CHANNEL_ID}/threads$")
    assert [c.body["name"] for c in created] == ["Evening briefing"]
    thread_id = next(iter(fake.threads))
    in_thread = fake.wait_for("POST", rf"^/channels/{thread_id}/messages$", count=3)
    assert in_thread[0].body["content"].startswith("evening · 2 new stories")
    assert [p.body["embeds"][0]["title"] for p in in_thread[1:]] == [call["title"], bridge["title"]]

    assert env.stop_bot() == 0
    # Down again over another 07:00: the next start catches up once more, and must find nothing new.
    seed_last_run(env.db, ["morning", "evening"], NOW - timedelta(days=2))
    env.start_bot("bot2")
    quiet = fake.wait_for("POST", rf"^/channels/{CHANNEL_ID}/messages$", count=4, timeout=40)[3]
    assert quiet.body["content"] == "No new stories since the last digest."
    time.sleep(0.5)
    assert len(channel_posts(fake)) == 4
    assert story_posts(channel_posts(fake)) == stories  # nothing posted twice
    # The restarted bot knows the thread from GUILD_CREATE and posts there; no second thread.
    assert fake.wait_for("POST", rf"^/channels/{thread_id}/messages$", count=4)[3].body["content"] == (
        "No new stories since the last digest.")
    assert len(fake.find("POST", r"/threads$")) == 1
    assert len(story_posts(channel_posts(fake, int(thread_id)))) == 2
    assert env.stop_bot() == 0


def run_cli(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot digest ...` against the fake Discord (no bot process needed)."""
    return subprocess.run([sys.executable, "-m", "bot", "digest", *args, "--config", str(env.config)], cwd=ROOT,
                          env=env.child_env(), capture_output=True, text=True, timeout=60)


def test_cli_post_delivers_to_the_digest_channel_once(env: Env) -> None:
    fake = env.fake
    before, logins = len(channel_posts(fake)), len(fake.find("GET", r"^/users/@me$"))
    first = run_cli(env, "manual", "--post")
    assert first.returncode == 0, first.stderr
    assert "manual: posted 2 of 2 stories" in first.stderr
    posts = channel_posts(fake)[before:]
    assert len(posts) == 3
    assert posts[0].body["content"].startswith("manual · 2 new stories")
    assert [len(p.body["embeds"]) for p in posts[1:]] == [1, 1]
    assert all(p.body["allowed_mentions"] == {"parse": []} for p in posts)
    assert len(fake.find("GET", r"^/users/@me$")) == logins + 1  # logged in over REST at the fake, not discord.com
    again = run_cli(env, "manual", "--post")
    assert again.returncode == 0, again.stderr
    assert "manual: posted 0 of 0 stories" in again.stderr
    assert len(channel_posts(fake)) == before + 3  # `empty: silent`, and nothing posted twice
