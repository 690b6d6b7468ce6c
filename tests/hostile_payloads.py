"""Hostile documents (HTML, XHTML, feeds) for the end-to-end hostile-input tests.

Each builder returns bytes a server can send as is. Sizes are parameters so tests stay fast:
the point of each payload is its shape (nesting, entity expansion, item count), which the
defaults already make far too large to process naively.
"""

from __future__ import annotations

import html
from pathlib import Path

ARTICLE_TITLE = "Harbour council approves plan to rebuild the old pier"
ARTICLE_PARAGRAPHS = (
    "The harbour council of Portwen approved a plan on Tuesday to rebuild the old pier, which storms "
    "damaged last winter, after a debate that lasted most of the evening.",
    "Council leader Maria Okafor said the work would start in the spring and cost about four million "
    "pounds, most of it from a regional fund for coastal towns.",
    "Fishermen have used a temporary landing stage since January, and several told the meeting that "
    "the delay had cost them catches and customers during the busy summer months.",
    "Engineers from the firm Tidewell will survey the seabed next month before the old timber piles are "
    "removed and replaced with concrete ones designed to survive stronger storms.",
    "Opposition councillors questioned the cost but voted for the plan, saying the town could not "
    "afford to lose its fishing fleet to larger ports along the coast.",
    "The pier is expected to reopen to boats and visitors in the autumn of next year, the council said.",
)
# A phrase of the article that any honest summary or text keeps.
ARTICLE_MARK = "pier"


def article_html(title: str = ARTICLE_TITLE, paragraphs: tuple[str, ...] = ARTICLE_PARAGRAPHS) -> str:
    """An ordinary news article page: the control that must brief after every hostile case."""
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"</head><body><article><h1>{html.escape(title)}</h1>{paras}</article></body></html>")


def _article_body_xhtml() -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in ARTICLE_PARAGRAPHS)


def _xhtml(doctype_subset: str, title: str, extra: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html [{doctype_subset}]>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head>'
        f"<body><article><h1>{title}</h1>{extra}{_article_body_xhtml()}</article></body></html>"
    ).encode()


def billion_laughs_decls(levels: int = 9) -> tuple[str, str]:
    """The classic entity chain (10^levels copies of "lol"): (internal DTD subset, top entity name)."""
    decls = ['<!ENTITY lol0 "lol">']
    for i in range(1, levels + 1):
        decls.append(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">')
    return "".join(decls), f"lol{levels}"


def billion_laughs_xhtml() -> bytes:
    """An XHTML article whose first paragraph references a billion-laughs entity."""
    subset, top = billion_laughs_decls()
    return _xhtml(subset, "Laughs", f"<p>&{top};</p>")


def quadratic_xhtml(entity_chars: int = 20_000, references: int = 5_000) -> bytes:
    """Quadratic blow-up: one big entity referenced many times (100 MB if expanded, by default)."""
    subset = f'<!ENTITY big "{"x" * entity_chars}">'
    return _xhtml(subset, "Quadratic", "<p>" + "&big;" * references + "</p>")


def external_entity_xhtml(path: str = "/etc/passwd") -> bytes:
    """XXE: a SYSTEM entity and a parameter entity pointing at a local file."""
    uri = Path(path).as_uri()
    subset = f'<!ENTITY xxe SYSTEM "{uri}"><!ENTITY % pe SYSTEM "{uri}">%pe;'
    return _xhtml(subset, "External", "<p>&xxe;</p>")


def network_entity_xhtml(url: str) -> bytes:
    """An XHTML article with an external DTD and SYSTEM / parameter entities at `url` (an SSRF attempt)."""
    subset = f'<!ENTITY net SYSTEM "{url}?entity"><!ENTITY % remote SYSTEM "{url}?parameter">%remote;'
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html SYSTEM "{url}?dtd" [{subset}]>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Network</title></head>'
        f"<body><article><h1>Network</h1><p>&net;</p>{_article_body_xhtml()}</article></body></html>"
    ).encode()


def network_entity_feed(link: str, url: str) -> bytes:
    """A feed whose DTD and entities live at `url`: a parser that fetches them calls the attacker's server."""
    subset = f'<!ENTITY net SYSTEM "{url}?entity"><!ENTITY % remote SYSTEM "{url}?parameter">%remote;'
    feed = rss_feed([("Network &net;", link, "&net; harbour news")], subset=subset)
    return feed.replace(b"<!DOCTYPE rss [", f'<!DOCTYPE rss SYSTEM "{url}?dtd" ['.encode(), 1)


def external_entity_html(path: str = "/etc/passwd") -> bytes:
    """The same XXE attempt in a page served as text/html (no XML declaration)."""
    uri = Path(path).as_uri()
    return (f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "{uri}">]><html><head><title>External</title></head>'
            f"<body><article><h1>External</h1><p>&xxe;</p>{_article_body_xhtml()}</article></body></html>").encode()


def deeply_nested_html(depth: int = 100_000) -> bytes:
    """An article paragraph buried under `depth` nested <div>s."""
    inner = "".join(f"<p>{html.escape(p)}</p>" for p in ARTICLE_PARAGRAPHS)
    return (f"<!DOCTYPE html><html><head><title>{ARTICLE_TITLE}</title></head><body>" + "<div>" * depth + inner
            + "</div>" * depth + "</body></html>").encode()


def tiny_paragraphs_html(count: int = 200_000) -> bytes:
    """`count` tiny paragraphs (9 bytes each, 1.8 MB by default): small on the wire, very slow to extract."""
    return ("<!DOCTYPE html><html><head><title>Many</title></head><body>" + "<p>a.</p>" * count
            + "</body></html>").encode()


def navigation_only_html(links: int = 400) -> bytes:
    """A page that is nothing but navigation links."""
    items = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(links))
    return (f"<!DOCTYPE html><html><head><title>Front page</title></head><body><header><nav><ul>{items}</ul>"
            f"</nav></header><footer><a href=\"/about\">About us</a></footer></body></html>").encode()


def pdf_bytes() -> bytes:
    """The start of a PDF file (what a server labelled text/html may really send)."""
    return (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Length 44 >>\nstream\n\x78\x9c\x00\x01\x02\x9c\xff\xfe\x00\x00endstream\nendobj\n" * 20)


def invalid_utf8_article() -> bytes:
    """The article declared UTF-8 with invalid byte sequences sprinkled between its words."""
    page = article_html().encode("utf-8")
    return page.replace(b"approved", b"appro\xffved").replace(b"Fishermen", b"\xc3(Fishermen").replace(
        b"Engineers", b"\xed\xa0\x80Engineers")


# ----------------------------------------------------------------------------------------------- feeds

def rss_feed(items: list[tuple[str, str, str]], *, subset: str = "", title: str = "Hostile feed") -> bytes:
    """RSS 2.0 with (title, link, description) items; `subset` goes in an internal DTD subset."""
    doctype = f"<!DOCTYPE rss [{subset}]>" if subset else ""
    body = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
                   f"<description>{d}</description></item>" for t, link, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?>{doctype}<rss version="2.0"><channel><title>{title}</title>'
            f"<link>http://feeds.example/</link>{body}</channel></rss>").encode()


def billion_laughs_feed(link: str) -> bytes:
    """A feed whose item title and description reference a billion-laughs entity."""
    subset, top = billion_laughs_decls()
    return rss_feed([(f"Laughs &{top};", link, f"&{top};")], subset=subset)


def quadratic_feed(link: str, entity_chars: int = 20_000, references: int = 5_000) -> bytes:
    """A feed whose description references one big entity many times (100 MB if expanded)."""
    subset = f'<!ENTITY big "{"x" * entity_chars}">'
    return rss_feed([("Quadratic", link, "&big;" * references)], subset=subset)


def external_entity_feed(link: str, path: str = "/etc/passwd") -> bytes:
    """A feed whose item text references a local file through SYSTEM and parameter entities."""
    uri = Path(path).as_uri()
    subset = f'<!ENTITY xxe SYSTEM "{uri}"><!ENTITY % pe SYSTEM "{uri}">%pe;'
    return rss_feed([("External &xxe;", link, "&xxe; harbour news")], subset=subset)


def many_items_feed(base: str, count: int = 10_000) -> bytes:
    """An RSS feed with `count` items, each linking to its own page under `base`."""
    return rss_feed([(f"Item {i}", f"{base}/many/{i}", f"Story number {i}.") for i in range(count)])
