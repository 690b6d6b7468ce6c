"""related_links: the article's own further reading, without navigation, sharing, login or ads."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import Article, Link
from bot.news.extract import extract_article
from bot.news.related import related_links

ROOT = Path(__file__).resolve().parents[2]
PAGE_URL = "https://www.dailyledger.example/politics/2022/03/18/us-and-chinese-presidents-to-discuss-russias-invasion-of-ukraine/"
BASE = "https://news.example/world/2024/05/02/ceasefire-talks-resume-in-cairo"


def _article(*links: Link, url: str | None = BASE, canonical: str | None = None) -> Article:
    return Article(headline="Ceasefire talks resume", paragraphs=("Talks resumed.",), url=url,
                   canonical_url=canonical, related=links)


def test_seed_page_keeps_only_story_links() -> None:
    html = (ROOT / "tests" / "fixtures" / "us-china-call.html").read_text(encoding="utf-8")
    links = related_links(extract_article(html, url=PAGE_URL + "?ref=home"))
    assert links == (
        Link("US House Approved Bill to Halt Relations with Russia",
             "https://www.dailyledger.example/world/2022/03/17/us-house-approved-bill-to-halt-relations-with-russia/"),
        Link("EU Leaders Agree Fourth Package of Sanctions Against Moscow",
             "https://www.dailyledger.example/world/2022/03/16/eu-leaders-agree-fourth-package-of-sanctions-against-moscow/?utm_source=related"),
        Link("Oil Prices Swing as Traders Weigh Russia Supply Risks",
             "https://www.dailyledger.example/business/2022/03/15/oil-prices-swing-as-traders-weigh-russia-supply-risks/"),
        Link("United Nations said that it has no proper evidence",
             "https://news.un.example/en/story/2022/03/1114012-un-has-no-evidence-biological-weapons-programme-ukraine"),
    )


def test_seed_text_keeps_titled_link_without_url() -> None:
    text = (ROOT / "tests" / "fixtures" / "us-china-call.txt").read_text(encoding="utf-8")
    assert related_links(extract_article(text)) == (Link("US House Approved Bill to Halt Relations with Russia", ""),)


def test_example_pages_drop_ads_and_duplicates() -> None:
    html = (ROOT / "examples" / "articles" / "harbour-bridge-reopens.html").read_text(encoding="utf-8")
    links = related_links(extract_article(html))
    titles = [link.title for link in links]
    assert titles == [
        "Ferry timetable cut as operator reports crew shortage",
        "Council approves new cycle route along the seafront",
        "Kestrel Point bridge closed after corrosion found in steel bearings",
    ]
    assert all(link.url.startswith("https://www.coastalherald.example/news/local/2023/") for link in links)


@pytest.mark.parametrize(
    "link",
    [
        Link("Home", "https://news.example/"),
        Link("World", "https://news.example/world/"),
        Link("Politik", "https://news.example/de/politik/"),
        Link("Share on Facebook", "https://www.facebook.com/sharer/sharer.php?u=https://news.example/x"),
        Link("Our page on X", "https://x.com/newsexample"),
        Link("Tweet this story now please", "https://twitter.com/intent/tweet?url=https://news.example/x"),
        Link("Send by WhatsApp to a friend", "https://wa.me/?text=https://news.example/x"),
        Link("Log in", "https://news.example/account/login?next=/world/"),
        Link("Sign in to read all our journalism", "https://news.example/signin?returnUrl=%2Fworld"),
        Link("Subscribe for full access today", "https://news.example/subscribe/digital-plan-2024"),
        Link("Win a weekend break in the Lakes", "https://adclick.g.doubleclick.net/pcs/click?xai=AKAOjs"),
        Link("You won't believe these holiday deals", "https://trc.taboola.com/news-example/log/3/click?ii=1"),
        Link("Compare the best travel insurance deals", "https://partner.example/offers/travel-insurance-deals-2024?utm_medium=cpc"),
        Link("Cairo", "https://news.example/tag/cairo/"),
        Link("Anna Schmidt", "https://news.example/author/anna-schmidt/"),
        Link("Read more", "https://news.example/world/2024/05/01/earlier-talks-collapse-after-three-days"),
        Link("Ceasefire talks resume in Cairo", BASE + "#comments"),
        Link("Ceasefire talks resume in Cairo", "javascript:void(0)"),
        Link("Email this story", "mailto:?subject=Ceasefire"),
        Link("Photo gallery image", "https://news.example/media/2024/05/02/cairo-talks-delegation.jpg"),
        Link("calendario stock car 2018", "http://www.autoracing.example/tag/calendario-stock-car-2018/"),
        Link("Get access to our fastest growing subscriptions service", "https://news.example/promos/pro.php"),
        Link("testified", "https://other.example/us-news/2019/nov/15/ambassador-testimony-impeachment-inquiry"),
    ],
)
def test_unwanted_links_are_dropped(link: Link) -> None:
    assert related_links(_article(link)) == ()


def test_relative_links_are_resolved_and_duplicates_merged() -> None:
    links = related_links(_article(
        Link("Earlier talks collapse after three days", "/world/2024/05/01/earlier-talks-collapse-after-three-days"),
        Link("Earlier talks collapse after three days",
             "https://www.news.example/world/2024/05/01/earlier-talks-collapse-after-three-days/?utm_source=x"),
        Link("  Aid convoys  reach\nnorthern towns ", "../../04/30/aid-convoys-reach-northern-towns"),
        Link("", "https://news.example/world/2024/04/29/untitled-story-link"),
    ))
    assert links == (
        Link("Earlier talks collapse after three days",
             "https://news.example/world/2024/05/01/earlier-talks-collapse-after-three-days"),
        Link("Aid convoys reach northern towns", "https://news.example/world/2024/04/30/aid-convoys-reach-northern-towns"),
    )


def test_file_path_url_falls_back_to_canonical_base() -> None:
    html = (ROOT / "examples" / "articles" / "bahnstreik-einigung.html").read_text(encoding="utf-8")
    links = related_links(extract_article(html, url="examples/articles/bahnstreik-einigung.html"))
    assert [link.url for link in links] == [
        "https://www.rheinkurier.example/wirtschaft/lokfuehrer-streik-was-fahrgaeste-jetzt-wissen-muessen-a-20240409",
        "https://www.rheinkurier.example/wirtschaft/bahn-bilanz-verspaetungen-so-hoch-wie-nie-a-20240322?utm_source=artikel",
    ]


def test_relative_link_without_any_base_is_dropped() -> None:
    article = _article(Link("Earlier talks collapse after three days", "/world/2024/05/01/earlier-talks"), url=None)
    assert related_links(article) == ()


def test_canonical_is_the_article_itself() -> None:
    canonical = "https://news.example/world/2024/05/02/ceasefire-talks-resume-in-cairo-amp-version"
    article = _article(Link("Ceasefire talks resume in Cairo (AMP)", canonical), canonical=canonical)
    assert related_links(article) == ()


def test_limit_is_respected() -> None:
    links = tuple(Link(f"Story number {i} about the talks", f"https://news.example/world/2024/05/0{i % 9 + 1}/story-number-{i}")
                  for i in range(20))
    assert len(related_links(_article(*links))) == 8
    assert related_links(_article(*links), limit=3) == links[:3]
    assert related_links(_article(*links), limit=0) == ()


def test_titled_links_without_url_are_deduplicated_by_title() -> None:
    links = related_links(_article(Link("US House Approved Bill", ""), Link("US House approved bill", ""),
                                   Link("EU Agrees New Sanctions", "")))
    assert links == (Link("US House Approved Bill", ""), Link("EU Agrees New Sanctions", ""))
