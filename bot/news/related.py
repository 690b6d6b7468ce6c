"""The related links a reader may want next: an article's candidates minus navigation, sharing, login and ads."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bot.models import Article, Link
from bot.news.extract_meta import web_base
from bot.news.extract_text import clean_inline, normalise, word_count

__all__ = ["related_links"]

_SOCIAL_HOSTS = (
    "facebook.com", "fb.com", "fb.me", "twitter.com", "x.com", "t.co", "linkedin.com", "lnkd.in", "pinterest.com",
    "reddit.com", "whatsapp.com", "wa.me", "telegram.me", "telegram.org", "t.me", "instagram.com", "tiktok.com",
    "youtube.com", "youtu.be", "threads.net", "bsky.app", "tumblr.com", "vk.com", "xing.com", "flipboard.com",
    "getpocket.com", "news.google.com", "mastodon.social", "snapchat.com",
)
_AD_HOSTS = (
    "doubleclick.net", "googlesyndication.com", "googleadservices.com", "adservice.google.com", "taboola.com",
    "outbrain.com", "criteo.com", "criteo.net", "adnxs.com", "amazon-adsystem.com", "adform.net", "smartadserver.com",
    "revcontent.com", "mgid.com", "plista.com", "zergnet.com", "ligatus.com", "yieldlove.com",
)
# Path segments of pages that are about the reader's account or the site's structure, not a story.
_ACCOUNT_SEGMENTS = frozenset(
    "login log-in signin sign-in logout log-out register registration signup sign-up account my-account myaccount "
    "profile auth oauth password subscribe subscription subscriptions newsletter newsletters abo abonnement "
    "anmelden registrieren konto cart checkout shop donate".split()
)
_INDEX_SEGMENTS = frozenset(
    "tag tags topic topics category categories author authors autor autoren thema themen section sections rubrik "
    "search suche archive archiv about impressum imprint contact kontakt privacy datenschutz terms agb legal "
    "cookies cookie-policy jobs karriere careers rss feed feeds help faq sitemap".split()
)
_AD_PATH_RE = re.compile(
    r"/(?:ads?|adclick|advert|advertising|sponsored|sponsor|promos?|anzeige|werbung)(?:/|$|\?)", re.I
)
_SHARE_PATH_RE = re.compile(r"/(?:share|sharer|intent/tweet|sharearticle)(?:\.php)?(?:/|$|\?)", re.I)
_UTM_AD_RE = re.compile(r"^(?:cpc|ppc|paid|display|ad|ads|sponsored|native)$", re.I)
_CHROME_TITLE_RE = re.compile(
    r"^(?:home|start|startseite|menu|menü|search|suche|log ?in|sign ?in|sign ?up|log ?out|register|subscribe|"
    r"anmelden|abmelden|registrieren|abonnieren|abo|newsletter|share|teilen|tweet|print|drucken|e-?mail|"
    r"mail|next|previous|prev|more|mehr|weiter|zurück|back|top|nach oben|back to top|skip to content|"
    r"comments?|kommentare|impressum|datenschutz|privacy( policy)?|terms( of use)?|cookie settings|"
    r"advertisement|anzeige|werbung|sponsored|facebook|twitter|whatsapp|linkedin|instagram|x|"
    r"read more|weiterlesen|continue reading|\W*|\d+)$",
    re.IGNORECASE,
)
_IMAGE_EXT_RE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|avif|mp3|mp4|zip)$", re.I)


def _host_is(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _url_key(url: str) -> str:
    """A URL reduced to what identifies the page: no scheme, www., fragment, tracking or trailing slash."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith("utm_")]
    return urlunsplit(("", host, parts.path.rstrip("/") or "/", urlencode(sorted(query)), ""))


def _segments(path: str) -> list[str]:
    return [s.lower() for s in path.split("/") if s]


def _looks_like_story(path: str) -> bool:
    """A path with a slug, an id or a file name, rather than a section index."""
    segs = _segments(path)
    if not segs:
        return False
    last = segs[-1]
    return (
        len(segs) >= 3
        or any(s.count("-") + s.count("_") >= 2 for s in segs)
        or bool(re.search(r"\d{4,}", path))
        or "." in last
    )


def _unwanted(link: Link, own: set[str]) -> bool:
    """Whether a link is navigation, sharing, login, advertising or the article itself."""
    # An anchor of one or two words ("testified", "Cairo") says nothing a reader could choose by.
    if _CHROME_TITLE_RE.match(link.title.strip()) or word_count(link.title) < 3:
        return True
    try:
        parts = urlsplit(link.url)
    except ValueError:
        return True
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or _url_key(link.url) in own:
        return True
    if _host_is(host, _SOCIAL_HOSTS) or _host_is(host, _AD_HOSTS) or host.startswith(("ads.", "ad.", "adserver.")):
        return True
    if _SHARE_PATH_RE.search(parts.path) or _AD_PATH_RE.search(parts.path) or _IMAGE_EXT_RE.search(parts.path):
        return True
    query = dict(parse_qsl(parts.query))
    if _UTM_AD_RE.match(query.get("utm_medium", "")) or query.get("utm_source", "").lower() in ("taboola", "outbrain"):
        return True
    segs = _segments(parts.path)
    if any(s in _ACCOUNT_SEGMENTS for s in segs):
        return True
    # Tag, author and topic pages: "/tag/<name>/", "/author/<name>", or such a word with no story slug at all.
    if any(s in _INDEX_SEGMENTS for s in segs[-2:]) or (
        any(s in _INDEX_SEGMENTS for s in segs) and not any(s.count("-") + s.count("_") >= 3 for s in segs)
    ):
        return True
    # Section fronts ("/politics", "/de/wirtschaft/") carry short labels; stories carry slugs or ids.
    return not _looks_like_story(parts.path) and (len(segs) <= 1 or word_count(link.title) <= 3)


def related_links(article: Article, *, limit: int = 8) -> tuple[Link, ...]:
    """The article's own related links: deduplicated, absolute, without navigation/social/login/advertising links."""
    if limit <= 0:
        return ()
    base = web_base(article.url, article.canonical_url)
    own = {_url_key(u) for u in (article.url, article.canonical_url) if u}
    seen: set[str] = set()
    out: list[Link] = []
    for link in article.related:
        title = " ".join(clean_inline(link.title).split())
        if len(title) > 200:
            title = title[:199].rsplit(" ", 1)[0] + "…"
        if not normalise(title):
            continue
        url = clean_inline(link.url)
        if url:
            try:
                url = urljoin(base or "", url).split("#", 1)[0]
            except ValueError:
                continue
            candidate = Link(title=title, url=url)
            if _unwanted(candidate, own):
                continue
            key = _url_key(url)
        else:
            # Plain text names a story without its address ("Read Also: <title>"): keep it by title.
            candidate, key = Link(title=title, url=""), "title:" + normalise(title)
        if key in seen or "title:" + normalise(title) in seen:
            continue
        seen.update((key, "title:" + normalise(title)))
        out.append(candidate)
        if len(out) >= limit:
            break
    return tuple(out)
