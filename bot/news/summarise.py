"""Extractive summaries: pick an article's key sentences, in their original order.

Every algorithm works on the same cleaned candidate list (see `bot.news.rank`): boilerplate,
headline duplicates, repeats and fragments are dropped before any scoring, so no algorithm
can ever choose them. sumy's algorithms get only the earliest candidates (SUMY_CAP), because
LexRank, TextRank, LSA and Reduction grow with the square (or worse) of the sentence count,
and news puts its facts first anyway.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.summarizers.edmundson import EdmundsonSummarizer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.reduction import ReductionSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer

from bot.errors import SummariseError
from bot.models import Article
from bot.news.language import detect_language
from bot.news.rank import Candidate, candidates, news_order
from bot.news.text import LANGUAGES, split_sentences, stemmer, stop_words, words

ALGORITHMS: tuple[str, ...] = (
    "news", "lead", "lexrank", "lsa", "textrank", "luhn", "kl", "sumbasic", "edmundson", "reduction",
)
# Candidate caps per sumy algorithm, measured so each stays under ~0.3 s on an 800-sentence
# article: LexRank, TextRank, LSA and Reduction grow with the square of the sentence count,
# and sumy's KL recomputes the whole summary distribution for every candidate and step.
SUMY_CAP: dict[str, int] = {
    "lexrank": 100, "lsa": 100, "textrank": 50, "reduction": 50, "kl": 30,
    "luhn": 100, "sumbasic": 80, "edmundson": 80,
}

_SUMY: dict[str, Callable[[Any], Any]] = {
    "lexrank": LexRankSummarizer,
    "lsa": LsaSummarizer,
    "textrank": TextRankSummarizer,
    "luhn": LuhnSummarizer,
    "kl": KLSummarizer,
    "sumbasic": SumBasicSummarizer,
    "edmundson": EdmundsonSummarizer,
    "reduction": ReductionSummarizer,
}

# Cue words for Edmundson: words that mark reported facts (bonus) or filler (stigma).
_STIGMA = (
    "click", "subscribe", "newsletter", "advertisement", "follow", "share", "comment", "comments",
    "photo", "video", "image", "copyright", "cookies", "sign", "watch", "read",
)


class _Tokenizer:
    """The offline tokenizer object sumy expects: `language`, `to_sentences`, `to_words`."""

    def __init__(self, language: str) -> None:
        self.code = language
        self.language = LANGUAGES.get(language, "english")

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Sentences of one paragraph."""
        return tuple(split_sentences(paragraph, self.code))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Word tokens of one sentence."""
        return tuple(words(sentence, self.code))


def _count(total: int, sentences: int | None, ratio: float | None) -> int:
    """How many sentences to return: a share of `total` when ratio is given, else the count."""
    if ratio is not None:
        if not 0 < ratio <= 1:
            raise SummariseError(f"ratio must be in (0, 1], not {ratio}")
        return max(1, math.ceil(total * ratio - 1e-9)) if total else 0
    if sentences is None:
        return 3
    if sentences < 0:
        raise SummariseError(f"sentences must be 0 or more, not {sentences}")
    return sentences


def _sumy_pick(algorithm: str, pool: Sequence[Candidate], count: int, language: str, headline: str) -> list[int]:
    """Run one sumy summariser over the candidate pool; return the chosen candidates' indices."""
    tokenizer = _Tokenizer(language)
    sentences = [Sentence(c.text, tokenizer) for c in pool]
    document = ObjectDocumentModel([Paragraph(sentences)])
    summarizer = _SUMY[algorithm](stemmer(language))
    with warnings.catch_warnings():
        # LSA warns when a short text has fewer distinct words than sentences; it still works.
        warnings.simplefilter("ignore", UserWarning)
        chosen = _run_sumy(summarizer, algorithm, document, count, language, headline)
    by_text = {c.text: c.index for c in pool}
    return [by_text[str(s)] for s in chosen if str(s) in by_text]


def _run_sumy(summarizer: Any, algorithm: str, document: Any, count: int, language: str, headline: str) -> Any:
    """Configure stop words (or Edmundson's word lists) and run the summariser."""
    stops = stop_words(language)
    if algorithm == "edmundson":
        # Title words are the natural bonus words; the stop words are Edmundson's null words.
        summarizer.bonus_words = [w.lower() for w in words(headline, language) if w.lower() not in stops] or ["said"]
        summarizer.stigma_words = _STIGMA
        summarizer.null_words = sorted(stops)
        return summarizer(document, count)
    summarizer.stop_words = stops
    return summarizer(document, count)


def summarise(
    article: Article,
    *,
    sentences: int | None = 3,
    ratio: float | None = None,
    algorithm: str = "news",
    language: str | None = None,
) -> tuple[str, ...]:
    """Pick sentences from article.paragraphs, in original order; SummariseError for an unknown algorithm."""
    if algorithm not in ALGORITHMS:
        raise SummariseError(
            f"Unknown summary algorithm {algorithm!r}.", hint="Use one of: " + ", ".join(ALGORITHMS)
        )
    text = "\n\n".join(article.paragraphs)
    code = detect_language(text, language or article.language)
    pool, all_sentences = candidates(article, code)
    count = _count(len(all_sentences), sentences, ratio)
    if count == 0 or not pool:
        return ()
    if count >= len(pool):
        chosen = [c.index for c in pool]
    elif algorithm == "lead":
        chosen = [c.index for c in pool[:count]]
    elif algorithm == "news":
        chosen = news_order(pool, article.headline, code, count)
    else:
        capped = pool[: SUMY_CAP[algorithm]]
        chosen = _sumy_pick(algorithm, capped, min(count, len(capped)), code, article.headline)
    return tuple(all_sentences[i] for i in sorted(set(chosen)))
