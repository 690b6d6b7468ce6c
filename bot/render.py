"""Briefing -> text, markdown or JSON for the terminal and scripts."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from bot.models import Briefing

_KIND_LABEL = {"person": "person", "organization": "organisation", "location": "place"}


def briefing_to_dict(briefing: Briefing) -> dict[str, Any]:
    """The briefing as plain JSON-ready data, in the documented field order."""
    src = briefing.source
    return {
        "headline": briefing.headline,
        "summary": list(briefing.summary),
        "actors": [{"name": a.name, "kind": a.kind, "role": a.role, "mentions": a.mentions} for a in briefing.actors],
        "related": [{"title": link.title, "url": link.url} for link in briefing.related],
        "text": briefing.text,
        "source": {
            "url": src.url,
            "site": src.site,
            "author": src.author,
            "published": src.published.isoformat() if src.published else None,
        },
        "language": briefing.language,
        "image": briefing.image,
        "stats": {
            "words_in": briefing.stats.words_in,
            "words_out": briefing.stats.words_out,
            "reduction_percent": briefing.stats.reduction_percent,
            "elapsed_ms": briefing.stats.elapsed_ms,
        },
    }


def render_json(briefing: Briefing, *, indent: int | None = 2) -> str:
    """One JSON object (pretty by default; indent=None gives one line for jsonl)."""
    return json.dumps(briefing_to_dict(briefing), ensure_ascii=False, indent=indent)


def _source_line(briefing: Briefing) -> str:
    src = briefing.source
    parts = [p for p in (src.site, src.author, src.published.strftime("%Y-%m-%d %H:%M") if src.published else None) if p]
    if src.url:
        parts.append(src.url)
    return " · ".join(parts) if parts else "unknown source"


def _actor_line(name: str, kind: str, role: str | None, mentions: int) -> str:
    label = f"{name}, {role}" if role else name
    return f"{label} ({_KIND_LABEL.get(kind, kind)}, {mentions}×)"


def _stats_line(briefing: Briefing) -> str:
    s = briefing.stats
    return (f"{s.words_in} words -> {s.words_out} words (reduced by {s.reduction_percent:.0f}%)"
            f" · {briefing.language} · {s.elapsed_ms:.0f} ms")


def render_text(briefing: Briefing, *, width: int = 88) -> str:
    """What a person reads in a terminal: headline, bullets, actors, related links, source."""
    out = [briefing.headline, "=" * min(width, max(len(briefing.headline), 3)), ""]
    for sentence in briefing.summary:
        out.append(textwrap.fill(sentence, width, initial_indent="  • ", subsequent_indent="    "))
    if briefing.actors:
        out += ["", "Key actors"]
        out += ["  " + _actor_line(a.name, a.kind, a.role, a.mentions) for a in briefing.actors]
    if briefing.related:
        out += ["", "Related"]
        out += [f"  {link.title}" + (f" <{link.url}>" if link.url else "") for link in briefing.related]
    out += ["", "Source: " + _source_line(briefing), _stats_line(briefing)]
    return "\n".join(out)


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("*", "\\*").replace("_", "\\_")


def render_markdown(briefing: Briefing) -> str:
    """The briefing as Markdown (for notes, wikis and chat tools other than Discord)."""
    url = briefing.source.url
    title = _md_escape(briefing.headline)
    out = [f"## [{title}]({url})" if url and url.startswith(("http://", "https://")) else f"## {title}", ""]
    out += [f"- {_md_escape(s)}" for s in briefing.summary]
    if briefing.actors:
        out += ["", "**Key actors**", ""]
        out += [f"- {_md_escape(_actor_line(a.name, a.kind, a.role, a.mentions))}" for a in briefing.actors]
    if briefing.related:
        out += ["", "**Related**", ""]
        out += [f"- [{_md_escape(link.title)}]({link.url})" if link.url else f"- {_md_escape(link.title)}"
                for link in briefing.related]
    out += ["", f"_{_md_escape(_source_line(briefing))}_  ", f"_{_stats_line(briefing)}_"]
    return "\n".join(out)
