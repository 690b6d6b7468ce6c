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
import errno
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver

from bot.errors import BlockedURLError, BriefingError, FetchError
from bot.news.content import (
    UNKNOWN_TYPES,
    binary_kind,
    decode_with_charset,
    is_text_type,
    magic_kind,
    sniff,
    type_description,
)
from bot.news.urlguard import Target, connecting, guard_url, make_socket_factory
from bot.settings import FetchSettings

DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
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
    settings: FetchSettings, *, resolver: AbstractResolver | None = None,
    trace_configs: Sequence[aiohttp.TraceConfig] = (),
) -> aiohttp.ClientSession:
    """One session per process, made at start-up (inside the running event loop), with the guarded connector.

    No cookies are kept between fetches (a fetch keeps the cookies of its own redirect chain), no
    proxy settings are read from the environment. `resolver` is for tests; `trace_configs` let the
    edge observe every request (metrics) without this module knowing about them.
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
        trace_configs=list(trace_configs) or None,
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
    if media not in UNKNOWN_TYPES and not is_text_type(media):
        resp.close()
        raise FetchError(f"the page is {type_description(media)} ({media}), not an article or feed")
    length = resp.content_length
    if length is not None and length > settings.max_bytes:
        resp.close()
        raise FetchError(f"the page is larger than {_size(settings.max_bytes)}")

    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.content.iter_chunked(CHUNK):
        if not chunks:
            # Servers label PDFs and images text/html too: the magic number outranks the label.
            binary = binary_kind(chunk) if media in UNKNOWN_TYPES else magic_kind(chunk)
            if binary is not None:
                resp.close()
                raise FetchError(f"the page is {binary}, not an article or feed")
        total += len(chunk)
        if total > settings.max_bytes:
            resp.close()
            raise FetchError(f"the page is larger than {_size(settings.max_bytes)}")
        chunks.append(chunk)
    body = b"".join(chunks)
    if media in UNKNOWN_TYPES:
        media = sniff(body)
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
