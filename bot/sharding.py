"""Which Discord shards this process runs (config or NEWSBRIEF_SHARD_* environment), and which digests it owns."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import ConfigError
from bot.settings import DigestSettings, DiscordSettings

ENV_COUNT = "NEWSBRIEF_SHARD_COUNT"
ENV_IDS = "NEWSBRIEF_SHARD_IDS"


@dataclass(frozen=True)
class ShardPlan:
    """The gateway shards of this process: `count` None means unsharded (one connection, every guild);
    `ids` None with a count means every shard 0..count-1 in this process."""

    count: int | None = None
    ids: tuple[int, ...] | None = None

    @property
    def sharded(self) -> bool:
        """Whether the bot connects with explicit shards (AutoShardedBot)."""
        return self.count is not None

    @property
    def partial(self) -> bool:
        """Whether other processes run some of the shards (so state must be shared through the database)."""
        return self.count is not None and self.ids is not None and len(self.ids) < self.count

    def owns_guild(self, guild_id: int) -> bool:
        """Whether a guild's events come to this process: Discord's rule is (guild_id >> 22) % count."""
        if self.count is None or self.ids is None:
            return True
        return (guild_id >> 22) % self.count in self.ids

    def describe(self) -> str:
        """For the log: 'unsharded', 'shards 0-3 of 4' or 'shards 0,2 of 4'."""
        if self.count is None:
            return "unsharded"
        ids = self.ids if self.ids is not None else tuple(range(self.count))
        return f"shard{'s' if len(ids) > 1 else ''} {','.join(map(str, ids))} of {self.count}"


def _parse_count(text: str) -> int:
    try:
        count = int(text.strip())
    except ValueError:
        raise ConfigError(f"{ENV_COUNT}={text!r}: must be a whole number ≥ 1") from None
    if count < 1:
        raise ConfigError(f"{ENV_COUNT}={text!r}: must be a whole number ≥ 1")
    return count


def _parse_ids(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",")]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"{ENV_IDS}={text!r}: must be shard numbers separated by commas, e.g. \"0,2\"") from None


def resolve_shards(discord: DiscordSettings, env: Mapping[str, str] | None = None) -> ShardPlan:
    """This process's shards: NEWSBRIEF_SHARD_COUNT / NEWSBRIEF_SHARD_IDS (when set and not empty) override
    discord.shard_count / discord.shard_ids. Raises ConfigError for ids without a count, an empty list,
    a repeated id or an id outside 0..count-1."""
    env = os.environ if env is None else env
    count_text, ids_text = env.get(ENV_COUNT, "").strip(), env.get(ENV_IDS, "").strip()
    count = _parse_count(count_text) if count_text else discord.shard_count
    ids = _parse_ids(ids_text) if ids_text else discord.shard_ids
    where = ENV_IDS if ids_text else "discord.shard_ids"
    if count is not None and count < 1:
        raise ConfigError(f"discord.shard_count: must be at least 1, got {count}")
    if ids is None:
        return ShardPlan(count, None)
    if count is None:
        raise ConfigError(f"{where} {list(ids)} needs a shard count (discord.shard_count or {ENV_COUNT})")
    if not ids:
        raise ConfigError(f"{where}: name at least one shard, or leave it out to run all {count} here")
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{where} {list(ids)}: a shard is listed twice")
    outside = [i for i in ids if not 0 <= i < count]
    if outside:
        raise ConfigError(f"{where} {list(ids)}: shard ids must be between 0 and {count - 1} "
                          f"(shard count {count}); {', '.join(map(str, outside))} is not")
    return ShardPlan(count, tuple(sorted(ids)))


def channel_owner(client: Any, plan: ShardPlan) -> Callable[[DigestSettings], bool]:
    """The scheduler's ownership predicate for a connected client: the digest's channel is in this client's cache
    and its guild's shard is one of ours (a shard only receives its own guilds, so another process's channel
    is never cached here)."""
    def owns(digest: DigestSettings) -> bool:
        channel = client.get_channel(digest.channel)
        guild = getattr(channel, "guild", None)
        if guild is None:
            return False
        return plan.owns_guild(int(guild.id))

    return owns
