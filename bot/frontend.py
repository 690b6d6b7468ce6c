"""The command layer both front-ends (Discord and the console) call: limits, briefs, digests, config."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from bot.delivery import Delivery
from bot.errors import BriefingError, ConfigError, RateLimitedError
from bot.models import Briefing
from bot.news.briefing import BriefOptions
from bot.settings import DigestSettings, Settings, load_settings

HELP_TEXT = """\
newsbrief reads news articles and feeds and posts short briefings: a summary as bullet points,
the key people and organisations with their roles, and related links.

Commands:
  /brief url [sentences] [private]  brief one article (sentences 1-10; private: only you see it)
  /digest [name]                    post this channel's digest (or the named one) now
  /sources                          the feeds and digests for this channel, their schedules and next run
  /help                             this text
  /config reload | check | show     admins: re-read config.yaml, validate it, show the active settings"""


class ConfigSource(Protocol):
    """What the front-ends need from the config manager: the live settings and a reload."""

    @property
    def current(self) -> Settings:
        """The settings in force now."""
        ...

    async def reload(self, *, reason: str = ...) -> Any:
        """Re-read the file; returns a result with `applied`, `changes` and `errors`."""
        ...


class BriefService(Protocol):
    """The briefing service as the front-ends use it."""

    async def brief_url(self, url: str, options: BriefOptions | None = None) -> Briefing:
        """Fetch and brief one article."""
        ...


@dataclasses.dataclass
class ReloadOutcome:
    """The result of a reload when no ConfigManager is installed."""

    applied: bool
    changes: list[str]
    errors: list[str]


class FileConfig:
    """A minimal ConfigSource over load_settings, for when bot.config_manager is not installed."""

    def __init__(self, path: str | None, settings: Settings | None = None) -> None:
        self.path = path
        self._settings = settings if settings is not None else load_settings(path)

    @property
    def current(self) -> Settings:
        """The settings in force now."""
        return self._settings

    async def reload(self, *, reason: str = "command") -> ReloadOutcome:
        """Re-read the file; on any problem the old settings stay in force."""
        try:
            new = load_settings(self.path)
        except (ConfigError, OSError) as err:
            return ReloadOutcome(False, [], str(err).splitlines())
        changed = [f.name for f in dataclasses.fields(Settings) if getattr(new, f.name) != getattr(self._settings, f.name)]
        self._settings = new
        return ReloadOutcome(True, changed, [])


class _Slot:
    """One admitted briefing: holds a concurrency place until the `with` block ends."""

    def __init__(self, owner: Frontend) -> None:
        self.owner = owner
        self.released = False

    def __enter__(self) -> _Slot:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self.released:
            self.released = True
            self.owner._in_flight -= 1


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


class Frontend:
    """Front-end-neutral commands: each returns data or text and raises BriefingError for the user."""

    def __init__(self, config: ConfigSource, service: BriefService, digests: Any | None = None,
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.service = service
        self.digests = digests
        self.clock = clock
        self._last_brief: dict[str, float] = {}
        self._in_flight = 0

    @property
    def settings(self) -> Settings:
        """The settings in force now (they change on reload)."""
        return self.config.current

    def admit_brief(self, user: str, *, cooldown: bool = True) -> _Slot:
        """Reserve a briefing slot for `user` or raise RateLimitedError saying when to retry."""
        limits = self.settings.commands
        now = self.clock()
        last = self._last_brief.get(user)
        if cooldown and last is not None and now - last < limits.brief_cooldown:
            wait = limits.brief_cooldown - (now - last)
            raise RateLimitedError(f"you asked for a briefing a moment ago; try again in {_seconds(wait)} s.",
                                   retry_after=wait)
        if self._in_flight >= max(1, limits.max_concurrent_briefings):
            raise RateLimitedError(f"the bot is busy with {self._in_flight} briefings; try again in 5 s.",
                                   retry_after=5.0)
        self._last_brief[user] = now
        self._in_flight += 1
        # Forget old cooldowns so the map cannot grow without bound.
        if len(self._last_brief) > 10_000:
            horizon = now - limits.brief_cooldown
            self._last_brief = {u: t for u, t in self._last_brief.items() if t >= horizon}
        return _Slot(self)

    async def build_brief(self, url: str, sentences: int | None = None) -> Briefing:
        """Brief one URL without limits (the caller holds a slot from admit_brief)."""
        url = url.strip().strip("<>")
        if sentences is not None and not 1 <= sentences <= 10:
            raise BriefingError("sentences must be between 1 and 10", hint="Leave it out for the default.")
        # Counted by the service's observer, so that digests' briefings are counted the same way.
        return await self.service.brief_url(url, BriefOptions(sentences=sentences))

    async def brief(self, user: str, url: str, sentences: int | None = None, *, cooldown: bool = True) -> Briefing:
        """Admit, then brief: the whole /brief command for front-ends that need no early acknowledgement."""
        with self.admit_brief(user, cooldown=cooldown):
            return await self.build_brief(url, sentences)

    def find_digests(self, channel: int | None, name: str | None) -> list[DigestSettings]:
        """The digest named `name`, else those posting to `channel` (all of them when channel is None)."""
        digests = self.settings.digests
        if name:
            found = [d for d in digests if d.id == name]
            if not found:
                known = ", ".join(d.id for d in digests) or "none"
                raise BriefingError(f"There is no digest called {name!r}.", hint=f"Configured digests: {known}.")
            return found
        return [d for d in digests if channel is None or d.channel == channel]

    def select_digests(self, channel: int | None, name: str | None) -> list[DigestSettings]:
        """The digests /digest would run, or a BriefingError saying why there are none."""
        chosen = self.find_digests(channel, name)
        if not chosen:
            raise BriefingError("No digest is configured for this channel.",
                                hint="Add one under `digests:` in config.yaml, then /config reload.")
        if self.digests is None:
            raise BriefingError("Digests are not available: the feeds service is not running.",
                                hint="Check the bot's log for why the digest service did not start.")
        return chosen

    async def digest(self, channel: int | None, name: str | None, delivery: Delivery) -> str:
        """Post the named digest (or the channel's) now through `delivery`; returns a line for the caller."""
        chosen = self.select_digests(channel, name)
        service = self.digests
        assert service is not None  # select_digests refuses when there is no service
        lines = []
        for d in chosen:
            report = await service.run(d.id, delivery)
            lines.append(f"{d.id}: {_describe_report(report)}")
        return "\n".join(lines)

    def next_run(self, digest: DigestSettings) -> datetime | None:
        """When the digest runs next, if the digest service knows."""
        if self.digests is None or not hasattr(self.digests, "next_run"):
            return _schedule_next(digest)
        value = self.digests.next_run(digest.id)
        return value if isinstance(value, datetime) else None

    def sources(self, channel: int | None) -> str:
        """The digests and feeds that apply to `channel` (all when None), their schedules and next run."""
        settings = self.settings
        digests = [d for d in settings.digests if channel is None or d.channel == channel]
        if not digests:
            where = "this channel" if channel is not None else "this bot"
            return f"No digests are configured for {where}. /brief works with any article link."
        feeds = {f.id: f for f in settings.feeds}
        lines = []
        for d in digests:
            nxt = self.next_run(d)
            when = nxt.strftime("%Y-%m-%d %H:%M %Z").strip() if nxt else "unknown"
            lines.append(f"Digest {d.id}: schedule `{d.schedule}` ({d.timezone}), next run {when}")
            for fid in d.feeds:
                feed = feeds.get(fid)
                lines.append(f"  - {feed.name or feed.id}: <{feed.url}>" if feed else f"  - {fid} (not defined)")
        return "\n".join(lines)

    def help_text(self) -> str:
        """What the bot does and its commands."""
        return HELP_TEXT

    async def config_reload(self) -> str:
        """Re-read config.yaml and say what changed or why it was refused."""
        result = await self.config.reload(reason="command")
        errors: Sequence[str] = getattr(result, "errors", ()) or ()
        if not getattr(result, "applied", False):
            return "The new configuration was refused; the old one stays in force:\n" + "\n".join(
                f"- {e}" for e in errors)
        changes: Sequence[Any] = getattr(result, "changes", ()) or ()
        if not changes:
            return "Configuration reloaded: nothing changed."
        return "Configuration reloaded. Changed:\n" + "\n".join(f"- {c}" for c in changes)

    def config_check(self) -> str:
        """Validate the config file on disk without applying it."""
        path = self.settings.source or getattr(self.config, "path", None)
        if not path:
            return "No config file is in use (built-in defaults)."
        try:
            load_settings(path)
        except ConfigError as err:
            return f"{path} has problems:\n" + "\n".join(f"- {p}" for p in err.problems)
        except OSError as err:
            return f"{path} cannot be read: {err.strerror or err}"
        return f"{path} is valid."

    def config_show(self) -> str:
        """The active settings with secrets left out, as indented JSON."""
        try:
            from bot.settings import public_view  # type: ignore[attr-defined,unused-ignore]

            view = public_view(self.settings)
        except ImportError:
            view = dataclasses.asdict(self.settings)
            view.get("storage", {}).pop("url", None)
        return json.dumps(view, indent=2, default=str, ensure_ascii=False)


def _schedule_next(digest: DigestSettings) -> datetime | None:
    try:
        from bot.schedule import Schedule, utc_now

        return Schedule(digest.schedule, digest.timezone).next_after(utc_now())
    except Exception:  # an invalid schedule is reported by /config check, not here
        return None


def _describe_report(report: Any) -> str:
    if report is None:
        return "done"
    posted = getattr(report, "posted", None)
    if posted is not None:
        count = len(posted) if isinstance(posted, (list, tuple)) else posted
        return f"posted {count} {'story' if count == 1 else 'stories'}"
    return str(report)


def config_path_exists(path: str | None) -> bool:
    """True when `path` names an existing file (the default config may be absent)."""
    return bool(path) and Path(str(path)).is_file()
