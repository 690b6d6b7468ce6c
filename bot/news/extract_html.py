"""HTML -> Article: trafilatura for the main text, our own reading of metadata and related-link blocks."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import trafilatura
from lxml import etree
from trafilatura.utils import load_html

from bot.errors import ExtractError
from bot.models import Article, Link
from bot.news.extract_furniture import (
    POPUP_WORDS,
    Furniture,
    is_byline,
    is_furniture,
    page_furniture,
    strip_popups,
    trim_tail,
)
from bot.news.extract_meta import PageMeta, absolute, page_meta, web_base
from bot.news.extract_text import NO_TEXT, clean_inline, clean_paragraphs, is_sentence, normalise, word_count
from bot.news.extract_tree import unwrap_layout_tables, wrap_loose_text

log = logging.getLogger(__name__)

# Data tables (results, statistics) are part of an article's text; comments are not the article.
_TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
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
# Class/id words of page chrome, matched as whole tokens ("share-bar" yes, "shareholders" no).
_CHROME_WORDS = frozenset(
    "nav navbar navigation menu breadcrumb breadcrumbs footer header masthead cookie cookies consent gdpr share "
    "sharing social login signin comment comments advert advertisement ad ads sponsor sponsored promo newsletter "
    "paywall".split()
)
_TOKEN_SPLIT_RE = re.compile(r"[^a-z0-9]+")
# Cheap substring tests before the regexes: most marked nodes are neither related blocks nor deks.
_RELATED_HINTS = ("relat", "read", "also", "more", "recommend", "see", "further", "mehr", "lesen", "weitere", "auch",
                  "lire", "leer", "leggi")
_DEK_HINTS = ("dek", "standfirst", "sub", "strap", "summary", "teaser", "lead", "intro")
_CHROME_TAGS = ("nav", "header", "footer", "form", "button", "select", "menu")
_BLOCK_TAGS = frozenset({"section", "aside", "div", "ul", "ol", "nav"})
_DEK_CLASS_RE = re.compile(
    r"dek|standfirst|sub-?head|subtitle|strapline|article-summary|teaser-text|lead-in|intro-text", re.IGNORECASE
)
# When the fast pass finds fewer words than this, or less than this share of the words in the page's <p>
# elements outside chrome, it may have missed the body, and trafilatura's full cascade runs too.
_FULL_CASCADE_BELOW = 50
_FULL_CASCADE_SHARE = 0.6
# It runs as well when the page has no <p> at all (nothing to check the fast pass against, and the fast pass
# then tends to take the whole page), or when the fast pass reads like a menu: this share of its words in short
# label lines.
_MENU_SHARE = 0.25
# Headline, byline block and standfirst: the lines that may come before the body.
_MAX_LEAD_LINES = 6
_LABEL_WORDS = 6
# Sentence ends in the scripts news is written in (Latin, CJK, Devanagari, Arabic, Armenian, Ethiopic, Burmese).
_SENTENCE_END_RE = re.compile(r"\w[.!?…।॥۔؟։።။][\"'”’»›)\]」』）】]*(?:\s|$)|[。！？]")
_TEXT_XPATH = etree.XPath("//body//text()[not(ancestor::script) and not(ancestor::style)]")
_LINK_TEXT_XPATH = etree.XPath("//body//a//text()")
_WORDS_RE = re.compile(r"\w+")
_MARKED_XPATH = etree.XPath("//*[@class or @id or @role or @aria-label or @data-component]")


def _marks(node: Any) -> str:
    """The class, id, role and aria-label words of a node, for recognising blocks by name."""
    attrib = node.attrib
    return f"{attrib.get('class', '')} {attrib.get('id', '')} {attrib.get('role', '')} {attrib.get('aria-label', '')}"


@dataclass
class _Layout:
    """What one pass over the page found: chrome subtrees, related-link blocks and standfirst texts."""

    chrome: set[Any] = field(default_factory=set)
    related: list[Any] = field(default_factory=list)
    deks: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)
    popups: list[Any] = field(default_factory=list)


def _add_dek(layout: _Layout, node: Any) -> None:
    text = normalise(node.text_content())
    if 5 <= text.count(" ") + 1 <= 80 and len(layout.deks) < 20:
        layout.deks.add(text)


def _classify(tree: Any, description: str | None = None) -> _Layout:
    """The chrome subtrees (nav, footer, share bars, ads), related blocks and standfirst candidates."""
    layout = _Layout(chrome=set(tree.iter(*_CHROME_TAGS)))
    for node in _MARKED_XPATH(tree):
        marks = _marks(node).lower()
        words = _TOKEN_SPLIT_RE.split(marks)
        if not _CHROME_WORDS.isdisjoint(words):
            layout.chrome.add(node)
        if not POPUP_WORDS.isdisjoint(words):
            layout.popups.append(node)
        if node.tag in _BLOCK_TAGS and any(h in marks for h in _RELATED_HINTS) and _RELATED_MARK_RE.search(marks):
            layout.related.append(node)
        css = node.attrib.get("class", "").lower()
        if any(h in css for h in _DEK_HINTS) and _DEK_CLASS_RE.search(css):
            _add_dek(layout, node)
    for header in tree.iter("header"):
        for node in header.iter("h2", "h3", "p"):
            _add_dek(layout, node)
    for h1 in tree.iter("h1"):
        # Any <h1> at the top of the text is a headline, even when og:title words it differently.
        if len(layout.titles) < 10:
            layout.titles.add(normalise(h1.text_content()))
        sibling = h1.getnext()
        if sibling is not None and sibling.tag == "h2":
            _add_dek(layout, sibling)
    desc_norm = normalise(description or "")
    for node in tree.iter("h2", "h3", "h4", "h5", "strong"):
        text = clean_inline(node.text_content())
        # The page's description set as a heading is a standfirst; as a <p> it is usually the lede itself.
        if desc_norm and node.tag != "strong" and normalise(text) == desc_norm:
            _add_dek(layout, node)
        if 1 <= word_count(text) <= 5 and _RELATED_MARK_RE.search(text.replace(" ", "-")):
            block = node.getparent()
            # A heading alone in its wrapper labels the list that follows the wrapper.
            while block is not None and block.find(".//a[@href]") is None and block.getparent() is not None:
                block = block.getparent()
            if block is not None:
                layout.related.append(block)
    layout.titles.discard("")
    chosen = set(layout.related)
    layout.related = [n for n in dict.fromkeys(layout.related) if not any(a in chosen for a in n.iterancestors())]
    return layout


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


def _related(tree: Any, layout: _Layout, base: str | None) -> tuple[Link, ...]:
    """Candidate links: those in related/read-also blocks, then in-body links to other pages."""
    chrome, blocks = layout.chrome, layout.related
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


def _paragraph_words(tree: Any, chrome: set[Any]) -> int:
    """Words in the page's <p> elements outside navigation, footers and the like."""
    return sum(word_count(p.text_content()) for p in tree.iter("p") if not _inside(p, chrome))


def _reads_like_menu(text: str) -> bool:
    """Whether much of an extraction is short label lines (menus, link lists) rather than prose."""
    counts = [(word_count(line), line) for line in text.splitlines()]
    total = sum(n for n, _ in counts)
    labels = sum(n for n, line in counts if n <= _LABEL_WORDS and not is_sentence(line))
    return total > 0 and labels > _MENU_SHARE * total


def _is_article_text(paragraphs: list[str], tree: Any) -> bool:
    """Enough prose to brief: not a few labels, and not a page that is mostly a list of links."""
    if sum(len(w) for p in paragraphs for w in _WORDS_RE.findall(p)) < 40:
        return False
    if any(_SENTENCE_END_RE.search(p) for p in paragraphs):
        return True
    # No sentence punctuation (Thai, or a list of links): a link list is text that is nearly all anchors.
    page_words = sum(word_count(t) for t in _TEXT_XPATH(tree))
    link_words = sum(word_count(t) for t in _LINK_TEXT_XPATH(tree))
    return link_words < 0.5 * page_words


def _table_row(line: str) -> str:
    """'| a | b |' (trafilatura's table row) -> 'a | b'; any other line unchanged."""
    return line.strip("| ") if line.startswith("|") and line.endswith("|") else line


def _trafilatura(tree: Any, url: str | None, *, fast: bool) -> Any:
    """trafilatura's main-text Document for a parsed page (it works on its own copy), or None."""
    try:
        return trafilatura.bare_extraction(tree, url=url, fast=fast, **_TRAFILATURA_OPTIONS)
    except Exception as err:  # a third-party extractor on hostile input: any failure means "no text"
        log.debug("trafilatura failed on %s: %r", url, err)
        return None


def extract_html(content: str, *, url: str | None = None, language_hint: str | None = None) -> Article:
    """An HTML page's main text, metadata and candidate related links."""
    try:
        tree = load_html(content)
    except Exception as err:  # lxml on hostile markup: anything it cannot parse has no text for us
        log.debug("lxml could not parse %s: %r", url, err)
        tree = None
    if tree is None:
        raise ExtractError(NO_TEXT)
    has_paragraphs = next(tree.iter("p"), None) is not None
    # Metadata and markup furniture refine the text; a page they choke on still has its text read.
    try:
        meta = page_meta(tree, url)
    except (ValueError, TypeError, RecursionError, etree.LxmlError) as err:
        log.debug("metadata failed on %s: %r", url, err)
        meta = PageMeta()
    layout, furniture = _Layout(), Furniture()
    related: tuple[Link, ...] = ()
    try:
        layout = _classify(tree, meta.description)
        strip_popups(layout.popups)
        furniture = page_furniture(tree, (url, meta.canonical))
        related = _related(tree, layout, web_base(url, meta.canonical))
        unwrap_layout_tables(tree)
        wrap_loose_text(tree)
    except (ValueError, TypeError, RecursionError, etree.LxmlError) as err:
        log.debug("page layout failed on %s: %r", url, err)
    doc = _trafilatura(tree, url, fast=True)
    text = (getattr(doc, "text", None) or "") if doc is not None else ""
    words = word_count(text)
    if (words < _FULL_CASCADE_BELOW or words < _FULL_CASCADE_SHARE * _paragraph_words(tree, layout.chrome)
            or not has_paragraphs or _reads_like_menu(text)):
        # The main extractor alone may have missed the body or taken the page: trafilatura weighs its fallbacks.
        full = _trafilatura(tree, url, fast=False)
        full_text = (getattr(full, "text", None) or "") if full is not None else ""
        if full_text:
            text = full_text
    lines = [clean_inline(line) for line in text.splitlines()]
    # Section subheads stay: they are part of the article's text, and the summariser never picks them.
    lines = [_table_row(line[2:] if line.startswith("- ") else line) for line in lines if line]
    # A standfirst the page sets apart from the body is the description, not the first paragraph.
    heads = layout.titles | {normalise(meta.headline or "")}
    before_body, deks_only = layout.deks | heads, layout.deks - heads
    description = meta.description
    lead = 0
    while lead < min(len(lines) - 1, _MAX_LEAD_LINES):
        norm = normalise(lines[lead])
        # The byline block (name, role, e-mail, handle) may sit between headline and standfirst.
        previous = lines[lead - 1] if lead else ""
        if norm not in before_body and not is_byline(lines[lead], meta.author, previous):
            break
        if description is None and norm in deks_only:
            description = lines[lead]
        lead += 1
    lines = lines[lead:]
    paragraphs = clean_paragraphs(lines, meta.headline or "", description)
    # Lines the markup shows to be teasers, stamps or tag lists (see extract_furniture).
    paragraphs = trim_tail([p for p in paragraphs if not is_furniture(p, furniture)], furniture, meta.author)
    if not _is_article_text(paragraphs, tree):
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
        description=description,
    )
