"""Key actors: recognition, roles, merging and ranking, on the seed article and short handwritten texts."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Actor, Article
from bot.news.actors import find_actors, recognise

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "us-china-call.txt"
KINDS = {"person", "organization", "location"}
JUNK = {"today", "however", "last week", "western", "chinese", "russian", "friday", "this week", "source", "web",
        "home", "updates", "politics", "read also", "humanitarian aid", "chinee", "ukrainians"}


def seed_article() -> Article:
    """The seed as an extractor leaves it: title, body paragraphs, no menus, subheads or 'Read Also'."""
    blocks = [b.strip() for b in SEED.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    headline = blocks[1]
    body = [b for b in blocks[4:] if len(b) > 120 and not b.startswith(("Source:", "Read Also"))]
    return Article(headline=headline, paragraphs=tuple(body))


def by_name(actors: tuple[Actor, ...]) -> dict[str, Actor]:
    return {a.name: a for a in actors}


def article(*paragraphs: str, headline: str = "") -> Article:
    return Article(headline=headline, paragraphs=paragraphs)


# --- the seed article -------------------------------------------------------------------------------

def test_seed_people_places_and_roles_within_default_limit() -> None:
    actors = find_actors(seed_article())
    assert len(actors) == 10
    names = " | ".join(a.name for a in actors).lower()
    people = ["joe biden", "xi jinping", "jake sullivan", "yang jiechi", "zhao lijian", "anton siluanov", "psaki"]
    places = ["white house", "china", "russia", "ukraine", "united nations"]
    assert sum(p in names for p in people) >= 6
    assert sum(p in names for p in places) >= 4
    assert sum(1 for a in actors if a.role) >= 3
    assert all(a.kind in KINDS for a in actors)
    assert not {a.name.lower() for a in actors} & JUNK


def test_seed_kinds_roles_and_merges() -> None:
    actors = by_name(find_actors(seed_article(), limit=30))
    assert actors["Joe Biden"].kind == "person"
    assert actors["Joe Biden"].role == "United States President"
    assert actors["Xi Jinping"].role == "Chinese President"
    assert "Xi" in actors["Xi Jinping"].aliases and actors["Xi Jinping"].mentions >= 2
    assert actors["Jake Sullivan"].role == "national security adviser of the White House"
    assert actors["Zhao Lijian"].role == "spokesperson of the Chinese Foreign Ministry"
    assert actors["Anton Siluanov"].role == "Russian Finance Minister"
    assert actors["Yang Jiechi"].role == "senior Chinee foreign policy adviser"
    assert actors["China"].kind == "location" and actors["China"].role is None  # "a close ally to Russia"
    assert actors["Ukraine"].mentions > actors["Rome"].mentions
    un = actors["United Nations"]
    assert un.kind == "organization" and "U.N." in un.aliases and un.mentions == 1
    assert actors["United States"].kind == "location" and "U.S." in actors["United States"].aliases
    assert "Psaki" in actors and actors["Psaki"].kind == "person"
    assert not {n.lower() for n in actors} & JUNK


def test_seed_ranks_the_headline_places_first() -> None:
    top = [a.name for a in find_actors(seed_article(), limit=3)]
    assert set(top) == {"Ukraine", "Russia", "China"}


def test_seed_is_fast_once_loaded() -> None:
    art = seed_article()
    find_actors(art)
    t0 = time.perf_counter()
    find_actors(art)
    assert time.perf_counter() - t0 < 0.05


# --- merging ------------------------------------------------------------------------------------------

def test_surname_and_full_name_are_one_person() -> None:
    actors = find_actors(article(
        "US President Joe Biden met European leaders in Brussels on Monday.",
        "Biden said the talks were useful, and Biden later flew home."))
    biden = by_name(actors)["Joe Biden"]
    assert biden.kind == "person" and biden.mentions == 3
    assert biden.aliases == ("Biden",)
    assert biden.role == "US President"
    assert "Biden" not in by_name(actors)


def test_chinese_surname_first_merges() -> None:
    actors = by_name(find_actors(article(
        "Chinese President Xi Jinping spoke to reporters in Beijing.",
        "Analysts expect President Xi to visit Paris next year.")))
    assert actors["Xi Jinping"].mentions == 2 and actors["Xi Jinping"].aliases == ("Xi",)


def test_acronym_forms_of_one_body() -> None:
    actors = by_name(find_actors(article(
        "The United Nations (U.N.) said on Tuesday it had no evidence.",
        "A UN spokesman later repeated that the U.N. would send observers.")))
    un = actors["United Nations"]
    assert un.kind == "organization"
    assert set(un.aliases) == {"U.N.", "UN"}
    assert un.mentions == 3  # the "(U.N.)" right after the full name is not a new mention


# --- roles --------------------------------------------------------------------------------------------

def test_apposition_roles_and_descriptions_that_are_not_roles() -> None:
    actors = by_name(find_actors(article(
        "Maria Lopez, a spokeswoman for Acme Widgets Ltd, said the plant would close.",
        "France, a close ally of Germany, backed the plan.",
        "Karl Weber, the chief executive of Globex Inc, declined to comment.")))
    assert actors["Maria Lopez"].role == "spokeswoman for Acme Widgets Ltd"
    assert actors["Karl Weber"].role == "chief executive of Globex Inc"
    assert actors["France"].role is None
    assert actors["Acme Widgets Ltd"].kind == "organization"
    assert actors["Globex Inc"].kind == "organization"


def test_premodifier_roles() -> None:
    actors = by_name(find_actors(article(
        "Former Foreign Minister Sergei Lavrov arrived in Ankara, where he met senior Turkish trade adviser "
        "Mehmet Yilmaz.")))
    assert actors["Sergei Lavrov"].role == "Former Foreign Minister"
    assert actors["Mehmet Yilmaz"].role == "senior Turkish trade adviser"
    assert actors["Ankara"].kind == "location"


# --- recognition --------------------------------------------------------------------------------------

def test_organisation_cues_and_places() -> None:
    found = dict(recognise(
        "The Ministry of Defence and the Labour Party criticised Northwind Holdings and the Foreign Ministry. "
        "Officials in Nairobi, Kenya, and in Texas disagreed with the World Bank."))
    assert found["Ministry of Defence"] == "organization"
    assert found["Labour Party"] == "organization"
    assert found["Northwind Holdings"] == "organization"
    assert found["Foreign Ministry"] == "organization"
    assert found["World Bank"] == "organization"
    assert found["Nairobi"] == found["Kenya"] == found["Texas"] == "location"
    assert "Officials" not in found


def test_nationalities_months_and_sentence_starts_are_not_names() -> None:
    found = recognise("However, Chinese officials and Russian diplomats met in Geneva in March. "
                      "Today the talks resumed. Last week Western governments said nothing.")
    assert found == [("Geneva", "location")]


def test_all_caps_headline_and_dateline() -> None:
    found = recognise("CLINTON SIGNS BUDGET BILL IN WASHINGTON\nLONDON 1996-08-30\n"
                      "President Bill Clinton signed the bill, the Bank of England said.")
    assert ("CLINTON", "person") in found
    assert ("WASHINGTON", "location") in found
    assert ("LONDON", "location") in found
    assert ("Bill Clinton", "person") in found
    assert ("Bank of England", "organization") in found
    assert not {n for n, _ in found} & {"SIGNS", "BUDGET", "BILL", "IN"}


def test_caps_headline_counts_for_the_actor() -> None:
    actors = by_name(find_actors(article(
        "President Bill Clinton signed the budget on Friday. Clinton said it would cut the deficit.",
        headline="CLINTON SIGNS BUDGET BILL")))
    clinton = actors["Bill Clinton"]
    assert clinton.mentions == 3 and "CLINTON" in clinton.aliases
    assert [a.name for a in find_actors(article("President Bill Clinton signed.", "Ms Jane Roe objected.",
                                                headline="CLINTON SIGNS BUDGET BILL"), limit=1)] == ["Bill Clinton"]


def test_limit_and_empty_input() -> None:
    art = seed_article()
    assert len(find_actors(art, limit=4)) == 4
    assert find_actors(art, limit=0) == ()
    assert find_actors(article()) == ()
    assert recognise("") == []


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400),
       st.lists(st.text(max_size=200), max_size=4))
def test_find_actors_never_raises(headline: str, paragraphs: list[str]) -> None:
    actors = find_actors(Article(headline=headline, paragraphs=tuple(paragraphs)), limit=5)
    assert len(actors) <= 5
    assert all(a.kind in KINDS and a.mentions >= 1 and a.name for a in actors)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Mr", "Smith", "U.N.", "(", ")", "of", "Bank", "the", ",", ".", "\n", "LONDON",
                                 "Inc", "President", "Xi", "Chinese", "-", "’s", "and", "New", "York", "AT&T"]),
                max_size=40))
def test_name_like_soup_never_raises(words: list[str]) -> None:
    text = " ".join(words)
    for name, kind in recognise(text):
        assert kind in KINDS and name.strip() == name and name in text
    find_actors(article(text, headline=text))


def test_no_roles_for_addresses_and_possessive_org_names() -> None:
    actors = by_name(find_actors(article(
        "Grant Allen, of Leicester, England, despite Ms Godwin living there, travelled first class.",
        "Officers from Maricopa County Sheriff's Office came, said Sheriff Joe Arpaio.")))
    assert actors["England"].role is None and actors["Leicester"].role is None
    assert actors["Grant Allen"].role is None
    assert actors["Maricopa County Sheriff's Office"].kind == "organization"
    assert actors["Joe Arpaio"].role == "Sheriff"


# --- recognition: context rules -------------------------------------------------------------------------

def test_places_inside_compound_adjectives_are_not_named() -> None:
    found = dict(recognise("The Boston-based insurer Harbourline Insurance hired staff from Moscow-backed rivals."))
    assert found == {"Harbourline Insurance": "organization"}


def test_ordinary_capitalised_words_are_not_names() -> None:
    found = recognise("Fire crews arrived early. Proceeds will fund a school in Lyon. "
                      "He starred in \" Sleeping Lanterns \" and \" Vantor Kelm \" years ago.")
    assert found == [("Lyon", "location")]


def test_dateline_in_a_mixed_case_line_and_its_region() -> None:
    found = recognise("Talks resume\nTVER, Russia 2021-03-04\nOfficials met on Friday.\n"
                      "ALBANY, N.Y. (Reuters) - The vote was close.")
    assert ("TVER", "location") in found and ("Russia", "location") in found
    assert ("ALBANY", "location") in found and ("N.Y.", "location") in found
    rubric = recognise("PRESS DIGEST - Ruritania - May 3.\nThe papers led with taxes.")
    assert not any(n.startswith("PRESS") for n, _ in rubric)


def test_sign_off_line_names() -> None:
    found = dict(recognise("Prices were flat.\n-- Jane Roe, Paris Newsroom +33 1 4221 5000, e-mail: jane.roe@example.com"))
    assert found["Jane Roe"] == "person"
    assert found["Paris Newsroom"] == "organization"


def test_bracketed_acronym_joins_the_name_it_spells() -> None:
    found = dict(recognise("Observers from the Council for Trade and Industry in Ruritania (CTIR) arrived. "
                           "The U.S. Treasury sold bonds."))
    assert found["Council for Trade and Industry in Ruritania"] == "organization"
    assert found["U.S. Treasury"] == "organization"
    assert "Ruritania" not in found


def test_context_cues_decide_unknown_names() -> None:
    found = dict(recognise(
        "Investors bought 20 percent of Zentrox on Monday. Zentrox was up 2 cents. "
        "Floods hit the town of Veltrana again. Mineral water firm Aquafon said it would help. "
        "Telecoms analyst Orla Brinkmann expects more deals. The Dow Jones industrial average fell."))
    assert found["Zentrox"] == "organization"
    assert found["Veltrana"] == "location"
    assert found["Aquafon"] == "organization"
    assert found["Orla Brinkmann"] == "person"
    assert "Dow Jones" not in found


def test_listed_names_share_a_vouched_kind_and_ampersand_makes_a_firm() -> None:
    found = dict(recognise("Oil firms including Shell, Quavil and Norpetra bid, advised by Harper & Quill."))
    assert found["Quavil"] == found["Norpetra"] == "organization"
    assert found["Harper & Quill"] == "organization"


def test_a_cued_kind_outweighs_bare_guesses_of_the_same_name() -> None:
    found = recognise("Analysts said Brexford could grow. They like Brexford. Brexford shares rose 3 percent.")
    assert {k for n, k in found if n == "Brexford"} == {"organization"}


def test_more_context_cues_ages_addresses_and_model_numbers() -> None:
    found = dict(recognise(
        "Vesna Drakulic, 34, was hurt when the bus from Kelvara, Norway, crashed. Troops moved into the Ostrava "
        "basin with F-16 jets. Statistics Norway and the International Red Cross said brokers sold to Telvio."))
    assert found["Vesna Drakulic"] == "person"
    assert found["Kelvara"] == "location"
    assert found["Statistics Norway"] == "organization"
    assert found["International Red Cross"] == "organization"
    assert "F-16" not in found
    found = dict(recognise("The NATO spokesman Brigadier Tom Hale said rebels fled into the Vargan hills."))
    assert found["Tom Hale"] == "person"
    assert found["Vargan"] == "location"


def test_common_nouns_overrule_a_given_name_or_surname_ending() -> None:
    found = dict(recognise("Floods hit the town of Bonetti on Monday, the Martina newspaper reported."))
    assert found["Bonetti"] == "location"
    assert found["Martina"] == "organization"
    assert dict(recognise("Martina Bonetti said the town would rebuild."))["Martina Bonetti"] == "person"


def test_market_jargon_and_capitalised_labels_are_not_names() -> None:
    assert recognise("Bunds extended losses while Eurodollars and T-bills slipped.") == []
    found = recognise("NOTE - Figures are unaudited, NATO said.\nISSUE: Water bonds")
    assert found == [("NATO", "organization")]


def test_initialled_place_at_a_sentence_start_chair_title_and_org_chief() -> None:
    assert recognise("N. Korea fired a missile, S. Korea said.") == [("N. Korea", "location"), ("S. Korea", "location")]
    found = dict(recognise("Chair Jerome Powell spoke after Zentrox chief Ann Lee left."))
    assert found == {"Jerome Powell": "person", "Zentrox": "organization", "Ann Lee": "person"}
