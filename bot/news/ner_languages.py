"""Name mentions of articles not in English: the recogniser's English habits adjusted per language.

The recogniser's lists and cues are English. In other languages a sentence's capitalised first word is
often an article ("Le", "El", "Der"), and organisations are named by a head noun the English lists do
not hold ("Partido Popular", "Unión Europea", "Bundesregierung"): without these rules they came out as
people. A definite article leading a name makes it a title or a body ("Le Monde", "El País"), not a person,
unless the gazetteer lists it as a place ("La Paz"). German needs more still (see ner_nouncase); elided
articles ("l'Union") are split off in tokenising (ner_text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.news import gazetteer as gz
from bot.news.ner_nouncase import NOUN_CAPITALISING, vouched_names
from bot.news.ner_text import Mention, is_place
from bot.news.text import stop_words

__all__ = ["for_language"]

# Head nouns of organisation names, lower case. German compounds end in them ("Bundesregierung").
_ORG_HEADS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "fr": "parti union république gouvernement ministère banque assemblée conseil commission cour tribunal université "
              "sénat police armée fédération association société groupe compagnie agence institut comité "
              "organisation ligue club fondation syndicat mairie",
        "es": "partido unión gobierno ministerio banco congreso senado consejo comisión tribunal universidad "
              "policía ejército federación asociación sociedad grupo compañía agencia instituto comité "
              "organización liga club fundación sindicato ayuntamiento junta generalitat",
        "it": "partito unione governo ministero banca camera senato consiglio commissione tribunale corte "
              "università polizia esercito federazione associazione società gruppo compagnia agenzia istituto "
              "comitato organizzazione lega fondazione sindacato comune",
        "pt": "partido união governo ministério banco congresso senado conselho comissão tribunal universidade "
              "polícia exército federação associação sociedade grupo companhia agência instituto comitê "
              "organização liga fundação sindicato prefeitura",
        "de": "partei union regierung ministerium bank bundestag rat kommission gericht universität polizei "
              "verband gesellschaft gruppe agentur institut ausschuss organisation verein konzern stiftung "
              "gewerkschaft",
    }.items()
}
# Definite articles: a name they lead is a title or a body ("Le Monde", "La France insoumise", "Die Zeit"),
# not a person, unless the gazetteer lists it as a place ("Le Havre", "La Paz", "Los Angeles").
_ARTICLES: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "fr": "le la les l' l’", "es": "el la los las", "it": "il lo la i gli le l' l’", "pt": "o a os as",
        "ca": "el la els les l' l’", "de": "der die das den dem des",
    }.items()
}
# Words that open a sentence before a name without being part of it ("Selon Le Monde", "Secondo La Repubblica").
_LEADERS = frozenset("selon secondo según segundo conforme laut pour per para".split())
# State bodies that end an office's title before a person's name ("presidente del Consiglio Giorgia Meloni",
# "président de la République Emmanuel Macron"): such a run is the person, the body only their title.
_TITLE_BODIES = frozenset(
    "consiglio governo repubblica camera senato république gouvernement sénat assemblée gobierno república "
    "congreso senado câmara".split()
)
# German joins a head noun into compounds ("Bundesregierung", "Zentralbank"): matched as word endings.
_ORG_SUFFIXES = {lang: tuple(heads) for lang, heads in _ORG_HEADS.items() if lang in NOUN_CAPITALISING}


def _is_org(name: str, language: str) -> bool:
    """Whether a name holds an organisation's head noun of the language (as a word, or ending a German compound)."""
    heads = _ORG_HEADS.get(language)
    if not heads:
        return False
    parts = [p.lower() for p in name.split()]
    if language in _ORG_SUFFIXES:
        return any(p.endswith(_ORG_SUFFIXES[language]) for p in parts)
    return any(p in heads for p in parts)


def for_language(mentions: Sequence[Mention], language: str) -> list[Mention]:
    """The mentions adjusted to the article's language; English ones pass unchanged."""
    if language == "en":
        return list(mentions)
    stops = stop_words(language)
    # A lone capitalised function word is a sentence's first word, not a name ("Le", "El", "Der").
    kept = [m for m in mentions if " " in m.name or m.name.lower() not in stops]
    if language in NOUN_CAPITALISING:
        kept = vouched_names(kept)
    kept = [_article_led(_unled(_untitled(m), stops), language) for m in kept]
    # A head noun vouches for the kind, so a single mention of the name is kept; a guessed place yields to it
    # ("de l'Union": the recogniser guesses a lone word after an article is a place).
    return [
        replace(m, kind="organization", guessed=False)
        if (m.kind != "location" or m.guessed) and _is_org(m.name, language) else m
        for m in kept
    ]


def _untitled(m: Mention) -> Mention:
    """The person named after a state body that ends their title ("Consiglio Giorgia Meloni" is Giorgia Meloni)."""
    parts = m.name.split()
    if len(parts) >= 3 and parts[0].lower() in _TITLE_BODIES and parts[1] in gz.first_names():
        rest = m.name[len(parts[0]) + 1:]
        return replace(m, name=rest, kind="person", guessed=False, start=m.end - len(rest))
    return m


def _unled(m: Mention, stops: frozenset[str]) -> Mention:
    """The mention without a capitalised preposition opening its sentence ("Selon Le Monde" is "Le Monde")."""
    first, _, rest = m.name.partition(" ")
    if rest and rest[:1].isupper() and first.lower() in _LEADERS:
        return replace(m, name=rest, start=m.end - len(rest))
    return m


def _article_led(m: Mention, language: str) -> Mention:
    """A name led by a definite article as an organisation, unless it is a listed place or a person's title."""
    first, _, rest = m.name.partition(" ")
    if not rest or first.lower() not in _ARTICLES.get(language, ()) or m.title is not None:
        return m
    if is_place(m.name):
        return replace(m, kind="location", guessed=False)
    if is_place(rest):  # "La France a livré": the article a sentence puts before a country
        return replace(m, name=rest, kind="location", guessed=False, start=m.end - len(rest))
    if m.kind == "location" and not m.guessed:
        return m  # a place a cue vouches for ("à La Rochelle")
    return replace(m, kind="organization", guessed=False)
