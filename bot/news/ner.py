"""Rule-based recognition of people, organisations and places: capitalised chunks, gazetteers and context.

Linear in the text length; the only data are the lists of bot/data and bot/news/lexicon.py.
"""

from __future__ import annotations

from functools import lru_cache

from bot.news import gazetteer as gz
from bot.news import lexicon as lx
from bot.news.ner_context import LOC_PREPS, context_kind, coordinate, dateline, relabel
from bot.news.ner_text import (
    ABBREV,
    ROMAN,
    DocEvidence,
    Mention,
    Tok,
    acronym_spans,
    compound_tail,
    is_acronym,
    is_cap,
    is_place,
    known_org,
    tokenise,
)

_PERSON_ENDINGS = ("ov", "ova", "ev", "eva", "sky", "ski", "ska", "enko", "vic", "vich", "ovic", "ic", "escu",
                   "ez", "son", "sen", "ini", "elli", "etti", "akis", "opoulos", "yan", "ian", "shvili", "ides")
_SPEECH = frozenset("said says told added reported announced".split())
_QUOTES = frozenset("\"“”'‘’")


def _classify(words: list[str], prev: str, nxt: str, titled: bool, doc: DocEvidence) -> tuple[str, bool] | None:
    """The kind of a capitalised run and whether it is only a guess, or None when it is not a name."""
    name = " ".join(words).replace(" .", ".")  # "N . Korea" is written "N. Korea"
    if name in lx.ORG_PLACES:
        return "location", False
    if known_org(name) or (len(words) > 2 and known_org(" ".join(words[-2:]))):
        return "organization", False  # "International Red Cross"
    last = words[-1]
    if last in lx.EVENT_WORDS or (len(words) == 1 and name in lx.MARKET_WORDS):
        return None
    if name.isupper() and len(name) > 3 and gz.common_word(name.capitalize()):
        return None  # "NOTE", "ISSUE": a label in capitals, not an acronym
    if (is_place(name) or (name.isupper() and len(name) > 3 and name.casefold() in gz.places_folded())) and not titled:
        return "location", False
    if prev == "," and name in lx.STATE_ABBREVS:
        return "location", False
    if len(words) > 1 and (last in lx.STATE_WORDS or (last in lx.PLACE_SUFFIXES and last != "Bank")):
        return "location", False
    if len(words) > 1 and (any(w in lx.ORG_SUFFIXES for w in words[1:]) or (words[0] in lx.ORG_HEADS and "of" in words)):
        return "organization", False
    learned = doc.kind_of(name, strong=True)
    if learned:
        return learned, False
    if titled:
        return "person", False
    if len(words) == 1 and name in doc.person_parts:
        return "person", False
    if is_acronym(name) or "&" in words:
        return "organization", False  # "Harper & Quill": partners' names joined make a firm
    if gz.common_word(last):  # "Refunds", "Silent Rivers": ordinary words; "Acme Controls": a firm
        content = [w for w in words if w not in lx.PARTICLES and w not in {"of", "and", "for", "the"}]
        if all(map(gz.common_word, content)):
            return ("organization", True) if "of" in words else None  # "Union of Concerned Scientists"
        if last.endswith("s"):  # "Acme Controls", "Grain Traders"; "Jane Baker" is a person
            return "organization", True
    if len(words) > 1 and gz.common_word(words[0]) and gz.places().get(last, 0) >= 10_000_000:
        return "organization", True  # "Statistics Norway": a body named after its country
    if words[0] in gz.first_names() and (len(words) > 1 or nxt.lower() in {"said", "says", "told", "who"}
                                         or (words[0][1:].islower() and len(words[0]) > 2)):
        return "person", False
    if last.lower().endswith(_PERSON_ENDINGS) and len(words) <= 3 and len(last) > 4:
        return "person", False
    return _guess(words, prev, nxt, doc), True


def _soft_person(words: list[str]) -> bool:
    """Whether only a given name or a surname ending made a run a person (not a title or a known name)."""
    return words[0] in gz.first_names() or words[-1].lower().endswith(_PERSON_ENDINGS)


def _guess(words: list[str], prev: str, nxt: str, doc: DocEvidence) -> str:
    """A kind for a run no list or cue vouches for, from its shape and neighbours."""
    name = " ".join(words)
    if prev.lower() in LOC_PREPS and len(words) == 1:
        return "location"
    parts = [w for w in words if w not in lx.PARTICLES and w != "." and not (len(w) == 1 and w.isupper())]
    if len(parts) in (2, 3) and all(_name_word(w, doc) for w in parts) and not is_place(parts[0]):
        return "person"
    if len(words) == 1 and name[1:].islower() and (nxt in _SPEECH or _verb_like(nxt)) and prev in {"", ".", ":"}:
        return "person"
    if len(words) == 1 and name[1:].islower() and prev.lower() != "the" and nxt not in _SPEECH:
        return "location"
    return "organization"


def _name_word(word: str, doc: DocEvidence) -> bool:
    """Whether a word is shaped like a personal name: "Jiechi", "al-Assad", "O'Neill", not "Rights"."""
    core = word[3:] if word[:3] in {"al-", "el-"} else word
    core = core.replace("'", "").replace("-", "")
    return core[:1].isupper() and core[1:].islower() and word.lower() not in doc.lower_seen


def _verb_like(word: str) -> bool:
    return word[:1].islower() and word.endswith("ed") and len(word) > 4


def _runs(toks: list[Tok], doc: DocEvidence) -> list[list[int]]:
    """Index runs of capitalised tokens, joined across particles, 'of' after heads, '&' and initials."""
    runs: list[list[int]] = []
    cur: list[int] = []
    n = len(toks)
    for i, t in enumerate(toks):
        w = t.text
        initial = len(w) == 1 and w.isupper() and i + 2 < n and toks[i + 1].text == "." and is_cap(toks[i + 2].text)
        if (is_cap(w) or initial) and not _skip(t, toks, i, doc):
            cur.append(i)
            continue
        nxt_cap = i + 1 < n and is_cap(toks[i + 1].text)
        if cur and nxt_cap:
            prev = toks[cur[-1]].text
            first = toks[cur[0]].text
            opened = first not in lx.TITLES and (
                first in lx.OF_HEADS or any(toks[k].text in {"of", "for"} for k in cur))
            if (w in lx.PARTICLES or w == "&" or (w in {"of", "for", "and"} and prev in lx.OF_HEADS)
                    or (w == "on" and prev in lx.ORG_HEADS)
                    or (w in {"'s", "’s"} and toks[i + 1].text in lx.ORG_SUFFIXES)  # "Sheriff's Office"
                    or (w in {"of", "for", "and"} and opened)
                    or (w == "." and (len(prev) == 1 or prev in ABBREV))):
                cur.append(i)
                continue
        if cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    # connecting words never end a run
    return [r[: max(j for j, k in enumerate(r) if is_cap(toks[k].text)) + 1] for r in runs]


def _skip(t: Tok, toks: list[Tok], i: int, doc: DocEvidence) -> bool:
    """Whether a capitalised word is not part of a name (sentence-initial common words, months, ...)."""
    w = t.text
    if w in ROMAN and i and is_cap(toks[i - 1].text) and not t.sent_start:
        return False  # "Elizabeth I", "Leopold III"
    if w in lx.HARD_NON_NAMES:
        return True
    if not t.sent_start:
        return False
    if i + 1 < len(toks) and is_place(f"{w} {toks[i + 1].text}"):
        return False  # "New York", "South Africa" at the start of a sentence
    if i + 2 < len(toks) and toks[i + 1].text == "." and is_place(f"{w}. {toks[i + 2].text}"):
        return False  # "N. Korea"
    if w in lx.NON_NAMES and w not in lx.TITLES:
        return True
    if w.lower() in doc.lower_seen and w not in doc.cap_seen and not is_place(w) and w not in lx.TITLES:
        return True
    nxt = toks[i + 1].text if i + 1 < len(toks) else ""
    if is_cap(nxt) or w in doc.cap_seen or is_place(w) or known_org(w) or w in lx.TITLES:
        return False
    if nxt.lower() in lx.ORG_NOUNS or nxt.lower() in lx.PLACE_NOUNS:
        return False  # "Pravda newspaper said", "Hunan province has"
    if (nxt in _SPEECH or _verb_like(nxt)) and not w.endswith(("s", "ing", "ly")):
        return False  # "Psaki characterized ...": a subject nobody lists
    return w not in gz.first_names() and not is_acronym(w)


def _split_title(words: list[str]) -> int:
    """How many leading words of a run are a title ("US President", "Foreign Minister"), 0 if none."""
    if words[-1] in lx.ORG_SUFFIXES or known_org(" ".join(words)):
        return 0
    cut = 0
    for j, w in enumerate(words[:-1]):
        if _title_head(w) or (w in lx.TITLES and j + 1 < len(words) and words[j + 1] in lx.TITLES):
            cut = j + 1
    while cut < len(words) - 1:
        if words[cut] in lx.TITLES:
            cut += 1
        elif words[cut] in {"of", "for"} and cut + 2 < len(words) and is_cap(words[cut + 1]):
            cut += 2  # "Secretary of State", "Minister for Trade"
        else:
            break
    return cut


_DEMONYM_ENDINGS = (("ns", ""), ("n", ""), ("ese", ""), ("ese", "a"), ("i", ""), ("is", ""), ("ians", ""),
                    ("ian", ""), ("ian", "a"), ("ians", "a"), ("an", "a"), ("ans", "a"), ("ish", ""), ("ish", "land"))


@lru_cache(maxsize=8192)
def _demonym(word: str) -> bool:
    """Nationality words: listed ones, or a country's name plus a usual ending ("Surinamese", "Libyans")."""
    if word in lx.DEMONYMS:
        return True
    if not word[:1].isupper() or len(word) < 5 or is_place(word):
        return False
    countries = gz.places()
    for end, stem_end in _DEMONYM_ENDINGS:
        if word.endswith(end) and countries.get(word[: -len(end)] + stem_end, 0) >= 10_000_000:
            return True
    return False


def _title_head(word: str) -> bool:
    return word in lx.TITLE_HEADS or ("-" in word and all(p in lx.TITLES for p in word.split("-")))


def _emit_run(run: list[int], toks: list[Tok], doc: DocEvidence, out: list[Mention]) -> None:
    words = [toks[k].text for k in run]
    cut = _split_title(words)
    # drop nationalities: "Chinese President" (but keep "Chinese Foreign Ministry", "Saudi Arabia")
    whole = " ".join(words)
    is_org = words[-1] in lx.ORG_SUFFIXES or words[-1] in lx.STATE_WORDS or known_org(whole) or is_place(whole)
    lo = 0
    while lo < len(words) and _demonym(words[lo]) and not is_org:
        lo += 1
    prev = toks[run[0] - 1].text if run[0] else ""
    nxt = toks[run[-1] + 1].text if run[-1] + 1 < len(toks) else ""
    title = None
    if cut:
        title = " ".join(words[:cut])
        seg: list[int] = []
        for k in [*run[lo:cut], -1]:  # the title's own names: "US" of "US President", "Fed" of "Fed Chairman"
            if k >= 0 and toks[k].text not in lx.TITLES and not _title_head(toks[k].text):
                seg.append(k)
            elif seg:
                _emit_plain(seg, toks, doc, out, prev, toks[seg[-1] + 1].text, attributive=True)
                seg = []
        lo = max(lo, cut)
    head = run[lo:]
    if not head or all(toks[k].text in lx.TITLES for k in head):
        return
    if len(head) < len(run[lo:]) and all(toks[k].text in lx.COMPASS for k in head):
        return  # "South Korean", "North American": an adjective, not a place
    rest = [toks[k].text for k in head[1:]]
    if (len(head) > 1 and toks[head[0]].text in lx.PLACE_ACRONYMS  # "U.S. Navy officials", not "U.S. Treasury"
            and not (rest[-1] in lx.ORG_SUFFIXES or known_org(" ".join(rest)) or rest[-1] in lx.GOVERNMENT_BODIES)):
        _emit_plain(head[:1], toks, doc, out, prev, toks[head[1]].text, attributive=True)
        prev, head = toks[head[0]].text, head[1:]
    _emit_plain(head, toks, doc, out, prev, nxt, title=title)


def _emit_plain(run: list[int], toks: list[Tok], doc: DocEvidence, out: list[Mention], prev: str, nxt: str,
                title: str | None = None, attributive: bool = False) -> None:
    while run and not (is_cap(toks[run[0]].text) or (len(toks[run[0]].text) == 1 and toks[run[0]].text.isupper())):
        run = run[1:]
    stripped = False
    while run and _demonym(toks[run[-1]].text):
        run, stripped = run[:-1], True
    if not run or (stripped and all(toks[k].text in lx.COMPASS for k in run)):
        return
    words = [toks[k].text for k in run]
    if all(_demonym(w) or w in lx.NON_NAMES or w in ROMAN for w in words):
        return
    if any(_demonym(p) for w in words if "-" in w for p in w.split("-")):
        return
    titled = title is not None and title.split()[-1] in lx.TITLE_HEADS
    after_tok = toks[run[-1] + 1] if run[-1] + 1 < len(toks) else None
    if after_tok and after_tok.start == toks[run[-1]].end and compound_tail(after_tok.text):
        return  # "Paris-based", "Kyiv-backed": an adjective describing something else
    if nxt in lx.INSTRUMENT_NOUNS and words[-1] not in lx.ORG_SUFFIXES:
        return  # "the Hang Seng index", "Brent futures": a market measure, not an actor
    found = _classify(words, prev, nxt, titled, doc)
    if found is None:
        return
    kind, guessed = found
    cued = False
    if guessed:
        if len(words) == 1 and any(c.isdigit() for c in words[0]):
            return  # "F-35", "M16s", "Q3": model numbers and periods
        if prev in _QUOTES and nxt in _QUOTES:
            return  # a whole quotation in capitals is a title or a slogan ("Silent Rivers", "Stand Firm")
        kind, cued = context_kind(kind, toks, run)
        cued = cued or (kind == "organization" and len(words) > 1 and gz.common_word(words[-1]))
    elif kind == "person" and title is None and not doc.kind_of(" ".join(words), strong=True) and _soft_person(words):
        kind = context_kind(kind, toks, run, nouns_only=True)[0]  # "Le Monde newspaper", "the town of Castelli"
    name = _surface(run, toks)
    after = toks[run[-1] + 2].text if run[-1] + 2 < len(toks) else ""
    modifier = nxt.isalpha() and nxt.islower() and nxt not in lx.ROLE_STOP and nxt not in _SPEECH and not _verb_like(nxt)
    attributive = attributive or (kind == "location" and (modifier or (nxt == "and" and _demonym(after))))
    out.append(Mention(name, kind, toks[run[0]].start, toks[run[-1]].end, title, attributive, guessed, cued))


def _surface(run: list[int], toks: list[Tok]) -> str:
    parts: list[str] = []
    for a, b in zip(run, [*run[1:], None], strict=True):
        parts.append(toks[a].text)
        if b is not None and toks[b].start > toks[a].end:
            parts.append(" ")
    return "".join(parts)


def _caps_line(toks: list[Tok], doc: DocEvidence, out: list[Mention]) -> None:
    """Names in ALL-CAPS or Title Case lines: only what a list or the rest of the text vouches for."""
    words = [t.text for t in toks]
    i = 0
    while i < len(toks):
        hit = None
        for n in range(min(5, len(toks) - i), 0, -1):
            span = toks[i:i + n]
            if not all(t.text[:1].isalpha() or t.text in {"&", "."} for t in span):
                continue
            name = _surface(list(range(i, i + n)), toks)
            kind = _vouched(name, doc, words)
            if kind:
                hit = (n, name, kind)
                break
        if hit:
            n, name, kind = hit
            out.append(Mention(name, kind, toks[i].start, toks[i + n - 1].end))
            i += n
        else:
            i += 1


def _vouched(name: str, doc: DocEvidence, words: list[str]) -> str | None:
    folded = name.casefold()
    kind = doc.kind_of(name)
    if kind:
        return kind
    if folded in doc.surnames:
        return "person"
    if folded in lx.NON_NAMES_FOLDED or _demonym(name.title()) or folded in doc.lower_seen_folded:
        return None
    place = gz.places_folded().get(folded)
    if place and (gz.places()[place] >= 1_000_000 or " " in place):
        return "location"
    if folded in lx.KNOWN_ORGS_FOLDED:
        return "organization"
    return None


def find_mentions(text: str) -> list[Mention]:
    """Every name mention in order of appearance, with its kind and any title before it."""
    lines = tokenise(text)
    doc = DocEvidence(lines)
    found: list[Mention] = []
    for line_start, mode, toks in lines:
        if mode == "text":
            toks = dateline(text, line_start, toks, doc, found)
            before = len(found)
            defined = acronym_spans(toks)
            for run in _runs(toks, doc):
                if not any(a <= k < b for k in run for a, b in defined):
                    _emit_run(run, toks, doc, found)
            for a, b in defined:  # the name an acronym spells is one name, "in Europe" and all
                name = _surface(list(range(a, b)), toks)
                found.append(Mention(name, "location" if is_place(name) else "organization", toks[a].start, toks[b - 1].end))
            found[before:] = sorted(found[before:], key=lambda m: m.start)
            for m in found[before:]:
                doc.learn(m.name, m.kind, strong=not m.guessed, cued=m.cued)
    for line_start, mode, toks in lines:
        if mode == "text":
            continue
        rest = dateline(text, line_start, toks, doc, found)
        if len(rest) < len(toks):
            continue
        _caps_line(toks, doc, found)
    found.sort(key=lambda m: m.start)
    return relabel(coordinate(text, found, doc), doc)


def recognise(text: str, language: str = "en") -> list[tuple[str, str]]:
    """Raw (name, kind) mentions in order of appearance; kind in person/organization/location."""
    return [(m.name, m.kind) for m in find_mentions(text)]
