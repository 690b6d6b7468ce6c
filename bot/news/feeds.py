"""Feed bytes -> FeedItems (RSS 0.9x/1.0/2.0, Atom, JSON Feed 1.1) and per-feed filters.

Pure and CPU-bound: callers run `parse_feed` in a worker. feedparser only ever sees an
in-memory `io.BytesIO` of bytes we downloaded ourselves, never a URL or a file name.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import feedparser
import re2

from bot.errors import ConfigError, FeedError
from bot.models import FeedItem
from bot.settings import FeedSettings

# More items than any real feed carries; a 10,000-item feed is cut here before parsing.
MAX_PARSE_ITEMS = 500
# Stored item text is capped: the article page is the real source, this is only the fallback.
MAX_CONTENT_CHARS = 50_000

# A DOCTYPE with an internal subset is the only way to declare entities; feedparser's loose
# parser expands them without limit (quadratic blow-up), so such a DOCTYPE is removed whole.
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def strip_html(text: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed (for filters and similarity)."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


def item_key(item: FeedItem) -> str:
    """A stable id of an item within its feed: the guid, else the link, else a hash of its text."""
    if item.guid:
        return "g:" + item.guid[:500]
    if item.link:
        return "l:" + hashlib.sha1(item.link.encode("utf-8")).hexdigest()
    body = f"{item.title}\n{item.summary or ''}".encode()
    return "h:" + hashlib.sha1(body).hexdigest()


def sanitize_xml(body: bytes, *, max_items: int = MAX_PARSE_ITEMS) -> bytes:
    """Remove entity-declaring DOCTYPEs and cut the document after `max_items` items."""
    head = body[:4096]
    if b"<!DOCTYPE" in body[:65536].upper() or b"<!doctype" in head:
        body = _DOCTYPE_SUBSET.sub(b"", body, count=1)
    starts = []
    for match in _ITEM_START.finditer(body):
        starts.append(match.start())
        if len(starts) > max_items:
            break
    if len(starts) > max_items:
        cut = starts[max_items]
        lower = body[:4096].lower()
        if b"<feed" in lower:
            closing = b"</feed>"
        elif b"rdf:rdf" in lower:
            closing = b"</rdf:RDF>"
        else:
            closing = b"</channel></rss>"
        body = body[:cut] + closing
    return body


def _to_datetime(parsed: Any) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _iso_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _absolute(base: str, link: Any) -> str | None:
    if not isinstance(link, str) or not link.strip():
        return None
    url = urljoin(base, link.strip())
    return url if url.startswith(("http://", "https://")) else None


def _clip(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    return text[:MAX_CONTENT_CHARS]


def _entry_image(entry: Mapping[str, Any], base: str) -> str | None:
    for key in ("media_content", "media_thumbnail"):
        for media in entry.get(key) or ():
            url = _absolute(base, media.get("url"))
            if url and (key == "media_thumbnail" or str(media.get("medium", "image")) == "image"):
                return url
    for link in entry.get("links") or ():
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return _absolute(base, link.get("href"))
    image = entry.get("image")
    if isinstance(image, Mapping):
        return _absolute(base, image.get("href"))
    return None


def _xml_items(body: bytes, feed_id: str, base_url: str, language: str | None, max_items: int) -> list[FeedItem]:
    parsed = feedparser.parse(io.BytesIO(sanitize_xml(body, max_items=max_items)),
                              response_headers={"content-location": base_url},
                              # Feed HTML is never shown as HTML (it is extracted to text), and
                              # both passes cost a quarter of the parse time.
                              sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries and parsed.get("bozo") and not parsed.get("feed"):
        raise FeedError(f"not a feed: {parsed.get('bozo_exception') or 'unreadable XML'}")
    if not parsed.entries and not parsed.get("version") and not parsed.get("feed", {}).get("title"):
        raise FeedError("not a feed: no RSS, Atom or JSON Feed structure found")
    base = parsed.get("feed", {}).get("link") or base_url
    feed_language = language or parsed.get("feed", {}).get("language")
    items = []
    for entry in parsed.entries:
        contents = entry.get("content") or ()
        content = max((c.get("value", "") for c in contents), key=len, default="") or None
        link = _absolute(base_url, entry.get("link")) or _absolute(base, entry.get("link"))
        guid = entry.get("id") or None
        # `in` first: reading a missing updated_parsed triggers feedparser's deprecated fallback.
        updated = _to_datetime(entry["updated_parsed"]) if "updated_parsed" in entry else None
        items.append(FeedItem(
            feed_id=feed_id,
            title=strip_html(entry.get("title", "") or "")[:500],
            link=link,
            guid=str(guid) if guid else None,
            published=_to_datetime(entry.get("published_parsed")) or updated,
            updated=updated,
            author=(entry.get("author") or None),
            summary=_clip(entry.get("summary")),
            content=_clip(content),
            image=_entry_image(entry, base_url),
            language=feed_language,
        ))
    return items


def _json_items(body: bytes, feed_id: str, base_url: str, language: str | None, max_items: int) -> list[FeedItem]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as err:
        raise FeedError(f"not a JSON Feed: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedError("not a JSON Feed: no items list")
    base = data.get("home_page_url") if isinstance(data.get("home_page_url"), str) else base_url
    feed_language = language or (data.get("language") if isinstance(data.get("language"), str) else None)
    items = []
    for raw in data["items"][:max_items]:
        if not isinstance(raw, dict):
            continue
        authors = raw.get("authors") or ([raw["author"]] if isinstance(raw.get("author"), dict) else [])
        author = next((a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None)
        link = _absolute(base_url, raw.get("url")) or _absolute(base_url, raw.get("external_url"))
        content = raw.get("content_html") or (html.escape(raw["content_text"]) if isinstance(raw.get("content_text"), str) else None)
        guid = raw.get("id")
        items.append(FeedItem(
            feed_id=feed_id,
            title=strip_html(str(raw.get("title") or ""))[:500],
            link=link,
            guid=str(guid) if guid not in (None, "") else None,
            published=_iso_datetime(raw.get("date_published")) or _iso_datetime(raw.get("date_modified")),
            updated=_iso_datetime(raw.get("date_modified")),
            author=str(author) if author else None,
            summary=_clip(raw.get("summary")),
            content=_clip(content),
            image=_absolute(base or base_url, raw.get("image") or raw.get("banner_image")),
            language=raw.get("language") if isinstance(raw.get("language"), str) else feed_language,
        ))
    return items


def parse_feed(body: bytes, *, feed_id: str, base_url: str, content_type: str = "",
               language: str | None = None, max_items: int = MAX_PARSE_ITEMS) -> list[FeedItem]:
    """Parse feed bytes into items, duplicates (same key) dropped; raises FeedError if it is no feed."""
    if not body.strip():
        raise FeedError("the feed is empty")
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if "json" in content_type or stripped.startswith(b"{"):
        items = _json_items(body, feed_id, base_url, language, max_items)
    else:
        items = _xml_items(body, feed_id, base_url, language, max_items)
    seen: set[str] = set()
    unique = []
    for item in items:
        key = item_key(item)
        if key not in seen and (item.title or item.link):
            seen.add(key)
            unique.append(item)
    return unique[:max_items]


def _keyword_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    parts = [r"\s+".join(re.escape(w) for w in _WORDS.findall(word)) for word in words]
    parts = [p for p in parts if p]
    if not parts:
        return None
    # Whole words only: "war" must not match "award".
    return re.compile(r"(?<![^\W_])(?:" + "|".join(parts) + r")(?![^\W_])", re.IGNORECASE)


def _compile_re2(patterns: Iterable[str], where: str) -> list[Any]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re2.compile(pattern))
        except Exception as err:  # re2 raises its own error type
            raise ConfigError(f"{where}: invalid regular expression {pattern!r}: {err}") from None
    return compiled


@dataclass(frozen=True)
class FeedFilter:
    """A feed's include/exclude keywords and RE2 regexes (linear time: no pattern can hang the bot)."""

    include: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    include_regex: tuple[Any, ...]
    exclude_regex: tuple[Any, ...]
    include_words: tuple[str, ...] = ()
    exclude_words: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, feed: FeedSettings) -> FeedFilter:
        """Compile the filters of one feed; raises ConfigError for an invalid regex."""
        where = f"feeds[{feed.id}]"
        return cls(include=_keyword_pattern(feed.include), exclude=_keyword_pattern(feed.exclude),
                   include_regex=tuple(_compile_re2(feed.include_regex, where + ".include_regex")),
                   exclude_regex=tuple(_compile_re2(feed.exclude_regex, where + ".exclude_regex")),
                   include_words=tuple(feed.include), exclude_words=tuple(feed.exclude))

    def reason(self, item: FeedItem) -> str | None:
        """Why the item is filtered out (the rule, in words), or None when it passes."""
        text = " ".join(strip_html(t) for t in (item.title, item.summary or "", item.content or "") if t)
        if self.exclude is not None:
            hit = self.exclude.search(text)
            if hit:
                return f"exclude keyword {hit.group(0)!r}"
        for rx in self.exclude_regex:
            if rx.search(text):
                return f"exclude_regex {rx.pattern!r}"
        if self.include is not None and not self.include.search(text):
            return "no include keyword (" + ", ".join(self.include_words) + ")"
        if self.include_regex and not any(rx.search(text) for rx in self.include_regex):
            return "no include_regex match (" + ", ".join(rx.pattern for rx in self.include_regex) + ")"
        return None


@lru_cache(maxsize=1024)
def _filter_for(feed: FeedSettings) -> FeedFilter:
    return FeedFilter.from_settings(feed)


def parse_feed_job(body: bytes, feed: FeedSettings, base_url: str, content_type: str,
                   max_items: int) -> list[tuple[str, FeedItem, str | None]]:
    """Parse and filter in one worker call (positional, so a process worker can pickle it):
    (item key, item, the filter rule that rejects it or None) for each item."""
    rule = _filter_for(feed)
    items = parse_feed(body, feed_id=feed.id, base_url=base_url, content_type=content_type,
                       language=feed.language, max_items=max_items)
    return [(item_key(item), item, rule.reason(item)) for item in items]
