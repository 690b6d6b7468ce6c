"""Neutralise article-derived text before it reaches Discord: no pings, no spoofed links, no broken markdown."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

ZWSP = "\u200b"
ELLIPSIS = "…"

# `<@id>`, `<@!id>`, `<@&id>`, `<#id>`, `</cmd:id>`, `<:emoji:id>`, `<a:emoji:id>`, `<t:123>`, `<id:guide>`:
# everything Discord parses inside <>, but not `<https://...>` (link-preview suppression stays intact).
_ANGLE = re.compile(r"<(?=[@#/:]|a:|t:|id:)", re.IGNORECASE)
_EVERYONE = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
# discord.py's escape_markdown leaves later masked links clickable, so every markdown character is escaped here.
_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#-])")
_URL = re.compile(r"https?://[^\s<>\[\]()\\]+", re.IGNORECASE)
_HOST_SAFE = ":[].-_~"
_PATH_SAFE = "/?#!$&'*+,;=%~.-_"
_WHITESPACE = re.compile(r"[\r\t\f\v]+")


def escape_mentions(text: str) -> str:
    """Break every mention form (@everyone, @here, users, roles, channels, commands) with a zero-width space."""
    text = _EVERYONE.sub("@" + ZWSP, text)
    return _ANGLE.sub("<" + ZWSP, text)


def escape_markdown(text: str) -> str:
    """Backslash every markdown character outside bare URLs, so masked links and formatting stay literal."""
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(text):
        out.append(_MARKDOWN.sub(r"\\\1", text[pos:match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_MARKDOWN.sub(r"\\\1", text[pos:]))
    return "".join(out)


def clean(text: str, *, single_line: bool = False) -> str:
    """Article text made safe for any embed slot: markdown escaped, mentions broken, stray control whitespace gone."""
    text = _WHITESPACE.sub(" ", text)
    if single_line:
        text = " ".join(text.split())
    return escape_markdown(escape_mentions(text))


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for a link target or embed url, or None; characters that end a link or ping are quoted."""
    if not url or len(url) > 2000:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    rest = url.strip()[len(parts.scheme) + 3 + len(parts.netloc):]
    # "@" is quoted too so that no link target or fallback title can carry an @everyone.
    return f"{parts.scheme}://{quote(parts.netloc, safe=_HOST_SAFE)}{quote(rest, safe=_PATH_SAFE)}"


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a word boundary, ending with an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    if limit == 1:
        return ELLIPSIS
    head = text[: limit - 1]
    cut = head.rfind(" ")
    # Fall back to a hard cut when the last space is far back (one giant word or a URL).
    if cut >= limit // 2:
        head = head[:cut]
    head = head.rstrip()
    # A lone trailing backslash would escape the ellipsis or half an escape pair; a lone "<" or "@" would
    # leave a mention opener next to whatever follows.
    while head.endswith(("\\", ZWSP)):
        head = head[:-1]
    return head + ELLIPSIS
