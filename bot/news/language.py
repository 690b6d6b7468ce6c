"""Language detection: which supported language an article is in, from a hint or its common words."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.news.text import LANGUAGES, stop_words, words

__all__ = ["detect_language"]

_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("uk", r"[\u0400-\u04ff]"),
    ("ar", r"[\u0600-\u06ff]"),
)


def _normalise_hint(hint: str | None) -> str | None:
    if not hint:
        return None
    code = hint.strip().lower().replace("_", "-").split("-")[0]
    if code in LANGUAGES:
        return code
    for iso, name in LANGUAGES.items():
        if code == name:
            return iso
    return None


def detect_language(text: str, hint: str | None = None) -> str:
    """ISO 639-1 code of the text's language; a hint naming a supported language wins."""
    hinted = _normalise_hint(hint)
    if hinted:
        return hinted
    sample = text[:4000]
    letters = sum(1 for ch in sample if ch.isalpha()) or 1
    for code, pattern in _SCRIPTS:
        if len(re.findall(pattern, sample)) > letters * 0.3:
            return code
    tokens = [w.lower() for w in words(sample)][:600]
    if not tokens:
        return "en"
    best, best_score = "en", 0.0
    for code in LANGUAGES:
        if code in {"uk", "ar"}:
            continue
        common = _common_words(code)
        score = sum(1 for t in tokens if t in common) / len(tokens)
        if score > best_score:
            best, best_score = code, score
    return best if best_score >= 0.05 else "en"


# The most frequent function words per language: sumy's full lists differ a lot in size
# (and overlap), so detection counts only these short, distinctive ones.
_COMMON: dict[str, str] = {
    "en": "the of and to in is that for it was on with as he be at by this are from have not they said his but an were which has had",
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über",
    "fr": "le la les de des et à en du un une est que qui dans pour pas sur au il elle ne se plus par avec ce sont aux ont été cette mais",
    "es": "el la de que y en los del se las por un una con no es para al lo como más pero sus le ha fue este son entre también",
    "it": "il di che la e è per un una del della le non in sono con si da al dei gli alla anche ha più ma come nel questo",
    "pt": "o a de que e do da em um para com não uma os no se na por mais as dos como mas foi ao ele das à seu sua ou",
    "sv": "och i att det som en på är av för med till den har de inte om ett han men var jag sig från vi så kan",
    "cs": "a se na je že v to s z do o jsou by jako ale za jak tak pro které který byl bylo být také",
    "sk": "a sa na je že v to s z do o sú by ako ale za ako tak pre ktoré ktorý bol bolo byť aj",
}


@lru_cache(maxsize=32)
def _common_words(code: str) -> frozenset[str]:
    listed = _COMMON.get(code)
    return frozenset(listed.split()) if listed else stop_words(code)
