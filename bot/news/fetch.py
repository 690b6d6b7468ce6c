"""Fetch one page or feed over http(s), safely.

Every fetch has one deadline (`timeout`) covering connect, every redirect and the whole body; a
separate `connect_timeout` bounds each connection attempt. Redirects are followed here, one hop at a
time, so every hop goes through the URL guard again; the session's connector checks the address it
actually dials (see bot/news/urlguard.py). The body is streamed and cut at `max_bytes` *after*
decompression, so a small gzip bomb cannot inflate past the cap. Only text types are read: HTML,
XHTML, XML (RSS, Atom), JSON and text/*; a PDF or an image is refused before its body is read.

Whatever goes wrong comes out as FetchError (or its subclass BlockedURLError) with a message a
user understands; no aiohttp, asyncio, ssl or decoding exception escapes `fetch`.
"""

from __future__ import annotations

import asyncio
import codecs
import errno
import re
import ssl
from dataclasses import dataclass
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver
from charset_normalizer import from_bytes

from bot.errors import BlockedURLError, BriefingError, FetchError
from bot.news.urlguard import Target, connecting, guard_url, make_socket_factory
from bot.settings import FetchSettings

DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
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
# Types that say nothing: the body decides (see _sniff).
_UNKNOWN_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
_MAGIC = (
    (b"%PDF-", "a PDF document", "application/pdf"),
    (b"\x89PNG", "an image", "image/png"),
    (b"\xff\xd8\xff", "an image", "image/jpeg"),
    (b"GIF8", "an image", "image/gif"),
    (b"PK\x03\x04", "an archive", "application/zip"),
    (b"\x1f\x8b", "compressed data", "application/gzip"),
)


@dataclass(frozen=True)
class FetchResult:
    """One fetched page: its decoded text and what the server said about it."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 200, or 304 when not_modified
    content_type: str  # e.g. "text/html"
    charset: str | None  # the encoding the text was decoded with (None when not_modified)
    body: bytes  # decompressed, capped
    text: str  # decoded body ("" when not_modified)
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


def make_session(
    settings: FetchSettings, *, resolver: AbstractResolver | None = None
) -> aiohttp.ClientSession:
    """One session per process, made at start-up (inside the running event loop), with the guarded connector.

    No cookies are kept between fetches (a fetch keeps the cookies of its own redirect chain), no
    proxy settings are read from the environment. `resolver` is for tests.
    """
    # Connection limits stay at aiohttp's defaults (100 in all): the callers' own limiters apply
    # `concurrency` / `per_host_concurrency`, and a fetch's deadline should not run out waiting here.
    connector = aiohttp.TCPConnector(socket_factory=make_socket_factory(settings), resolver=resolver)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"User-Agent": settings.user_agent},
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=settings.connect_timeout),
        auto_decompress=True,
        trust_env=False,
        raise_for_status=False,
    )


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    settings: FetchSettings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str = DEFAULT_ACCEPT,
) -> FetchResult:
    """GET a page, following up to `max_redirects` redirects; raises FetchError / BlockedURLError."""
    try:
        async with asyncio.timeout(settings.timeout):
            return await _fetch(session, url, settings, etag=etag, last_modified=last_modified, accept=accept)
    except BriefingError:
        raise
    except TimeoutError:
        raise FetchError(f"the page took longer than {_seconds(settings.timeout)}") from None
    except Exception as exc:  # the promise: nothing but FetchError leaves fetch()
        raise FetchError(f"could not fetch the page: {_describe_exception(exc)}") from exc


async def _fetch(
    session: aiohttp.ClientSession,
    url: str,
    settings: FetchSettings,
    *,
    etag: str | None,
    last_modified: str | None,
    accept: str,
) -> FetchResult:
    target = guard_url(url, settings)
    visited = [target.url]
    cookies: dict[str, SimpleCookie] = {}
    conditional = bool(etag or last_modified)
    while True:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        jar = cookies.get(target.host)
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in jar.items())
        with connecting(target) as hop:
            try:
                async with session.get(target.url, headers=headers, allow_redirects=False) as resp:
                    _keep_cookies(resp, target, cookies)
                    status = resp.status
                    if status in REDIRECT_CODES and "Location" in resp.headers:
                        location = resp.headers["Location"]
                        resp.release()
                    else:
                        return await _read(
                            resp,
                            url,
                            target,
                            settings,
                            conditional=conditional,
                            etag=etag,
                            last_modified=last_modified,
                        )
            except aiohttp.ClientConnectorError as exc:
                if hop.refusals:
                    raise BlockedURLError(hop.refusals[0]) from None
                raise FetchError(_connect_message(target, exc, settings)) from None
            except aiohttp.ConnectionTimeoutError:
                if hop.refusals:
                    raise BlockedURLError(hop.refusals[0]) from None
                raise FetchError(
                    f"could not connect to {target.host}: no answer within {_seconds(settings.connect_timeout)}"
                ) from None
            except aiohttp.ServerDisconnectedError:
                raise FetchError(f"{target.host} closed the connection without answering") from None
            except aiohttp.ClientPayloadError as exc:
                raise FetchError(_payload_message(exc)) from None
            except aiohttp.ClientResponseError as exc:
                raise FetchError(
                    f"{target.host} sent an answer that is not valid HTTP ({exc.message})"
                ) from None
            except aiohttp.ClientError as exc:
                raise FetchError(
                    f"could not fetch the page from {target.host}: {_describe_exception(exc)}"
                ) from None
        # A redirect: check the next hop like the first one.
        if len(visited) > settings.max_redirects:
            if len(set(visited)) < len(visited):
                raise FetchError(
                    f"the page redirects in a loop (more than {settings.max_redirects} redirects)"
                )
            raise FetchError(f"too many redirects (more than {settings.max_redirects})")
        try:
            next_url = urljoin(target.url, location.strip())
        except ValueError:
            raise FetchError("the page redirects to a link that is not valid") from None
        target = guard_url(next_url, settings)
        visited.append(target.url)


async def _read(
    resp: aiohttp.ClientResponse,
    url: str,
    target: Target,
    settings: FetchSettings,
    *,
    conditional: bool,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    status = resp.status
    new_etag = resp.headers.get("ETag")
    new_modified = resp.headers.get("Last-Modified")
    if status == 304 and conditional:
        return FetchResult(
            url=url,
            final_url=target.url,
            status=304,
            content_type=_media_type(resp),
            charset=None,
            body=b"",
            text="",
            etag=new_etag or etag,
            last_modified=new_modified or last_modified,
            not_modified=True,
        )
    if not 200 <= status < 300:
        raise FetchError(f"the page answered {_status_text(status, resp.reason)}")
    media = _media_type(resp)
    if media not in _UNKNOWN_TYPES and not _is_text_type(media):
        resp.close()
        raise FetchError(f"the page is {_type_description(media)} ({media}), not an article or feed")
    length = resp.content_length
    if length is not None and length > settings.max_bytes:
        resp.close()
        raise FetchError(f"the page is larger than {_size(settings.max_bytes)}")

    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.content.iter_chunked(CHUNK):
        if not chunks:
            # Servers label PDFs and images text/html too: the magic number outranks the label.
            binary = _binary_kind(chunk) if media in _UNKNOWN_TYPES else _magic_kind(chunk)
            if binary is not None:
                resp.close()
                raise FetchError(f"the page is {binary}, not an article or feed")
        total += len(chunk)
        if total > settings.max_bytes:
            resp.close()
            raise FetchError(f"the page is larger than {_size(settings.max_bytes)}")
        chunks.append(chunk)
    body = b"".join(chunks)
    if media in _UNKNOWN_TYPES:
        media = _sniff(body)
    text, charset = decode_with_charset(body, resp.charset, media)
    return FetchResult(
        url=url,
        final_url=target.url,
        status=status,
        content_type=media,
        charset=charset,
        body=body,
        text=text,
        etag=new_etag,
        last_modified=new_modified,
    )


def _keep_cookies(resp: aiohttp.ClientResponse, target: Target, cookies: dict[str, SimpleCookie]) -> None:
    """Remember this hop's Set-Cookie for later hops to the same host (some sites redirect through a cookie)."""
    for value in resp.headers.getall("Set-Cookie", []):
        jar = cookies.setdefault(target.host, SimpleCookie())
        try:
            jar.load(value)
        except CookieError:
            continue


# ------------------------------------------------------------------------------------------ content types


def _media_type(resp: aiohttp.ClientResponse) -> str:
    raw = resp.headers.get("Content-Type", "")
    return raw.split(";", 1)[0].strip().lower()


def _is_text_type(media: str) -> bool:
    if media.startswith("text/") or media in _TEXT_TYPES:
        return True
    return media.startswith("application/") and media.endswith(("+xml", "+json"))


def _type_description(media: str) -> str:
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


def _magic_kind(head: bytes) -> str | None:
    """The binary format whose magic number the body starts with, e.g. "a PDF document (application/pdf)"."""
    for magic, kind, media in _MAGIC:
        if head.startswith(magic):
            return f"{kind} ({media})"
    return None


def _binary_kind(head: bytes) -> str | None:
    """What binary data the first bytes of an untyped body are, or None if it may be text."""
    magic = _magic_kind(head)
    if magic is not None:
        return magic
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text has NUL bytes
        return None
    if b"\x00" in head[:1024]:
        return "binary data"
    return None


def _sniff(body: bytes) -> str:
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


# ------------------------------------------------------------------------------------------------ messages


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _size(limit: int) -> str:
    mib, kib = 1024 * 1024, 1024
    if limit >= mib:
        return f"{limit / mib:.1f}".removesuffix(".0") + " MB"
    if limit >= kib:
        return f"{limit / kib:.1f}".removesuffix(".0") + " KB"
    return f"{limit} bytes"


def _status_text(status: int, reason: str | None) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = (reason or "").strip()
    return f"{status} ({phrase})" if phrase else str(status)


def _connect_message(target: Target, exc: aiohttp.ClientConnectorError, settings: FetchSettings) -> str:
    where = target.host
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"could not connect to {where}: the name could not be found (DNS)"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return (
            f"could not connect to {where}: its security certificate is not valid ({exc.certificate_error})"
        )
    if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError):
        return f"could not connect securely to {where}: the TLS handshake failed"
    os_error = exc.os_error
    if isinstance(os_error, ssl.SSLError):
        return f"could not connect securely to {where}: the TLS handshake failed"
    if os_error.errno == errno.ECONNREFUSED or isinstance(os_error, ConnectionRefusedError):
        return f"could not connect to {where}: connection refused"
    if os_error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return f"could not connect to {where}: the network or host is unreachable"
    if os_error.errno == errno.ETIMEDOUT:
        return f"could not connect to {where}: no answer within {_seconds(settings.connect_timeout)}"
    detail = (os_error.strerror or str(os_error) or type(os_error).__name__).strip()
    return f"could not connect to {where}: {detail[:200]}"


def _payload_message(exc: aiohttp.ClientPayloadError) -> str:
    text = str(exc).lower()
    if "content-encoding" in text or "decode" in text:
        return "the page's compressed content is damaged"
    return "the connection broke off before the whole page arrived"


def _describe_exception(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
