"""Names in languages that capitalise every noun (German): only what a list or the shape of a name vouches for.

The recogniser reads a capitalised word as a likely name, which holds for English, French or Spanish
but not for German, where "Einigung", "Streik" and "Stunden" are capitalised too. There a mention is kept
only when a gazetteer or lexicon lists it, when its context cues the kind ("in Frankfurt"), when it starts
with a known given name, when it is an acronym, or when it is a run of capitalised words led by an inflected adjective: German writes adjectives in lower
case except inside proper names ("Deutsche Bahn", "Europäische Zentralbank", "Rotes Kreuz").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.news import gazetteer as gz
from bot.news.ner_text import Mention, is_acronym, is_place, known_org

__all__ = ["NOUN_CAPITALISING", "vouched_names"]

# Languages whose common nouns are capitalised, so capitals say little about names.
NOUN_CAPITALISING = frozenset({"de"})
_ADJECTIVE_ENDINGS = ("e", "es", "en", "em")
# Office words that stand before a name as its title ("Bundeskanzler Olaf Scholz", "Ministerpräsidentin X").
_TITLE_ENDINGS = ("kanzler", "kanzlerin", "minister", "ministerin", "präsident", "präsidentin", "sprecher",
                  "sprecherin", "chef", "chefin", "vorsitzende", "vorsitzender", "leiter", "leiterin", "direktor",
                  "direktorin", "trainer", "trainerin", "meister", "meisterin", "könig", "königin", "papst")
# Compass words: a name led by an adjective and ending in one is a region ("Nahen Osten").
_REGIONS = frozenset("Osten Westen Norden Süden Orient".split())
# Capitalised nouns that pair with others without being a name ("Millionen Euro", "Hundert Prozent").
_QUANTITIES = frozenset(
    "Tausend Tausende Hundert Hunderte Million Millionen Milliarde Milliarden Billion Billionen Prozent Euro "
    "Dollar Franken Pfund Jahre Jahren Stunden Minuten Tage Tagen Wochen Monate Monaten Kilometer Meter".split()
)


def _adjective(word: str) -> bool:
    """Whether a capitalised word is inflected like an adjective ("Deutsche", "Rotes", "Europäischer")."""
    low = word.lower()
    return low.endswith(_ADJECTIVE_ENDINGS) or low.endswith(("scher", "ischer"))


def _is_title(word: str) -> bool:
    """Whether a word is an office used as a title, in any case form ("Präsidenten", "Kanzlers")."""
    low = word.lower()
    return any(low.endswith(t) or low.endswith((t + "en", t + "n", t + "s")) for t in _TITLE_ENDINGS)


def _vouch(mention: Mention) -> Mention | None:
    """The mention with the kind a list, a cue or the name's shape vouches for, or None when nothing does.

    Two capitalised words side by side are a name: German joins nouns into one word and writes adjectives
    in lower case. A title before a name is not part of it: "Bundeskanzler Olaf Scholz" is Olaf Scholz.
    """
    name = mention.name
    parts = name.split()
    if is_place(name):
        return replace(mention, kind="location", guessed=False)
    if mention.cued:
        return replace(mention, guessed=False)
    if known_org(name) or (len(parts) == 1 and is_acronym(name)):
        return replace(mention, kind="organization", guessed=False)
    if len(parts) < 2 or not all(p[:1].isupper() for p in parts) or _QUANTITIES.intersection(parts):
        return None
    if len(parts) >= 3 and _is_title(parts[0]):
        rest = " ".join(parts[1:])
        return replace(mention, name=rest, kind="person", guessed=False, title=parts[0],
                       start=mention.end - len(rest))
    if _adjective(parts[0]):
        kind = "location" if parts[-1] in _REGIONS else "organization"
    elif parts[0] in gz.first_names() or mention.kind == "person":
        kind = "person"
    else:
        kind = mention.kind
    return replace(mention, kind=kind, guessed=False)


def _acronyms_inside(mention: Mention) -> list[Mention]:
    """Acronyms inside a run that is not a name ("Vorsitzende der CDU"): each is an organisation."""
    out, at = [], 0
    for part in mention.name.split():
        at = mention.name.index(part, at)
        if is_acronym(part):
            start = mention.start + at
            out.append(replace(mention, name=part, kind="organization", guessed=False, start=start,
                               end=start + len(part), title=None))
        at += len(part)
    return out


def vouched_names(mentions: Sequence[Mention]) -> list[Mention]:
    """The mentions of a noun-capitalising text that are names, each with the kind that vouches for it.

    A lone word that repeats the last word of a kept name ("Bahn" after "Deutsche Bahn", "Scholz"
    after "Olaf Scholz") is a short form of that name, and is counted as a mention of it.
    """
    vouched = [_vouch(m) for m in mentions]
    full: dict[str, Mention] = {}
    for v in vouched:
        if v is not None and " " in v.name:
            full.setdefault(v.name.split()[-1], v)
    kept: list[Mention] = []
    for m, v in zip(mentions, vouched, strict=True):
        if v is not None:
            kept.append(v)
        elif " " not in m.name and m.name in full:
            kept.append(replace(m, name=full[m.name].name, kind=full[m.name].kind, guessed=False))
        else:
            kept.extend(_acronyms_inside(m))
    return kept
