"""Roles the text gives a name: premodifiers ("US President Joe Biden") and appositions ("X, the spokesperson of Y,")."""

from __future__ import annotations

import re

from bot.news import lexicon as lx
from bot.news.ner import Mention

_WORD = re.compile(r"[^\W\d_][\w'’-]*(?:\.[\w'’-]+)*|\S")
# ", the national security adviser of the White House," up to the next clause break
_APPOSITION = re.compile(r"\s*,\s+((?:the|a|an)\s+)?([^,;:()\"“”\n]{2,90}?)\s*(?=,|;|\.\s|\.$|\n|$)")
_MAX_PREMODIFIERS = 6
_TITLE_MODIFIERS = frozenset("""former senior deputy acting then outgoing incoming interim late current new top
chief retired elected appointed designated veteran""".split())
_HONORIFICS = frozenset("Mr Mrs Ms Miss Mr. Mrs. Ms. Sir Dame Madam Lady Lord".split())
_CLAUSE_OPENERS = frozenset("who which whose whom that where when said says told and or but".split())


def _role_word(word: str) -> bool:
    return word.lower() in lx.ROLE_NOUNS or word in lx.TITLE_HEADS


def premodifier_role(text: str, m: Mention) -> str | None:
    """The title and describing words right before a person's name, if the word before is a title."""
    left = text[: m.start].rstrip()
    if m.title and left.endswith(m.title):
        words = [m.title]
        left = left[: -len(m.title)]
    else:
        words = []
    tokens = _WORD.findall(left[-200:])
    if not words and not (tokens and _role_word(tokens[-1]) and tokens[-1][:1].islower()):
        return None
    if left[-200:].rstrip(" ").endswith("\n"):
        tokens = []  # the title opens the paragraph
    taken = 0
    for tok in reversed(tokens):
        low = tok.lower()
        if (not tok[:1].isalpha() or low in lx.ROLE_STOP or taken >= _MAX_PREMODIFIERS
                or (m.title and tok[:1].islower() and low not in _TITLE_MODIFIERS)
                or (low.endswith("ed") and tok[:1].islower() and low not in _TITLE_MODIFIERS)):
            break
        words.insert(0, tok)
        taken += 1
    role = " ".join(words).strip()
    if role in _HONORIFICS:
        return None  # "Ms", "Mr": a form of address, not a function
    return role or None


def apposition_role(text: str, m: Mention) -> str | None:
    """The noun phrase set off by commas after a name, if it names a title or function."""
    match = _APPOSITION.match(text, m.end)
    if not match:
        return None
    phrase = match.group(2).strip()
    words = phrase.split()
    if not words or words[0].lower() in _CLAUSE_OPENERS or words[0].lower() in lx.ROLE_STOP:
        return None
    if not match.group(1) and not words[0][:1].islower() and words[0] not in lx.TITLES and words[0] not in lx.DEMONYMS:
        return None  # "Britain, France and Germany": another name, not an apposition
    head = [w.strip(".'’") for w in words[:8]]
    if not any(_role_word(w) and w not in _HONORIFICS for w in head):
        return None  # "a close ally to Russia" describes, it does not name a function
    if any(w.lower() in {"said", "says", "told", "is", "was", "has", "will"} for w in words):
        return None
    return phrase


def find_role(text: str, m: Mention) -> str | None:
    """The role a mention carries in the text, preferring a stated apposition over premodifiers."""
    if m.kind == "location":
        return None  # "Harlow, Essex, ...": what follows a place is more of the address, not a function
    if m.kind == "organization":
        return apposition_role(text, m) if _APPOSITION.match(text, m.end) and _has_article(text, m) else None
    return apposition_role(text, m) or premodifier_role(text, m)


def _has_article(text: str, m: Mention) -> bool:
    match = _APPOSITION.match(text, m.end)
    return bool(match and match.group(1))
