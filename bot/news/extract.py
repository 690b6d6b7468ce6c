"""Article extraction: HTML or plain text in, a clean Article out (pure, CPU-bound, no I/O)."""

from __future__ import annotations

import re

from bot.errors import ExtractError
from bot.models import Article
from bot.news.extract_html import extract_html
from bot.news.extract_text import NO_TEXT, extract_text

__all__ = ["extract_article", "looks_like_html"]

_HTML_SNIFF_RE = re.compile(
    r"<\s*(?:!doctype\s+html|html|head|body|meta|title|article|div|p|span|section|main|script|br|a\s)[\s>/]",
    re.IGNORECASE,
)
# Past a long preamble (comments, inline scripts) only the document's own tags are convincing.
_DOCUMENT_TAG_RE = re.compile(r"<\s*(?:html|body)[\s>]", re.IGNORECASE)
# Magic numbers of binary formats that servers sometimes label text/html.
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"Rar!", b"%!PS")


def looks_like_html(content: str) -> bool:
    """Whether text is markup rather than prose: tags in its first kilobytes, or an <html>/<body> tag anywhere."""
    return bool(_HTML_SNIFF_RE.search(content[:8192]) or _DOCUMENT_TAG_RE.search(content))


def _looks_binary(content: str) -> bool:
    """Bytes of a binary file decoded as text: a known magic number, many control characters, or mostly U+FFFD."""
    head = content[:4096].lstrip("\ufeff \r\n\t")
    if head.encode("latin-1", "replace").startswith(_BINARY_MAGIC):
        return True
    if not head:
        return False
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\r\n\t\f")
    # A few U+FFFD are a page with one mis-encoded byte run, not a binary file; controls are never text.
    return controls / len(head) > 0.05 or head.count("\ufffd") / len(head) > 0.3


def extract_article(
    content: str,
    *,
    url: str | None = None,
    is_html: bool | None = None,
    language_hint: str | None = None,
) -> Article:
    """HTML or plain text -> Article; is_html=None sniffs the content. Raises ExtractError when there is no article text."""
    if not isinstance(content, str) or not content.strip() or _looks_binary(content):
        raise ExtractError(NO_TEXT)
    # Lone surrogates and NULs break lxml and encoders alike; nothing readable is lost by dropping them.
    content = content.encode("utf-8", "ignore").decode("utf-8").replace("\x00", "")
    html = looks_like_html(content) if is_html is None else is_html
    if html:
        return extract_html(content, url=url, language_hint=language_hint)
    return extract_text(content, url=url, language_hint=language_hint)
