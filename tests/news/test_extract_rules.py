"""The small rules behind extraction: furniture lines, headline clean-up, standfirsts and metadata fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import ExtractError
from bot.news.extract import extract_article
from bot.news.extract_meta import strip_site
from bot.news.extract_text import clean_paragraphs, is_boilerplate, related_title

BODY = (
    "<p>The regional parliament voted on Thursday to extend the night-train subsidy for another three years, "
    "securing the service between the two capitals until at least 2028.</p>"
    "<p>Supporters said the trains take thousands of cars and short-haul flights off the route each month, "
    "while critics questioned whether the subsidy was the best use of the transport budget.</p>"
)


@pytest.mark.parametrize(
    "line",
    [
        "Source: Web",
        "Photo: Jane Doe/Reuters",
        "(Photo by John Smith/Getty Images)",
        "Joe Biden speaks at the White House on March 3, 2022. (AP Photo/Evan Vucci)",
        "Rescue workers search the rubble in Kharkiv. Photograph: Sergey Bobok/AFP via Getty Images",
        "Like this story? Share it with a friend!",
        "Advertisement",
        "Copyright ©2019 Dow Jones & Company, Inc. All Rights Reserved",
        "Write to Al Root at allen.root@dowjones.com",
        "Also on rt.com Journalists threatened with sedition arrests",
        "Listen: http://po.st/TP_615",
        "Tags",
        "Updated at 1:23 p.m.",
        "Copyright ⓒ Harbour-Daily.example. 무단전재 및 재배포 금지",
        "Associated Press writers Ann Lee and Tom Berg contributed to this report.",
        "Harbour News’ Maria Olsen contributed to this report.",
        "Additional reporting by Paul Grant",
        "Click here to subscribe to The Harbour Newsletter",
        "Get Rail Monthly delivered to your door. 12 issues for £9.99. Click here for more information.",
        "Sign Up: Stay on top of the latest rail news! Sign up for our Email Newsletters here.",
        "If you enjoyed this article, we have an offer for you: become a member today.",
        '[button link="http://example.com/submit/" type="big"] Send us your story[/button]',
        # Affiliate disclosures, newsletter and app pitches, social and comment prompts, link-list labels.
        "If you buy something through this post, Harbour News may get a share of the sale.",
        "We may earn a commission when you buy through links on our site.",
        "This article contains affiliate links.",
        "Get the latest transport news delivered straight to your inbox.",
        "Join our newsletter",
        "Download the Harbour News app for breaking news alerts",
        "Follow Jane Roe on Twitter",
        "Leave a Reply Cancel reply",
        "View Comments",
        "Have a news tip?",
        "Subscribe now",
        "Most Popular",
        "More from Harbour News",
        "You may also like:",
        "Recommended Stories",
        "Get access to our premium subscription service for as little as $1 a week.",
        "Image caption Protesters gathered in the square",
        "Read more",
        "Related Articles",
        "Print this page",
        "Last modified on Mon 18 Nov 2019 18.56 GMT",
        "This site uses Akismet to reduce spam. Learn how your comment data is processed.",
        "Your email address will not be published. Required fields are marked *",
        "Caption",
        "Close",
    ],
)
def test_furniture_lines(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "The source of the leak has not been identified, officials said on Monday.",
        "Sign up for a Hulu ad-free account for $11.99 a month",
        "A: Bob Marley, Bruno Mars, Drake, The Eagles, Jay Z, Frank Sinatra",
        "Photographers gathered outside the court before dawn.",
        "LONDON (Reuters) - Shares in the company rose sharply on Monday after the results.",
        "The agency (AP) reported that the talks would resume on Friday, officials said.",
        "Copying the design took the rival firm less than a year, the court heard.",
        "Copyright holders sued the company in March.",
        "Published reports say the minister resigned.",
        "Updated figures show a sharp fall",
        "Reporters contributed to the fund that paid for the report, the union said.",
        "Subscribers who sign up before March get the newsletter free, the company said.",
        "If you enjoyed the first series, the second has more of the same, critics say.",
        "Sign up for a free 7-day trial of the streaming service.",
        "The array [1, 2, 3] is sorted in place.",
        "https://www.example.com/some/page",
        "The company will get a share of the sales from the new plant, the minister said.",
        "Investors may earn a commission on the trades, the regulator said.",
        "More from the interview with the minister appears below, he said.",
        "Most popular among commuters was the early train, the survey found.",
        "Fans who follow the team on Twitter were angry about the decision.",
        "Read more about the plan on the council website.",
        "Related issues were discussed on Monday.",
        "Get access to clean water, the charity urged donors.",
        "Close to 300 people attended the meeting, police said.",
    ],
)
def test_body_lines_are_not_furniture(line: str) -> None:
    assert not is_boilerplate(line)


def test_related_title_lines() -> None:
    assert related_title("Read Also: US House Approved Bill to Halt Relations with Russia") == (
        "US House Approved Bill to Halt Relations with Russia", "")
    assert related_title("Lesen Sie auch: Bahn erhöht Preise https://bahn.example/a-123") == (
        "Bahn erhöht Preise", "https://bahn.example/a-123")
    assert related_title("(Leggi anche su: Nuovo film in arrivo)") == ("Nuovo film in arrivo", "")
    assert related_title("Related post: Spiced Pear Jam Recipe") == ("Spiced Pear Jam Recipe", "")
    assert related_title("Readers also said the decision was overdue.") is None


def test_clean_paragraphs_keeps_repeated_lines_later_in_the_body() -> None:
    lines = ["Spiced Pear Jam", "Pears, sugar and cloves make a jam for winter.", "Pre-Workout Meal",
             "Eat it slowly.", "Pre-Workout Meal", "Eat it slowly.", "Eat it slowly."]
    assert clean_paragraphs(lines, "Spiced Pear Jam") == [
        "Pears, sugar and cloves make a jam for winter.", "Pre-Workout Meal", "Eat it slowly.",
        "Pre-Workout Meal", "Eat it slowly.",
    ]


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Bridge reopens early | The Coastal Herald", "The Coastal Herald", "Bridge reopens early"),
        ("Daily Ledger - Bridge reopens early after repairs", "Daily Ledger", "Bridge reopens early after repairs"),
        ("Bridge reopens two months early - BBC News", None, "Bridge reopens two months early"),
        ("Star Wars review - shoots for the moon, lands among the stars", None,
         "Star Wars review - shoots for the moon, lands among the stars"),
        ("No separator in this headline", "Site", "No separator in this headline"),
    ],
)
def test_strip_site(title: str, site: str | None, expected: str) -> None:
    assert strip_site(title, site) == expected


def test_h1_inside_decorated_og_title_wins_and_dek_class_is_description() -> None:
    html = (
        "<html><head><meta property='og:title' content='Opinion | Should Night Trains Get Subsidies?'>"
        "<meta name='description' content='Lawmakers back the service for three more years.'></head><body>"
        "<div class='logo'><h1>The Paper</h1></div><article><header>"
        "<h1>Should Night Trains Get Subsidies?</h1>"
        "<h2 class='sub-head'>A vote in the regional parliament keeps the sleeper service running until 2028.</h2>"
        "</header>" + BODY + "</article></body></html>"
    )
    article = extract_article(html)
    assert article.headline == "Should Night Trains Get Subsidies?"
    assert article.description == "Lawmakers back the service for three more years."
    assert article.paragraphs[0].startswith("The regional parliament voted")
    assert len(article.paragraphs) == 2


def test_dek_becomes_description_when_the_page_has_none() -> None:
    html = (
        "<html><head><title>Night trains stay</title></head><body><article><header><h1>Night trains stay</h1>"
        "<p class='standfirst'>A vote in the regional parliament keeps the sleeper service running until 2028</p>"
        "</header>" + BODY + "</article></body></html>"
    )
    article = extract_article(html)
    assert article.description == "A vote in the regional parliament keeps the sleeper service running until 2028"
    assert article.paragraphs[0].startswith("The regional parliament voted")


def test_json_ld_and_time_fallbacks() -> None:
    html = (
        "<html lang='fr-FR'><head><title>Trains de nuit : le Parlement vote la subvention - Le Courrier</title>"
        "<script type='application/ld+json'>{\"@graph\": [{\"@type\": \"WebSite\", \"name\": \"x\"}, "
        "{\"@type\": \"NewsArticle\", \"headline\": \"Trains de nuit : le Parlement vote la subvention\", "
        "\"datePublished\": \"2024-02-01T08:00:00Z\", \"author\": {\"@type\": \"Person\", \"name\": \"Claire Martin\"}, "
        "\"image\": [\"/img/train.jpg\"]}]}</script></head><body><article>" + BODY + "</article></body></html>"
    )
    article = extract_article(html, url="https://courrier.example/transport/2024/02/01/trains-de-nuit")
    assert article.headline == "Trains de nuit : le Parlement vote la subvention"
    assert article.author == "Claire Martin"
    assert article.published == datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
    assert article.language == "fr"
    assert article.site == "Le Courrier"
    assert article.image == "https://courrier.example/img/train.jpg"
    assert article.canonical_url == "https://courrier.example/transport/2024/02/01/trains-de-nuit"


def test_date_without_zone_is_taken_as_utc_and_junk_date_is_none() -> None:
    page = "<html><head><title>Night trains</title><meta property='article:published_time' content='{}'></head>" \
           "<body><article>" + BODY + "</article></body></html>"
    assert extract_article(page.format("2024-02-01T08:00:00")).published == datetime(2024, 2, 1, 8, 0, tzinfo=UTC)
    assert extract_article(page.format("2024-02-01T08:00:00+0100")).published is not None
    junk = extract_article(page.format("yesterday-ish"))
    assert junk.published is None or junk.published.tzinfo is not None


def _page(lang: str, title: str, paras: list[str]) -> str:
    return (f"<html lang='{lang}'><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>{title}</h1>" + "".join(f"<p>{p}</p>" for p in paras) + "</article></body></html>")


@pytest.mark.parametrize(
    ("lang", "title", "paras"),
    [
        ("hi", "नई परिवहन योजना की घोषणा", [
            "सरकार ने मंगलवार को शहर के लिए नई परिवहन योजना की घोषणा की। इस योजना के तहत अगले दो वर्षों में बसों की संख्या दोगुनी की जाएगी।",
            "परिवहन मंत्री ने कहा कि इससे सड़कों पर भीड़ कम होगी और प्रदूषण घटेगा। विपक्ष ने योजना की लागत पर सवाल उठाए।",
            "योजना पर काम अगले महीने शुरू होगा और पहली नई बसें जनवरी तक सड़कों पर आ जाएंगी।"]),
        ("ja", "市が新しい交通計画を発表", [
            "市は火曜日、新しい交通計画を発表した。今後二年間で市内のバスの数を二倍に増やすという。",
            "市長は記者会見で「渋滞を減らし、空気をきれいにしたい」と述べた。野党は計画の費用について疑問を呈した。",
            "計画は来月から始まり、市民からは「便利になる」との声が上がっている」"]),
        # Thai marks no sentence ends at all: the page is accepted because it is not a list of links.
        ("th", "กรุงเทพฯ ประกาศแผนขนส่งใหม่", [
            "กรุงเทพมหานครประกาศแผนพัฒนาระบบขนส่งสาธารณะฉบับใหม่เมื่อวันอังคาร โดยจะเพิ่มจำนวนรถโดยสารประจำทางเป็นสองเท่าภายในสองปี",
            "ผู้ว่าราชการกรุงเทพมหานครกล่าวว่าแผนนี้จะช่วยลดปัญหาการจราจรติดขัดและมลพิษทางอากาศ ในขณะที่ฝ่ายค้านตั้งคำถามเกี่ยวกับงบประมาณของโครงการ",
            "โครงการจะเริ่มดำเนินการในเดือนหน้า และรถโดยสารคันใหม่ชุดแรกจะเริ่มให้บริการภายในเดือนมกราคม"]),
    ],
)
def test_articles_in_other_scripts(lang: str, title: str, paras: list[str]) -> None:
    article = extract_article(_page(lang, title, paras))
    assert (article.headline, article.language) == (title, lang)
    assert article.paragraphs == tuple(paras)


def test_a_few_replacement_characters_are_not_a_binary_file() -> None:
    html = _page("en", "Night trains stay", [
        "The regional parliament voted on Thursday to extend the night-train subsidy \ufffd\ufffd for three years.",
        "Supporters said the trains take thousands of cars off the route each month, critics disagreed."])
    html = html.replace("<head>", "<head><script>var x = '\ufffd\ufffd\ufffd\ufffd';</script>")
    assert extract_article(html).headline == "Night trains stay"


def test_data_table_text_is_kept_as_rows() -> None:
    table = ("<table><tr><th>Line</th><th>Trains</th><th>Change</th></tr>"
             "<tr><td>Vienna - Zurich</td><td>14</td><td>up 2</td></tr>"
             "<tr><td>Berlin - Paris</td><td>9</td><td>new service</td></tr></table>")
    article = extract_article("<html><head><title>Night trains</title></head><body><article><h1>Night trains</h1>"
                              + BODY + "<h2>The timetable</h2>" + table + "</article></body></html>")
    assert "The timetable" in article.paragraphs
    rows = [p for p in article.paragraphs if "|" in p]
    assert rows == ["Line | Trains | Change", "Vienna - Zurich | 14 | up 2", "Berlin - Paris | 9 | new service"]


def test_page_laid_out_in_a_table_reads_as_paragraphs_without_its_sidebar() -> None:
    sidebar = "".join(f"<p><a href='/story/{i}'>Other story number {i} about something else</a></p>" for i in range(8))
    html = ("<html><head><title>Night trains stay</title></head><body><table><tr>"
            "<td class='main'><h1>Night trains stay</h1>" + BODY + "</td>"
            "<td class='side'><h3>Top stories</h3>" + sidebar + "</td></tr></table></body></html>")
    article = extract_article(html)
    assert article.paragraphs[0].startswith("The regional parliament voted")
    assert article.paragraphs[1].startswith("Supporters said the trains")
    assert not any("|" in p or "Other story" in p for p in article.paragraphs)


def test_nested_layout_tables_are_unwrapped_in_linear_time() -> None:
    depth = 3000
    html = ("<html><body>" + "<table><tr><td><div>" * depth + BODY + "</div></td></tr></table>" * depth
            + "</body></html>")
    try:
        article = extract_article(html)
    except ExtractError:
        return  # lxml may cap the nesting; then there is no article, which is an answer too
    assert "night-train subsidy" in article.text
