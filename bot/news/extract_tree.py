"""Rewrites of a parsed page before trafilatura reads it, for markup that its main-text rules misread."""

from __future__ import annotations

from typing import Any

from lxml import etree

from bot.news.extract_text import word_count

_LAYOUT_BLOCKS = ("p", "div", "table", "ul", "ol", "h1", "h2", "h3", "h4", "article", "section", "blockquote")
# Containers whose own leading text trafilatura drops when paragraphs follow it inside them.
_LOOSE_TEXT_HOLDERS = ("div", "section", "article", "main", "td", "li", "center", "font")
_PARAGRAPH_LIKE = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "table", "figure"})
# A label ("By Jane Doe", "Advertisement") is shorter; prose written straight into a container is longer.
_MIN_LOOSE_WORDS = 12


def unwrap_layout_tables(tree: Any) -> None:
    """Turn tables that lay out a page (cells holding paragraphs, lists or tables) into plain blocks.

    Only data tables should reach trafilatura as tables: it flattens a table into one row of cells, and a
    whole page laid out in a table would come out as one run-on line with its sidebars glued in.
    """
    for table in list(tree.iter("table")):
        if next(table.iterdescendants(*_LAYOUT_BLOCKS), None) is None:
            continue
        # Only this table's own rows and cells: nested tables are judged on their own (and in linear time).
        table.tag = "div"
        for part in table:
            rows = list(part) if part.tag in ("tbody", "thead", "tfoot") else [part]
            if part.tag in ("tbody", "thead", "tfoot"):
                part.tag = "div"
            for row in rows:
                if row.tag == "tr":
                    row.tag = "div"
                    for cell in row:
                        if cell.tag in ("td", "th"):
                            cell.tag = "div"


def wrap_loose_text(tree: Any) -> None:
    """Give prose written straight into a container, ahead of that container's paragraphs, a <p> of its own.

    Some CMSs write an article's first paragraph as bare text before the <p> elements that follow it; trafilatura
    keeps only the paragraphs and loses the lede.
    """
    for node in list(tree.iter(*_LOOSE_TEXT_HOLDERS)):
        text = node.text
        # Most containers hold only the whitespace of indentation: skip them before counting words.
        if not text or len(text) < 3 * _MIN_LOOSE_WORDS or word_count(text) < _MIN_LOOSE_WORDS:
            continue
        if not any(child.tag in _PARAGRAPH_LIKE for child in node):
            continue
        para = etree.Element("p")
        para.text = text.strip()
        node.text = None
        node.insert(0, para)
