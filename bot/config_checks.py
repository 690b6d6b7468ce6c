"""Value checks for config.yaml: each returns None when the value is fine, else a reason.

The reasons are phrased to follow the quoted value, e.g.
`"0 25 * * *" is not a valid cron expression (hour must be 0-23)`.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import zoneinfo
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

# Used when bot.news.summarise / bot.news.text are not importable (a trimmed install).
FALLBACK_ALGORITHMS: tuple[str, ...] = (
    "news", "lead", "lexrank", "lsa", "textrank", "luhn", "kl", "sumbasic", "edmundson", "reduction",
)
FALLBACK_LANGUAGES: tuple[str, ...] = (
    "en", "de", "fr", "es", "it", "pt", "nl", "sv", "cs", "sk", "pl", "el", "uk", "ar",
)
LOG_LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

# (name, low, high, names) for the five standard cron fields; names map to numbers.
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int], str], ...] = (
    ("minute", 0, 59, {}, "0-59"),
    ("hour", 0, 23, {}, "0-23"),
    ("day of month", 1, 31, {}, "1-31"),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}, "1-12 or jan-dec"),
    ("day of week", 0, 7, {d: i for i, d in enumerate(_DAYS)}, "0-7 or sun-sat"),
)
CRON_ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def quote(value: object) -> str:
    """A value as it should appear inside an error message (JSON-style quoting for text)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


@lru_cache(maxsize=1)
def algorithms() -> tuple[str, ...]:
    """Summariser algorithm names, from the summariser itself when it is installed."""
    try:
        from bot.news.summarise import ALGORITHMS
    except ImportError:
        return FALLBACK_ALGORITHMS
    return tuple(ALGORITHMS)


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """Language codes the summariser supports (plus "auto"), from bot.news.text when present."""
    try:
        from bot.news.text import LANGUAGES
    except ImportError:
        return ("auto", *FALLBACK_LANGUAGES)
    return ("auto", *LANGUAGES)


def check_language(value: str) -> str | None:
    """An ISO 639-1 code the summariser supports, or "auto"."""
    known = languages()
    if value in known:
        return None
    return f"is not a supported language (use one of: {', '.join(known)})"


def check_algorithm(value: str) -> str | None:
    """One of the summariser's algorithms."""
    known = algorithms()
    if value in known:
        return None
    hint = did_you_mean(value, known) or f" (choose from: {', '.join(known)})"
    return f"is not a summariser algorithm{hint}"


@lru_cache(maxsize=1)
def _all_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(value: str) -> str | None:
    """An IANA time zone name such as Europe/London."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"is not a known IANA time zone{did_you_mean(value, _all_zones()) or ' (e.g. Europe/London, UTC)'}"
    return None


def check_regex(value: str) -> str | None:
    """A pattern that google-re2 (the linear-time engine the feed filters use) accepts."""
    import re2

    options = re2.Options()
    options.log_errors = False  # re2 would otherwise print every bad pattern to stderr
    try:
        re2.compile(value, options=options)
    except re2.error as err:
        detail = err.args[0] if err.args else "unknown error"
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return f"is not a valid regular expression ({detail})"
    return None


def check_host(value: str) -> str | None:
    """A host name or IP address, optionally with :port ([v6]:port for IPv6)."""
    host, port = value, None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return 'is not "host" or "host:port" (unclosed [ in an IPv6 address)'
        host, rest = value[1:end], value[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                return 'is not "host" or "host:port"'
            port = rest[1:]
    elif value.count(":") == 1:
        host, port = value.split(":")
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        return f"has an invalid port {quote(port)} (ports are 1-65535)"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    labels = host.lower().rstrip(".").split(".")
    if not host or not all(_HOST_LABEL.match(label) for label in labels):
        return 'is not "host" or "host:port" (e.g. wiki.intranet or 10.0.0.5:8080)'
    return None


def check_http_url(value: str) -> str | None:
    """An absolute http(s) URL with a host."""
    try:
        parts = urlsplit(value)
    except ValueError as err:
        return f"is not a valid URL ({err})"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "is not an http(s) URL (e.g. https://example.com/feed.xml)"
    return None


def check_id(value: str) -> str | None:
    """A short identifier: letters, digits, '-', '_' and '.', starting with a letter or digit."""
    if ID_PATTERN.match(value):
        return None
    return "is not a valid id (use up to 64 letters, digits, '-', '_' or '.', e.g. bbc-world)"


def check_log_level(value: str) -> str | None:
    """A logging level name (any case)."""
    if value.upper() in LOG_LEVELS:
        return None
    hint = did_you_mean(value.upper(), LOG_LEVELS) or f" (choose from: {', '.join(LOG_LEVELS)})"
    return f"is not a log level{hint}"


def _cron_value(token: str, names: dict[str, int]) -> int | None:
    if token.isdigit():
        return int(token)
    return names.get(token.lower())


def _cron_field(text: str, index: int) -> str | None:
    """Why one cron field is wrong, or None."""
    name, low, high, names, span = _CRON_FIELDS[index]
    if not text:
        return f"{name} is empty"
    for item in text.split(","):
        base, _, step = item.partition("/")
        if _ and not (step.isdigit() and int(step) >= 1):
            return f"{name} step {quote(step)} must be a whole number of at least 1"
        if base in ("*", "?") and (base == "*" or index in (2, 4)):
            continue
        if index == 2 and base == "L":
            continue
        if index == 4 and "#" in base:
            day, _, nth = base.partition("#")
            if _cron_value(day, names) is None or not (nth.isdigit() and 1 <= int(nth) <= 5):
                return f"{quote(base)} in day of week must be DAY#N with N 1-5 (e.g. fri#2)"
            base = day
        start, dash, end = base.partition("-")
        for token in (start, end) if dash else (start,):
            number = _cron_value(token, names)
            if number is None or not low <= number <= high:
                return f"{name} must be {span}"
    return None


def check_cron(value: str) -> str | None:
    """A 5-field cron expression (or an @daily-style alias) that croniter accepts."""
    expr = value.strip()
    if expr.startswith("@"):
        if expr.lower() in CRON_ALIASES:
            return None
        return f"is not a valid cron expression (unknown shortcut; use one of {', '.join(CRON_ALIASES)})"
    fields = expr.split()
    if len(fields) != 5:
        return (
            "is not a valid cron expression (expected 5 fields: minute hour day-of-month month "
            f"day-of-week, got {len(fields)})"
        )
    for index, text in enumerate(fields):
        reason = _cron_field(text, index)
        if reason:
            return f"is not a valid cron expression ({reason})"
    from croniter import croniter

    try:
        croniter(expr)
    except (ValueError, KeyError) as err:  # croniter's own errors derive from ValueError
        return f"is not a valid cron expression ({err})"
    return None


def check_storage_url(value: str) -> str | None:
    """A PostgreSQL URL, or empty for the SQLite file (so `${NAME:-}` can leave it unset)."""
    if not value.strip() or value.lower().startswith(("postgresql://", "postgres://")):
        return None
    return "is not a PostgreSQL URL: use postgresql://user:password@host/database, or leave it empty for SQLite"
