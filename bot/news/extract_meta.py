"""Page metadata from a parsed HTML tree: headline, author, dates, site, language, canonical URL, image."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.news.extract_text import clean_inline, normalise, word_count

log = logging.getLogger(__name__)

_TITLE_SEP_RE = re.compile(r"\s+(?:\||-|–|—|::|•|·|»)\s+")
_ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle", "opinionnewsarticle",
     "backgroundnewsarticle", "scholarlyarticle", "techarticle", "report", "webpage", "liveblogposting"}
)


@dataclass(frozen=True)
class PageMeta:
    """What the page says about itself, before reading its text."""

    headline: str | None = None
    description: str | None = None
    author: str | None = None
    published: datetime | None = None
    site: str | None = None
    language: str | None = None
    canonical: str | None = None
    image: str | None = None


def absolute(href: str | None, base: str | None) -> str | None:
    """A http(s) URL resolved against the page, without fragment; None for anything else (javascript:, mailto:)."""
    if not href:
        return None
    try:
        url = urljoin(base or "", href.strip())
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url.split("#", 1)[0]


def web_base(url: str | None, canonical: str | None) -> str | None:
    """The address to resolve links against: the page's own if it is on the web, else its canonical one."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return canonical or url


def _meta_index(tree: Any) -> dict[str, str]:
    """Every <meta> name/property/itemprop (lower-cased) -> its first non-empty content."""
    found: dict[str, str] = {}
    for node in tree.iter("meta"):
        content = clean_inline(node.get("content") or "")
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (node.get(attr) or "").strip().lower()
            if key and key not in found:
                found[key] = content
    return found


def _first(meta: dict[str, str], *names: str) -> str | None:
    return next((meta[n] for n in names if meta.get(n)), None)


def _json_ld(tree: Any) -> dict[str, Any]:
    """The first Article-like JSON-LD object on the page, or {}."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                kinds = item.get("@type")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds) and (
                    item.get("headline") or item.get("datePublished")
                ):
                    return item
                stack.extend(v for k, v in item.items() if k == "@graph")
    return {}


def _ld_name(value: Any) -> str | None:
    """A person or organisation name from JSON-LD (string, object or list of either)."""
    if isinstance(value, str):
        return clean_inline(value) or None
    if isinstance(value, dict):
        return _ld_name(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (_ld_name(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    return None


def strip_site(title: str, site: str | None) -> str:
    """'Headline | Site' -> 'Headline', keeping separators that belong to the headline itself."""
    seps = list(_TITLE_SEP_RE.finditer(title))
    if not seps:
        return title
    first, last = seps[0], seps[-1]
    head, tail = title[: first.start()], title[last.end() :]
    site_norm = normalise(site or "")

    def is_site(part: str) -> bool:
        norm = normalise(part)
        if not norm or not site_norm:
            return False
        return norm in site_norm or (site_norm in norm and word_count(part) <= word_count(site or "") + 2)

    if is_site(tail):
        return title[: last.start()].strip()
    if is_site(head):
        return title[first.end() :].strip()
    # No site name to match: a short capitalised last part is the usual site suffix ("... - BBC News").
    if word_count(tail) <= 3 and tail[:1].isupper() and word_count(title[: last.start()]) >= 4:
        return title[: last.start()].strip()
    return title


def _site_from_title(tree: Any) -> str | None:
    """The ' - Site' suffix of <title>, when the page names itself nowhere else."""
    node = next(tree.iter("title"), None)
    title = clean_inline(node.text_content()) if node is not None else ""
    seps = list(_TITLE_SEP_RE.finditer(title))
    if not seps:
        return None
    tail = title[seps[-1].end() :].strip()
    return tail if 1 <= word_count(tail) <= 4 and tail[:1].isupper() else None


def _headline(tree: Any, meta: dict[str, str], ld: dict[str, Any], site: str | None) -> str | None:
    """og:title, else JSON-LD headline, else a single <h1>, else <title>, each without the ' | Site' part."""
    h1s = [clean_inline(h.text_content()) for h in tree.iter("h1")]
    h1s = [h for h in h1s if word_count(h) >= 2]
    title_node = next(tree.iter("title"), None)
    title = clean_inline(title_node.text_content()) if title_node is not None else ""
    ld_head = ld.get("headline") if isinstance(ld.get("headline"), str) else None
    declared = _first(meta, "og:title", "twitter:title") or ld_head or title
    # Sites decorate og:title ("Opinion | ...", "... - Site"); the <h1> it contains is the bare headline.
    inside = [h for h in h1s if declared and normalise(h) in normalise(declared)]
    if len(inside) == 1 and word_count(inside[0]) >= 3:
        return inside[0]
    for candidate in (declared, h1s[0] if h1s else None):
        candidate = clean_inline(candidate or "")
        if candidate:
            return strip_site(candidate, site)
    return None


def _language(tree: Any, meta: dict[str, str]) -> str | None:
    """The declared language as a lower-case primary subtag ('de', 'en')."""
    root = tree.getroottree().getroot()
    value = root.get("lang") or root.get("xml:lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    value = value or _first(meta, "og:locale", "content-language", "language", "dc.language", "inlanguage")
    if not value:
        return None
    primary = re.split(r"[-_,; ]", value.strip().lower())[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    if re.fullmatch(r".*[+-]\d{4}", text):
        text = text[:-2] + ":" + text[-2:]  # "+0100" -> "+01:00" for fromisoformat on 3.11
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text[:10])
        except ValueError:
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _published(tree: Any, meta: dict[str, str], ld: dict[str, Any]) -> datetime | None:
    """Publication time as an aware datetime; a value without zone is taken as UTC."""
    candidates: list[Any] = [
        _first(meta, "article:published_time", "datepublished", "pubdate", "publishdate", "date", "dc.date",
               "dc.date.issued", "sailthru.date", "parsely-pub-date"),
        ld.get("datePublished"),
    ]
    time_node = next((t for t in tree.iter("time") if t.get("datetime")), None)
    if time_node is not None:
        candidates.append(time_node.get("datetime"))
    for value in candidates:
        parsed = _parse_date(value)
        if parsed is not None:
            return parsed
    try:
        from htmldate import find_date

        found = find_date(tree, extensive_search=False, original_date=True)
    except Exception as err:  # htmldate on odd markup: a missing date is not an error
        log.debug("htmldate failed: %r", err)
        return None
    return _parse_date(found)


def _author(tree: Any, meta: dict[str, str], ld: dict[str, Any]) -> str | None:
    """The byline: JSON-LD author, else meta author, else a rel=author link."""
    name = _ld_name(ld.get("author"))
    if not name:
        name = _first(meta, "author", "article:author", "dc.creator", "sailthru.author", "parsely-author")
    if name and name.startswith(("http://", "https://")):
        name = None
    if not name:
        link = next((a for a in tree.iter("a") if "author" in (a.get("rel") or "").split()), None)
        name = clean_inline(link.text_content()) if link is not None else None
    return name if name and len(name) <= 200 else None


def _canonical(tree: Any, meta: dict[str, str], base: str | None) -> str | None:
    for node in tree.iter("link"):
        if "canonical" in (node.get("rel") or "").lower().split() and node.get("href"):
            return absolute(node.get("href"), base)
    return absolute(_first(meta, "og:url"), base)


def page_meta(tree: Any, url: str | None) -> PageMeta:
    """Everything the page declares about itself (no body text needed)."""
    meta = _meta_index(tree)
    ld = _json_ld(tree)
    site = _first(meta, "og:site_name", "application-name", "twitter:site") or _ld_name(ld.get("publisher"))
    if site and site.startswith("@"):
        site = site[1:]
    site = site or _site_from_title(tree)
    canonical = _canonical(tree, meta, url)
    image = _first(meta, "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")
    if image is None and isinstance(ld.get("image"), (str, dict, list)):
        img = ld["image"]
        img = img[0] if isinstance(img, list) and img else img
        image = img.get("url") if isinstance(img, dict) else img if isinstance(img, str) else None
    description = _first(meta, "og:description", "description", "twitter:description")
    return PageMeta(
        headline=_headline(tree, meta, ld, site),
        description=description,
        author=_author(tree, meta, ld),
        published=_published(tree, meta, ld),
        site=site,
        language=_language(tree, meta),
        canonical=canonical,
        image=absolute(image, web_base(url, canonical)),
    )
