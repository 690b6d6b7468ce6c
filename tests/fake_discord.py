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

APP_ID = 900000000000000001
BOT_ID = APP_ID
GUILD_ID = 910000000000000001
CHANNEL_ID = 920000000000000001
ADMIN_CHANNEL_ID = 920000000000000002
EVERYONE_ROLE = GUILD_ID
ADMIN_ROLE_ID = 930000000000000001
MANAGE_GUILD = 1 << 5
BASIC_PERMS = (1 << 10) | (1 << 11) | (1 << 31)  # view channel, send messages, use application commands
# A second guild on the other shard of two: (GUILD_ID >> 22) % 2 == 0, (GUILD_2_ID >> 22) % 2 == 1.
GUILD_2_ID = GUILD_ID + (1 << 22)
CHANNEL_2_ID = 920000000000000003
# Events whose payload is the guild itself (its id under "id"); the others name it in "guild_id".
GUILD_EVENTS = ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE")
_ids = itertools.count(990000000000000001)


def snowflake() -> str:
    """A fresh id."""
    return str(next(_ids))


def user(uid: int | str, name: str = "someone", *, bot: bool = False) -> dict[str, Any]:
    """A user payload."""
    return {"id": str(uid), "username": name, "global_name": name, "discriminator": "0", "avatar": None,
            "bot": bot, "public_flags": 0}


BOT_USER = user(BOT_ID, "newsbrief", bot=True)


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events (Discord's documented rule)."""
    return (guild_id >> 22) % shard_count


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with the bare content type discord.py insists on."""
    return web.Response(status=status, body=json.dumps(data).encode(),
                        headers={"Content-Type": "application/json", **(headers or {})})


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
        tid = snowflake()
        self.threads[tid] = {
            "id": tid, "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(parent_id), "name": name,
            "owner_id": str(BOT_ID), "message_count": 0, "member_count": 1, "rate_limit_per_user": 0, "flags": 0,
            "last_message_id": None, "thread_metadata": {"archived": archived, "auto_archive_duration": 10080,
                                                         "archive_timestamp": "2026-01-01T00:00:00+00:00",
                                                         "locked": False}}
        return self.threads[tid]

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
        data = {"id": str(APP_ID + 7), "name": name, "type": 1, "options": options or [], "guild_id": str(GUILD_ID)}
        payload = {
            "id": iid, "application_id": str(APP_ID), "type": 2, "data": data, "guild_id": str(GUILD_ID),
            "channel_id": str(CHANNEL_ID), "channel": {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID),
                                                       "name": "news", "position": 0, "permission_overwrites": []},
            "member": {"user": user(user_id, f"user{user_id % 1000}"), "roles": [str(r) for r in roles],
                       "permissions": str(permissions), "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False,
                       "mute": False, "flags": 0, "nick": None, "avatar": None},
            "token": token, "version": 1, "app_permissions": str(BASIC_PERMS | (1 << 14)), "locale": "en-US",
            "guild_locale": "en-US", "entitlements": [], "authorizing_integration_owners": {"0": str(GUILD_ID)},
            "context": 0, "attachment_size_limit": 10485760,
        }
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
        """GUILD_CREATE data: the guild, its text channels, @everyone and an admin role."""
        names = ["news", "admin"] + [f"news-{n}" for n in range(2, len(self.guilds[guild_id]))]
        channels = [{"id": str(cid), "type": 0, "guild_id": str(guild_id), "name": name, "position": i,
                     "permission_overwrites": [], "nsfw": False, "topic": None, "last_message_id": None,
                     "rate_limit_per_user": 0, "parent_id": None}
                    for i, (cid, name) in enumerate(zip(self.guilds[guild_id], names, strict=False))]
        admin_role = ADMIN_ROLE_ID if guild_id == GUILD_ID else guild_id + 1
        # Discord gives @everyone the guild's own id.
        roles = [{"id": str(guild_id), "name": "@everyone", "permissions": str(BASIC_PERMS), "position": 0,
                  "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0},
                 {"id": str(admin_role), "name": "News Admin", "permissions": str(BASIC_PERMS), "position": 1,
                  "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}]
        return {"id": str(guild_id), "name": "Test Guild", "icon": None, "owner_id": "1", "unavailable": False,
                "member_count": 2, "large": False, "channels": channels, "roles": roles,
                "threads": [t for t in self.threads.values()
                            if not t["thread_metadata"]["archived"] and t["guild_id"] == str(guild_id)],
                "members": [], "emojis": [], "stickers": [], "features": [], "voice_states": [], "presences": [],
                "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
                "joined_at": "2024-01-01T00:00:00+00:00", "preferred_locale": "en-US", "premium_tier": 0,
                "verification_level": 0, "explicit_content_filter": 0, "default_message_notifications": 0,
                "mfa_level": 0, "nsfw_level": 0, "system_channel_flags": 0, "afk_timeout": 300}

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
        return {"id": snowflake(), "channel_id": channel_id, "type": 0, "content": body.get("content") or "",
                "author": author or BOT_USER, "embeds": body.get("embeds") or [], "attachments": [], "mentions": [],
                "mention_roles": [], "mention_everyone": False, "pinned": False, "tts": False,
                "timestamp": "2026-01-01T00:00:00+00:00", "edited_timestamp": None,
                "flags": body.get("flags", flags) or 0, "components": [], "webhook_id": str(APP_ID)}

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
