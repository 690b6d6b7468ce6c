"""End to end: the real bot as a subprocess against a fake Discord and a local article server."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.fake_discord import ADMIN_ROLE_ID, GUILD_ID, MANAGE_GUILD, FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = (ROOT / "tests/fixtures/us-china-call.html").read_text(encoding="utf-8")
PARAGRAPH = ("The city council of Springfield met on Tuesday to debate the new bridge over the river, which "
             "engineers say will carry twenty thousand cars a day when it opens. ")
HOSTILE = f"""<!doctype html><html><head><title>@everyone Big news &lt;@123&gt;</title></head><body><article>
<h1>@everyone Big news &lt;@123&gt; [click](https://evil.test)</h1>
{''.join(f'<p>{PARAGRAPH} @everyone look at this @here and &lt;@123&gt; and &lt;@&amp;456&gt; and &lt;#789&gt; '
         f'and [a real link](https://evil.test/a) then [another](https://evil.test/b) ok.</p>' for _ in range(8))}
</article></body></html>"""
_users = iter(range(800000000000000100, 800000000000999999))
_running: dict[str, object] = {}
_ports: dict[str, int] = {}
BOMB = gzip.compress(b"<p>" + b"A" * 60_000_000 + b"</p>", compresslevel=9)
HOSTILE_PATHS = ("/redirect-inside", "/gzip-bomb", "/drip", "/empty", "/pdf", "/bad-utf8", "/nested")


def article_routes(app: web.Application) -> None:
    """The local 'public web': a real article, a hostile one, and a 404."""
    async def article(_: web.Request) -> web.Response:
        return web.Response(text=ARTICLE, content_type="text/html")

    async def hostile(_: web.Request) -> web.Response:
        return web.Response(text=HOSTILE, content_type="text/html")

    async def missing(_: web.Request) -> web.Response:
        return web.Response(status=404, text="gone", content_type="text/html")

    async def redirect_inside(_: web.Request) -> web.Response:
        # Another loopback port, not in allow_hosts: must be refused even though the first hop was allowed.
        raise web.HTTPFound(f"http://127.0.0.1:{_ports['discord']}/api/v10/users/@me")

    async def gzip_bomb(_: web.Request) -> web.Response:
        return web.Response(body=BOMB, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})

    async def drip(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        await resp.prepare(request)
        try:
            for _ in range(600):
                await resp.write(b"<p>drip</p>")
                await asyncio.sleep(0.1)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    def fixed(body: bytes, ctype: str = "text/html") -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(_: web.Request) -> web.Response:
            return web.Response(body=body, headers={"Content-Type": ctype})
        return handler

    app.router.add_get("/redirect-inside", redirect_inside)
    app.router.add_get("/gzip-bomb", gzip_bomb)
    app.router.add_get("/drip", drip)
    app.router.add_get("/empty", fixed(b""))
    app.router.add_get("/pdf", fixed(b"%PDF-1.4\n" + bytes(range(256)) * 200))
    app.router.add_get("/bad-utf8", fixed(b"<html><body><p>" + b"caf\xe9 \xff\xfe news " * 400 + b"</p></body></html>",
                                                    "text/html; charset=utf-8"))
    app.router.add_get("/nested", fixed(b"<div>" * 50_000 + b"deep" + b"</div>" * 50_000))
    app.router.add_get("/article", article)
    app.router.add_get("/hostile", hostile)
    app.router.add_get("/missing", missing)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeDiscord, str]]:
    """Fake Discord and article server up, the bot connected and its commands synced."""
    fake = FakeDiscord()
    fake.start(article_routes)
    _ports["discord"] = fake.port
    tmp = tmp_path_factory.mktemp("bot")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        ops_port = _ports["ops"] = int(sock.getsockname()[1])
    config = tmp / "config.yaml"
    config.write_text(f"""discord:
  guilds: [{GUILD_ID}]
  admin_role: "News Admin"
fetch:
  allow_hosts: ["127.0.0.1:{fake.extra_port}"]
  timeout: 3
  max_bytes: 2000000
commands:
  brief_cooldown: 30
  max_concurrent_briefings: 12
storage:
  path: {tmp / 'state.db'}
logging:
  format: json
ops:
  enabled: true
  port: {ops_port}
""")
    child_env = {**os.environ, "DISCORD_TOKEN": "fake-token", "DISCORD_API_BASE": fake.api_base,
                 "DISCORD_GATEWAY_URL": fake.gateway_url, "PYTHONUNBUFFERED": "1"}
    log = (tmp / "bot.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=ROOT, env=child_env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        if not fake.synced.wait(30) or not fake.identified.wait(30):
            raise AssertionError("bot never synced/identified:\n" + (tmp / "bot.log").read_text())
        time.sleep(0.5)  # let GUILD_CREATE be processed before the first interaction
        _running.update(proc=proc, log=tmp / "bot.log", config=config)
        yield fake, f"http://127.0.0.1:{fake.extra_port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        fake.stop()
        log.close()
        print((tmp / "bot.log").read_text()[-4000:])


def brief(fake: FakeDiscord, url: str, **kw: object) -> tuple[str, str]:
    options = [{"name": "url", "type": 3, "value": url}]
    options += [{"name": k, "type": 4 if k == "sentences" else 5, "value": v} for k, v in kw.items()]
    return fake.interaction("brief", options, user_id=next(_users))


def followups(fake: FakeDiscord, token: str, count: int = 1, timeout: float = 30.0) -> list:
    return fake.wait_for("POST", rf"^/webhooks/\d+/{token}$", count=count, timeout=timeout)


def test_commands_synced_to_the_configured_guild(env: tuple[FakeDiscord, str]) -> None:
    fake, _ = env
    put = fake.find("PUT", rf"/applications/\d+/guilds/{GUILD_ID}/commands")
    assert put and not fake.find("PUT", r"^/applications/\d+/commands$")
    names = {c["name"] for c in put[0].body}
    assert names == {"brief", "digest", "sources", "help", "config"}
    config = next(c for c in put[0].body if c["name"] == "config")
    assert int(config["default_member_permissions"]) == MANAGE_GUILD
    assert not fake.find("GET", r"^/gateway")
    assert fake.identify["intents"] == 1  # Guilds only: no privileged intents
    assert fake.identify["token"] == "fake-token"  # from DISCORD_TOKEN


def test_burst_of_ten_all_acknowledged_in_time(env: tuple[FakeDiscord, str]) -> None:
    # First briefs after start-up: a cold worker pool once stalled the loop past 3 s here.
    fake, web_base = env
    sent: list[tuple[str, str]] = []
    threads = [threading.Thread(target=lambda: sent.append(brief(fake, f"{web_base}/article"))) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = []
    for iid, _token in sent:
        cb = fake.wait_for("POST", rf"^/interactions/{iid}/", timeout=10)[0]
        latencies.append(cb.at - fake.sent_interactions[iid])
        assert cb.body["type"] == 5
    print(f"burst of 10: slowest acknowledgement {max(latencies) * 1000:.0f} ms")
    assert max(latencies) < 3.0
    for _, token in sent:
        post = followups(fake, token, timeout=60)[0]
        assert post.body["embeds"][0]["description"].startswith("• ")


def test_brief_answers_with_the_embed(env: tuple[FakeDiscord, str]) -> None:
    fake, web_base = env
    iid, token = brief(fake, f"{web_base}/article", sentences=3)
    callback = fake.wait_for("POST", rf"^/interactions/{iid}/")[0]
    assert callback.body["type"] == 5 and not (callback.body.get("data") or {}).get("flags")
    post = followups(fake, token)[0]
    assert post.body["allowed_mentions"] == {"parse": []}
    embed = post.body["embeds"][0]
    # The extractor decides between the fetched address and the page's canonical link.
    canonical = "https://www.dailyledger.example/politics/2022/03/18/us-and-chinese-presidents-to-discuss-russias-invasion-of-ukraine/"
    assert embed["url"] in (f"{web_base}/article", canonical)
    assert embed["title"]
    bullets = embed["description"].split("\n")
    assert len(bullets) == 3 and all(b.startswith("• ") for b in bullets)
    assert "reduced by" in embed["footer"]["text"]
    assert [f["name"] for f in embed["fields"]][:1] == ["Key actors"]


def test_broken_url_is_answered_privately(env: tuple[FakeDiscord, str]) -> None:
    fake, web_base = env
    _iid, token = brief(fake, f"{web_base}/missing")
    post = followups(fake, token)[0]
    deletes = fake.find("DELETE", rf"/webhooks/\d+/{token}/messages/@original")
    assert deletes and deletes[0].at <= post.at
    assert post.body["flags"] == 64
    assert "404" in post.body["content"] or "not" in post.body["content"].lower()
    assert post.body["allowed_mentions"] == {"parse": []}
    assert not post.body.get("embeds")


def test_admin_command_refused_for_non_admin(env: tuple[FakeDiscord, str]) -> None:
    fake, _ = env
    iid, _ = fake.interaction("config", [{"name": "show", "type": 1, "options": []}], user_id=next(_users))
    cb = fake.wait_for("POST", rf"^/interactions/{iid}/")[0]
    assert cb.body["type"] == 4 and cb.body["data"]["flags"] == 64
    assert "admin" in cb.body["data"]["content"].lower()
    assert "fetch" not in cb.body["data"]["content"]


def test_admin_command_allowed_by_permission_or_role(env: tuple[FakeDiscord, str]) -> None:
    fake, _ = env
    iid, _ = fake.interaction("config", [{"name": "show", "type": 1, "options": []}], user_id=next(_users),
                              permissions=MANAGE_GUILD)
    cb = fake.wait_for("POST", rf"^/interactions/{iid}/")[0]
    assert '"fetch"' in cb.body["data"]["content"]
    iid, _ = fake.interaction("config", [{"name": "check", "type": 1, "options": []}], user_id=next(_users),
                              roles=(ADMIN_ROLE_ID,))
    cb = fake.wait_for("POST", rf"^/interactions/{iid}/")[0]
    assert "valid" in cb.body["data"]["content"]


def test_followup_429_is_retried_and_posted_once(env: tuple[FakeDiscord, str]) -> None:
    fake, web_base = env
    user = next(_users)
    fake.fail_next("POST", r"^/webhooks/\d+/tok\d+$", retry_after=0.3)
    _iid, token = fake.interaction("brief", [{"name": "url", "type": 3, "value": f"{web_base}/article"}], user_id=user)
    posts = followups(fake, token, count=2)
    time.sleep(1.0)
    posts = fake.find("POST", rf"^/webhooks/\d+/{token}$")
    assert [p.status for p in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 0.25
    assert posts[1].body["embeds"]


def test_hostile_article_cannot_ping(env: tuple[FakeDiscord, str]) -> None:
    fake, web_base = env
    _iid, token = brief(fake, f"{web_base}/hostile", sentences=5)
    post = followups(fake, token)[0]
    assert post.body["allowed_mentions"] == {"parse": []}
    embed = post.body["embeds"][0]
    blob = "\n".join([embed["title"], embed["description"], embed["footer"]["text"],
                      *(f["value"] for f in embed.get("fields", []))])
    assert "everyone" in blob  # the text is there, made inert
    for raw in ("@everyone", "@here", "<@123>", "<@&456>", "<#789>", "[click](", "[a real link](", "[another]("):
        assert raw not in blob


def test_cooldown_and_bot_survive(env: tuple[FakeDiscord, str]) -> None:
    fake, web_base = env
    user = next(_users)
    opts = [{"name": "url", "type": 3, "value": f"{web_base}/missing"}]
    fake.interaction("brief", opts, user_id=user)
    iid, _ = fake.interaction("brief", opts, user_id=user)
    cb = fake.wait_for("POST", rf"^/interactions/{iid}/")[0]
    assert cb.body["type"] == 4 and cb.body["data"]["flags"] == 64
    assert "try again in 30 s" in cb.body["data"]["content"]
    iid, _ = fake.interaction("help", user_id=next(_users))
    assert "/brief" in fake.wait_for("POST", rf"^/interactions/{iid}/")[0].body["data"]["content"]


def test_digest_without_config_answers_clearly(env: tuple[FakeDiscord, str]) -> None:
    fake, _ = env
    iid, _ = fake.interaction("digest", user_id=next(_users))
    cb = fake.wait_for("POST", rf"^/interactions/{iid}/")[0]
    assert cb.body["type"] == 4 and cb.body["data"]["flags"] == 64
    assert "No digest is configured for this channel" in cb.body["data"]["content"]
    iid, _ = fake.interaction("sources", user_id=next(_users))
    assert "No digests are configured" in fake.wait_for("POST", rf"^/interactions/{iid}/")[0].body["data"]["content"]


def test_hostile_pages_end_in_clear_errors_and_the_bot_goes_on(env: tuple[FakeDiscord, str]) -> None:
    fake, web_base = env
    sent = {path: brief(fake, f"{web_base}{path}") for path in HOSTILE_PATHS}
    started = time.monotonic()
    outcomes = {}
    for path, (_iid, token) in sent.items():
        post = followups(fake, token, timeout=25)[0]
        outcomes[path] = post.body
        assert post.at - started < 25, path
        assert post.body["allowed_mentions"] == {"parse": []}
        if not post.body.get("embeds"):
            # A domain error: private, in words, never the generic apology.
            assert post.body["flags"] == 64, path
            assert "Sorry, something went wrong" not in post.body["content"], (path, post.body["content"])
    print({p: (o.get("content") or "")[:90] or "embed" for p, o in outcomes.items()})
    assert "not allowed" in outcomes["/redirect-inside"]["content"]
    assert "larger than" in outcomes["/gzip-bomb"]["content"]
    assert "longer than 3 s" in outcomes["/drip"]["content"]
    for path in ("/redirect-inside", "/gzip-bomb", "/drip", "/empty", "/pdf"):
        assert not outcomes[path].get("embeds"), (path, outcomes[path])
    iid, _ = fake.interaction("help", user_id=next(_users))
    assert "/brief" in fake.wait_for("POST", rf"^/interactions/{iid}/")[0].body["data"]["content"]


def test_config_reload_by_admin_applies_new_limits(env: tuple[FakeDiscord, str]) -> None:
    fake, web_base = env
    config = Path(str(_running["config"]))
    config.write_text(config.read_text().replace("brief_cooldown: 30", "brief_cooldown: 45"))
    iid, token = fake.interaction("config", [{"name": "reload", "type": 1, "options": []}], user_id=next(_users),
                                  permissions=MANAGE_GUILD)
    assert fake.wait_for("POST", rf"^/interactions/{iid}/")[0].body == {"type": 5, "data": {"flags": 64}}
    reply = followups(fake, token)[0].body["content"]
    assert reply.startswith("Configuration reloaded"), reply
    user = next(_users)
    opts = [{"name": "url", "type": 3, "value": f"{web_base}/missing"}]
    _, first = fake.interaction("brief", opts, user_id=user)
    iid, _ = fake.interaction("brief", opts, user_id=user)
    assert "try again in 45 s" in fake.wait_for("POST", rf"^/interactions/{iid}/")[0].body["data"]["content"]
    followups(fake, first)


def test_z_metrics_count_briefings_and_rate_limits(env: tuple[FakeDiscord, str]) -> None:
    base = f"http://127.0.0.1:{_ports['ops']}"
    with urllib.request.urlopen(f"{base}/healthz", timeout=5) as resp:
        assert json.loads(resp.read())["checks"] == {"gateway": "ok", "store": "ok", "config": "ok"}
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as resp:
        samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                   for line in resp.read().decode().splitlines() if line and not line.startswith("#")}
    # Earlier tests briefed the article (more than once), a 404 and hostile pages, and met one 429.
    assert samples["newsbrief_briefings_built_total"] >= 2
    assert sum(v for k, v in samples.items() if k.startswith("newsbrief_briefings_failed_total")) >= 3, samples
    assert samples["newsbrief_briefing_seconds_count"] == samples["newsbrief_briefings_built_total"]
    assert samples["newsbrief_ratelimit_hits_total"] >= 1
    assert samples["newsbrief_loop_lag_seconds_count"] > 0


def test_zz_sigterm_stops_cleanly_and_logs_no_secret(env: tuple[FakeDiscord, str]) -> None:
    proc = _running["proc"]
    assert isinstance(proc, subprocess.Popen)
    started = time.monotonic()
    proc.terminate()
    assert proc.wait(10) == 0
    assert time.monotonic() - started < 10
    log = Path(str(_running["log"])).read_text()
    assert "fake-token" not in log
    assert "Traceback" not in log
    records = [json.loads(line) for line in log.splitlines() if line.strip()]  # JSON logs: one object a line
    assert any(r["message"] == "stopping on signal" for r in records)
    # Lines about a slash command carry its guild, channel, command and url as fields.
    refusals = [r for r in records if r["logger"] == "bot.chat.errors" and r["message"].startswith("/brief")]
    assert refusals and all(r["command"] == "brief" and r["guild"] == GUILD_ID and r["url"].startswith("http")
                            and "channel" in r for r in refusals), refusals
