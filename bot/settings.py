"""config.yaml -> frozen typed settings.

The dataclasses below are the contract other modules code against (field names and
defaults). bot/config_schema.py validates a file against them and reports every problem
as `file:line:column key.path: what is wrong`; docs/configuration.md documents each key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

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
    max_actors: int = 15
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
    feed_interval: float = 900.0
    retry_base: float = 60.0
    retry_max: float = 6 * 3600.0
    pause_after_failures: int = 5


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
    interval: float | None = None

    def poll_interval(self, default: float) -> float:
        """This feed's polling interval in seconds: its own `interval`, else `default` (fetch.feed_interval); 0 is off."""
        return default if self.interval is None else self.interval


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
class OpsSettings:
    """The operators' HTTP endpoint (/healthz, /metrics); off unless enabled."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 9108


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
    ops: OpsSettings = field(default_factory=OpsSettings)
    source: str | None = None
    # Key paths whose value came from ${NAME}: public_view hides them, they may be secrets.
    from_env: tuple[str, ...] = field(default=(), compare=False)


def parse_settings(text: str, *, filename: str = "config.yaml", env: Mapping[str, str] | None = None) -> Settings:
    """Validate config text; raises ConfigError listing every problem. `env` defaults to os.environ."""
    from bot.config_schema import validate

    settings, problems = validate(text, filename, env)
    if settings is None:
        raise ConfigError(problems)
    return settings


def load_settings(path: str | Path | None) -> Settings:
    """Read and validate a config file; None gives the defaults. Raises ConfigError."""
    if path is None:
        return Settings()
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{name}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise ConfigError(f"{name}: cannot be read ({err.strerror or err})") from None
    return parse_settings(text, filename=name)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summarise_settings(settings: Settings) -> str:
    """One line for check-config, e.g. "config.yaml OK: 3 feeds, 2 digests, 1 guild"."""
    name = settings.source or "defaults"
    parts = [
        _plural(len(settings.feeds), "feed"),
        _plural(len(settings.digests), "digest"),
        _plural(len(settings.discord.guilds), "guild"),
    ]
    return f"{name} OK: {', '.join(parts)}"


_HIDDEN = "(hidden)"


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{_HIDDEN}@{host}"))


def _hide(data: Any, path: list[str]) -> None:
    """Replace the value at a key path like "feeds[0].url" inside nested dicts and lists."""
    node = data
    for step in path[:-1]:
        node = node[int(step)] if isinstance(node, list) else node[step]
    last = path[-1]
    if isinstance(node, list):
        node[int(last)] = _HIDDEN
    else:
        node[last] = _HIDDEN


def public_view(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, without secrets (for /config show)."""
    data = asdict(settings)
    data.pop("from_env", None)

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    data = plain(data)
    for key_path in settings.from_env:
        steps = [s for s in key_path.replace("[", ".").replace("]", "").split(".") if s]
        try:
            _hide(data, steps)
        except (KeyError, IndexError, ValueError, TypeError):
            continue  # the value was dropped or reshaped; nothing left to hide
    if data["storage"].get("url") and data["storage"]["url"] != _HIDDEN:
        data["storage"]["url"] = _without_password(data["storage"]["url"])
    for feed in data["feeds"]:
        if feed["url"] != _HIDDEN:
            feed["url"] = _without_password(feed["url"])
    return data
