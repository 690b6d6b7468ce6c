"""Live reload of config.yaml: validate, then apply or refuse, and tell subscribers what changed.

A bad file never replaces the running settings: the last good config keeps running and the
problems are returned (and logged) for the admin. The watcher only reads a file whose
mtime, size and content have stayed the same for `settle` seconds, so an editor's
half-written save is never applied truncated.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.settings import Settings, load_settings, parse_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: applied or refused, the changes made, or the errors that stopped it."""

    applied: bool
    changes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


Subscriber = Callable[[Settings, Settings, ReloadResult], "Awaitable[None] | None"]
RefusalListener = Callable[[ReloadResult, str], "Awaitable[None] | None"]
_Fingerprint = tuple[int, int, str]  # mtime_ns, size, sha256 of the bytes


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def _field_changes(old: Any, new: Any, prefix: str, secret: set[str], path: str) -> list[str]:
    """'<prefix>: key old -> new' for each field that differs between two dataclasses."""
    out: list[str] = []
    for spec in fields(old):
        if not spec.compare:
            continue
        before, after = getattr(old, spec.name), getattr(new, spec.name)
        if before == after:
            continue
        if f"{path}{spec.name}" in secret:
            out.append(f"{prefix}: {spec.name} changed")
        else:
            out.append(f"{prefix}: {spec.name} {_fmt(before)} -> {_fmt(after)}")
    return out


def _keyed_changes(kind: str, section: str, old: tuple[Any, ...], new: tuple[Any, ...], secret: set[str]) -> list[str]:
    before = {item.id: item for item in old}
    after = {item.id: item for item in new}
    out = [f"{kind} {key} added" for key in after if key not in before]
    out += [f"{kind} {key} removed" for key in before if key not in after]
    index = {item.id: i for i, item in enumerate(new)}
    for key in after:
        if key in before and before[key] != after[key]:
            path = f"{section}[{index[key]}]."
            out += _field_changes(before[key], after[key], f"{kind} {key}", secret, path)
    return out


def describe_changes(old: Settings, new: Settings) -> tuple[str, ...]:
    """Short lines saying what differs, e.g. "feed bbc-world added", "fetch: timeout 30.0 -> 20.0"."""
    secret = set(old.from_env) | set(new.from_env)
    out = _keyed_changes("feed", "feeds", old.feeds, new.feeds, secret)
    out += _keyed_changes("digest", "digests", old.digests, new.digests, secret)
    for spec in fields(Settings):
        before, after = getattr(old, spec.name), getattr(new, spec.name)
        if is_dataclass(before) and before != after:
            out += _field_changes(before, after, spec.name, secret, f"{spec.name}.")
    return tuple(out)


def _fingerprint(path: Path) -> tuple[_Fingerprint, bytes] | None:
    try:
        stat = path.stat()
        data = path.read_bytes()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, hashlib.sha256(data).hexdigest()), data


class ConfigManager:
    """Holds the last good Settings and swaps in a new one only when it validates."""

    def __init__(self, path: str | Path | None, settings: Settings | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._seen: _Fingerprint | None = None  # the file version last applied or refused
        if settings is None:
            if self.path is not None:
                snap = _fingerprint(self.path)
                if snap is not None:
                    self._seen = snap[0]
                    settings = self._parse(snap[1])
            settings = settings if settings is not None else load_settings(self.path)
        elif self.path is not None:
            snap = _fingerprint(self.path)
            self._seen = snap[0] if snap else None
        self._current = settings
        self._subscribers: list[Subscriber] = []
        self._refusal_listeners: list[RefusalListener] = []
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[ReloadResult]] = set()

    @property
    def current(self) -> Settings:
        """The last good settings."""
        return self._current

    def subscribe(self, callback: Subscriber) -> None:
        """Call `callback(old, new, result)` (sync or async) after each reload that changed something."""
        self._subscribers.append(callback)

    def on_refused(self, callback: RefusalListener) -> None:
        """Call `callback(result, reason)` when a reload is refused, e.g. to tell the admin channel."""
        self._refusal_listeners.append(callback)

    async def _notify(self, callbacks: list[Any], *args: Any) -> None:
        for callback in list(callbacks):
            try:
                outcome = callback(*args)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                # One broken listener must not stop the others from hearing about the reload.
                log.exception("config listener %r failed", callback)

    def _parse(self, data: bytes) -> Settings:
        name = str(self.path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ConfigError(f"{name}: not UTF-8 text ({err.reason} at byte {err.start})") from None
        return parse_settings(text, filename=name)

    async def reload(self, *, reason: str = "manual") -> ReloadResult:
        """Validate the file, then apply it or refuse it; never raises for a bad file."""
        if self.path is None:
            return ReloadResult(applied=False, errors=("no config file to reload (running on defaults)",))
        snap = await asyncio.to_thread(_fingerprint, self.path)
        if snap is None:
            result = ReloadResult(applied=False, errors=(f"{self.path}: file not found or not readable",))
            log.warning("config reload (%s) refused: %s", reason, result.errors[0])
            await self._notify(self._refusal_listeners, result, reason)
            return result
        return await self._apply(snap[0], snap[1], reason)

    async def _apply(self, print_: _Fingerprint, data: bytes, reason: str) -> ReloadResult:
        async with self._lock:
            self._seen = print_
            try:
                new = await asyncio.to_thread(self._parse, data)
            except ConfigError as err:
                log.warning(
                    "config reload (%s) refused, keeping the last good config:\n%s", reason, "\n".join(err.problems)
                )
                refused = ReloadResult(applied=False, errors=tuple(err.problems))
                await self._notify(self._refusal_listeners, refused, reason)
                return refused
            old = self._current
            changes = describe_changes(old, new)
            self._current = new
            result = ReloadResult(applied=True, changes=changes)
            if not changes:
                log.info("config reload (%s): no changes", reason)
                return result
            log.info("config reload (%s) applied: %s", reason, "; ".join(changes))
            await self._notify(self._subscribers, old, new, result)
            return result

    async def watch(self, *, interval: float = 1.0, settle: float = 0.5) -> None:
        """Poll the file; reload once a change has kept the same mtime, size and hash for `settle` s."""
        if self.path is None:
            return
        poll = min(interval, max(settle / 2, 0.01))
        pending: _Fingerprint | None = None
        since = 0.0
        next_full = 0.0
        while True:
            now = time.monotonic()
            # Poll fast only while a change is settling; otherwise every `interval` seconds.
            if pending is not None or now >= next_full:
                next_full = now + interval
                snap = await asyncio.to_thread(_fingerprint, self.path)
                if snap is None or snap[0] == self._seen:
                    pending = None  # missing (mid-rename) or unchanged: nothing to settle
                elif snap[0] != pending:
                    pending, since = snap[0], now
                elif now - since >= settle:
                    pending = None
                    await self._apply(snap[0], snap[1], "file changed")
            await asyncio.sleep(poll if pending is not None else max(0.0, next_full - time.monotonic()))

    def install_sighup(self, loop: asyncio.AbstractEventLoop) -> None:
        """Reload on SIGHUP; does nothing where the platform or thread has no signal support."""
        sighup = getattr(signal, "SIGHUP", None)
        if sighup is None:
            return

        def on_signal() -> None:
            task = loop.create_task(self.reload(reason="SIGHUP"))
            self._tasks.add(task)  # keep a reference until done, or the task may be collected
            task.add_done_callback(self._tasks.discard)

        try:
            loop.add_signal_handler(sighup, on_signal)
        except (NotImplementedError, RuntimeError, ValueError):
            log.debug("SIGHUP reload not available on this platform")
