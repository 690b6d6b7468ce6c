"""Extraction rules meant to carry over to unseen pages: headline and standfirst by page structure, the page's own
address, dangling subheads, a lede written as bare text, and metadata failures that must not cost the text."""

from __future__ import annotations

import pytest

import bot.news.extract_html as extract_html_module
from bot.news.extract import extract_article

P1 = (
    "Lawmakers agreed late on Thursday to keep paying for the overnight rail link for three more years, "
    "so sleeper trains will run between the two capitals until 2028 at the earliest."
)
P2 = (
    "Backers of the link argued that it replaces many car journeys and short flights on the route, "
    "although opposition members doubted that the money was well spent."
)
P3 = "From the spring timetable the operator will attach an extra sleeping car to the Friday departures."
URL = "https://news.example/transport/2024/03/night-trains-stay"


def page(body: str, head: str = "", before: str = "") -> str:
    """A news page whose og:title words the headline differently from its <h1>."""
    return (
        "<html><head><title>Night trains stay | Harbour News</title>"
        "<meta property='og:title' content='Parliament extends night-train subsidy to 2028'>"
        f"{head}</head><body><nav><a href='/'>Home</a></nav>{before}"
        f"<div class='story'>{body}</div><footer><p>About us</p></footer></body></html>"
    )


def test_leading_h1_is_the_headline_even_when_og_title_differs() -> None:
    article = extract_article(page(f"<h1>Night trains will keep running until 2028</h1><p>{P1}</p><p>{P2}</p>"))
    assert article.paragraphs == (P1, P2)


def test_heading_that_repeats_the_description_is_a_standfirst() -> None:
    dek = "Lawmakers back the sleeper service for three more years despite the cost."
    html = page(f"<h1>Night trains stay</h1><h3>{dek}</h3><p>{P1}</p><p>{P2}</p>",
                head=f"<meta name='description' content='{dek}'>")
    assert extract_article(html).paragraphs == (P1, P2)


def test_a_lede_paragraph_that_repeats_the_description_stays() -> None:
    html = page(f"<h1>Night trains stay</h1><p>{P1}</p><p>{P2}</p>", head=f"<meta name='description' content='{P1}'>")
    assert extract_article(html).paragraphs == (P1, P2)


def test_the_byline_block_before_the_body_goes() -> None:
    byline = "<p>By</p><p>Jane Roe</p><p>@janeroe</p><p>jane.roe@news.example</p><p>Jane Roe, Transport Editor</p>"
    html = page(f"<h1>Night trains stay</h1>{byline}<p>{P1}</p><p>{P2}</p>", head="<meta name='author' content='Jane Roe'>")
    assert extract_article(html).paragraphs == (P1, P2)


def test_a_lede_opening_with_by_and_a_credit_line_without_by_stay() -> None:
    lede = "By the end of the year the sleeper trains will run every night of the week, the operator said."
    html = page(f"<h1>Night trains stay</h1><p>Staff Reports</p><p>{lede}</p><p>{P1}</p>",
                head="<meta name='author' content='Staff Reports'>")
    assert extract_article(html).paragraphs == ("Staff Reports", lede, P1)


def test_the_page_printing_its_own_address_is_furniture_and_a_cited_address_is_body() -> None:
    cited = "https://rail.example/reports/2023-sleeper-study"
    html = page(f"<h1>Night trains stay</h1><p>{P1}</p><p>{cited}</p><p>{P2}</p><p>{URL}?mod=print</p>")
    assert extract_article(html, url=URL).paragraphs == (P1, cited, P2)


def test_a_heading_left_dangling_at_the_end_goes_and_a_subhead_in_the_body_stays() -> None:
    html = page(f"<h1>Night trains stay</h1><p>{P1}</p><h2>What the operator plans</h2><p>{P2}</p><p>{P3}</p>"
                "<h2>How to listen to our rail podcast</h2>")
    assert extract_article(html).paragraphs == (P1, "What the operator plans", P2, P3)


def test_the_writers_bio_at_the_end_goes_and_a_quote_naming_another_person_stays() -> None:
    quote = "Maria Olsen is the operator's chief executive and welcomed the vote."
    bio = "Jane Roe is our transport correspondent and has covered rail policy since 2015."
    html = page(f"<h1>Night trains stay</h1><p>{P1}</p><p>{quote}</p><p>{P2}</p><p>{bio}</p>",
                head="<meta name='author' content='Jane Roe'>")
    assert extract_article(html).paragraphs == (P1, quote, P2)


def test_lede_written_as_bare_text_before_the_paragraphs_is_kept() -> None:
    html = page(f"<h1>Night trains stay</h1><section class='article-page'>{P1}<p>{P2}</p><p>{P3}</p></section>")
    assert extract_article(html).paragraphs == (P1, P2, P3)


def test_short_bare_label_before_the_paragraphs_is_not_made_a_paragraph() -> None:
    html = page(f"<h1>Night trains stay</h1><section>Advertisement<p>{P1}</p><p>{P2}</p></section>")
    assert extract_article(html).paragraphs == (P1, P2)


def test_text_survives_a_metadata_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(tree: object, url: str | None) -> None:
        raise ValueError("odd markup")

    monkeypatch.setattr(extract_html_module, "page_meta", broken)
    article = extract_article(page(f"<p>{P1}</p><p>{P2}</p>"), url=URL)
    assert article.paragraphs == (P1, P2)
    assert article.headline.startswith("Lawmakers agreed late")


def _cascade_runs(monkeypatch: pytest.MonkeyPatch, html: str) -> list[bool]:
    """Which trafilatura passes (fast=True/False) extracting this page runs."""
    passes: list[bool] = []
    real = extract_html_module._trafilatura

    def spy(tree: object, url: str | None, *, fast: bool) -> object:
        passes.append(fast)
        return real(tree, url, fast=fast)

    monkeypatch.setattr(extract_html_module, "_trafilatura", spy)
    extract_article(html)
    return passes


def test_an_ordinary_page_needs_only_the_fast_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _cascade_runs(monkeypatch, page(f"<h1>Night trains stay</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p>")) == [True]


def test_a_page_without_paragraph_elements_gets_the_full_cascade(monkeypatch: pytest.MonkeyPatch) -> None:
    html = page(f"<h1>Night trains stay</h1><div>{P1}<br><br>{P2}<br><br>{P3}</div>").replace(
        "<footer><p>About us</p></footer>", "")
    assert _cascade_runs(monkeypatch, html) == [True, False]


def test_an_extraction_that_reads_like_a_menu_gets_the_full_cascade(monkeypatch: pytest.MonkeyPatch) -> None:
    menu = "".join(f"<li>Timetable {i}</li>" for i in range(30))
    html = page(f"<h1>Night trains stay</h1><p>{P1}</p><ul>{menu}</ul><p>{P2}</p><p>{P3}</p>")
    assert _cascade_runs(monkeypatch, html) == [True, False]
