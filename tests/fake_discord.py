"""A fake Discord on 127.0.0.1: gateway websocket plus the REST routes the bot uses, recording every request.

Runs in its own thread and event loop so that synchronous tests can drive a bot subprocess against it.
Facts it honours: discord.py accepts JSON only with content type exactly `application/json`, retries a 429
only when it carries a `Via` header, connects an unsharded client (and a sharded one given its shard count)
straight to its DEFAULT_GATEWAY, and expects a JSON body from an interaction callback sent `with_response`.

Sharding as Discord does it: several gateway connections at once (one per shard, from one or more processes),
each IDENTIFY's `shard: [i, n]` echoed in its READY, and a shard told only about the guilds whose
`(guild_id >> 22) % n == i`; guild events go only to the connection that owns the guild.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fake_discord_payloads import (  # noqa: F401 - the ids are imported from here by the tests
    ADMIN_CHANNEL_ID,
    ADMIN_ROLE_ID,
    APP_ID,
    BASIC_PERMS,
    BOT_ID,
    BOT_USER,
    CHANNEL_2_ID,
    CHANNEL_ID,
    EVERYONE_ROLE,
    GUILD_2_ID,
    GUILD_EVENTS,
    GUILD_ID,
    MANAGE_GUILD,
    guild_payload,
    interaction_payload,
    message_payload,
    shard_of,
    snowflake,
    thread_payload,
    user,
)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with the bare content type discord.py insists on."""
    return web.Response(status=status, body=json.dumps(data).encode(),
                        headers={"Content-Type": "application/json", **(headers or {})})


# The fake sends every GUILD_CREATE at once: discord.py's 2 s wait for late guilds (guild_ready_timeout)
# would only slow the in-process tests down.
FAST_READY = 0.1


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    status: int = 200
    auth: str | None = None  # the Authorization header: tells apart bot processes given different tokens


@dataclass
class Failure:
    """A canned error answer for the next matching request(s)."""

    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int = 1


@dataclass
class FakeDiscord:
    """The fake server; start() it, then point DISCORD_API_BASE / DISCORD_GATEWAY_URL at it."""

    guild_roles: list[dict[str, Any]] = field(default_factory=list)
    # guild id -> its text channels (the first is "news", the second "admin", any more "news-N").
    guilds: dict[int, tuple[int, ...]] = field(default_factory=lambda: {GUILD_ID: (CHANNEL_ID, ADMIN_CHANNEL_ID)})
    recommended_shards: int = 1  # what GET /gateway/bot answers
    requests: list[Recorded] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    port: int = 0
    identified: threading.Event = field(default_factory=threading.Event)
    synced: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_shard: dict[int, tuple[int, int]] = {}  # id(socket) -> (shard id, shard count)
        self.identifies: list[dict[str, Any]] = []  # every IDENTIFY payload, in order
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self._extra_runner: web.AppRunner | None = None
        self.extra_port = 0
        self.extra_routes: Callable[[web.Application], None] | None = None
        self.sent_interactions: dict[str, float] = {}
        self.identify: dict[str, Any] = {}
        self.threads: dict[str, dict[str, Any]] = {}  # id -> thread channel payload, as Discord keeps them
        self.holds: list[list[Any]] = []  # [method, pattern, requests to let through first, seconds to hold]

    # ---- lifecycle -------------------------------------------------------------------------------------
    def start(self, extra: Callable[[web.Application], None] | None = None) -> None:
        """Start the server (and `extra` routes on a second port, e.g. an article server) in a background thread."""
        ready = threading.Event()
        self.extra_routes = extra

        def main() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._start())
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=main, daemon=True, name="fake-discord").start()
        if not ready.wait(10):
            raise RuntimeError("fake Discord did not start")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if self.extra_routes:
            # A second server on its own port: the "public web" the bot may fetch from.
            extra = web.Application()
            self.extra_routes(extra)
            self._extra_runner = web.AppRunner(extra)
            await self._extra_runner.setup()
            extra_site = web.TCPSite(self._extra_runner, "127.0.0.1", 0)
            await extra_site.start()
            self.extra_port = extra_site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        """Stop the server thread."""
        if self._loop is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            for ws in list(self._sockets):
                await ws.close()
            for runner in (self._runner, self._extra_runner):
                if runner:
                    await runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)

    @property
    def api_base(self) -> str:
        """Value for DISCORD_API_BASE."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Value for DISCORD_GATEWAY_URL."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ---- test helpers ----------------------------------------------------------------------------------
    def fail_next(self, method: str, path_regex: str, *, status: int = 429, retry_after: float = 0.2,
                  via: bool = True, times: int = 1) -> None:
        """Answer the next `times` matching requests with an error (a 429 with Via by default)."""
        headers = {"Via": "1.1 google"} if via else {}
        if status == 429:
            headers.update({"Retry-After": str(retry_after), "X-RateLimit-Scope": "user"})
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
        with self._lock:
            self.failures.append(Failure(method, re.compile(path_regex), status, body, headers, times))

    def hold_next(self, method: str, path_regex: str, seconds: float, *, after: int = 0) -> None:
        """Answer the matching request that follows `after` others only `seconds` after it arrived (it is recorded
        on arrival), e.g. to kill a bot while its post is in flight."""
        with self._lock:
            self.holds.append([method, re.compile(path_regex), after, seconds])

    def archive_thread(self, thread_id: str) -> None:
        """Archive a thread, as Discord does after its auto-archive duration without activity."""
        with self._lock:
            self.threads[thread_id]["thread_metadata"]["archived"] = True
        self.dispatch("THREAD_UPDATE", self.threads[thread_id])

    def thread(self, parent_id: int, name: str, *, archived: bool = False) -> dict[str, Any]:
        """Make a public thread in a channel (as if someone had started it) and return its payload."""
        payload = thread_payload(self.channel_guild(parent_id), parent_id, name, archived=archived)
        self.threads[payload["id"]] = payload
        return payload

    def find(self, method: str, path_regex: str) -> list[Recorded]:
        """Recorded requests with this method whose path matches."""
        pattern = re.compile(path_regex)
        with self._lock:
            return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    def wait_for(self, method: str, path_regex: str, *, count: int = 1, timeout: float = 20.0) -> list[Recorded]:
        """Block until `count` matching requests arrived; returns them (raises on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.find(method, path_regex)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {count} x {method} {path_regex}; got "
                             f"{[(r.method, r.path) for r in self.requests][-15:]}")

    def interaction(self, name: str, options: list[dict[str, Any]] | None = None, *, user_id: int = 800000000000000001,
                    permissions: int = BASIC_PERMS, roles: tuple[int, ...] = ()) -> tuple[str, str]:
        """Build and send a slash-command INTERACTION_CREATE; returns (interaction id, token)."""
        iid, token = snowflake(), f"tok{snowflake()}"
        payload = interaction_payload(iid, token, name, options or [], user_id=user_id, permissions=permissions,
                                      roles=roles)
        self.sent_interactions[iid] = time.monotonic()
        self.dispatch("INTERACTION_CREATE", payload)
        return iid, token

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH event to every connected shard that owns its guild (every shard when it has none)."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._dispatch(event, data), self._loop).result(5)

    def _owns(self, ws: web.WebSocketResponse, guild_id: int) -> bool:
        shard_id, count = self._socket_shard.get(id(ws), (0, 1))
        return shard_of(guild_id, count) == shard_id

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        guild = data.get("id") if event in GUILD_EVENTS else data.get("guild_id")
        for ws in list(self._sockets):
            if not ws.closed and (guild is None or self._owns(ws, int(guild))):
                await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    def channel_guild(self, channel_id: int) -> int:
        """The guild a channel belongs to (GUILD_ID for a channel the fake does not know)."""
        return next((g for g, channels in self.guilds.items() if channel_id in channels), GUILD_ID)

    def connected_shards(self) -> list[tuple[int, int]]:
        """(shard id, shard count) of every open gateway connection that has identified."""
        return [self._socket_shard[id(ws)] for ws in list(self._sockets)
                if not ws.closed and id(ws) in self._socket_shard]

    # ---- gateway ---------------------------------------------------------------------------------------
    def guild_payload(self, guild_id: int = GUILD_ID) -> dict[str, Any]:
        """GUILD_CREATE data: the guild, its text channels, its active threads, @everyone and an admin role."""
        threads = [t for t in self.threads.values()
                   if not t["thread_metadata"]["archived"] and t["guild_id"] == str(guild_id)]
        return guild_payload(guild_id, self.guilds[guild_id], threads)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    await self._identify(ws, frame["d"])
        finally:
            self._sockets.remove(ws)
            self._socket_shard.pop(id(ws), None)
        return ws

    async def _identify(self, ws: web.WebSocketResponse, identify: dict[str, Any]) -> None:
        """READY for the identified shard, then a GUILD_CREATE for each guild on that shard."""
        shard_id, count = identify.get("shard") or (0, 1)
        self._socket_shard[id(ws)] = (shard_id, count)
        with self._lock:
            self.identify = identify
            self.identifies.append(identify)
        self.identified.set()
        mine = [g for g in self.guilds if shard_of(g, count) == shard_id]
        ready = {"v": 10, "user": BOT_USER, "guilds": [{"id": str(g), "unavailable": True} for g in mine],
                 "session_id": f"fake-session-{shard_id}", "resume_gateway_url": self.gateway_url,
                 "application": {"id": str(APP_ID), "flags": 0}, "private_channels": [],
                 "relationships": [], "shard": [shard_id, count]}
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
        for guild_id in mine:
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq),
                                          "d": self.guild_payload(guild_id)}))

    # ---- REST ------------------------------------------------------------------------------------------
    def message(self, channel_id: str, body: dict[str, Any], *, flags: int = 0,
                author: dict[str, Any] | None = None) -> dict[str, Any]:
        """A message payload echoing what was posted."""
        return message_payload(channel_id, body, flags=flags, author=author)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        rec = Recorded(request.method, path, dict(request.query), body, time.monotonic(),
                       auth=request.headers.get("Authorization"))
        hold = 0.0
        with self._lock:
            self.requests.append(rec)
            for fail in self.failures:
                if fail.times > 0 and fail.method == request.method and fail.pattern.search(path):
                    fail.times -= 1
                    rec.status = fail.status
                    return json_response(fail.body, fail.status, fail.headers)
            for entry in self.holds:
                if entry[0] == request.method and entry[1].search(path):
                    if entry[2] == 0:
                        self.holds.remove(entry)
                        hold = entry[3]
                    else:
                        entry[2] -= 1
                    break
        if hold:
            await asyncio.sleep(hold)
        return self._answer(request.method, path, body if isinstance(body, (dict, list)) else {})

    def _answer(self, method: str, path: str, body: Any) -> web.Response:
        if method == "GET" and path == "/users/@me":
            return json_response(BOT_USER)
        if method == "GET" and path == "/gateway/bot":
            # Asked by a sharded client that was given no shard count.
            return json_response({"url": self.gateway_url, "shards": self.recommended_shards,
                                  "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0,
                                                          "max_concurrency": 1}})
        if method == "GET" and path == "/oauth2/applications/@me":
            return json_response({"id": str(APP_ID), "name": "newsbrief", "description": "", "icon": None,
                                  "bot_public": True, "bot_require_code_grant": False, "owner": user(1, "owner"),
                                  "verify_key": "00", "flags": 0, "summary": ""})
        if method == "PUT" and re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path):
            guild = re.search(r"/guilds/(\d+)/", path)
            out = [{**c, "id": snowflake(), "application_id": str(APP_ID), "version": "1",
                    "guild_id": guild.group(1) if guild else None, "default_member_permissions":
                    c.get("default_member_permissions"), "dm_permission": True, "nsfw": False}
                   for c in body]
            self.synced.set()
            return json_response(out)
        if method == "POST" and re.fullmatch(r"/interactions/\d+/[^/]+/callback", path):
            iid = path.split("/")[2]
            data = body.get("data") or {}
            return json_response({"interaction": {"id": iid, "type": 2, "response_message_loading": body.get("type") == 5,
                                                  "response_message_ephemeral": bool((data.get("flags") or 0) & 64)},
                                  "resource": {"type": body.get("type")}})
        if method == "POST" and re.fullmatch(r"/webhooks/\d+/[^/]+", path):
            return json_response(self.message(str(CHANNEL_ID), body))
        if method == "PATCH" and re.fullmatch(r"/webhooks/\d+/[^/]+/messages/[^/]+", path):
            return json_response(self.message(str(CHANNEL_ID), body))
        if method == "DELETE" and re.fullmatch(r"/webhooks/\d+/[^/]+/messages/[^/]+", path):
            return web.Response(status=204)
        if method == "POST" and (m := re.fullmatch(r"/channels/(\d+)/threads", path)):
            thread = self.thread(int(m.group(1)), body["name"])
            thread["thread_metadata"]["auto_archive_duration"] = body.get("auto_archive_duration", 4320)
            assert self._loop is not None  # Discord tells the gateway too
            self._loop.create_task(self._dispatch("THREAD_CREATE", {**thread, "newly_created": True}))
            return json_response(thread, 201)
        if method == "GET" and (m := re.fullmatch(r"/guilds/(\d+)/threads/active", path)):
            active = [t for t in self.threads.values() if not t["thread_metadata"]["archived"]]
            return json_response({"threads": active, "members": []})
        if method == "GET" and (m := re.fullmatch(r"/channels/(\d+)/threads/archived/public", path)):
            archived = [t for t in self.threads.values()
                        if t["thread_metadata"]["archived"] and t["parent_id"] == m.group(1)]
            return json_response({"threads": archived, "members": [], "has_more": False})
        if method == "PATCH" and (m := re.fullmatch(r"/channels/(\d+)", path)) and m.group(1) in self.threads:
            thread = self.threads[m.group(1)]
            if "archived" in body:
                thread["thread_metadata"]["archived"] = body["archived"]
            return json_response(thread)
        if method == "GET" and (m := re.fullmatch(r"/channels/(\d+)", path)) and m.group(1) in self.threads:
            return json_response(self.threads[m.group(1)])
        if method == "POST" and (m := re.fullmatch(r"/channels/(\d+)/messages", path)):
            return json_response(self.message(m.group(1), body))
        if method == "GET" and (m := re.fullmatch(r"/channels/(\d+)", path)):
            guild_id = self.channel_guild(int(m.group(1)))
            return json_response({"id": m.group(1), "type": 0, "guild_id": str(guild_id), "name": "news",
                                  "position": 0, "permission_overwrites": []})
        return json_response({"message": f"fake Discord has no route {method} {path}", "code": 0}, 404)
