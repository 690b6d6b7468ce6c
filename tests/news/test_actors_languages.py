"""Key actors of articles not in English: German (every noun capitalised), French and Spanish."""

from __future__ import annotations

from bot.models import Article
from bot.news.actors import find_actors

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
