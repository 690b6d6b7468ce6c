"""Article -> Briefing: the pure, CPU-bound heart of the pipeline (runs in a worker)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from bot.models import Article, Briefing, Source, Stats
from bot.news.actors import find_actors
from bot.news.extract import extract_article
from bot.news.language import detect_language
from bot.news.related import related_links
from bot.news.summarise import summarise
from bot.settings import DefaultsSettings

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


@dataclass(frozen=True)
class BriefOptions:
    """What the person asking chose; None means the configured default."""

    sentences: int | None = None
    ratio: float | None = None
    algorithm: str | None = None
    language: str | None = None


def count_words(text: str) -> int:
    """Words as a reader counts them (hyphenated and apostrophe words are one)."""
    return len(_WORD.findall(text))


def choose_language(article: Article, options: BriefOptions, defaults: DefaultsSettings) -> str:
    """The language to summarise in: the request, the page, the config, else detection."""
    hint = options.language or article.language
    if not hint and defaults.language != "auto":
        hint = defaults.language
    return detect_language(article.text[:20000], hint=hint)


def build_briefing(article: Article, options: BriefOptions, defaults: DefaultsSettings,
                   *, started: float | None = None) -> Briefing:
    """Summarise, find actors and related links, and measure the reduction."""
    t0 = time.perf_counter() if started is None else started
    language = choose_language(article, options, defaults)
    count = options.sentences if options.sentences is not None else (None if options.ratio else defaults.sentences)
    summary = summarise(article, sentences=count, ratio=options.ratio,
                        algorithm=options.algorithm or defaults.algorithm, language=language)
    actors = find_actors(article, limit=defaults.max_actors, language=language)
    related = related_links(article, limit=defaults.max_related)
    words_in = count_words(article.text)
    words_out = sum(count_words(s) for s in summary)
    reduction = round(100.0 * (1 - words_out / words_in), 1) if words_in else 0.0
    source = Source(url=article.url or article.canonical_url, site=article.site,
                    author=article.author, published=article.published)
    stats = Stats(words_in=words_in, words_out=words_out, reduction_percent=max(0.0, reduction),
                  elapsed_ms=round((time.perf_counter() - t0) * 1000, 1))
    return Briefing(headline=article.headline, summary=tuple(summary), actors=tuple(actors), related=tuple(related),
                    source=source, language=language, text=article.text, stats=stats, image=article.image)


def brief_content(content: str, url: str | None, is_html: bool | None, options: BriefOptions,
                  defaults: DefaultsSettings, language_hint: str | None = None) -> Briefing:
    """Extract an article from HTML or text and brief it (positional so it pickles to a worker)."""
    started = time.perf_counter()
    article = extract_article(content, url=url, is_html=is_html, language_hint=language_hint)
    return build_briefing(article, options, defaults, started=started)
