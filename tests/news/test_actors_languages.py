"""Key actors of articles not in English: German (every noun capitalised), French, Italian and Spanish."""

from __future__ import annotations

from bot.models import Article
from bot.news.actors import find_actors
from bot.news.ner_text import tokenise

STRIKE = Article(
    headline="Tarifstreit bei der Bahn: Einigung in der Nacht beendet den Streik",
    paragraphs=(
        "Der Streik im Bahnverkehr ist beendet. In der Nacht zu Freitag einigten sich die Deutsche Bahn und die "
        "Lokführergewerkschaft in Frankfurt auf einen neuen Tarifvertrag. Die Gespräche dauerten mehr als 19 Stunden.",
        "Ökonomen schätzen den Schaden auf mehrere hundert Millionen Euro. Die Gewerkschaft will das Ergebnis "
        "nun ihren Mitgliedern zur Abstimmung vorlegen.",
    ),
    language="de",
)
VISIT = Article(
    headline="Scholz empfängt Macron in Berlin",
    paragraphs=(
        "Bundeskanzler Olaf Scholz hat am Montag in Berlin den französischen Präsidenten Emmanuel Macron "
        "empfangen. Die beiden sprachen über die Hilfe für die Ukraine und über die Lage im Nahen Osten.",
        "Scholz sagte nach dem Treffen, die Europäische Union müsse geschlossen handeln. Der Vorsitzende der "
        "CDU, Friedrich Merz, nannte die Politik zögerlich.",
    ),
    language="de",
)


def test_capitalised_common_nouns_are_not_actors() -> None:
    actors = find_actors(STRIKE, language="de")
    assert {a.name: a.kind for a in actors} == {"Deutsche Bahn": "organization", "Frankfurt": "location"}
    # "Bahn" in the headline is the short form of "Deutsche Bahn"
    assert next(a for a in actors if a.name == "Deutsche Bahn").mentions == 2


def test_people_organisations_and_places_with_titles_split_off() -> None:
    actors = {a.name: a for a in find_actors(VISIT, language="de")}
    assert {name: a.kind for name, a in actors.items()} == {
        "Olaf Scholz": "person", "Emmanuel Macron": "person", "Friedrich Merz": "person",
        "Berlin": "location", "Ukraine": "location", "Nahen Osten": "location",
        "Europäische Union": "organization", "CDU": "organization",
    }
    assert actors["Olaf Scholz"].mentions == 3  # headline, full name, and "Scholz sagte"
    assert actors["Olaf Scholz"].role == "Bundeskanzler"


def test_the_same_text_read_as_english_keeps_its_capitalised_guesses() -> None:
    # The filter is for noun-capitalising languages only; English reading is unchanged.
    names = {a.name for a in find_actors(STRIKE, language="en", limit=30)}
    assert "Streik" in names or "Einigung" in names


def test_french_and_spanish_articles_and_organisation_heads() -> None:
    french = Article(
        headline="Le président Emmanuel Macron reçoit Olaf Scholz à Paris",
        paragraphs=("Le président de la République, Emmanuel Macron, a reçu lundi le chancelier allemand Olaf Scholz. "
                    "Après la rencontre, Scholz a salué le travail du gouvernement.",),
        language="fr",
    )
    spanish = Article(
        headline="Pedro Sánchez se reúne con el rey Felipe VI en Madrid",
        paragraphs=("El presidente del Gobierno, Pedro Sánchez, se reunió el lunes con el rey Felipe VI. "
                    "Además, el Partido Popular criticó la reunión. Según la Unión Europea, no hay problema.",),
        language="es",
    )
    fr = {a.name: a for a in find_actors(french, language="fr")}
    assert "Le" not in fr  # a sentence's capitalised article is not a name
    assert fr["Olaf Scholz"].kind == fr["Emmanuel Macron"].kind == "person"
    assert fr["Olaf Scholz"].mentions == 3
    assert fr["Paris"].kind == "location"
    assert fr["République"].kind == "organization"  # the state, by its French head noun
    es = {a.name: a.kind for a in find_actors(spanish, language="es")}
    assert "El" not in es
    assert es["Partido Popular"] == es["Unión Europea"] == es["Gobierno"] == "organization"
    assert es["Pedro Sánchez"] == "person" and es["Madrid"] == "location"


FRENCH_AID = Article(
    headline="L'Union européenne débloque une aide pour l'Ukraine",
    paragraphs=(
        "Le président Emmanuel Macron a salué lundi la décision de l'Union européenne d'accorder une nouvelle aide "
        "à l'Ukraine. Selon Le Monde, les discussions ont duré toute la nuit à Bruxelles.",
        "La visite d’Emmanuel Macron à Kiev est prévue la semaine prochaine. Le Figaro rappelle que la France a "
        "déjà livré des armes, tandis que l'ONU appelle au calme.",
    ),
    language="fr",
)
ITALIAN_UN = Article(
    headline="Meloni all'ONU: appello dell'Unione europea per l'Ucraina",
    paragraphs=(
        "La premier Giorgia Meloni ha parlato all'ONU a New York. Secondo La Repubblica, il governo ha chiesto "
        "un impegno maggiore dell'Unione europea per l'Ucraina.",
    ),
    language="it",
)
SPANISH_PLAN = Article(
    headline="Pedro Sánchez defiende en Bruselas el plan de la Unión Europea",
    paragraphs=(
        "El presidente del Gobierno, Pedro Sánchez, defendió el lunes en Bruselas el plan de la Unión Europea. "
        "Según El País, el Partido Popular votará en contra.",
        "El ministro viajará después a La Paz, informó El Mundo.",
    ),
    language="es",
)


def test_french_elided_articles_leave_the_name_after_the_apostrophe() -> None:
    fr = {a.name: a for a in find_actors(FRENCH_AID, language="fr", limit=20)}
    assert fr["Ukraine"].kind == "location" and fr["Ukraine"].mentions == 2  # "l'Ukraine" twice
    assert fr["Union"].kind == "organization" and fr["Union"].mentions == 2  # "L'Union", "l'Union"
    assert fr["Emmanuel Macron"].kind == "person" and fr["Emmanuel Macron"].mentions == 2  # "d’Emmanuel Macron"
    assert fr["ONU"].kind == "organization"
    assert not any("'" in name or "’" in name for name in fr)  # no "l'" glued to a name


def test_french_press_titles_are_organisations_not_people() -> None:
    fr = {a.name: a.kind for a in find_actors(FRENCH_AID, language="fr", limit=20)}
    assert fr["Le Monde"] == fr["Le Figaro"] == "organization"  # "Selon" opening the sentence is dropped
    assert "Selon Le Monde" not in fr
    assert fr["France"] == "location"


def test_italian_elisions_and_press_titles() -> None:
    it = {a.name: a for a in find_actors(ITALIAN_UN, language="it", limit=20)}
    assert it["ONU"].kind == "organization" and it["ONU"].mentions == 2  # "all'ONU" in headline and text
    assert it["Unione"].kind == "organization" and it["Unione"].mentions == 2  # "dell'Unione"
    assert it["Ucraina"].kind == "location"
    assert it["La Repubblica"].kind == "organization"
    assert it["Giorgia Meloni"].kind == "person" and it["Giorgia Meloni"].mentions == 2  # "Meloni" in the headline


def test_spanish_article_led_names_are_organisations_unless_listed_as_places() -> None:
    es = {a.name: a.kind for a in find_actors(SPANISH_PLAN, language="es", limit=20)}
    assert es["El País"] == es["El Mundo"] == es["Partido Popular"] == "organization"
    assert es["La Paz"] == "location"  # the gazetteer lists it
    assert es["Pedro Sánchez"] == "person" and es["Bruselas"] == "location"


def test_apostrophes_inside_names_are_not_elisions() -> None:
    text = "Shaquille O'Neal met Valéry Giscard d'Estaing in Côte d'Ivoire. L'Oreal said on Monday, selon L'Équipe."
    words = [t.text for _, _, toks in tokenise(text) for t in toks]
    assert {"O'Neal", "d'Estaing", "d'Ivoire", "L'Équipe"} <= set(words)  # a capitalised word before "d'"
    assert words[words.index("said") - 2:words.index("said")] == ["L'", "Oreal"]  # a sentence's own article
    assert [t.text for _, _, toks in tokenise("la visite d’Emmanuel Macron") for t in toks][2:4] == ["d’", "Emmanuel"]


def test_a_state_body_ending_a_title_is_not_part_of_the_name() -> None:
    texts = {
        "it": "La presidente del Consiglio Giorgia Meloni ha incontrato ieri i sindacati. Meloni ha promesso una "
              "risposta entro la settimana.",
        "fr": "Le président de la République Emmanuel Macron a défendu mardi sa réforme devant les maires. "
              "Macron a promis une réponse rapide.",
    }
    found = {lang: {a.name: a for a in find_actors(Article(headline="Vertice", paragraphs=(text,), language=lang),
                                                      language=lang, limit=20)}
             for lang, text in texts.items()}
    assert found["it"]["Giorgia Meloni"].kind == found["fr"]["Emmanuel Macron"].kind == "person"
    assert found["it"]["Giorgia Meloni"].mentions == 2  # "Meloni ha promesso" counts for her
    assert not any(name.startswith(("Consiglio", "République")) for names in found.values() for name in names)
