"""What each config key may hold, beyond its type: ranges, value checks, ids, normalisation.

The validator (bot/config_schema.py) derives types from the Settings dataclasses; this table adds
the rules a type cannot say. A new key with a range or a value check gets its line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import config_checks as checks
from bot.settings import (
    CommandSettings,
    DefaultsSettings,
    DigestSettings,
    DiscordSettings,
    FeedSettings,
    FetchSettings,
    LoggingSettings,
    OpsSettings,
    Settings,
    StorageSettings,
)

Rule = Callable[[Any], "str | None"]


def _value(check: Callable[[str], str | None]) -> Rule:
    """Turn a config_checks reason into a full message that quotes the value."""

    def rule(value: Any) -> str | None:
        reason = check(value)
        return f"{checks.quote(value)} {reason}" if reason else None

    return rule


def _num(value: float) -> str:
    """2.0 -> "2", 2.5 -> "2.5": numbers as the admin would have typed them."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _between(low: int, high: int) -> Rule:
    return lambda v: None if low <= v <= high else f"must be between {low} and {high}, got {_num(v)}"


def _at_least(low: int) -> Rule:
    return lambda v: None if v >= low else f"must be at least {low}, got {_num(v)}"


def _positive(v: float) -> str | None:
    return None if v > 0 else f"must be greater than 0, got {_num(v)}"


def _off_or_at_least(low: int) -> Rule:
    return lambda v: None if v == 0 or v >= low else f"must be 0 (off) or at least {low}, got {_num(v)}"


def _not_blank(v: str) -> str | None:
    return None if v.strip() else "must not be empty"


# Checks applied to each value (each item, for list fields) after its type is known.
RULES: dict[tuple[type, str], Rule] = {
    (DiscordSettings, "shard_count"): _at_least(1),
    (DiscordSettings, "shard_ids"): _at_least(0),
    (DefaultsSettings, "language"): _value(checks.check_language),
    (DefaultsSettings, "algorithm"): _value(checks.check_algorithm),
    (DefaultsSettings, "sentences"): _between(1, 10),
    (DefaultsSettings, "max_actors"): _at_least(0),
    (DefaultsSettings, "max_related"): _at_least(0),
    (FetchSettings, "connect_timeout"): _positive,
    (FetchSettings, "timeout"): _positive,
    (FetchSettings, "extract_timeout"): _positive,
    (FetchSettings, "max_bytes"): _positive,
    (FetchSettings, "max_redirects"): _at_least(0),
    (FetchSettings, "max_url_length"): _at_least(16),
    (FetchSettings, "concurrency"): _at_least(1),
    (FetchSettings, "per_host_concurrency"): _at_least(1),
    (FetchSettings, "allow_hosts"): _value(checks.check_host),
    (FetchSettings, "allow_ports"): _between(1, 65535),
    (FetchSettings, "user_agent"): _not_blank,
    # Polling a feed more often than every 30 s is impolite and gains nothing.
    (FetchSettings, "feed_interval"): _off_or_at_least(30),
    (FetchSettings, "retry_base"): _positive,
    (FetchSettings, "retry_max"): _positive,
    (FetchSettings, "pause_after_failures"): _at_least(1),
    (FeedSettings, "id"): _value(checks.check_id),
    (FeedSettings, "url"): _value(checks.check_http_url),
    (FeedSettings, "language"): _value(checks.check_language),
    (FeedSettings, "include"): _not_blank,
    (FeedSettings, "exclude"): _not_blank,
    (FeedSettings, "include_regex"): _value(checks.check_regex),
    (FeedSettings, "exclude_regex"): _value(checks.check_regex),
    (FeedSettings, "max_items"): _at_least(1),
    (FeedSettings, "interval"): _off_or_at_least(30),
    (DigestSettings, "id"): _value(checks.check_id),
    (DigestSettings, "schedule"): _value(checks.check_cron),
    (DigestSettings, "timezone"): _value(checks.check_timezone),
    (DigestSettings, "max_stories"): _between(1, 50),
    (DigestSettings, "sentences"): _between(1, 10),
    (StorageSettings, "path"): _not_blank,
    (StorageSettings, "url"): _value(checks.check_storage_url),
    (LoggingSettings, "level"): _value(checks.check_log_level),
    (CommandSettings, "brief_cooldown"): _at_least(0),
    (CommandSettings, "max_concurrent_briefings"): _at_least(1),
    (OpsSettings, "host"): _not_blank,
    (OpsSettings, "port"): _between(1, 65535),
}
# Checks on a whole list field.
LIST_RULES: dict[tuple[type, str], Rule] = {
    (DigestSettings, "feeds"): lambda v: None if v else "must name at least one feed",
}
# Discord ids: YAML ints or digit strings (ids above 2**53 are often quoted to survive JSON tools).
SNOWFLAKES: set[tuple[type, str]] = {(DiscordSettings, "guilds"), (DiscordSettings, "admin_channel"), (DigestSettings, "channel")}
NORMALISE: dict[tuple[type, str], Callable[[Any], Any]] = {
    (LoggingSettings, "level"): str.upper,
    (FetchSettings, "allow_hosts"): str.lower,
    # `${NAME:-}` unset gives "": no database URL, the SQLite file.
    (StorageSettings, "url"): lambda v: v.strip() or None,
}
# Keys refused with a specific explanation instead of "unknown key".
SPECIAL_KEYS: dict[tuple[type, str], str] = {
    (DiscordSettings, "token"): "secrets are not read from the file: set the DISCORD_TOKEN environment variable",
}
INTERNAL = {(Settings, "source"), (Settings, "from_env")}
