"""Furniture that the page's own markup gives away: hover cards, link-only teaser lines, date stamps, tag lists."""

from __future__ import annotations

import time

from lxml import html as lxml_html

from bot.news.extract import extract_article
from bot.news.extract_furniture import is_furniture, page_furniture

P1 = (
    "The regional parliament voted on Thursday to extend the night-train subsidy for another three years, "
    "securing the service between the two capitals until at least 2028."
)
P2 = (
    "Supporters said the trains take thousands of cars and short-haul flights off the route each month, "
    "while critics questioned whether the subsidy was the best use of the transport budget."
)
P3 = "The operator said it would add a second sleeper car on Fridays from the spring timetable onwards."


def page(body: str, head: str = "") -> str:
    """A news page around some article markup, with a headline and the usual chrome."""
    return (
        f"<html><head><title>Night trains stay</title>{head}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/transport'>Transport</a></nav>"
        f"<article><h1>Night trains stay</h1>{body}</article>"
        "<footer><p>About us</p></footer></body></html>"
    )


def test_hover_card_is_removed_and_the_linked_name_stays() -> None:
    card = (
        "<span class='rollover-people'><a href='/people/jane-roe'>Jane Roe</a>"
        "<span class='rollover-people-block'><span class='rollover-block'><img src='/roe.jpg'>"
        "<a class='name' href='/people/jane-roe'>Jane Roe</a>"
        "<a href='/news/123'>Budget talks stall as ministers trade blame over rail spending</a></span></span></span>"
    )
    html = page(f"<p>Transport minister {card} (Greens) welcomed the vote. {P1}</p><p>{P2}</p>")
    text = extract_article(html).text
    assert "Transport minister Jane Roe (Greens) welcomed the vote." in text
    assert "Budget talks stall" not in text


def test_tooltip_trigger_without_a_card_is_kept() -> None:
    html = page(f"<p>The <span class='tooltip'>sleeper</span> service runs nightly. {P1}</p><p>{P2}</p>")
    assert "The sleeper service runs nightly." in extract_article(html).text


def test_link_only_teaser_lines_are_dropped() -> None:
    html = page(
        f"<p>{P1}</p>"
        "<p><strong><a href='/news/1'>A LONG HISTORY OF NIGHT TRAINS IN EUROPE</a></strong></p>"
        f"<p>{P2}</p>"
        "<p><strong>DON'T MISS</strong><br><a href='/news/2'>Sleeper cars return to the Alps after decades</a>"
        " [INSIGHT]<br><a href='/news/3'>Rail strike called off at the last minute</a> [NEWS]</p>"
        f"<ul><li><a href='/news/4'>Eleven facts about the longest rail routes</a></li></ul><p>{P3}</p>"
    )
    assert extract_article(html).paragraphs == (P1, P2, P3)
    assert page_furniture(lxml_html.fromstring(html)).link_lines == {
        "a long history of night trains in europe",
        "sleeper cars return to the alps after decades insight",
        "rail strike called off at the last minute news",
        "eleven facts about the longest rail routes",
    }


def test_linked_headings_short_links_and_addresses_are_body() -> None:
    html = page(
        f"<p>{P1}</p><h3><a href='https://shop.example/charger'>Compact Car Charger With Two Ports</a></h3>"
        f"<p>{P2}</p><p><a href='https://shop.example/energize'>Performance Energize Drink</a></p>"
        f"<p>{P3}</p><p><a href='https://www.rail.example'>www.rail.example/night-trains</a></p>"
    )
    assert "Compact Car Charger With Two Ports" in extract_article(html).paragraphs
    assert page_furniture(lxml_html.fromstring(html)).link_lines == set()


def test_link_inside_a_sentence_is_body() -> None:
    sentence = "Read the full ruling of the regional court on the subsidy here, the ministry said."
    html = page(f"<p>{P1}</p><p>Read the <a href='/ruling'>full ruling of the regional court</a> on the "
                f"subsidy here, the ministry said.</p><p>{P2}</p>")
    assert sentence in extract_article(html).text


def test_date_stamp_and_tag_list_are_dropped() -> None:
    html = page(
        "<span itemprop='datePublished'>quinta-feira, 1 de fevereiro de 2024 às 8:05</span>"
        f"<p>{P1}</p><p>{P2}</p>"
        "<p>Tags: <a rel='tag' href='/tag/rail'>night trains</a>, <a rel='tag' href='/tag/budget'>"
        "transport budget</a>, <a rel='tag' href='/tag/eu'>european rail</a></p>"
        "<p><time datetime='2024-02-01'>1 February 2024</time></p>"
    )
    assert extract_article(html).paragraphs == (P1, P2)


def test_a_sentence_naming_a_tag_is_body() -> None:
    tree = lxml_html.fromstring(
        "<html><body><a rel='tag' href='/tag/rail'>night trains</a><p>Night trains, the minister said.</p>"
        "</body></html>"
    )
    furniture = page_furniture(tree)
    assert furniture.tags == {"night trains"}
    assert is_furniture("Tags: Night Trains", furniture)
    assert not is_furniture("Night trains, the minister said.", furniture)


def test_many_links_in_deep_wrappers_stay_linear() -> None:
    depth, links = 200, "".join(f"<a href='/n/{i}'>one more story about trains {i}</a>" for i in range(20))
    markup = "".join("<div>" + links for _ in range(depth)) + "</div>" * depth
    tree = lxml_html.fromstring(f"<html><body>{markup}</body></html>")
    start = time.perf_counter()
    page_furniture(tree)
    assert time.perf_counter() - start < 2.0
