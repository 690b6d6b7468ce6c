"""Text evidence for the recogniser: tokens with offsets, sentence starts, line modes, per-text word sightings."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.news import gazetteer as gz
from bot.news import lexicon as lx

TOKEN = re.compile(
    r"(?:[A-Z]\.){2,}"  # U.S., U.N.
    r"|[^\W\d_][\w]*(?:(?:[-&]|['’](?![sS]\b))[\w]+)*"  # words, O'Neill, al-Assad, AT&T; "'s" stays apart
    r"|\d[\d.,:/-]*\w*"
    r"|['’][sS]\b"
    r"|\S"
)
ABBREV = frozenset("Mr Mrs Ms Dr St Jr Sr Gen Sen Rep Gov Lt Col Capt Sgt Prof Rev Corp Inc Co Ltd No Mt Ft".split())
SENT_END = frozenset(".!?")
ROMAN = frozenset("I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI".split())
OPENERS = frozenset("\"'“‘([-–—")
# Words Title Case headings leave in lower case.
SMALL_WORDS = frozenset("a an the and or but nor for on at to from by of in into with as vs via per over up off out".split())
# French, Italian and Catalan elide an article or a word before a vowel ("l'Ukraine", "dell'Unione", "qu'Israël"):
# the name starts after the apostrophe. "D'Alema", "O'Neill" and "Côte d'Ivoire" are names themselves.
ELISION = re.compile(
    r"(?:[lL]|d|[qQ]u|lorsqu|puisqu|jusqu|quoiqu|[dDnN]ell|[aA]ll|[dD]all|[sS]ull|coll|[dDnN]egl|[aA]gl|[dD]agl|[sS]ugl"
    r"|[qQ]uell|[qQ]uest|un)"
    r"['’](?=[^\W\d_])"
)



@dataclass
class Tok:
    """One token of a line, with its character offsets in the whole text."""

    text: str
    start: int
    end: int
    sent_start: bool = False


@dataclass(frozen=True)
class Mention:
    """One name found in the text, with where it is and the title words just before it."""

    name: str
    kind: str
    start: int
    end: int
    title: str | None = None  # title words inside the capitalised run ("US President")
    attributive: bool = False  # a place used as a modifier ("US officials") or inside a title
    guessed: bool = False  # no list or cue vouched for the name or its kind
    cued: bool = False  # a guess that the words around it support ("the town of X", "X shares")


def is_place(name: str) -> bool:
    """Whether a name is a listed place or a short form of one ("U.S.", "Britain")."""
    return name in gz.places() or name in lx.PLACE_ACRONYMS or lx.CANONICAL.get(name, "") in gz.places()


def known_org(name: str) -> bool:
    """Whether a name is a listed organisation ("NATO", "World Bank")."""
    return name in lx.KNOWN_ORGS or name in lx.KNOWN_ORG_PHRASES


def is_cap(word: str) -> bool:
    """Whether a word is written like the start of a name."""
    if word[:3] in {"al-", "el-"}:  # "al-Assad", "el-Sheikh"
        return word[3:4].isupper()
    if word[-1:] in {"'", "’"}:
        return False  # an elided article split off a name ("L'" of "L'Union")
    return word[:1].isupper() and word[:1].isalpha() and (len(word) > 1 or word in ROMAN)


def is_acronym(word: str) -> bool:
    """Whether a word is an all-capitals abbreviation ("NATO", "U.N.")."""
    letters = word.replace(".", "").replace("&", "")
    return 2 <= len(letters) <= 6 and letters.isupper() and letters.isalpha()


def line_mode(words: list[str]) -> str:
    """'caps' for ALL-CAPS lines, 'title' for Title Case headings, else 'text'."""
    if words[:2] == ["-", "-"]:
        return "text"  # "-- Jane Roe, Paris Newsroom +33 ...": a sign-off, names in running form
    alpha = [w for w in words if w[:1].isalpha()]
    if len(alpha) < 2:
        return "text" if not alpha or not alpha[0].isupper() or len(alpha[0]) < 2 else "caps"
    upper = sum(1 for w in alpha if w.isupper() and len(w) > 1)
    if upper >= 0.6 * len(alpha):
        return "caps"
    lower_content = [w for w in alpha if w[:1].islower() and w not in SMALL_WORDS]
    if len(alpha) >= 3 and not lower_content and words[-1] not in SENT_END:
        return "title"
    return "text"


def _address_part(toks: list[Tok], i: int) -> bool:
    """Whether a token is glued to a dot or '@' inside "jane.roe@...": an address, not a word in use."""
    for k in (i - 1, i + 1):
        if (0 < k < len(toks) - 1 and toks[k].text in {".", "@"}
                and toks[k - 1].end == toks[k].start and toks[k].end == toks[k + 1].start):
            return True
    return False


class DocEvidence:
    """Per-text evidence: which words are seen lower-case, and which names were found."""

    def __init__(self, lines: list[tuple[int, str, list[Tok]]]) -> None:
        self.lower_seen: set[str] = set()
        self.cap_seen: set[str] = set()
        for _, mode, toks in lines:
            if mode != "text":
                continue
            for i, t in enumerate(toks):
                w = t.text
                if w[:1].islower():
                    if not _address_part(toks, i):
                        self.lower_seen.add(w)
                elif is_cap(w) and not t.sent_start:
                    self.cap_seen.add(w)
        self.lower_seen_folded = {w.casefold() for w in self.lower_seen}
        self.known: dict[str, Counter[str]] = {}
        self.strong: dict[str, Counter[str]] = {}
        self.cued: dict[str, Counter[str]] = {}
        self.person_parts: set[str] = set()
        self.surnames: dict[str, str] = {}

    def learn(self, name: str, kind: str, strong: bool = True, cued: bool = False) -> None:
        """Remember a name found in running text, for headlines and later mentions; a guess counts less."""
        # vouched mentions outweigh cued ones, which outweigh bare guesses, however many
        self.known.setdefault(name.casefold(), Counter())[kind] += 100 if strong else 10 if cued else 1
        if strong:
            self.strong.setdefault(name.casefold(), Counter())[kind] += 1
        if strong or cued:
            self.cued.setdefault(name.casefold(), Counter())[kind] += 1
        if kind == "person" and " " in name:
            self.person_parts.update(name.split())
            self.surnames[name.split()[-1].casefold()] = name

    def kind_of(self, name: str, strong: bool = False, cued: bool = False) -> str | None:
        """The kind most mentions of this name had so far (only those a list, or also a cue, vouched for)."""
        c = (self.strong if strong else self.cued if cued else self.known).get(name.casefold())
        return c.most_common(1)[0][0] if c else None


_TAILS = frozenset("bound born made style run era wide type area class level owned led based".split())


def _compound_tail(tail: str) -> bool:
    """Whether a lower-case part after a hyphen makes an adjective ("-based"), unlike "In-mo" of a Korean name."""
    return tail[:1].islower() and (tail in _TAILS or tail.endswith(("ed", "ing", "ern")))


def compound_tail(token: str) -> bool:
    """Whether a token is the "-based" of "New York-based": a hyphen and an adjective-making tail."""
    return token[:1] == "-" and _compound_tail(token[1:])


def _elided(word: str, cut: int, before: list[Tok]) -> bool:
    """Whether an apostrophe splits an elided word from a name ("l'Union"), not a name from its own part."""
    rest = word[cut:]
    if not rest[:1].isupper() or is_place(word):  # "l'aide" is no name; "L'Aquila" is one
        return False
    prev = before[-1].text if before else ""
    if word[:1].isupper():  # capitalised: the article belongs to the name ("selon L'Équipe") unless a sentence starts
        return not prev or prev in SENT_END or prev in OPENERS or prev == ":"
    return not (cut == 2 and word[0] == "d" and is_cap(prev))  # "Côte d'Ivoire", "Giscard d'Estaing"


def tokenise(text: str) -> list[tuple[int, str, list[Tok]]]:
    """Lines as (offset, mode, tokens), tokens marked where a sentence starts."""
    out: list[tuple[int, str, list[Tok]]] = []
    pos = 0
    for line in text.split("\n"):
        toks = []
        for m in TOKEN.finditer(line):
            w, at = m.group(), pos + m.start()
            head, dash, tail = w.rpartition("-")
            if dash and head[:1].isupper() and _compound_tail(tail):  # "New York-based", "Amman-bound"
                toks += [Tok(head, at, at + len(head)), Tok(dash + tail, at + len(head), at + len(w))]
            elif ("'" in w or "’" in w) and (el := ELISION.match(w)) and _elided(w, el.end(), toks):
                toks += [Tok(w[:el.end()], at, at + el.end()), Tok(w[el.end():], at + el.end(), at + len(w))]
            else:
                toks.append(Tok(w, at, at + len(w)))
        start = True
        for i, t in enumerate(toks):
            if t.text[:1].isalnum():
                t.sent_start = start
                start = False
            elif t.text == ":" or (t.text in SENT_END and not (i and (toks[i - 1].text in ABBREV or len(toks[i - 1].text) == 1))):
                start = True
            elif t.text in OPENERS and start is False and i and toks[i - 1].text in SENT_END:
                start = True
        out.append((pos, line_mode([t.text for t in toks]), toks))
        pos += len(line) + 1
    return out


_CONNECTORS = frozenset("of for and in on the de du des la le del & '".split())
_MAX_DEFINED = 14


def _initials(word: str) -> str:
    return word.replace(".", "") if is_acronym(word) else word[3] if word[:3] in {"al-", "el-"} else word[0]


def acronym_spans(toks: list[Tok]) -> list[tuple[int, int]]:
    """Token spans that an acronym in brackets right after them spells ("Council for Trade and Industry in Ruritania (CTIR)")."""
    spans: list[tuple[int, int]] = []
    for i, t in enumerate(toks):
        if t.text != "(" or i + 2 >= len(toks) or toks[i + 2].text != ")" or not is_acronym(toks[i + 1].text):
            continue
        acr = toks[i + 1].text.replace(".", "").replace("&", "")
        best = None
        for j in range(i - 1, max(-1, i - 1 - _MAX_DEFINED), -1):
            w = toks[j].text
            if not is_cap(w) and not is_acronym(w):
                if w in _CONNECTORS:
                    continue
                break
            letters = "".join(_initials(toks[k].text) for k in range(j, i) if is_cap(toks[k].text))
            if letters[0] == acr[0] and letters[-1] == acr[-1] and _subsequence(acr, letters):
                best = j
        if best is not None and any(toks[k].text in _CONNECTORS for k in range(best, i)):
            spans.append((best, i))
    return spans


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)
