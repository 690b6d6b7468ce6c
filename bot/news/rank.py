"""Candidate sentences for summaries, and the position-aware "news" ranking.

Candidates exclude what a reader never wants in a summary: boilerplate (bylines, "Read
more", credits, calls to action), picture captions run into the text, fragments under MIN_WORDS words, sentences that repeat
the headline, and near-repeats of an earlier sentence.

The "news" ranking follows the inverted pyramid: a sentence's score is a position prior
(the lead carries the facts) times how central it is (cosine similarity of its content
stems to the headline and to the whole text), with a mild penalty for very long sentences,
which summaries of news rarely quote whole.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.models import Article
from bot.news.text import split_marked, stem, stop_words, words

MIN_WORDS = 4
# Work bound: only the first MAX_CANDIDATES eligible sentences are scored by any algorithm;
# news front-loads its facts, and every later stage is at least linear in this number.
MAX_CANDIDATES = 200
# Tuned on the CNN/DM dev split only (see bench/bench_summaries.py); few and coarse on purpose.
POSITION_DECAY = 3.0    # prior = 1 / (1 + decay * position)
HEADLINE_WEIGHT = 0.3   # weight of similarity to the headline against similarity to the text
LONG_WORDS = 25         # sentences longer than this are penalised in proportion
QUOTE_FACTOR = 0.3      # for quotes, questions and first/second-person talk (see _style)
FACT_BONUS = 0.3        # extra weight for a sentence with figures (ages, dates, counts)
CENTRAL_FLOOR = 0.2     # keeps the position prior in play for sentences sharing few words
REDUNDANCY = 0.45       # a pick this similar to an earlier pick is skipped

_QUOTES = "\"'‘’“”«»„‚"
# Bylines: "By Jane Doe", "By . Daily Mail Reporter", "Von Max Muster und Erika Beispiel".
_BYLINE = re.compile(
    r"^\s*(?:[Bb]y|BY|[Vv]on|[Pp]ar|[Pp]or|[Dd]i)\s+[.\s]*[A-Z][\w.'’-]*"
    r"(?:\s+(?:[A-Z][\w.'’-]*|and|und|et|y|e|&)){0,5}\s*[.,|]?\s*"
    r"(?:$|(?:for|and|in|published|updated|PUBLISHED|UPDATED)\b)"
)
_FURNITURE_WORDS = frozenset(
    "read see watch find scroll follow sign subscribe newsletter copyright rights click tap source sources "
    "photo photos picture pictures image images credit credits caption video related advertisement "
    "published updated last getty ap reuters afp epa shutterstock share email contact cookie cookies daily".split()
)
_WORD_RE = re.compile(r"\w+")
# Page furniture, matched against the lower-cased sentence (faster than IGNORECASE).
_FURNITURE = re.compile(
    r"""
    \b(?:read|see|watch|find\s+out)\s+more\b|\b(?:read|see)\s+also\b|\balso\s+read\b
    |\bscroll\s+down\b
    |\bfollow\s+(?:us|me|him|her|them)\b
    |\bsign\s+up\b|\bsubscribe\b|\bnewsletter\b
    |\bcopyright\b|©|\ball\s+rights\s+reserved\b
    |\bclick\s+(?:here|to)\b|\btap\s+here\b
    |^\s*(?:sources?|photos?|pictures?|images?|credits?|caption|video|related|advertisement|published|updated|last\s+(?:updated|modified))\s*[:|]
    |\b(?:photo|picture|image|source|credit)s?\s*(?:credit|courtesy)?\s*:\s*\S
    |\b(?:getty\s+images|ap\s+photo|reuters/|afp\s+photo|epa/|shutterstock)\b
    |\bshare\s+(?:this|on)\b
    |\b(?:published|updated)\s*:\s*\.?\s*\d
    |\bemail\s+us\b|\bcontact\s+us\b|\bcookies?\b.*\b(?:accept|use)\b
    |\bdaily\s+mail\s+reporter\b
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Candidate:
    """One sentence that may be chosen: its index among all sentences, text and content stems."""

    index: int
    position: int
    text: str
    stems: tuple[str, ...]
    n_words: int


def content_stems(text: str, language: str) -> tuple[str, ...]:
    """Stems of the words of `text` that are not stop words or bare numbers."""
    stops = stop_words(language)
    out = []
    for w in words(text, language):
        low = w.lower()
        if low in stops or low.isdigit():
            continue
        out.append(stem(low, language))
    return tuple(out)


def is_heading(sentence: str) -> bool:
    """A subheading: no closing punctuation and most longer words capitalised."""
    if sentence.rstrip()[-1:] in ".!?…:;" + _QUOTES + ")":
        return False
    long_words = [w for w in words(sentence) if len(w) > 3]
    capitals = sum(1 for w in long_words if w[0].isupper())
    return bool(long_words) and capitals >= 0.7 * len(long_words)


def is_boilerplate(sentence: str) -> bool:
    """True for bylines, credits, calls to action, subheadings and similar page furniture."""
    lower = sentence.lower()
    # Cheap pre-check: the furniture patterns all contain one of these words (or ©).
    furniture = ("©" in lower or not _FURNITURE_WORDS.isdisjoint(_WORD_RE.findall(lower))) and bool(
        _FURNITURE.search(lower)
    )
    # Extraction writes data-table rows as "a | b | c": figures for a table, never a summary sentence.
    table_row = sentence.count(" | ") >= 2
    return furniture or table_row or bool(_BYLINE.search(sentence)) or is_heading(sentence)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _is_headline_copy(stems: set[str], headline: set[str]) -> bool:
    """A sentence that says no more than the headline (or is nearly the same)."""
    if not stems or not headline:
        return False
    # Long headlines (URL slugs, SEO titles) share many words with a real lead sentence, so
    # a sentence counts as a copy only when it adds at most one content word of its own.
    return _jaccard(stems, headline) >= 0.8 or len(stems - headline) <= 1


def _repeats(bag: set[str], seen: list[set[str]], index: dict[str, list[int]]) -> bool:
    """Whether `bag` nearly repeats an earlier bag (Jaccard >= 0.8), via an inverted index.

    Prefix filtering: a bag B with Jaccard(A, B) >= 0.8 holds at least 80% of A's stems, so
    it holds one of any int(0.2 * |A|) + 1 of them; only the rarest are looked up.
    """
    probe = sorted(bag, key=lambda s: len(index.get(s, ())))[: int(0.2 * len(bag)) + 1]
    others = {k for s in probe for k in index.get(s, ())}
    # Work bound for tiny vocabularies, where every stem is common: the nearest 64 only.
    return any(_jaccard(bag, seen[k]) >= 0.8 for k in sorted(others)[-64:])


def candidates(
    article: Article, language: str, limit: int = MAX_CANDIDATES
) -> tuple[list[Candidate], list[str]]:
    """The first `limit` eligible sentences of an article, and the full sentence list they index."""
    marked = split_marked("\n\n".join(article.paragraphs), language)
    sentences = [sentence for sentence, _ in marked]
    headline = set(content_stems(article.headline, language))
    pool: list[Candidate] = []
    seen: list[set[str]] = []
    index: dict[str, list[int]] = {}
    for i, (text, caption) in enumerate(marked):
        if len(pool) >= limit:
            break
        if caption:
            continue
        n_words = len(words(text, language))
        if n_words < MIN_WORDS or is_boilerplate(text):
            continue
        stems = content_stems(text, language)
        bag = set(stems)
        if not bag or _is_headline_copy(bag, headline) or _repeats(bag, seen, index):
            continue
        for s in bag:
            index.setdefault(s, []).append(len(seen))
        seen.append(bag)
        pool.append(Candidate(i, len(pool), text, stems, n_words))
    return pool, sentences


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def _idf(pool: Sequence[Candidate]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for c in pool:
        df.update(set(c.stems))
    n = len(pool)
    return {k: math.log((n + 1) / (v + 0.5)) for k, v in df.items()}


def _weighted(stems: Iterable[str], idf: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in stems:
        out[s] = out.get(s, 0.0) + idf.get(s, 1.0)
    return out


# First- and second-person words: in news they mark quoted speech or comment, not report.
_SPEECH = {
    "en": "i i'm i’m i've i’ve i'd i’d me my mine we we're we’re we've we’ve us our ours you you're you’re your yours",
    "de": "ich mich mir mein meine wir uns unser unsere du dich dir dein deine ihr euch euer",
    "fr": "je j' me moi mon ma mes nous notre nos tu te toi ton ta tes vous votre vos",
    "es": "yo me mí mi mis conmigo nosotros nosotras nos nuestro nuestra nuestros nuestras tú te ti tu tus vosotros",
    "it": "io me mi mio mia miei mie noi ci nostro nostra tu te ti tuo tua voi vi vostro",
    "pt": "eu me mim meu minha meus minhas nós nos nosso nossa tu te ti teu tua você vocês",
}


def _speech_words(language: str) -> frozenset[str]:
    return frozenset(_SPEECH.get(language, "").split())


def _style(text: str, language: str) -> float:
    """Damp quotes, questions and first/second-person talk: reported facts summarise a story."""
    factor = 1.0
    speech = _speech_words(language)
    if (
        text[0] in _QUOTES
        or text.rstrip(_QUOTES + ")").endswith("?")
        or any(w.lower() in speech for w in words(text, language))
    ):
        factor *= QUOTE_FACTOR
    if FACT_BONUS and any(ch.isdigit() for ch in text):
        factor *= 1 + FACT_BONUS
    return factor


def news_scores(pool: Sequence[Candidate], headline: str, language: str) -> list[float]:
    """The news score of every candidate: position prior times centrality, long ones damped."""
    idf = _idf(pool)
    vectors = [_weighted(c.stems, idf) for c in pool]
    centroid = _weighted((s for c in pool for s in c.stems), idf)
    title = _weighted(content_stems(headline, language), idf)
    scores = []
    for c, vec in zip(pool, vectors, strict=True):
        central = (1 - HEADLINE_WEIGHT) * _cosine(vec, centroid) + HEADLINE_WEIGHT * _cosine(vec, title)
        prior = 1.0 / (1.0 + POSITION_DECAY * c.position)
        length = min(1.0, LONG_WORDS / c.n_words)
        scores.append(prior * (CENTRAL_FLOOR + central) * length * _style(c.text, language))
    return scores


def news_order(pool: Sequence[Candidate], headline: str, language: str, count: int) -> list[int]:
    """Indices of the `count` best candidates by news score, skipping near-repeats of a pick."""
    scores = news_scores(pool, headline, language)
    ranked = sorted(range(len(pool)), key=lambda k: (-scores[k], k))
    picked: list[int] = []
    bags: list[set[str]] = []
    for k in ranked:
        bag = set(pool[k].stems)
        if any(_jaccard(bag, b) >= REDUNDANCY for b in bags):
            continue
        picked.append(k)
        bags.append(bag)
        if len(picked) == count:
            break
    if len(picked) < count:
        picked += [k for k in ranked if k not in picked][: count - len(picked)]
    return [pool[k].index for k in picked]
