"""What a fetched body is: its media type (declared or sniffed), and its text in the right charset.

Decoding order follows browsers: a byte-order mark, the declared charset (Content-Type), the HTML meta
tag or XML declaration, UTF-8 when it fits, then detection (charset-normalizer). Nothing here raises.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

DETECT_SAMPLE = 256 * 1024

_TEXT_TYPES = frozenset(
    {
        "application/xhtml+xml",
        "application/xml",
        "application/json",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
        "application/feed+json",
        "application/ld+json",
    }
)
# Types that say nothing: the body decides (see sniff).
UNKNOWN_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
_MAGIC = (
    (b"%PDF-", "a PDF document", "application/pdf"),
    (b"\x89PNG", "an image", "image/png"),
    (b"\xff\xd8\xff", "an image", "image/jpeg"),
    (b"GIF8", "an image", "image/gif"),
    (b"PK\x03\x04", "an archive", "application/zip"),
    (b"\x1f\x8b", "compressed data", "application/gzip"),
)


def is_text_type(media: str) -> bool:
    if media.startswith("text/") or media in _TEXT_TYPES:
        return True
    return media.startswith("application/") and media.endswith(("+xml", "+json"))


def type_description(media: str) -> str:
    major, _, minor = media.partition("/")
    if media == "application/pdf":
        return "a PDF document"
    if major == "image":
        return "an image"
    if major == "video":
        return "a video"
    if major == "audio":
        return "an audio file"
    if major == "font":
        return "a font"
    if any(k in minor for k in ("zip", "tar", "rar", "7z", "compressed", "gzip")):
        return "an archive"
    if any(k in minor for k in ("msword", "officedocument", "ms-excel", "ms-powerpoint", "opendocument")):
        return "an office document"
    if minor in ("javascript", "x-javascript", "wasm"):
        return "a program"
    return "a file"


def magic_kind(head: bytes) -> str | None:
    """The binary format whose magic number the body starts with, e.g. "a PDF document (application/pdf)"."""
    for magic, kind, media in _MAGIC:
        if head.startswith(magic):
            return f"{kind} ({media})"
    return None


def binary_kind(head: bytes) -> str | None:
    """What binary data the first bytes of an untyped body are, or None if it may be text."""
    magic = magic_kind(head)
    if magic is not None:
        return magic
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text has NUL bytes
        return None
    if b"\x00" in head[:1024]:
        return "binary data"
    return None


def sniff(body: bytes) -> str:
    """A media type for a body the server did not type."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml"):
        return "application/xhtml+xml" if b"<html" in head else "application/xml"
    if head.startswith((b"<rss", b"<feed", b"<rdf")):
        return "application/xml"
    if head.startswith(b"<"):
        return "text/html"
    if head.startswith((b"{", b"[")):
        return "application/json"
    return "text/plain"


# ------------------------------------------------------------------------------------------------ charsets

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9_.:\-]+)["']""", re.IGNORECASE)
# Labels browsers read differently from Python's codec of the same name (the WHATWG Encoding standard).
_LABEL_OVERRIDES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
}
_NOT_CHARSETS = frozenset(
    {"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined", "mbcs", "oem"}
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label, or None if it is not a known text encoding."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _LABEL_OVERRIDES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def _declared_in_body(body: bytes, media: str) -> str | None:
    head = body[:4096]
    match = _XML_ENCODING.match(head)
    if match is None and ("html" in media or media == "text/plain" or head.lstrip()[:1] == b"<"):
        match = _META_CHARSET.search(head)
    if match is None:
        return None
    codec = _codec(match.group(1).decode("ascii", "replace"))
    if codec is not None and codec.startswith("utf-16"):
        return "utf-8"  # the bytes we just read as ASCII cannot be UTF-16: browsers use UTF-8 here
    return codec


def _mostly_utf8(body: bytes) -> bool:
    """Valid UTF-8, or UTF-8 with a few broken bytes (not a legacy encoding mistaken for it)."""
    try:
        body.decode("utf-8")
        return True
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore")) - bad
    return non_ascii >= 4 * bad


def _detect(body: bytes) -> str | None:
    sample = body[:DETECT_SAMPLE]
    if len(body) > DETECT_SAMPLE:
        cut = sample.rfind(b"\n")
        if cut > DETECT_SAMPLE // 2:
            sample = sample[:cut]
    try:
        best = from_bytes(sample).best()
    except Exception:  # detection is a best effort
        return None
    return _codec(best.encoding) if best is not None else None


def decode_body(body: bytes, charset: str | None = None, media: str = "") -> str:
    """Decode bytes of a page or file to text (see decode_with_charset); never raises."""
    return decode_with_charset(body, charset, media)[0]


def decode_with_charset(body: bytes, charset: str | None = None, media: str = "") -> tuple[str, str]:
    """Decode a body: BOM, then the declared charset (the Content-Type header's), then the HTML meta
    tag / XML declaration, then UTF-8 if it fits, then detection (charset-normalizer).

    Returns (text, codec name used). Bytes that do not decode become U+FFFD; this never raises.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, "replace"), name
    codec = _codec(charset) or _declared_in_body(body, media)
    if codec is None and (media.endswith("json") or _mostly_utf8(body)):
        codec = "utf-8"
    if codec is None:
        codec = _detect(body) or "utf-8"
    try:
        return body.decode(codec, "replace"), codec
    except Exception:  # a codec that cannot even replace: fall back to UTF-8
        return body.decode("utf-8", "replace"), "utf-8"
