"""Article extraction from plain text and HTML: headline, body, metadata, and hostile inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ExtractError
from bot.models import Article, Link
from bot.news.extract import extract_article, looks_like_html

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples" / "articles"
HEADLINE = "US and Chinese Presidents to Discuss Russia’s Invasion of Ukraine"
STANDFIRST = (
    "US President Joe Biden will speak to Chinese President Xi Jinping Friday to discuss the Russian invasion of Ukraine"
)
BODY_STARTS = (
    "Today, the United States President Joe Biden will hold a phone call",
    "China, a close ally to Russia, previously refused to condemn Russia",
    "United States officials warned that China helped spread disinformation",
    "Western countries have been sending humanitarian and military support",
    "The Russian invasion of Ukraine killed hundreds of civilians",
)
PAGE_URL = "https://www.dailyledger.example/politics/2022/03/18/us-and-chinese-presidents-to-discuss-russias-invasion-of-ukraine/?ref=home"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_text() -> Article:
    return extract_article(_read(FIXTURES / "us-china-call.txt"))


@pytest.fixture(scope="module")
def seed_html() -> Article:
    return extract_article(_read(FIXTURES / "us-china-call.html"), url=PAGE_URL)


# --- plain text -----------------------------------------------------------------------------------


def test_text_headline_skips_breadcrumb(seed_text: Article) -> None:
    assert seed_text.headline == HEADLINE


def test_text_standfirst_is_description_not_body(seed_text: Article) -> None:
    assert seed_text.description == STANDFIRST
    assert all(not p.startswith("US President Joe Biden will speak") for p in seed_text.paragraphs)


def test_text_paragraphs_are_exactly_the_body(seed_text: Article) -> None:
    assert len(seed_text.paragraphs) == len(BODY_STARTS)
    for para, start in zip(seed_text.paragraphs, BODY_STARTS, strict=True):
        assert para.startswith(start)
    joined = seed_text.text
    for furniture in ("Home Updates", "Source:", "Read Also", "Humanitarian Aid to Ukraine", "Chinese Leaders to Discuss"):
        assert furniture not in joined
    assert "Russia’s Invasion of Ukraine\n" not in joined


def test_text_read_also_becomes_related_link(seed_text: Article) -> None:
    assert seed_text.related == (Link(title="US House Approved Bill to Halt Relations with Russia", url=""),)


def test_text_language_comes_from_hint_only() -> None:
    article = extract_article(_read(FIXTURES / "us-china-call.txt"), language_hint="en", url="file:seed")
    assert article.language == "en"
    assert article.url == "file:seed"
    assert extract_article(_read(FIXTURES / "us-china-call.txt")).language is None


def test_text_rejoins_hard_wrapped_paragraphs() -> None:
    text = (
        "Council Approves New Budget\n\n"
        "The city council approved a new budget on Tuesday evening after a long\n"
        "debate about school funding and road repairs, officials said.\n\n"
        "The vote was seven to two. Two members said the plan relied on\n"
        "optimistic tax forecasts and would need revisiting next spring.\n\n"
        "Read also: Mayor Outlines Plans for Harbour District https://news.example/2024/harbour-district-plan\n"
    )
    article = extract_article(text)
    assert article.headline == "Council Approves New Budget"
    assert article.paragraphs == (
        "The city council approved a new budget on Tuesday evening after a long debate about school funding and "
        "road repairs, officials said.",
        "The vote was seven to two. Two members said the plan relied on optimistic tax forecasts and would need "
        "revisiting next spring.",
    )
    assert article.related == (
        Link(title="Mayor Outlines Plans for Harbour District", url="https://news.example/2024/harbour-district-plan"),
    )


def test_text_without_headline_line_keeps_all_its_prose() -> None:
    text = ("The council approved the budget on Tuesday after a long debate about schools and roads, and the "
            "mayor said work on the harbour would start in spring. Critics said the plan was too optimistic.")
    article = extract_article(text)
    assert article.paragraphs == (text,)
    assert article.headline.startswith("The council approved the budget") and article.headline.endswith("…")


def test_text_dateline_markdown_heading_and_byline() -> None:
    text = (
        "March 18, 2022\n\n# Council Approves Budget\n\nBy Anna Schmidt and Tom Berg, Reuters\n\n"
        "The council approved the budget on Tuesday after a long debate.\n\n"
        "By the end of the year, the harbour works should be finished, the mayor said.\n"
    )
    article = extract_article(text)
    assert article.headline == "Council Approves Budget"
    assert article.author == "Anna Schmidt and Tom Berg"
    assert article.description is None
    assert article.paragraphs == (
        "The council approved the budget on Tuesday after a long debate.",
        "By the end of the year, the harbour works should be finished, the mayor said.",
    )


# --- HTML -----------------------------------------------------------------------------------------


def test_html_is_sniffed() -> None:
    assert looks_like_html(_read(FIXTURES / "us-china-call.html"))
    assert looks_like_html("<p>Some text</p>")
    assert not looks_like_html(_read(FIXTURES / "us-china-call.txt"))
    assert not looks_like_html("If a < b and b > c then a < c, as every pupil learns.")


def test_xhtml_with_xml_declaration_and_long_preamble() -> None:
    body = "<p>" + "The committee met on Tuesday and agreed a detailed plan for the new harbour works. " * 3 + "</p>"
    xhtml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="nl">'
        "<head><title>Havenplan goedgekeurd</title></head><body><article>" + body + "</article></body></html>"
    )
    article = extract_article(xhtml)
    assert (article.headline, article.language) == ("Havenplan goedgekeurd", "nl")
    preamble = "<!-- " + "build info " * 2000 + " -->\n<html><body><article><h1>Harbour plan agreed</h1>"
    article = extract_article(preamble + body + "</article></body></html>")
    assert article.headline == "Harbour plan agreed"
    assert "harbour works" in article.text


def test_html_headline_and_metadata(seed_html: Article) -> None:
    assert seed_html.headline == HEADLINE
    assert seed_html.author == "Maria Lindqvist"
    assert seed_html.published == datetime(2022, 3, 18, 9, 30, tzinfo=UTC)
    assert seed_html.site == "Daily Ledger"
    assert seed_html.language == "en"
    assert seed_html.url == PAGE_URL
    assert seed_html.canonical_url == (
        "https://www.dailyledger.example/politics/2022/03/18/us-and-chinese-presidents-to-discuss-russias-invasion-of-ukraine/"
    )
    assert seed_html.image == "https://www.dailyledger.example/media/2022/03/biden-xi-call.jpg"
    assert seed_html.description == STANDFIRST


def test_html_paragraphs_are_the_body_and_its_subheads(seed_html: Article) -> None:
    # Section subheads are article text (the summariser never picks them); the headline and standfirst are not.
    expected = (BODY_STARTS[0], "China Refused to Condemn Russian Aggression of Ukraine", *BODY_STARTS[1:3],
                "Humanitarian Aid to Ukraine", *BODY_STARTS[3:])
    assert len(seed_html.paragraphs) == len(expected)
    for para, start in zip(seed_html.paragraphs, expected, strict=True):
        assert para.startswith(start)
    text = seed_html.text
    for furniture in ("cookies", "Log in", "Spring sale", "Share on", "comments", "Beijing has already made",
                      "Daily Ledger Media", "Most read", "morning briefing", "Related stories", "Read also",
                      "Source: Web", "Tags", HEADLINE, STANDFIRST):
        assert furniture not in text


def test_html_candidates_include_related_block_and_body_links(seed_html: Article) -> None:
    urls = [link.url for link in seed_html.related]
    assert all(u.startswith("https://") for u in urls)
    assert "https://www.dailyledger.example/world/2022/03/17/us-house-approved-bill-to-halt-relations-with-russia/" in urls
    assert any("un-has-no-evidence" in u for u in urls)
    # Navigation, header, footer, comments and share bars offer no candidates at all.
    assert not any(u.endswith(("/politics/", "/updates/")) or "sharer" in u or "/account/" in u for u in urls)


def test_german_example_page() -> None:
    article = extract_article(_read(EXAMPLES / "bahnstreik-einigung.html"))
    assert article.headline == "Tarifstreit bei der Bahn: Einigung in der Nacht beendet den Streik"
    assert article.language == "de"
    assert article.author == "Jana Becker, Tobias Krüger"
    assert article.published == datetime(2024, 4, 12, 6, 45, tzinfo=timezone(timedelta(hours=2)))
    assert article.site == "Rheinkurier"
    assert len(article.paragraphs) == 7
    assert article.paragraphs[0].startswith("Der Streik im Bahnverkehr ist beendet.")
    assert article.paragraphs[2] == "Fernverkehr rollt ab Samstag wieder an"  # a section subhead is article text
    for furniture in ("Cookies", "Anzeige", "Mietwagen", "Kommentare", "Endlich!", "Mehr zum Thema", "Impressum",
                      "Nach 19 Stunden Verhandlung"):
        assert furniture not in article.text


def test_english_example_page_without_og_tags() -> None:
    article = extract_article(_read(EXAMPLES / "harbour-bridge-reopens.html"))
    assert article.headline == "Harbour bridge reopens to traffic two months ahead of schedule"
    assert article.site == "The Coastal Herald"
    assert article.author == "Priya Raman"
    assert article.image == "https://cdn.coastalherald.example/img/2023/10/kestrel-bridge-reopening.jpg"
    assert article.published is not None and article.published.utcoffset() == timedelta(hours=1)
    assert len(article.paragraphs) == 6
    assert "Read more" not in article.text and "Great news" not in article.text


def test_forcing_text_mode_on_prose_with_angle_brackets() -> None:
    text = "Markets Rally\n\nShares rose sharply on Monday as investors bet that inflation <3% is within reach this year."
    article = extract_article(text, is_html=False)
    assert article.headline == "Markets Rally"
    assert "<3%" in article.paragraphs[0]


# --- hostile inputs -------------------------------------------------------------------------------

_ARTICLE_P = "<p>" + "The committee met on Tuesday and agreed a detailed plan for the new harbour works. " * 4 + "</p>"


@pytest.mark.parametrize(
    "content",
    [
        "",
        "   \n\t ",
        "<html></html>",
        "<html><head><title>Nothing</title></head><body></body></html>",
        "<html><body>" + "".join(f'<a href="/p{i}">Link {i}</a><br>' for i in range(300)) + "</body></html>",
        "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nstream\n\x00\x01\x02\x9c\xff endstream",
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08" * 500,
        "\ufffd\ufffd\x89PNG\r\n\x1a\n" + "\x00" * 100,
        "Just a few words.",
    ],
)
def test_hostile_input_raises_extract_error(content: str) -> None:
    with pytest.raises(ExtractError) as info:
        extract_article(content)
    assert str(info.value) == "the page has no article text I can read"


def test_deeply_nested_markup_is_article_or_extract_error() -> None:
    html = "<html><body>" + "<div>" * 10_000 + _ARTICLE_P + "</div>" * 10_000 + "</body></html>"
    try:
        article = extract_article(html)
    except ExtractError:
        return
    assert "harbour works" in article.text


def test_invalid_characters_are_dropped() -> None:
    html = (
        "<html><head><title>Harbour plan agreed</title></head><body><article><h1>Harbour plan agreed</h1>"
        + _ARTICLE_P.replace("Tuesday", "Tues\x00day\ud800")
        + _ARTICLE_P
        + "</article></body></html>"
    )
    article = extract_article(html)
    assert "\x00" not in article.text and "\ud800" not in article.text
    assert "harbour works" in article.text
    article.text.encode("utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000), st.sampled_from([None, True, False]))
def test_random_text_never_raises_anything_else(content: str, is_html: bool | None) -> None:
    try:
        article = extract_article(content, is_html=is_html)
    except ExtractError:
        return
    assert article.headline.strip()
    assert article.paragraphs and all(p.strip() for p in article.paragraphs)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["<div>", "</div>", "<p>", "</p>", "<a href='x'>", "</a>", "<h1>", "<table>",
                                 "<script>", "<!--", "-->", "&amp;", "&#0;", "Words of news here. ", "\x00", "<"]),
                max_size=400))
def test_random_markup_never_raises_anything_else(parts: list[str]) -> None:
    try:
        extract_article("<html><body>" + "".join(parts), is_html=True)
    except ExtractError:
        pass
