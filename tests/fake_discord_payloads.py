"""The fake Discord's ids and the JSON payloads it sends (users, guilds, channels, threads, messages,
interactions), shaped as discord.py 2.x parses them."""

from __future__ import annotations

import itertools
from typing import Any

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


def guild_payload(guild_id: int, channel_ids: tuple[int, ...], threads: list[dict[str, Any]]) -> dict[str, Any]:
    """GUILD_CREATE data: the guild, its text channels ("news", "admin", then "news-N"), its active threads,
    @everyone and an admin role."""
    names = ["news", "admin"] + [f"news-{n}" for n in range(2, len(channel_ids))]
    channels = [{"id": str(cid), "type": 0, "guild_id": str(guild_id), "name": name, "position": i,
                 "permission_overwrites": [], "nsfw": False, "topic": None, "last_message_id": None,
                 "rate_limit_per_user": 0, "parent_id": None}
                for i, (cid, name) in enumerate(zip(channel_ids, names, strict=False))]
    admin_role = ADMIN_ROLE_ID if guild_id == GUILD_ID else guild_id + 1
    # Discord gives @everyone the guild's own id.
    roles = [{"id": str(guild_id), "name": "@everyone", "permissions": str(BASIC_PERMS), "position": 0,
              "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0},
             {"id": str(admin_role), "name": "News Admin", "permissions": str(BASIC_PERMS), "position": 1,
              "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}]
    return {"id": str(guild_id), "name": "Test Guild", "icon": None, "owner_id": "1", "unavailable": False,
            "member_count": 2, "large": False, "channels": channels, "roles": roles, "threads": threads,
            "members": [], "emojis": [], "stickers": [], "features": [], "voice_states": [], "presences": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "joined_at": "2024-01-01T00:00:00+00:00", "preferred_locale": "en-US", "premium_tier": 0,
            "verification_level": 0, "explicit_content_filter": 0, "default_message_notifications": 0,
            "mfa_level": 0, "nsfw_level": 0, "system_channel_flags": 0, "afk_timeout": 300}


def thread_payload(guild_id: int, parent_id: int, name: str, *, archived: bool = False) -> dict[str, Any]:
    """A public thread of a text channel, started by the bot."""
    return {"id": snowflake(), "type": 11, "guild_id": str(guild_id), "parent_id": str(parent_id), "name": name,
            "owner_id": str(BOT_ID), "message_count": 0, "member_count": 1, "rate_limit_per_user": 0, "flags": 0,
            "last_message_id": None, "thread_metadata": {"archived": archived, "auto_archive_duration": 10080,
                                                         "archive_timestamp": "2026-01-01T00:00:00+00:00",
                                                         "locked": False}}


def message_payload(channel_id: str, body: dict[str, Any], *, flags: int = 0,
                    author: dict[str, Any] | None = None) -> dict[str, Any]:
    """A message payload echoing what was posted."""
    return {"id": snowflake(), "channel_id": channel_id, "type": 0, "content": body.get("content") or "",
            "author": author or BOT_USER, "embeds": body.get("embeds") or [], "attachments": [], "mentions": [],
            "mention_roles": [], "mention_everyone": False, "pinned": False, "tts": False,
            "timestamp": "2026-01-01T00:00:00+00:00", "edited_timestamp": None,
            "flags": body.get("flags", flags) or 0, "components": [], "webhook_id": str(APP_ID)}


def interaction_payload(iid: str, token: str, name: str, options: list[dict[str, Any]], *, user_id: int,
                        permissions: int, roles: tuple[int, ...]) -> dict[str, Any]:
    """A slash-command INTERACTION_CREATE in the first guild's news channel."""
    data = {"id": str(APP_ID + 7), "name": name, "type": 1, "options": options, "guild_id": str(GUILD_ID)}
    return {
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
