"""Page furniture that trafilatura leaves inside the main text, recognised from the page's own markup.

Kinds of furniture, each a class of page rather than a page: hover cards (a person's card with their latest headlines,
hidden until pointed at, yet present in the markup inside the body), lines that are nothing but one link to
another story (a teaser headline, "CLICK HERE TO GET OUR APP", "<headline> [INSIGHT]"), the
date stamps and tag lists that a blog template prints around the body, the page's own address in a print view,
and, at the end, the writer's bio and a subhead left dangling once the list it labelled is gone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from bot.news.extract_text import is_sentence, normalise

# Class/id words of pop-up cards and tooltips, matched as whole tokens ("tooltip" yes, "popularity" no).
POPUP_WORDS = frozenset("rollover tooltip popover hovercard".split())
# The block a link line sits in; the line ends at a <br> or at the block's edge.
_LINE_BLOCKS = frozenset({"p", "li", "dd", "dt", "div", "td", "blockquote"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# A short section tag after a teaser link: "[INSIGHT]", "(VIDEO)".
_TRAILING_TAG_RE = re.compile(r"\s*[\[(][^\])]{1,20}[\])]\s*$")
_ITEMPROP_XPATH = etree.XPath("//*[@itemprop]")
_DATE_PROPS = frozenset({"datePublished", "dateModified", "dateCreated"})
_TAG_LABEL_RE = re.compile(r"^\s*(?:tags?|tagged(?: with)?|filed under|topics?|keywords?)\s*:?\s*", re.IGNORECASE)
_TAG_SEP_RE = re.compile(r"\s*[,|·/•]\s*")
# A link that shows its own address ("www.example.com") is a citation or a sign-off, which the body keeps.
_ADDRESS_RE = re.compile(r"\b(?:www|https?)\b|\b(?:com|org|net)\b")
# A teaser headline has a few words (a linked product or place name fewer); a long linked paragraph is prose.
_MIN_LINK_WORDS = 4
_MAX_LINE_WORDS = 40
_MAX_BLOCK_EVENTS = 400
_MAX_DEPTH = 40
_BARE_URL_RE = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_MAX_HEADINGS = 300
# "Jane Roe is our transport correspondent": what follows the byline's name in a writer's bio.
_BIO_VERB_RE = re.compile(r"(?:is|was|writes|covers|reports|joined|has (?:been|covered|written|reported))\b")
_BIO_MAX_WORDS = 60
_BYLINE_MAX_WORDS = 10
_CONTACT_RE = re.compile(r"^(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@\w{2,30})$")


@dataclass
class Furniture:
    """Normalised texts of whole lines that are furniture on this page."""

    link_lines: set[str] = field(default_factory=set)
    stamps: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    headings: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)


def address_key(text: str | None) -> str | None:
    """A web address without scheme, 'www.', query, fragment and final slash, for comparing; None if not one."""
    text = (text or "").strip()
    if not _BARE_URL_RE.match(text):
        return None
    key = re.sub(r"^(?:https?://)?(?:www\.)?", "", text.lower())
    return re.split(r"[?#]", key, maxsplit=1)[0].rstrip("/") or None


def strip_popups(marked: list[Any]) -> None:
    """Remove hover cards and tooltips (nodes whose class words include a POPUP_WORDS word), keeping what follows."""
    # Outer marked wrappers hold the visible trigger (the linked name) beside the card: only the innermost go.
    candidates = set(marked)
    outer = {anc for node in marked for anc in node.iterancestors() if anc in candidates}
    for node in marked:
        if node in outer:
            continue
        # A card holds links or a picture; bare text may be the trigger word itself, and a <p> means layout.
        if node.find(".//p") is None and (node.find(".//a") is not None or node.find(".//img") is not None):
            _remove_keep_tail(node)


def _remove_keep_tail(node: Any) -> None:
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        prev = node.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _block_lines(block: Any) -> list[str]:
    """A block's text split at its <br> elements (scripts and styles left out); [] for a block too big to be a line."""
    lines = [""]
    skip = 0
    for count, (event, node) in enumerate(etree.iterwalk(block, events=("start", "end"))):
        if count > _MAX_BLOCK_EVENTS:
            return []  # a wrapper of many elements is layout, not a line (and walking it per link would be quadratic)
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if tag in ("script", "style"):
                skip += 1
            elif tag == "br":
                lines.append("")
            elif not skip and tag and node.text:
                lines[-1] += node.text
        else:
            if tag in ("script", "style"):
                skip -= 1
            if node is not block and not skip and node.tail:
                lines[-1] += node.tail
    return lines


def _line_block(a: Any) -> Any | None:
    """The block a link's line sits in, or None when the link is part of a heading (or nested past reason)."""
    block = a.getparent()
    depth = 0
    while block is not None and block.tag not in _LINE_BLOCKS:
        if block.tag in _HEADINGS or depth > _MAX_DEPTH:
            return None
        block, depth = block.getparent(), depth + 1
    if block is None:
        return None
    for depth, anc in enumerate(block.iterancestors()):
        if anc.tag in _HEADINGS or depth > _MAX_DEPTH:
            return None
    return block


def _link_line(a: Any, blocks: dict[Any, list[str]]) -> str | None:
    """The normalised line that is this link and nothing else (a teaser, a call to action), if there is one."""
    if not a.get("href"):
        return None
    raw = a.text_content()
    if raw.count(" ") < _MIN_LINK_WORDS - 1:  # most anchors are short navigation labels: skip them cheaply
        return None
    text = normalise(raw)
    if _ADDRESS_RE.search(text) or not _MIN_LINK_WORDS <= text.count(" ") + 1 <= _MAX_LINE_WORDS:
        return None
    block = _line_block(a)  # a linked heading is the article's own structure (a gift guide's product names)
    if block is None:
        return None
    if block not in blocks:
        blocks[block] = _block_lines(block)
    for line in blocks[block]:
        if len(line) <= len(raw) + 40 and normalise(_TRAILING_TAG_RE.sub("", line)) == text:
            return normalise(line)
    return None


def page_furniture(tree: Any, addresses: tuple[str | None, ...] = ()) -> Furniture:
    """The furniture lines this page's markup declares: link-only lines, date stamps, tag lists, its own address."""
    furniture = Furniture()
    # A print view writes out the page's own address; a bare address to anywhere else is a cited source.
    furniture.addresses = {key for key in map(address_key, addresses) if key}
    for node in tree.iter("h2", "h3", "h4", "h5", "h6"):
        if len(furniture.headings) >= _MAX_HEADINGS:
            break
        furniture.headings.add(normalise(node.text_content()))
    furniture.headings.discard("")
    blocks: dict[Any, list[str]] = {}
    stamps = [node for node in _ITEMPROP_XPATH(tree) if node.get("itemprop") in _DATE_PROPS]
    for node in tree.iter("a", "time"):
        if node.tag == "time":
            stamps.append(node)
            continue
        if "tag" in (node.get("rel") or "").lower().split():
            furniture.tags.add(normalise(node.text_content()))
        line = _link_line(node, blocks)
        if line:
            furniture.link_lines.add(line)
    for node in stamps:
        text = normalise(node.text_content())
        if text.count(" ") < 12:
            furniture.stamps.add(text)
    furniture.stamps.discard("")
    furniture.tags.discard("")
    return furniture


def _is_tag_list(line: str, tags: set[str]) -> bool:
    """'Tags: a, b, c' where every item is one of the page's rel=tag links."""
    items = [normalise(item) for item in _TAG_SEP_RE.split(_TAG_LABEL_RE.sub("", line))]
    items = [item for item in items if item]
    return bool(items) and all(item in tags for item in items)


def is_furniture(line: str, furniture: Furniture) -> bool:
    """Whether one line of extracted text is a link-only line, a date stamp or a tag list of this page."""
    norm = normalise(line)
    if not norm:
        return False
    if norm in furniture.link_lines or norm in furniture.stamps:
        return True
    if furniture.addresses and address_key(line) in furniture.addresses:
        return True
    return bool(furniture.tags) and _is_tag_list(line, furniture.tags)


def _is_author_bio(line: str, names: list[str]) -> bool:
    """Whether a line starts with one of the byline's names followed by a bio's verb."""
    if line.count(" ") >= _BIO_MAX_WORDS:
        return False
    lowered = line.lower()
    return any(lowered.startswith(name + " ") and _BIO_VERB_RE.match(lowered, len(name) + 1) for name in names)


def is_byline(line: str, author: str | None, previous: str = "") -> bool:
    """Whether a line before the body is part of a byline block: 'By', 'By <name>', the byline's name (with a role
    after a comma, or after a 'By' line), or the writer's e-mail address or social handle.

    A name alone may be a credit the page shows as text ("Staff Reports"): it needs the 'By' or the role.
    """
    text = line.strip()
    if _CONTACT_RE.match(text):
        return True
    if is_sentence(text) or text.count(" ") >= _BYLINE_MAX_WORDS:
        return False
    norm = normalise(text)
    if norm == "by" or norm.startswith("by "):
        return True
    name = normalise(author or "")
    if not name:
        return False
    return (norm == name and normalise(previous) == "by") or text.lower().startswith((author or "").lower() + ",")


def trim_tail(paragraphs: list[str], furniture: Furniture, author: str | None) -> list[str]:
    """Without what ends the text but is not the article: the writer's bio, and subheads left dangling.

    A section heading with nothing under it labels furniture that is gone ("Most popular", "How to listen"),
    never the article's last words.
    """
    # Full names only ("Jane Roe"): a one-word byline is often a desk or an agency that the story may mention.
    names = [n.strip().lower() for n in re.split(r",|\band\b|&", author or "") if n.strip().count(" ") >= 1]
    end = len(paragraphs)
    while end > 1:
        last = paragraphs[end - 1]
        dangling = normalise(last) in furniture.headings and not is_sentence(last)
        if not dangling and not (names and _is_author_bio(last, names)):
            break
        end -= 1
    return paragraphs[:end]
