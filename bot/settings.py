"""config.yaml -> frozen typed settings.

INTERIM LOADER: the shapes below are the contract other modules code against;
the full validation (line/column errors, did-you-mean, env substitution) is issue 5.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.errors import ConfigError


@dataclass(frozen=True)
class DiscordSettings:
    """Discord-side options (the token comes from DISCORD_TOKEN, never from here)."""

    guilds: tuple[int, ...] = ()
    admin_role: str | None = None
    admin_channel: int | None = None
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class DefaultsSettings:
    """Defaults for briefings when a command or feed does not say."""

    language: str = "auto"
    algorithm: str = "news"
    sentences: int = 3
    max_actors: int = 10
    max_related: int = 8


@dataclass(frozen=True)
class FetchSettings:
    """Network limits for every page and feed fetch."""

    connect_timeout: float = 10.0
    timeout: float = 30.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    max_url_length: int = 2048
    concurrency: int = 8
    per_host_concurrency: int = 2
    allow_private_networks: bool = False
    allow_hosts: tuple[str, ...] = ()
    allow_ports: tuple[int, ...] = ()
    user_agent: str = "newsbrief/0.1 (+https://github.com/newsbrief/newsbrief)"
    extract_timeout: float = 20.0


@dataclass(frozen=True)
class FeedSettings:
    """One news feed."""

    id: str
    url: str
    name: str | None = None
    language: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    include_regex: tuple[str, ...] = ()
    exclude_regex: tuple[str, ...] = ()
    max_items: int = 20
    first_fetch: Literal["store", "post"] = "store"
    priority: int = 0


@dataclass(frozen=True)
class DigestSettings:
    """One scheduled digest posted to one channel."""

    id: str
    channel: int
    schedule: str
    feeds: tuple[str, ...]
    timezone: str = "UTC"
    max_stories: int = 8
    sentences: int = 3
    thread: str | None = None
    empty: Literal["message", "silent"] = "message"
    catch_up: bool = True


@dataclass(frozen=True)
class StorageSettings:
    """Where runtime state lives."""

    path: str = "data/newsbrief.db"
    url: str | None = None


@dataclass(frozen=True)
class LoggingSettings:
    """Log level and format."""

    level: str = "INFO"
    format: Literal["text", "json"] = "text"


@dataclass(frozen=True)
class CommandSettings:
    """Per-user and global limits on chat commands."""

    brief_cooldown: float = 10.0
    max_concurrent_briefings: int = 4


@dataclass(frozen=True)
class Settings:
    """The whole validated configuration."""

    discord: DiscordSettings = field(default_factory=DiscordSettings)
    defaults: DefaultsSettings = field(default_factory=DefaultsSettings)
    feeds: tuple[FeedSettings, ...] = ()
    digests: tuple[DigestSettings, ...] = ()
    fetch: FetchSettings = field(default_factory=FetchSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    commands: CommandSettings = field(default_factory=CommandSettings)
    source: str | None = None


def _build(cls: Any, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping")
    kwargs: dict[str, Any] = {}
    known = {f.name: f for f in fields(cls)}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{path}.{key}: unknown key")
        sub = known[key].default_factory if known[key].default_factory is not None else None  # type: ignore[misc]
        if sub is not None and is_dataclass(sub):
            kwargs[key] = _build(sub, value or {}, f"{path}.{key}")
        elif isinstance(value, list):
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    return cls(**kwargs)


def load_settings(path: str | Path | None) -> Settings:
    """Read and validate a config file; None or a missing default file gives the defaults."""
    if path is None:
        return Settings()
    text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the file must hold a mapping")
    feeds = tuple(_build(FeedSettings, f, f"feeds[{i}]") for i, f in enumerate(data.pop("feeds", []) or []))
    digests = tuple(_build(DigestSettings, d, f"digests[{i}]") for i, d in enumerate(data.pop("digests", []) or []))
    base = _build(Settings, data, "config")
    from dataclasses import replace

    return replace(base, feeds=feeds, digests=digests, source=str(path))
