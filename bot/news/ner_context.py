"""Evidence around a name for the recogniser: neighbouring words, lists of names, datelines, the whole text's vote."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from bot.news import gazetteer as gz
from bot.news import lexicon as lx
from bot.news.ner_text import DocEvidence, Mention, Tok, is_place

# "TVER, Russia 2021-03-04", "ALBANY, N.Y. (Reuters) -": the place a story was filed from
DATELINE = re.compile(r"^\s*([A-Z][A-Z.'\- ]+?)\s*(?:,\s*([A-Z][A-Za-z.]+(?: [A-Z][a-z]+)?)\s*)?"
                       r"(\d{4}-\d\d-\d\d|\(|-\s)", re.MULTILINE)
LOC_PREPS = frozenset("in at near from to outside across via into toward towards".split())


def context_kind(kind: str, toks: list[Tok], run: list[int], nouns_only: bool = False) -> tuple[str, bool]:
    """A guessed kind checked against the words around the name, and whether any of them vouched for it.

    With nouns_only, only the common nouns around a name count ("X newspaper", "the town of X"): enough to
    overrule a kind that a given name or a surname ending suggested.
    """
    def at(k: int) -> str:
        return toks[k].text if 0 <= k < len(toks) else ""

    nxt, nxt2 = at(run[-1] + 1).lower(), at(run[-1] + 2).lower()
    prev, prev2 = at(run[0] - 1), at(run[0] - 2).lower()
    if nxt in lx.PLACE_NOUNS or (prev == "of" and prev2 in lx.PLACE_NOUNS):
        return "location", True  # "Hunan province", "the town of Veltrana"
    if (nxt in lx.ORG_NOUNS or (nxt in {"'s", "’s", "common"} and nxt2 in lx.ORG_NOUNS)
            or (prev == "of" and prev2 in lx.STAKE_NOUNS) or (nxt in {"was", "were"} and nxt2 in {"up", "down"})):
        return "organization", True  # "Pravda newspaper", "Acme's shares", "20 percent of Acme", "Acme was up"
    if prev in lx.ORG_ROLE_NOUNS:
        return "organization", True  # "mineral water firm Aquafon", "telecoms operator Telvio"
    if nouns_only:
        return kind, False
    if prev in lx.PERSON_ROLE_NOUNS or (nxt == "," and nxt2.isdigit() and at(run[-1] + 3) in {",", "--"}):
        return "person", True  # "analyst Orla Brinkmann", "Chilean president Bachelet", "Jan Roe, 19,"
    if nxt == "," and is_place(at(run[-1] + 2)) and kind != "person":
        return "location", True  # "Kelvara, Norway"
    if len(run) == 1 and (prev.lower() in LOC_PREPS or (prev == "the" and prev2 in LOC_PREPS)):
        return "location", True  # "in Kelvara", "into the Sahel"
    return kind, False


LIST_GLUE = frozenset({",", "and", "or", ", and", ", or"})


def coordinate(text: str, found: list[Mention], doc: DocEvidence) -> list[Mention]:
    """Guessed names listed with vouched ones take their kind ("Shell, Quavil and Norpetra" are all firms)."""
    groups: list[list[int]] = [[0]] if found else []
    for i in range(1, len(found)):
        glue = " ".join(text[found[i - 1].end:found[i].start].split()).replace(" ,", ",")
        if glue in LIST_GLUE:
            groups[-1].append(i)
        else:
            groups.append([i])
    out = list(found)
    for g in groups:
        vouched = Counter(k for i in g if (k := doc.kind_of(found[i].name, cued=True)))
        if len(g) < 2 or not vouched or len(vouched) > 1:
            continue
        kind = vouched.most_common(1)[0][0]
        for i in g:
            m = found[i]
            if m.guessed and not doc.kind_of(m.name, cued=True) and m.kind != kind:
                out[i] = replace(m, kind=kind)
                doc.learn(m.name, kind)
    return out


def dateline(text: str, line_start: int, toks: list[Tok], doc: DocEvidence, out: list[Mention]) -> list[Tok]:
    """Record a dateline's place (and its region after the comma); the tokens after it, or all if none."""
    dl = DATELINE.match(text, line_start, line_start + 120)
    if not dl or not toks or toks[0].start != dl.start(1) or sum(c.isalpha() for c in dl.group(1)) < 3:
        return toks
    name = dl.group(1).strip()
    if dl.group(3)[0] == "-" and not (gz.places_folded().get(name.casefold()) or doc.kind_of(name) == "location"):
        return toks  # "MARKET REPORT - Ruritania": a rubric, not a place
    out.append(Mention(name, doc.kind_of(name) or "location", dl.start(1), dl.start(1) + len(name)))
    if dl.group(2):
        region = dl.group(2).rstrip(".") if dl.group(2).count(".") == 1 else dl.group(2)
        out.append(Mention(region, "location", dl.start(2), dl.start(2) + len(region)))
    end = dl.end(2) if dl.group(2) else dl.end(1)
    return [t for t in toks if t.start >= end]


def relabel(found: list[Mention], doc: DocEvidence) -> list[Mention]:
    """Give every spelling of a name the kind most of its mentions have."""
    out: list[Mention] = []
    for m in found:
        kind = doc.kind_of(m.name) or m.kind
        if len(m.name.split()) == 1 and m.name in doc.person_parts and not is_place(m.name):
            kind = "person"
        out.append(m if kind == m.kind else replace(m, kind=kind))
    return out
