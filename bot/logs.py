"""Logging set-up: readable text or JSON lines, per-task context fields, and secret redaction.

Every record that reaches the root handler installed by `setup_logging` passes `RedactingFilter`,
which rewrites the message (with its args merged in), the exception text and the stack text so
that no registered secret, Discord token, `Authorization` header value or URL password survives.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import datetime as _dt
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import IO, Any
from urllib.parse import quote

__all__ = [
    "CONTEXT_FIELDS",
    "JsonFormatter",
    "RedactingFilter",
    "TextFormatter",
    "current_context",
    "log_context",
    "redact",
    "register_secret",
    "setup_logging",
]

MASK = "***"
# The fields the rest of the bot uses; `log_context` accepts others too, these are also read
# from `extra={...}` on a single logging call.
CONTEXT_FIELDS = ("guild", "channel", "feed", "digest", "command", "url")
# Shorter values would shred ordinary words out of every line; no real secret is this short.
_MIN_SECRET_LEN = 4

_context: contextvars.ContextVar[Mapping[str, object]] = contextvars.ContextVar(
    "newsbrief_log_context", default=MappingProxyType({})
)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_secrets_re: re.Pattern[str] | None = None

# Bot tokens are base64url(user id) "." timestamp "." HMAC; the id check below keeps ordinary
# dotted words (host names, versions) from being masked.
_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{16,40})\.[A-Za-z0-9_-]{4,10}\.[A-Za-z0-9_-]{20,}")
# Cheap necessary condition for _TOKEN_RE (a literal start lets re scan fast): most lines skip it.
_TOKEN_HINT_RE = re.compile(r"\.[A-Za-z0-9_-]{4,10}\.[A-Za-z0-9_-]{20}")
_MFA_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9_-])mfa\.[A-Za-z0-9_-]{20,}")
_AUTH_RE = re.compile(r"""(?i)(authorization["']?\s*[:=]\s*["']?)(bot|bearer|basic)\s+[^\s"',;}\]]+""")
# scheme://user:password@host -- the username may be empty (redis://:pw@host); up to the last
# "@" of the authority, since people do write unencoded "@" in passwords.
_URL_PASSWORD_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/@:]*:)[^\s/?#]+@")
_QUERY_SECRET_RE = re.compile(
    r"(?i)([?&](?:password|passwd|pwd|token|access_token|api_key|apikey|secret|client_secret)=)[^&\s#\"']+"
)


def register_secret(value: str) -> None:
    """Mask `value` (and its URL-encoded form) wherever it appears in a log record from now on."""
    if not value or len(value) < _MIN_SECRET_LEN:
        return
    global _secrets_re
    with _secrets_lock:
        _secrets.add(value)
        encoded = quote(value, safe="")
        if encoded != value:
            _secrets.add(encoded)
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _secrets_re = re.compile("|".join(re.escape(s) for s in ordered))


def _is_token_id(part: str) -> bool:
    """True when the first part of a dotted string decodes to a numeric Discord id."""
    try:
        decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return False
    return decoded.isascii() and decoded.isdigit() and 15 <= len(decoded) <= 22


def _mask_token(match: re.Match[str]) -> str:
    return MASK if _is_token_id(match.group(1)) else match.group(0)


def redact(text: str) -> str:
    """Remove registered secrets and anything that looks like a Discord token or a URL password from text."""
    if not text:
        return text
    pattern = _secrets_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    # Each pattern runs only when a substring it needs is present: redaction sits on every log
    # record, and the full patterns cost tens of microseconds a line.
    if _TOKEN_HINT_RE.search(text):
        text = _TOKEN_RE.sub(_mask_token, text)
    if "mfa." in text:
        text = _MFA_TOKEN_RE.sub(MASK, text)
    if "authorization" in text.lower():
        text = _AUTH_RE.sub(lambda m: f"{m.group(1)}{m.group(2)} {MASK}", text)
    if "://" in text and "@" in text:
        text = _URL_PASSWORD_RE.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    if "=" in text:
        text = _QUERY_SECRET_RE.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return text


@contextlib.contextmanager
def _context_manager(fields: Mapping[str, object]) -> Iterator[None]:
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def log_context(**fields: object) -> contextlib.AbstractContextManager[None]:
    """Attach guild/channel/feed/digest/command ids to every record logged inside (contextvars, so it follows asyncio tasks)."""
    return _context_manager({k: v for k, v in fields.items() if v is not None})


def current_context() -> dict[str, object]:
    """The context fields in force here (a copy)."""
    return dict(_context.get())


def _plain(value: object) -> object:
    """A JSON-safe, redacted form of one context value."""
    if isinstance(value, bool | int | float) or value is None:
        return value
    return redact(str(value))


class RedactingFilter(logging.Filter):
    """Merges args into the message, attaches context fields, and redacts message, exception and stack."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite `record` in place; never drops it."""
        if not getattr(record, "_newsbrief_redacted", False):
            try:
                message = record.getMessage()
            except Exception:
                # A bad format string must not hide the line, nor leak its args unredacted.
                message = f"{record.msg!s} {record.args!r}"
            record.msg = redact(message)
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
            fields = dict(_context.get())
            for name in CONTEXT_FIELDS:
                if name in record.__dict__ and record.__dict__[name] is not None:
                    fields[name] = record.__dict__[name]
            record.__dict__["context_fields"] = {k: _plain(v) for k, v in fields.items()}
            record.__dict__["_newsbrief_redacted"] = True
        return True


def _fields_of(record: logging.LogRecord) -> dict[str, object]:
    fields = getattr(record, "context_fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


class TextFormatter(logging.Formatter):
    """`2026-01-01 12:00:00,000 INFO bot.x: message guild=1 feed=bbc` and the traceback below."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The base line plus the context as key=value pairs."""
        line = super().formatMessage(record)
        extras = " ".join(f"{k}={_text_value(v)}" for k, v in _fields_of(record).items())
        return f"{line} {extras}" if extras else line


def _text_value(value: object) -> str:
    text = str(value)
    # Quote values a reader would otherwise split wrongly.
    return json.dumps(text) if (not text or any(c.isspace() or c in "\"=" for c in text)) else text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, the context fields and exc_info."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise one record; never raises on odd field values."""
        ts = _dt.datetime.fromtimestamp(record.created, tz=_dt.UTC)
        payload: dict[str, Any] = {
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _fields_of(record).items():
            payload.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            payload["exc_info"] = record.exc_text
        if record.stack_info:
            payload["stack_info"] = record.stack_info
        return json.dumps(payload, ensure_ascii=False, default=str)


def setup_logging(
    level: str = "INFO",
    fmt: str = "text",
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> None:
    """Configure the root logger: readable text or one JSON object per line; every record passes the redaction filter."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    if fmt not in ("text", "json"):
        raise ValueError(f"unknown log format {fmt!r}: expected 'text' or 'json'")
    token = os.environ.get("DISCORD_TOKEN")
    if token:
        register_secret(token)
    for secret in secrets:
        register_secret(secret)

    root = logging.getLogger()
    # Replace only our own handler, so calling this twice (config reload, tests) does not
    # duplicate lines or remove handlers someone else installed (pytest's caplog).
    for old in [h for h in root.handlers if getattr(h, "_newsbrief", False)]:
        root.removeHandler(old)
        old.close()
    # Handlers installed earlier (basicConfig, a library) must not print secrets either.
    for other in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in other.filters):
            other.addFilter(RedactingFilter())
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.__dict__["_newsbrief"] = True
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(numeric)
    logging.captureWarnings(True)
