"""Name mentions of articles not in English: the recogniser's English habits adjusted per language.

The recogniser's lists and cues are English. In other languages a sentence's capitalised first word is
often an article ("Le", "El", "Der"), and organisations are named by a head noun the English lists do
not hold ("Partido Popular", "Unión Europea", "Bundesregierung"): without these rules they came out as
people. German needs more still (see ner_nouncase).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.news.ner_nouncase import NOUN_CAPITALISING, vouched_names
from bot.news.ner_text import Mention
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
    # A head noun vouches for the kind, so a single mention of the name is kept.
    return [
        replace(m, kind="organization", guessed=False) if m.kind != "location" and _is_org(m.name, language) else m
        for m in kept
    ]
