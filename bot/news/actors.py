"""Key actors of an article: name mentions merged into people, organisations and places, ranked by salience."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from bot.models import Actor, ActorKind, Article
from bot.news import gazetteer as gz
from bot.news import lexicon as lx
from bot.news.ner import Mention, find_mentions, recognise
from bot.news.ner_languages import for_language
from bot.news.roles import find_role

__all__ = ["find_actors", "recognise"]

_MINOR = 0.3  # weight of a mention that only modifies ("US officials") or sits inside another's role
_IN_TITLE = 0.1  # weight of a place that only qualifies someone's title ("US President", "the U.S. leader")
_HEADLINE, _LEAD, _ROLE, _FIRST = 2.0, 1.0, 1.0, 0.5
_PLACE_WEIGHT = 0.7  # places are more often the setting of a story than one of its actors
_LOCATIVE = frozenset("in at to from near outside inside across into via around".split())
_LEAD_MIN_CHARS = 80
_JOINERS = frozenset("of and the for de la".split())


@dataclass
class _Cluster:
    key: str = ""
    mentions: list[Mention] = field(default_factory=list)
    echoes: list[Mention] = field(default_factory=list)  # "(U.N.)" right after "United Nations": no new mention
    role: str | None = None
    score: float = 0.0

    @property
    def kind(self) -> ActorKind:
        kinds = Counter(m.kind for m in self.mentions if not m.guessed) or Counter(m.kind for m in self.mentions)
        if any(m.kind == "person" and " " in m.name for m in self.mentions):
            return "person"
        if any(m.name in lx.ORG_PLACES for m in self.mentions):
            return "organization"  # "the White House warned": the office, not the building
        best = kinds.most_common(1)[0][0]
        return "person" if best == "person" else "organization" if best == "organization" else "location"

    @property
    def name(self) -> str:
        forms = [m.name for m in self.mentions if _key(m.name) == self.key] or [m.name for m in self.mentions]
        canon = sorted(lx.CANONICAL[f] for f in forms if f in lx.CANONICAL)
        if canon and self.kind != "person":
            return canon[0]
        mixed = [f for f in forms if not f.isupper()] or forms
        return max(mixed, key=lambda f: (len(f.split()), len(f), -forms.index(f)))


def _key(name: str) -> str:
    canon = lx.CANONICAL.get(name) or lx.CANONICAL.get(name.upper()) or name
    return " ".join(canon.replace("-", " ").split()).casefold()  # "Louis-Dreyfus" is "Louis Dreyfus"


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w.lower() not in _JOINERS and w[:1].isupper())


def _acronym(name: str) -> str | None:
    letters = name.replace(".", "")
    return letters if 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper() else None


def _cluster(text: str, mentions: list[Mention]) -> list[_Cluster]:
    """Group mentions of one actor: same name, short forms, parenthesised acronyms, surnames."""
    alias: dict[str, str] = {}
    echoes: set[int] = set()
    for a, b in pairwise(mentions):
        if text[a.end:b.start].strip() == "(" and _acronym(b.name):  # "the United Nations (U.N.)"
            alias[_key(b.name)] = _key(a.name)
            echoes.add(b.start)
    keys = {_key(m.name) for m in mentions}
    groups: dict[str, _Cluster] = {}
    for m in mentions:
        k = _key(m.name)
        country = gz.capitals().get(m.name)
        if country and _key(country) in keys and not _locative(text, m):
            k = _key(country)  # "warned Beijing was considering": the capital speaks for its country
        k = alias.get(k, k)
        c = groups.setdefault(k, _Cluster(key=k))
        (c.echoes if m.start in echoes else c.mentions).append(m)
    full = {k: c for k, c in groups.items() if len(c.mentions[0].name.split()) > 1}
    for k in list(groups):
        c = groups[k]
        short = c.mentions[0].name
        target = None
        if (acr := _acronym(short)) and c.kind != "person":
            target = next((fk for fk, fc in full.items() if fk != k and _initials(fc.name) == acr), None)
        elif " " not in short and (c.kind == "person" or all(m.guessed for m in c.mentions)):
            people = [(len(fc.mentions), fk) for fk, fc in full.items()
                      if fc.kind == "person" and short.casefold() in fc.name.casefold().split()]
            target = max(people)[1] if people else None
        if target and target in groups and target != k:
            groups[target].mentions.extend(c.mentions)
            groups[target].echoes.extend(c.echoes)
            del groups[k]
    return list(groups.values())


def _locative(text: str, m: Mention) -> bool:
    before = text[max(0, m.start - 20): m.start].split()
    return bool(before) and before[-1].lower() in _LOCATIVE


def _titles_someone(text: str, m: Mention) -> bool:
    after = text[m.end: m.end + 30].split()
    return bool(after) and (after[0] in lx.TITLE_HEADS or after[0].lower() in lx.ROLE_NOUNS)


def _score(c: _Cluster, text: str, head_end: int, lead: tuple[int, int], minor: list[tuple[int, int]]) -> float:
    def weight(m: Mention) -> float:
        inside = any(a <= m.start and m.end <= b for a, b in minor)
        if m.attributive and _titles_someone(text, m):
            return _IN_TITLE
        return _MINOR if m.attributive or inside else 1.0

    full = [m for m in c.mentions if weight(m) == 1.0]
    s = sum(weight(m) for m in c.mentions)
    s += _HEADLINE * any(m.start < head_end for m in full)
    s += _LEAD * any(lead[0] <= m.start < lead[1] for m in full)
    if c.kind == "location":
        s *= _PLACE_WEIGHT
    s += _ROLE * (c.role is not None)
    s += _FIRST * (1 - min(m.start for m in c.mentions) / max(len(text), 1))
    return s


def find_actors(article: Article, *, limit: int = 10, language: str = "en") -> tuple[Actor, ...]:
    """Key people, organisations and locations of the article, ranked by salience."""
    head = article.headline or ""
    paragraphs = [p for p in article.paragraphs if p.strip()]
    text = head + "\n\n" + "\n\n".join(paragraphs)
    head_end = len(head)
    start = head_end + 2
    lead = (start, start)
    for p in paragraphs:  # the lead is the first real paragraph, not a one-line standfirst
        if len(p) >= _LEAD_MIN_CHARS or p is paragraphs[-1]:
            lead = (start, start + len(p))
            break
        start += len(p) + 2
    mentions = for_language(find_mentions(text), language)
    roles: dict[int, str] = {}
    minor: list[tuple[int, int]] = []
    for m in mentions:
        if m.start < head_end:
            continue
        role = find_role(text, m)
        if role:
            roles[m.start] = role
            at = text.find(role, m.end, m.end + len(role) + 8)
            if at >= 0:
                minor.append((at, at + len(role)))
    out: list[_Cluster] = []
    for c in _cluster(text, mentions):
        c.role = next((roles[m.start] for m in sorted(c.mentions, key=lambda m: m.start) if m.start in roles), None)
        if len(c.mentions) == 1 and c.mentions[0].guessed and c.kind != "person":
            continue  # one unvouched capitalised word is more often noise than an actor
        c.score = _score(c, text, head_end, lead, minor)
        out.append(c)
    out.sort(key=lambda c: (-c.score, min(m.start for m in c.mentions)))
    actors: list[Actor] = []
    for c in out[: max(limit, 0)]:
        name = c.name
        forms = [m.name for m in [*c.mentions, *c.echoes]]
        aliases = tuple(dict.fromkeys(f for f in forms if f.casefold() != name.casefold()))
        actors.append(Actor(name=name, kind=c.kind, role=c.role, mentions=len(c.mentions), aliases=aliases))
    return tuple(actors)
