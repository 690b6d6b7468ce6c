"""HTML -> Article: trafilatura for the main text, our own reading of metadata and related-link blocks."""

from __future__ import annotations

import logging
import re
from typing import Any

import trafilatura
from lxml import etree
from trafilatura.utils import load_html

from bot.errors import ExtractError
from bot.models import Article, Link
from bot.news.extract_meta import absolute, page_meta
from bot.news.extract_text import NO_TEXT, clean_inline, clean_paragraphs, is_sentence, normalise, word_count

log = logging.getLogger(__name__)

# Tables in news pages are mostly data grids and sidebars; comments are not the article.
_TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": False,
    "include_images": False,
    "include_links": False,
    "with_metadata": False,
    "deduplicate": False,
}

_RELATED_MARK_RE = re.compile(
    r"related|read[-_ ]?(?:also|more|next)|also[-_ ]?read|more[-_ ](?:stories|news|on)|recommended|"
    r"see[-_ ]also|further[-_ ]reading|mehr[-_ ]zum[-_ ]thema|lesen[-_ ]sie[-_ ]auch|weitere[-_ ]artikel|"
    r"auch[-_ ]interessant|lire[-_ ]aussi|leer[-_ ]tambi[eé]n|leggi[-_ ]anche",
    re.IGNORECASE,
)
_CHROME_MARK_RE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|breadcrumbs?|footer|header|masthead|cookie|cookies|consent|gdpr|"
    r"share|sharing|social|login|signin|comments?|advert|advertisement|ad|ads|ad-slot|sponsor|sponsored|"
    r"promo|newsletter|paywall)(?:$|[\s_-])",
    re.IGNORECASE,
)
_CHROME_TAGS = ("nav", "header", "footer", "form", "button", "select", "menu")
_BLOCK_TAGS = frozenset({"section", "aside", "div", "ul", "ol", "nav"})
_DEK_XPATH = etree.XPath(
    "//header//h2 | //header//h3 | //header//p | //h1/following-sibling::h2[1]"
    " | //*[contains(@class, 'dek') or contains(@class, 'standfirst') or contains(@class, 'sub-head')"
    " or contains(@class, 'subhead') or contains(@class, 'subtitle') or contains(@class, 'strapline')"
    " or contains(@class, 'article-summary') or contains(@class, 'teaser-text') or contains(@class, 'lead-in')]"
)
_SENTENCE_END_RE = re.compile(r"\w{2,}[.!?。！？][\"'”’»)]*(?:\s|$)")
_MARKED_XPATH = etree.XPath("//*[@class or @id or @role or @aria-label or @data-component]")


def _marks(node: Any) -> str:
    """The class, id, role and aria-label words of a node, for recognising blocks by name."""
    return " ".join(str(node.get(a) or "") for a in ("class", "id", "role", "aria-label", "data-component"))


def _classify(tree: Any) -> tuple[set[Any], list[Any]]:
    """One pass over the tree: the chrome subtrees (nav, footer, share bars, ads) and the related blocks."""
    chrome: set[Any] = set(tree.iter(*_CHROME_TAGS))
    related: list[Any] = []
    for node in _MARKED_XPATH(tree):
        marks = _marks(node)
        if _CHROME_MARK_RE.search(marks):
            chrome.add(node)
        if node.tag in _BLOCK_TAGS and _RELATED_MARK_RE.search(marks):
            related.append(node)
    for node in tree.iter("h2", "h3", "h4", "h5", "strong"):
        text = clean_inline(node.text_content())
        if 1 <= word_count(text) <= 5 and _RELATED_MARK_RE.search(text.replace(" ", "-")):
            block = node.getparent()
            # A heading alone in its wrapper labels the list that follows the wrapper.
            while block is not None and block.find(".//a[@href]") is None and block.getparent() is not None:
                block = block.getparent()
            if block is not None:
                related.append(block)
    chosen = set(related)
    outer = [n for n in dict.fromkeys(related) if not any(anc in chosen for anc in n.iterancestors())]
    return chrome, outer


def _body_node(tree: Any, chrome: set[Any]) -> Any | None:
    """The element holding the article body: itemprop=articleBody, <article>, or the richest <p> parent."""
    for xpath in (".//*[@itemprop='articleBody']", ".//article"):
        found = [n for n in tree.iterfind(xpath) if not _inside(n, chrome)]
        if found:
            return max(found, key=lambda n: len(n.findall(".//p")))
    scores: dict[Any, int] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + len(p.text_content())
    return max(scores, key=lambda n: scores[n]) if scores else None


def _inside(node: Any, marked: set[Any]) -> bool:
    return node in marked or any(anc in marked for anc in node.iterancestors())


def _link(a: Any, base: str | None) -> Link | None:
    """A titled absolute link, or None for scripts, anchors and paid placements."""
    rel = (a.get("rel") or "").lower().split()
    url = absolute(a.get("href"), base)
    if url is None or "sponsored" in rel:
        return None
    title = clean_inline(a.text_content()) or clean_inline(a.get("title") or "")
    return Link(title=title, url=url) if title else None


def _related(tree: Any, base: str | None) -> tuple[Link, ...]:
    """Candidate links: those in related/read-also blocks, then in-body links to other pages."""
    chrome, blocks = _classify(tree)
    links: list[Link] = []
    in_blocks: set[Any] = set()
    for block in blocks:
        for a in block.iter("a"):
            in_blocks.add(a)
            link = _link(a, base)
            if link is not None:
                links.append(link)
    body = _body_node(tree, chrome)
    if body is not None:
        for a in body.iter("a"):
            if a in in_blocks or _inside(a, chrome):
                continue
            link = _link(a, base)
            if link is not None:
                links.append(link)
    return tuple(links)


def _deks(tree: Any) -> set[str]:
    """Normalised texts that read as a standfirst: subtitles in the article header or dek-like classes."""
    found: set[str] = set()
    for node in _DEK_XPATH(tree):
        text = normalise(node.text_content())
        if 5 <= len(text.split()) <= 80:
            found.add(text)
        if len(found) >= 20:
            break
    return found


def _subheads(doc: Any) -> set[str]:
    """The normalised text of every heading trafilatura kept in the main text."""
    body = getattr(doc, "body", None)
    if body is None:
        return set()
    return {normalise("".join(h.itertext())) for h in body.iter("head")}


def extract_html(content: str, *, url: str | None = None, language_hint: str | None = None) -> Article:
    """An HTML page's main text, metadata and candidate related links."""
    try:
        tree = load_html(content)
    except Exception as err:  # lxml on hostile markup: anything it cannot parse has no text for us
        log.debug("lxml could not parse %s: %r", url, err)
        tree = None
    if tree is None:
        raise ExtractError(NO_TEXT)
    try:
        # Metadata and links first: trafilatura prunes the tree it is given.
        meta = page_meta(tree, url)
        deks = _deks(tree)
        related = _related(tree, url or meta.canonical)
    except (ValueError, RecursionError) as err:
        log.debug("metadata failed on %s: %r", url, err)
        raise ExtractError(NO_TEXT) from err
    try:
        doc = trafilatura.bare_extraction(tree, url=url, **_TRAFILATURA_OPTIONS)
    except Exception as err:  # a third-party extractor on hostile input: any failure means "no text"
        log.debug("trafilatura failed on %s: %r", url, err)
        doc = None
    text = (getattr(doc, "text", None) or "") if doc is not None else ""
    lines = [clean_inline(line) for line in text.splitlines()]
    lines = [line[2:] if line.startswith("- ") else line for line in lines if line]
    # Section subheads are not body sentences: a summariser would read them as run-on sentences.
    heads = _subheads(doc)
    lines = [line for line in lines if normalise(line) not in heads or is_sentence(line)]
    # A standfirst the page sets apart from the body is the description, not the first paragraph.
    head_norm = normalise(meta.headline or "")
    lead = 0
    while lead < min(len(lines) - 1, 3) and normalise(lines[lead]) in deks | {head_norm}:
        lead += 1
    lines = lines[lead:]
    paragraphs = clean_paragraphs(lines, meta.headline or "", meta.description)
    # A list of links or labels has words but no sentences: that is a front page, not an article.
    if sum(word_count(p) for p in paragraphs) < 8 or not any(_SENTENCE_END_RE.search(p) for p in paragraphs):
        raise ExtractError(NO_TEXT)
    headline = meta.headline or " ".join(paragraphs[0].split()[:14])
    return Article(
        headline=headline,
        paragraphs=tuple(paragraphs),
        url=url,
        canonical_url=meta.canonical or url,
        author=meta.author,
        published=meta.published,
        site=meta.site,
        language=meta.language or language_hint,
        image=meta.image,
        related=related,
        description=meta.description,
    )
