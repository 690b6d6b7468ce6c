"""Offline text basics: sentence splitting, word tokens and stop words (language detection: language.py).

sumy's own Tokenizer needs NLTK punkt data that the bot never downloads, so the splitter
here is rule-based: a boundary is any run of . ! ? … (plus closing quotes or brackets)
followed by white space, unless the token before it is a known abbreviation, an initial
or an ordinal, or the next word starts in lower case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from importlib import resources

from sumy.nlp.stemmers import Stemmer

# Languages for which sumy has both a working stemmer and a stop-word list, and whose words
# are separated by spaces (Chinese, Japanese, Korean and Thai need segmenters we lack;
# sumy's Greek and Polish stemmers need extra packages).
LANGUAGES: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "sv": "swedish",
    "cs": "czech",
    "sk": "slovak",
    "uk": "ukrainian",
    "ar": "arabic",
}

# Abbreviations that never end a sentence: they precede a name, number or noun.
_TITLES = {
    "mr", "mrs", "ms", "mx", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt",
    "capt", "cmdr", "adm", "maj", "cpl", "pvt", "spc", "st", "ste", "mt", "ft", "rev", "hon",
    "pres", "supt", "insp", "det", "fr", "sr", "sra", "srta", "dra", "lic", "ing",
    "mme", "mlle", "mgr", "hr", "frau", "str", "herr", "dipl", "vs", "cf", "approx",
    "ca", "vgl", "evtl", "ggf", "inkl", "bd", "av", "avda", "ed", "eds", "op", "sig", "cie",
    "dept", "bros",
}
# Abbreviations before a number: "No. 10", "Nr. 5", "Art. 3", "p. 12".
_NUMBERED = {"no", "nos", "nr", "nº", "núm", "art", "abs", "vol", "p", "pp", "pág", "fig", "tel"}
# Month abbreviations end a sentence only before a capitalised stop word.
_MONTHS = {
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "janv", "févr", "avr", "juil", "déc", "ene", "abr", "ago", "dic", "okt", "dez",
}
# Abbreviations that may also end a sentence ("... in the U.S. The ...", "... etc. Then").
_AMBIGUOUS = {"inc", "ltd", "co", "corp", "plc", "llc", "al", "ag", "gmbh", "sa", "jr", "bzw", "usw"}

_BOUNDARY = re.compile(r"""[.!?…]+['"’”»)\]]*(?=\s)""")
_TOKEN_BEFORE = re.compile(r"""([^\s"'“‘(\[«]*?)[.!?…]+['"’”»)\]]*$""")
_NEXT_WORD = re.compile(r"""\s+['"“‘«(\[¿¡-]*(\S*)""")
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_PARAGRAPHS = re.compile(r"\n\s*\n|\r\n\s*\r\n|\n(?=\s*[-•*–]\s)")


@lru_cache(maxsize=32)
def stop_words(language: str = "en") -> frozenset[str]:
    """sumy's bundled stop words for an ISO code (empty when the language is unknown)."""
    name = LANGUAGES.get(language)
    if name is None:
        return frozenset()
    # Read sumy's file directly: sumy's get_stop_words() resolves the name through pycountry,
    # which costs ~80 ms on first use.
    data = resources.files("sumy").joinpath("data", "stopwords", f"{name}.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in data.splitlines() if w.strip())


@lru_cache(maxsize=32)
def stemmer(language: str = "en") -> Callable[[str], str]:
    """sumy's stemmer for an ISO code, memoised (any callable works as a sumy stemmer)."""
    name = LANGUAGES.get(language, "english")
    # sumy's Stemmer() resolves the name through pycountry, which costs ~100 ms on first
    # use; the same Snowball classes are taken directly here.
    special = Stemmer.SPECIAL_STEMMERS.get(name)
    if special is not None:
        base: Callable[[str], str] = special
    else:
        from nltk.stem import snowball

        base = getattr(snowball, name.capitalize() + "Stemmer")().stem
    return lru_cache(maxsize=65536)(base)


def stem(word: str, language: str = "en") -> str:
    """The sumy (Snowball) stem of a lower-cased word, cached."""
    return stemmer(language)(word.lower())


def words(sentence: str, language: str = "en") -> list[str]:
    """The word tokens of a sentence (letters and digits, inner apostrophes and hyphens kept)."""
    return _WORD.findall(sentence)


def _is_boundary(before: str, nxt: str, punct: str, language: str) -> bool:
    """Decide whether punctuation `punct` after token `before`, followed by word `nxt`, ends a sentence."""
    if not nxt:
        return True
    first = nxt[0]
    if first.islower():
        return False  # "e.g. the", "3 p.m. on", "... and then"
    if "!" in punct or "?" in punct:
        return True
    if punct.startswith("…") or punct.startswith(".."):
        return first.isupper() or first.isdigit() or not first.isalnum()
    token = before.lower()
    bare = token.rstrip(".")
    nxt_word = _WORD.match(nxt)
    nxt_lower = nxt_word.group(0).lower() if nxt_word else ""
    starts_sentence = nxt_lower in stop_words(language) or nxt_lower in stop_words("en")
    if "." in bare and re.fullmatch(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}", bare):
        # Acronyms like U.S. or U.N.: a sentence ends only before a typical sentence opener.
        return starts_sentence
    if bare in _NUMBERED:
        return not first.isdigit()
    if len(bare) == 1 and bare.isalpha():
        return False  # initials: "J. R. R. Tolkien", "M. Macron", "z. B."
    if bare in _TITLES:
        return False
    if bare in _MONTHS and not (bare == "ago" and language == "en"):  # "two years ago. Police"
        return not first.isdigit() and starts_sentence
    if bare in _AMBIGUOUS:
        return starts_sentence
    if bare.isdigit() and language == "de" and len(bare) <= 2:
        return starts_sentence  # German ordinals: "am 3. Oktober"
    return True


def _spans(paragraph: str, language: str) -> Iterator[str]:
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end()
        head = paragraph[max(start, end - 80):end]  # a short look-back keeps this linear
        before_match = _TOKEN_BEFORE.search(head)
        before = before_match.group(1) if before_match else ""
        at = before_match.start(1) if before_match else 0
        if at >= 2 and head[at - 1] in "'’" and head[at - 2].isalnum():
            before = head[at - 1] + before  # "Biden's." or "can't." is no initial
        nxt_match = _NEXT_WORD.match(paragraph, end)
        nxt = nxt_match.group(1) if nxt_match else ""
        if _is_boundary(before, nxt, match.group(0), language):
            piece = paragraph[start:end].strip()
            if piece:
                yield piece
            start = end
    rest = paragraph[start:].strip()
    if rest:
        yield rest


def split_sentences(text: str, language: str = "en") -> list[str]:
    """Split text into sentences offline; blank lines and bullet lines always end a sentence."""
    return [sentence for sentence, _ in split_marked(text, language)]


def split_marked(text: str, language: str = "en") -> list[tuple[str, bool]]:
    """Sentences of `text`, each with a flag that is True for an image caption run into the text.

    A caption is a piece run into the next sentence without closing punctuation (see
    _run_in_split) or one that opens with a short label ("Wanted: ..."). News furniture
    (agency datelines, Daily Mail bylines and time stamps, "Scroll down for video") is
    removed first, so no algorithm ever sees or returns it.
    """
    out: list[tuple[str, bool]] = []
    seams: list[int] = []  # indices in `out` of pieces cut by _run_in_split
    labels: list[int] = []  # indices in `out` of last pieces that open with a caption label
    vocabulary = _Vocabulary(text)
    for paragraph in _PARAGRAPHS.split(text):
        for line in _LINE_BREAK.split(paragraph):
            flat = " ".join(line.split())
            if any(hint in flat for hint in _STAMP_HINTS):  # substring tests are far cheaper
                flat = _STAMPS.sub(" ", flat)
            for span in _spans(flat, language):
                sentence = _LEAD_FURNITURE.sub("", span).strip()
                if not sentence:
                    continue
                if language != "en":
                    out.append((sentence, False))
                    continue
                pieces = _RUN_ON.split(sentence) if _OPENER.search(sentence, 1) else [sentence]
                parts = [part for piece in pieces if piece for part in _run_in_split(piece, vocabulary)]
                # A run-in piece (no closing punctuation before the next sentence's opener)
                # is a picture caption pasted into the text, as Daily Mail pages often have;
                # so is a piece that opens with a short "Label:" ("Wanted: Police have ...").
                for k, (part, seam) in enumerate(parts):
                    if seam:
                        seams.append(len(out))
                    labelled = k == len(parts) - 1 and ":" in part and _is_labelled(part)
                    if labelled:
                        labels.append(len(out))
                    out.append((part, k < len(parts) - 1 or labelled))
    flagged = [i for i, (_, flag) in enumerate(out) if flag]
    if len(flagged) == 1 and seams == flagged:
        # A lone general seam on a page with no other caption is trusted only when the cut-off
        # piece re-states another sentence, as captions do; else it is a title ("bought Flight
        # into Danger for $600").
        i = flagged[0]
        if not _restates(out[i][0], [s for j, (s, _) in enumerate(out) if j != i]):
            out[i:i + 2] = [(f"{out[i][0]} {out[i + 1][0]}", False)]
    elif len(flagged) == 1 and labels == flagged:
        # Likewise a lone "Label: ..." is prose ("Another caveat: Even though ..."): pages
        # with captions have several.
        out[flagged[0]] = (out[flagged[0]][0], False)
    return out


def _restates(piece: str, others: list[str]) -> bool:
    """Whether most (and at least 3) of the longer content words of `piece` recur in one other sentence."""
    stops = stop_words("en")
    mine = {w.lower() for w in _WORD.findall(piece) if len(w) > 3} - stops
    need = max(3, len(mine) / 2)
    return len(mine) >= 3 and any(len(mine & {w.lower() for w in _WORD.findall(o)}) >= need for o in others)


class _Vocabulary:
    """Which words a text writes in lower case, looked up on demand (most texts never ask)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def has(self, word: str) -> bool:
        """Whether `word` stands in the text as a whole word, in this case."""
        at = self.text.find(word)
        while at >= 0:
            end = at + len(word)
            if not _inside_word(self.text[at - 1:at]) and not _inside_word(self.text[end:end + 1]):
                return True
            at = self.text.find(word, at + 1)
        return False


def _inside_word(char: str) -> bool:
    return char.isalnum() or char in "'’-"  # "ultra-short" holds no word "short"


def _is_labelled(piece: str) -> bool:
    """Whether `piece` opens with a caption's label: "Wanted: ", "Fighter ace: ", not a title."""
    label = _CAPTION_LABEL.match(piece)
    if label is None:
        return False
    label_words = label.group(1).split()
    if label_words[-1].lower() in _SPEECH_VERBS or len(label.group(1)) == 1:
        return False  # "Benitez added: ..." introduces speech, "Q: ..." and "A: ..." an interview
    # Title Case ("Fall of an Empire: The Story of ...", "Joy Smith: ...") is a title or a
    # speaker; a label is one word, in sentence case ("Fighter ace") or in capitals.
    names = [w for w in label_words if w.lower() not in stop_words("en")]
    return len(names) < 2 or any(w[:1].islower() for w in names) or all(w.isupper() for w in names)


def _run_in_split(sentence: str, vocabulary: _Vocabulary) -> list[tuple[str, bool]]:
    """Cut `sentence` where a caption runs into the next sentence with no closing punctuation.

    A cut needs a sentence-like seam: a lower-case word that is no function word and no
    possessive ("shot dead by police", "the players' Player"), then a capitalised common word
    (a stop word, or a word the text also writes in lower case, so names and titles like
    "Police Scotland" or "Flight into Danger" stay) followed by a lower-case word.
    """
    pieces: list[tuple[str, bool]] = []  # (piece, True when cut here)
    if sentence[1:].islower():
        return [(sentence, False)]  # no capital after the first letter: no seam (cheap pre-check)
    start = 0
    stops = stop_words("en")
    for match in _RUN_IN.finditer(sentence):  # the text is flat: words are one space apart
        quote, opener = match.groups()
        if opener[0] == "I" and not quote and (len(opener) == 1 or opener[1] in "'’"):
            continue  # "the moment I knew"
        head = sentence[start:match.start()]
        prev = head[head.rfind(" ") + 1:]
        bare = prev.strip(_CLOSERS + _OPENING)
        if (
            not (bare[:1].islower() or bare in _DAYS)
            or bare.lower() in stops
            or (prev[-1] in "'’" and prev[0] not in _OPENING)  # "the players' Player"
            or bare.endswith(("'s", "’s"))
            or head.count('"') % 2 or head.count("“") > head.count("”")  # inside a quotation
            or len(head.split()) < 5
            or len(sentence[match.end():].split()) < 4
        ):
            continue
        lower = opener.lower()
        if lower not in stops and not vocabulary.has(lower):
            continue
        if vocabulary.text.count(f"{bare} {opener}") > 1:
            continue  # a seam that recurs is a fixed term ("infra-red A rays"), not a pasted caption
        pieces.append((head.strip(), True))
        start = match.start()
    pieces.append((sentence[start:].strip(), False))
    return pieces


# A single line break ends a sentence (headings, list lines) unless the text is hard-wrapped:
# the next line starts in lower case, or this one ends in a comma, semicolon or hyphen.
_LINE_BREAK = re.compile(r"(?<![,;\-–])[ \t]*\n(?=[ \t]*[^\s\w]*[^\W\d_](?<![a-zà-ÿ]))")
# Furniture at the start of a sentence: "(CNN)", "New Delhi, India (CNN)", "LONDON, England
# (Reuters) --", "WASHINGTON — ", "Scroll down for video".
# A parenthesised source counts only where a dateline puts it: at the start, or after a
# place name and before a dash or the glued first word, so "Apple (AAPL) shares" stays.
_LEAD_FURNITURE = re.compile(
    r"""^(?:
      \((?:[A-Z][\w.&'’-]*\s?){1,4}\)\s*(?:(?:--|—|–|-)\s*)?
    | [A-Z][\w.'’-]*(?:,?\s[A-Z][\w.'’-]*){0,4},?\s?\((?:[A-Z][\w.&'’-]*\s?){1,4}\)
      (?:\s*(?:--|—|–|-)\s*|(?=[A-Z"“‘']))
    | [A-Z]{3,}(?:,?\s[A-Z][A-Za-z.]*){0,3}\s+(?:--|—|–)\s+(?=[A-Z"“‘'])
    | Scroll\sdown\sfor\s(?:the\s)?videos?\s+(?=\S)
    )+""",
    re.VERBOSE,
)
# Time stamps anywhere: "PUBLISHED: . 12:03 EST, 14 March 2013 . | . UPDATED: . ...",
# "Last updated at 5:42 PM on 3rd January 2012 .", and the Daily Mail's "By . Jane Doe ." byline
# (removed before splitting, which would cut it at its stray full stops).
_STAMP_HINTS = ("By .", "ublished", "UBLISHED", "pdated", "PDATED")
_STAMPS = re.compile(
    r"""(?:^By\s\.\s(?:[A-Z][\w'’-]*\s){1,4}(?:and\s\.?\s?(?:[A-Z][\w'’-]*\s){1,4})?\.(?=\s|$)
       | \b(?:PUBLISHED|UPDATED|Published|Updated)\s?:\s?\.?\s?
         \d{1,2}:\d{2}(?:\s?[AaPp]\.?[Mm]\.?|\s[A-Z]{2,4})?,?\s\d{1,2}\s[A-Z][a-z]+\s\d{4}\s?\.?\s?\|?\s?\.?
       | \bLast\supdated\sat\s\d{1,2}:\d{2}(?:\s?[AaPp][Mm])?\son\s\d{1,2}(?:st|nd|rd|th)?\s[A-Z][a-z]+\s\d{4}\s?\.?
       )""",
    re.VERBOSE,
)
# A caption run into the next sentence: a word ending in lower case, a digit or a closing
# quote, then a capitalised pronoun or article that a sentence opens with, then a lower-case
# word or a number ("... as 'finals' The 26-year-old has ..."). Mid-sentence these words are
# lower case, and names like "The Who" or "It Follows" continue in capitals.
_OPENERS = r"(?:The|He|She|They|His|Her|Their|It|This|These|Those|But|And)"
_OPENER = re.compile(_OPENERS + r"\s+[a-z0-9]")  # cheap pre-check for _RUN_ON
_RUN_ON = re.compile(
    r"(?<=[a-z0-9%’'”])\s+(?=" + _OPENERS + r"\s+[a-z0-9])"
)


# The general run-in seam (see _run_in_split): lower-case end, capitalised word, next word.
_RUN_IN = re.compile(r"""(?<=[a-z0-9’'”)]) (?=([‘'"“]?)([A-Z][a-z][\w’'-]*|A|I|I[’'][a-z]+) [a-z0-9])""")
_DAYS = frozenset("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
_CLOSERS = "'\"’”)]"
_OPENING = "'\"‘“(["
# A caption's label: one to four words and a colon before a capitalised word ("Fighter ace: ").
_SPEECH_VERBS = frozenset("said says added adds told asked explained wrote writes replied continued".split())
_CAPTION_LABEL = re.compile(r"([A-Z][\w'’-]*(?:\s[\w'’-]+){0,3}):\s+[A-Z]")
