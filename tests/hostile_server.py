"""A local web server that misbehaves on purpose, for fetch tests (reusable: import make_hostile_app).

Serve it with the `serve_app` fixture of tests/conftest.py:

    base = await serve_app(make_hostile_app())
    await fetch(session, base + "/html/header-charset", settings)

Every route is listed in ROUTES below with what it does. `app[HITS]` counts requests per path.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from functools import cache

from aiohttp import web

HITS = web.AppKey("hits", Counter)

# Texts the routes serve, for assertions.
UTF8_TEXT = "Zürich, São Paulo and Kraków: naïve café owners — “quoted” €5"
META_TEXT = "Ça coûte 5 € à Genève, naïve façade"
RUSSIAN_TEXT = (
    "Правительство России объявило о новых мерах поддержки экономики. "
    "Министр финансов заявил, что бюджет на следующий год будет сбалансирован, "
    "а инфляция останется под контролем. Эксперты считают, что эти решения помогут "
    "малому и среднему бизнесу, однако предупреждают о рисках для банковского сектора. "
    "В Москве и Санкт-Петербурге уже обсуждают, как новые правила изменят рынок жилья."
)
GERMAN_TEXT = (
    "Die Bundesregierung hat am Mittwoch neue Maßnahmen zur Stärkung der Wirtschaft angekündigt. "
    "Der Finanzminister erklärte, dass der Haushalt für das kommende Jahr ausgeglichen sein werde. "
    "Kritiker befürchten jedoch, dass die Änderungen vor allem größere Unternehmen begünstigen."
)
LATIN_TEXT = "Le président a annoncé une réforme des retraites: les syndicats s'inquiètent déjà."
ETAG = '"v1-abc"'
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"
BOMB_SIZE = 32 * 1024 * 1024  # what the gzip bomb inflates to

ROUTES = """
/html/header-charset     200 text/html; charset=utf-8
/html/meta-charset       200 text/html, charset only in <meta charset="windows-1252">
/html/meta-http-equiv    200 text/html, charset only in <meta http-equiv content="...; charset=koi8-r">
/html/no-charset         200 text/html, Russian text in cp1251, no declaration anywhere (detection)
/html/latin1-no-charset  200 text/html, German text in latin-1, no declaration anywhere
/html/invalid-utf8       200 text/html; charset=utf-8 with invalid bytes
/html/gzip               200 gzip-encoded html
/feed.xml                200 application/rss+xml, encoding only in the XML declaration (ISO-8859-1)
/json                    200 application/json
/octet-html              200 application/octet-stream whose body is html (sniffed)
/octet-png               200 application/octet-stream whose body is a PNG (refused)
/status/{code}           that status, small html body
/redirect/{n}            a chain of n redirects ending at /html/header-charset
/loop/{a|b}              /loop/a -> /loop/b -> /loop/a ...
/redirect-to?url=U       302 to U (an open redirect: for testing hops to other hosts and ports)
/redirect-no-location    302 without a Location header
/cookie-gate             302 to itself with Set-Cookie until the cookie comes back, then 200
/big                     200 text/html, 1 MB with Content-Length
/big-chunked             200 text/html, 1 MB chunked (no Content-Length)
/gzip-bomb               200 text/html, Content-Encoding gzip, ~32 KB on the wire inflating to 32 MB
/slow-drip               200 text/html, one byte every 0.2 s, forever
/slow-headers            sleeps 30 s before answering
/endless                 200 text/html, 64 KB chunks as fast as possible, forever
/truncated               Content-Length 1000, sends 10 bytes, closes
/pdf                     200 application/pdf
/png                     200 image/png
/conditional             ETag + Last-Modified; 304 when If-None-Match or If-Modified-Since matches
"""

_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _page(text: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>Test</title></head><body><p>{text}</p></body></html>"


def _gzip(data: bytes) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    return comp.compress(data) + comp.flush()


@cache
def _gzip_bomb(size: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1024 * 1024)
    parts = [comp.compress(b"<html><body><p>")]
    for _ in range(size // len(block)):
        parts.append(comp.compress(block))
    parts.append(comp.flush())
    return b"".join(parts)


def make_hostile_app() -> web.Application:
    """The app; build one per test server (it holds a request counter)."""
    app = web.Application()
    app[HITS] = Counter()
    bomb = _gzip_bomb(BOMB_SIZE)
    big = _page("x" * (1024 * 1024)).encode()

    @web.middleware
    async def count(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        request.app[HITS][request.path] += 1
        return await handler(request)

    app.middlewares.append(count)

    def html(body: bytes, content_type: str = "text/html", **headers: str) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": content_type, **headers})

    async def header_charset(request: web.Request) -> web.Response:
        return html(_page(UTF8_TEXT).encode("utf-8"), "text/html; charset=utf-8")

    async def meta_charset(request: web.Request) -> web.Response:
        return html(_page(META_TEXT, '<meta charset="windows-1252">').encode("cp1252"))

    async def meta_http_equiv(request: web.Request) -> web.Response:
        head = '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
        return html(_page(RUSSIAN_TEXT, head).encode("koi8-r"))

    async def no_charset(request: web.Request) -> web.Response:
        return html(_page(RUSSIAN_TEXT * 3).encode("cp1251"))

    async def latin1_no_charset(request: web.Request) -> web.Response:
        return html(_page(GERMAN_TEXT).encode("latin-1"))

    async def invalid_utf8(request: web.Request) -> web.Response:
        body = _page("good text ").encode() + b"\xff\xfe\xc3(\x80 bad bytes" + _page(" more").encode()
        return html(body, "text/html; charset=utf-8")

    async def gzip_page(request: web.Request) -> web.Response:
        return html(
            _gzip(_page(UTF8_TEXT).encode()), "text/html; charset=utf-8", **{"Content-Encoding": "gzip"}
        )

    async def feed(request: web.Request) -> web.Response:
        xml = (
            '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>'
            f"<title>Feed</title><item><title>{LATIN_TEXT}</title></item></channel></rss>"
        )
        return html(xml.encode("latin-1"), "application/rss+xml")

    async def json_page(request: web.Request) -> web.Response:
        return html('{"title": "Zürich"}'.encode(), "application/json")

    async def octet_html(request: web.Request) -> web.Response:
        return html(_page(UTF8_TEXT).encode(), "application/octet-stream")

    async def octet_png(request: web.Request) -> web.Response:
        return html(_PNG, "application/octet-stream")

    async def status(request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        return web.Response(status=code, body=_page(f"status {code}").encode(), content_type="text/html")

    async def redirect_chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        target = "/html/header-charset" if n <= 1 else f"/redirect/{n - 1}"
        raise web.HTTPFound(target)

    async def loop(request: web.Request) -> web.Response:
        other = "b" if request.match_info["ab"] == "a" else "a"
        raise web.HTTPFound(f"/loop/{other}")

    async def redirect_to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["url"])

    async def redirect_no_location(request: web.Request) -> web.Response:
        return web.Response(status=302, text="nowhere")

    async def cookie_gate(request: web.Request) -> web.Response:
        if request.cookies.get("gate") == "open":
            return html(_page("past the gate").encode(), "text/html; charset=utf-8")
        resp = web.Response(status=302, headers={"Location": "/cookie-gate"})
        resp.set_cookie("gate", "open")
        return resp

    async def big_page(request: web.Request) -> web.Response:
        return html(big)

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for i in range(0, len(big), 16 * 1024):
            await resp.write(big[i : i + 16 * 1024])
        await resp.write_eof()
        return resp

    async def gzip_bomb(request: web.Request) -> web.Response:
        return html(bomb, "text/html", **{"Content-Encoding": "gzip"})

    async def slow_drip(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        await resp.prepare(request)
        try:
            while True:
                await resp.write(b"<")
                await asyncio.sleep(0.2)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    async def slow_headers(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return html(b"late")

    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        await resp.prepare(request)
        chunk = b"<p>" + b"y" * (64 * 1024 - 3)
        try:
            while True:
                await resp.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    async def truncated(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html", "Content-Length": "1000"})
        await resp.prepare(request)
        await resp.write(b"<html>0123")
        transport = request.transport
        if transport is not None:
            transport.close()
        return resp

    async def pdf(request: web.Request) -> web.Response:
        return html(b"%PDF-1.4\n%binary\n" + b"\x00" * 64, "application/pdf")

    async def png(request: web.Request) -> web.Response:
        return html(_PNG, "image/png")

    async def conditional(request: web.Request) -> web.Response:
        headers = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        if (
            request.headers.get("If-None-Match") == ETAG
            or request.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            return web.Response(status=304, headers=headers)
        return html(_page("fresh").encode(), "text/html; charset=utf-8", **headers)

    app.router.add_get("/html/header-charset", header_charset)
    app.router.add_get("/html/meta-charset", meta_charset)
    app.router.add_get("/html/meta-http-equiv", meta_http_equiv)
    app.router.add_get("/html/no-charset", no_charset)
    app.router.add_get("/html/latin1-no-charset", latin1_no_charset)
    app.router.add_get("/html/invalid-utf8", invalid_utf8)
    app.router.add_get("/html/gzip", gzip_page)
    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/json", json_page)
    app.router.add_get("/octet-html", octet_html)
    app.router.add_get("/octet-png", octet_png)
    app.router.add_get("/status/{code:\\d+}", status)
    app.router.add_get("/redirect/{n:\\d+}", redirect_chain)
    app.router.add_get("/loop/{ab:[ab]}", loop)
    app.router.add_get("/redirect-to", redirect_to)
    app.router.add_get("/redirect-no-location", redirect_no_location)
    app.router.add_get("/cookie-gate", cookie_gate)
    app.router.add_get("/big", big_page)
    app.router.add_get("/big-chunked", big_chunked)
    app.router.add_get("/gzip-bomb", gzip_bomb)
    app.router.add_get("/slow-drip", slow_drip)
    app.router.add_get("/slow-headers", slow_headers)
    app.router.add_get("/endless", endless)
    app.router.add_get("/truncated", truncated)
    app.router.add_get("/pdf", pdf)
    app.router.add_get("/png", png)
    app.router.add_get("/conditional", conditional)
    return app
