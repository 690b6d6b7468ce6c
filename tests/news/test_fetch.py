"""fetch() against a local hostile server: results, clear errors, and bounded time for every case."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.errors import BlockedURLError, FetchError
from bot.news.content import decode_body, decode_with_charset
from bot.news.fetch import FetchResult, fetch, make_session
from bot.settings import FetchSettings
from tests.hostile_server import (
    ETAG,
    GERMAN_TEXT,
    HITS,
    LAST_MODIFIED,
    LATIN_TEXT,
    META_TEXT,
    RUSSIAN_TEXT,
    UTF8_TEXT,
    make_hostile_app,
)

ServeApp = Callable[[web.Application], Awaitable[str]]
BOUND = 8.0  # no test may take longer than this, whatever the server does


def _port(base: str) -> int:
    port = urlsplit(base).port
    assert port is not None
    return port


def settings_for(base: str, **overrides: Any) -> FetchSettings:
    """Small limits so the tests are fast; the test server's port plays the public web."""
    values: dict[str, Any] = {
        "connect_timeout": 2.0,
        "timeout": 3.0,
        "max_bytes": 256 * 1024,
        "max_redirects": 5,
        "allow_hosts": (f"127.0.0.1:{_port(base)}",),
    }
    values.update(overrides)
    return FetchSettings(**values)


class StaticResolver(AbstractResolver):
    """Resolves a few made-up names to fixed addresses (simulates DNS answers, e.g. rebinding)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.table:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        address = self.table[host]
        fam = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [ResolveResult(hostname=host, host=address, port=port, family=fam, proto=0, flags=0)]

    async def close(self) -> None:
        return None


@pytest.fixture
async def hostile(serve_app: ServeApp) -> tuple[str, web.Application]:
    app = make_hostile_app()
    return await serve_app(app), app


@pytest.fixture
async def sessions() -> AsyncIterator[Callable[..., aiohttp.ClientSession]]:
    made: list[aiohttp.ClientSession] = []

    def make(settings: FetchSettings, **kwargs: Any) -> aiohttp.ClientSession:
        session = make_session(settings, **kwargs)
        made.append(session)
        return session

    yield make
    for session in made:
        await session.close()


async def get(base: str, path: str, **overrides: Any) -> FetchResult:
    settings = settings_for(
        base, **{k: v for k, v in overrides.items() if k not in ("etag", "last_modified")}
    )
    async with make_session(settings) as session:
        return await bounded(
            fetch(
                session,
                base + path,
                settings,
                etag=overrides.get("etag"),
                last_modified=overrides.get("last_modified"),
            )
        )


async def bounded(coro: Awaitable[FetchResult], limit: float = BOUND) -> FetchResult:
    start = time.monotonic()
    try:
        async with asyncio.timeout(limit):
            return await coro
    finally:
        assert time.monotonic() - start < limit


async def fails(base: str, path: str, **overrides: Any) -> tuple[FetchError, float]:
    start = time.monotonic()
    with pytest.raises(FetchError) as info:
        await get(base, path, **overrides)
    return info.value, time.monotonic() - start


# ------------------------------------------------------------------------------------------------ success


async def test_charset_from_header(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/html/header-charset")
    assert result.status == 200
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert UTF8_TEXT in result.text
    assert result.url == base + "/html/header-charset"
    assert result.final_url == base + "/html/header-charset"
    assert not result.not_modified


async def test_charset_from_meta_tag(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/html/meta-charset")
    assert META_TEXT in result.text
    assert result.charset == "cp1252"


async def test_charset_from_meta_http_equiv(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/html/meta-http-equiv")
    assert RUSSIAN_TEXT in result.text
    assert result.charset == "koi8-r"


async def test_charset_detected_cp1251(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/html/no-charset")
    assert RUSSIAN_TEXT in result.text
    assert result.charset == "cp1251"


async def test_charset_detected_latin1(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/html/latin1-no-charset")
    assert GERMAN_TEXT in result.text


async def test_invalid_utf8_decodes_with_replacement(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/html/invalid-utf8")
    assert "good text" in result.text and "more" in result.text
    assert "\ufffd" in result.text


async def test_gzip_page_is_decompressed(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/html/gzip")
    assert UTF8_TEXT in result.text
    assert result.body.startswith(b"<!DOCTYPE html>")


async def test_feed_encoding_from_xml_declaration(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/feed.xml")
    assert result.content_type == "application/rss+xml"
    assert LATIN_TEXT in result.text


async def test_json_is_accepted(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/json")
    assert result.content_type == "application/json"
    assert "Zürich" in result.text


async def test_untyped_html_is_sniffed(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/octet-html")
    assert result.content_type == "text/html"
    assert UTF8_TEXT in result.text


async def test_redirect_chain_within_limit(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    for n in (3, 5):
        result = await get(base, f"/redirect/{n}")
        assert result.final_url == base + "/html/header-charset"
        assert result.url == base + f"/redirect/{n}"
        assert UTF8_TEXT in result.text


async def test_cookies_follow_the_redirect_chain(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    result = await get(base, "/cookie-gate")
    assert "past the gate" in result.text


async def test_conditional_get(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    first = await get(base, "/conditional")
    assert first.etag == ETAG and first.last_modified == LAST_MODIFIED
    assert not first.not_modified and "fresh" in first.text

    by_etag = await get(base, "/conditional", etag=first.etag)
    assert by_etag.not_modified and by_etag.status == 304
    assert by_etag.text == "" and by_etag.body == b"" and by_etag.charset is None
    assert by_etag.etag == ETAG

    by_date = await get(base, "/conditional", last_modified=first.last_modified)
    assert by_date.not_modified and by_date.last_modified == LAST_MODIFIED

    stale = await get(base, "/conditional", etag='"old"')
    assert not stale.not_modified and stale.status == 200


# ------------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/status/404", "the page answered 404 (Not Found)"),
        ("/status/500", "the page answered 500 (Internal Server Error)"),
        ("/status/403", "the page answered 403 (Forbidden)"),
        ("/redirect/6", "too many redirects (more than 5)"),
        ("/loop/a", "the page redirects in a loop (more than 5 redirects)"),
        ("/redirect-no-location", "the page answered 302 (Found)"),
        ("/big", "the page is larger than 256 KB"),
        ("/big-chunked", "the page is larger than 256 KB"),
        ("/gzip-bomb", "the page is larger than 256 KB"),
        ("/endless", "the page is larger than 256 KB"),
        ("/pdf", "the page is a PDF document (application/pdf), not an article or feed"),
        ("/png", "the page is an image (image/png), not an article or feed"),
        ("/octet-png", "the page is an image (image/png), not an article or feed"),
        ("/truncated", "the connection broke off before the whole page arrived"),
    ],
)
async def test_clear_errors(hostile: tuple[str, web.Application], path: str, message: str) -> None:
    base, _ = hostile
    err, elapsed = await fails(base, path)
    assert str(err) == message
    assert type(err) is FetchError
    assert elapsed < BOUND


async def test_gzip_bomb_is_cut_while_streaming(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    err, elapsed = await fails(base, "/gzip-bomb", max_bytes=1024 * 1024, timeout=5.0)
    assert str(err) == "the page is larger than 1 MB"
    assert elapsed < 3.0


async def test_redirect_limit_is_configurable(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    err, _ = await fails(base, "/redirect/3", max_redirects=2)
    assert str(err) == "too many redirects (more than 2)"
    err, _ = await fails(base, "/redirect/1", max_redirects=0)
    assert str(err) == "too many redirects (more than 0)"


@pytest.mark.parametrize("path", ["/slow-drip", "/slow-headers"])
async def test_one_deadline_for_the_whole_fetch(hostile: tuple[str, web.Application], path: str) -> None:
    base, _ = hostile
    err, elapsed = await fails(base, path, timeout=1.0)
    assert str(err) == "the page took longer than 1 s"
    assert 0.9 < elapsed < 2.5


async def test_connection_refused(unused_tcp_port: int) -> None:
    base = f"http://127.0.0.1:{unused_tcp_port}"
    err, elapsed = await fails(base, "/")
    assert str(err) == "could not connect to 127.0.0.1: connection refused"
    assert elapsed < BOUND


async def test_dns_failure(sessions: Callable[..., aiohttp.ClientSession]) -> None:
    settings = FetchSettings(timeout=3.0)
    session = sessions(settings, resolver=StaticResolver({}))
    with pytest.raises(FetchError) as info:
        await bounded(fetch(session, "https://nowhere.test/a", settings))
    assert str(info.value) == "could not connect to nowhere.test: the name could not be found (DNS)"


# ------------------------------------------------------------------------------------------------- guard


async def test_redirect_to_another_loopback_port_is_refused(serve_app: ServeApp) -> None:
    public, other = make_hostile_app(), make_hostile_app()
    base = await serve_app(public)
    other_base = await serve_app(other)
    err, _ = await fails(base, "/redirect-to?url=" + quote(other_base + "/html/header-charset", safe=""))
    assert isinstance(err, BlockedURLError)
    assert str(err) == "127.0.0.1 is a loopback address: not allowed"
    assert public[HITS]["/redirect-to"] == 1
    assert sum(other[HITS].values()) == 0


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is a cloud metadata address: not allowed",
        ),
        ("http://localhost/", "localhost is a loopback address: not allowed"),
        ("http://2130706433/", "127.0.0.1 is a loopback address: not allowed"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is an IPv4-mapped IPv6 address: not allowed"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address: not allowed"),
        ("ftp://example.com/file", "ftp URLs are not allowed: only http and https"),
        ("file:///etc/passwd", "file URLs are not allowed: only http and https"),
        ("http://example.com:22/", "port 22 is not allowed (allowed: 80, 443, 8080, 8443)"),
        ("http://user:secret@example.com/", "links with a user name or password are not allowed"),
    ],
)
async def test_every_redirect_hop_is_checked(
    hostile: tuple[str, web.Application], location: str, message: str
) -> None:
    base, _ = hostile
    err, _ = await fails(base, "/redirect-to?url=" + quote(location, safe=""))
    assert isinstance(err, BlockedURLError)
    assert str(err) == message


async def test_first_url_is_checked_before_anything_is_sent(hostile: tuple[str, web.Application]) -> None:
    base, app = hostile
    port = _port(base)
    settings = FetchSettings(timeout=3.0)  # nothing allowed: the test server is loopback
    async with make_session(settings) as session:
        for url in (base + "/html/header-charset", f"http://127.1:{port}/", f"http://0x7f000001:{port}/"):
            with pytest.raises(BlockedURLError):
                await bounded(fetch(session, url, settings))
    assert sum(app[HITS].values()) == 0


async def test_dns_rebinding_is_caught_at_connect_time(
    hostile: tuple[str, web.Application], sessions: Callable[..., aiohttp.ClientSession]
) -> None:
    base, app = hostile
    port = _port(base)
    settings = FetchSettings(timeout=3.0, allow_ports=(port,))
    session = sessions(settings, resolver=StaticResolver({"rebind.test": "127.0.0.1"}))
    with pytest.raises(BlockedURLError) as info:
        await bounded(fetch(session, f"http://rebind.test:{port}/html/header-charset", settings))
    assert str(info.value) == "rebind.test leads to 127.0.0.1, a loopback address: not allowed"
    assert sum(app[HITS].values()) == 0


async def test_connector_refuses_ip_literals_even_without_check_url(
    hostile: tuple[str, web.Application], sessions: Callable[..., aiohttp.ClientSession]
) -> None:
    """aiohttp skips the resolver for IP literals; the socket factory still sees the address."""
    base, app = hostile
    settings = FetchSettings(timeout=3.0, allow_ports=(_port(base),))
    session = sessions(settings)
    with pytest.raises(aiohttp.ClientConnectorError) as info:
        async with asyncio.timeout(BOUND):
            await session.get(base + "/html/header-charset")
    assert "127.0.0.1 is a loopback address: not allowed" in str(info.value)
    assert sum(app[HITS].values()) == 0


async def test_allow_hosts_may_name_a_host(
    hostile: tuple[str, web.Application], sessions: Callable[..., aiohttp.ClientSession]
) -> None:
    base, _ = hostile
    port = _port(base)
    settings = FetchSettings(timeout=3.0, allow_hosts=(f"intranet.test:{port}",))
    session = sessions(settings, resolver=StaticResolver({"intranet.test": "127.0.0.1"}))
    result = await bounded(fetch(session, f"http://intranet.test:{port}/html/header-charset", settings))
    assert UTF8_TEXT in result.text
    assert result.final_url == f"http://intranet.test:{port}/html/header-charset"


async def test_allow_private_networks_opens_loopback_but_not_metadata(
    hostile: tuple[str, web.Application], sessions: Callable[..., aiohttp.ClientSession]
) -> None:
    base, _ = hostile
    port = _port(base)
    settings = FetchSettings(timeout=3.0, allow_private_networks=True, allow_ports=(port,))
    session = sessions(settings)
    result = await bounded(fetch(session, base + "/html/header-charset", settings))
    assert UTF8_TEXT in result.text
    with pytest.raises(BlockedURLError, match="cloud metadata"):
        await bounded(fetch(session, base + "/redirect-to?url=http%3A%2F%2F169.254.169.254%2F", settings))


async def test_nothing_but_fetch_errors_escape(hostile: tuple[str, web.Application]) -> None:
    base, _ = hostile
    settings = settings_for(base)
    async with make_session(settings) as session:
        for url in (
            "",
            "   ",
            "not a url",
            "http://",
            "http://[::1",
            "http://x:99999/",
            "http://\x00/",
            "h" * 5000,
        ):
            with pytest.raises(FetchError):
                await bounded(fetch(session, url, settings))


# ------------------------------------------------------------------------------------------------ decoding


@pytest.mark.parametrize(
    ("body", "media", "header", "text", "charset"),
    [
        ("héllo".encode(), "text/html", "utf-8", "héllo", "utf-8"),
        ("héllo".encode("cp1252"), "text/html", "iso-8859-1", "héllo", "cp1252"),
        ("€".encode("cp1252"), "text/html", "latin1", "€", "cp1252"),
        (b"\xef\xbb\xbf" + "é".encode(), "text/html", "cp1251", "é", "utf-8"),
        (b'<meta charset="utf-16"><p>' + "é".encode(), "text/html", None, "é", "utf-8"),
        (b'<meta charset="no-such-charset"><p>' + "é".encode(), "text/html", None, "é", "utf-8"),
        (b"\xff\xfe" + "é".encode("utf-16-le"), "text/html", None, "é", "utf-16-le"),
        ('{"a": "é"}'.encode(), "application/json", None, "é", "utf-8"),
        (b"plain", "text/plain", "base64", "plain", "utf-8"),
        (b"", "text/html", None, "", "utf-8"),
    ],
)
def test_decode_body(body: bytes, media: str, header: str | None, text: str, charset: str) -> None:
    decoded, used = decode_with_charset(body, header, media)
    assert text in decoded
    assert used == charset
    assert decode_body(body, header, media) == decoded


def test_decode_body_without_any_hint() -> None:
    assert decode_body("Grüße aus Köln".encode()) == "Grüße aus Köln"
    assert decode_body(b'<html><head><meta charset="koi8-r"></head>' + "Привет".encode("koi8-r")).endswith("Привет")
    assert decode_body(b"\xff\xfe\xfd garbage \x80") != ""
