"""Briefing -> Discord embed payloads with every Discord limit enforced (pure: dicts in, dicts out)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from bot.chat.safety import clean, safe_url, truncate
from bot.models import Briefing, Story

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
URL_LIMIT = 2048

Embed = dict[str, Any]


def source_colour(site: str | None) -> int:
    """A stable colour per source site (crc32, not hash(), so it survives restarts)."""
    if not site:
        return 0x5865F2
    return zlib.crc32(site.lower().encode("utf-8")) & 0xFFFFFF


def _join_fitting(lines: Iterable[str], limit: int, sep: str = "\n") -> str:
    """Whole lines while they fit; the first line alone is truncated when even it does not."""
    out: list[str] = []
    size = 0
    for line in lines:
        extra = len(line) + (len(sep) if out else 0)
        if size + extra > limit:
            if not out:
                out.append(truncate(line, limit))
            break
        out.append(line)
        size += extra
    return sep.join(out)


def _actor_lines(briefing: Briefing) -> list[str]:
    lines = []
    for actor in briefing.actors:
        name = clean(actor.name, single_line=True)
        role = clean(actor.role, single_line=True) if actor.role else actor.kind
        lines.append(f"**{truncate(name, 200)}** — {truncate(role, 300)}")
    return lines


def _related_lines(briefing: Briefing) -> list[str]:
    lines = []
    for link in briefing.related:
        url = safe_url(link.url)
        if url is None or len(url) > 900:
            continue
        title = truncate(clean(link.title, single_line=True), 100) or clean(url)
        lines.append(f"[{title}]({url})")
    return lines


def footer_text(briefing: Briefing) -> str:
    """site · published · reduced by N%, with article-derived parts escaped."""
    parts = []
    site = briefing.source.site
    if site:
        parts.append(clean(site, single_line=True))
    if briefing.source.published:
        parts.append(briefing.source.published.strftime("%Y-%m-%d %H:%M %Z").strip())
    parts.append(f"reduced by {briefing.stats.reduction_percent:.0f}%")
    return " · ".join(parts)


def briefing_embed(briefing: Briefing) -> Embed:
    """The briefing as one embed payload that Discord will accept whatever the article holds."""
    embed: Embed = {"type": "rich", "title": truncate(clean(briefing.headline, single_line=True), TITLE_LIMIT)
                    or "Untitled", "color": source_colour(briefing.source.site)}
    url = safe_url(briefing.source.url)
    if url and len(url) <= URL_LIMIT:
        embed["url"] = url
    bullets = [f"• {clean(s, single_line=True)}" for s in briefing.summary if s.strip()]
    embed["description"] = _join_fitting(bullets, DESCRIPTION_LIMIT) or "No summary could be made."
    fields = []
    actors = _join_fitting(_actor_lines(briefing), FIELD_VALUE_LIMIT)
    if actors:
        fields.append({"name": "Key actors", "value": actors, "inline": False})
    related = _join_fitting(_related_lines(briefing), FIELD_VALUE_LIMIT)
    if related:
        fields.append({"name": "Related", "value": related, "inline": False})
    embed["fields"] = fields
    embed["footer"] = {"text": truncate(footer_text(briefing), FOOTER_LIMIT)}
    image = safe_url(briefing.image)
    if image and len(image) <= URL_LIMIT:
        embed["thumbnail"] = {"url": image}
    return enforce_limits(embed)


def embed_size(embed: Embed) -> int:
    """Characters Discord counts towards the 6000 limit: title, description, fields, footer, author."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for f in embed.get("fields") or ():
        total += len(f.get("name") or "") + len(f.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def enforce_limits(embed: Embed, budget: int = TOTAL_LIMIT) -> Embed:
    """Clamp every part to its own limit, then shrink the longest parts until the whole fits `budget`."""
    out = dict(embed)
    if "title" in out:
        out["title"] = truncate(out["title"], TITLE_LIMIT)
    if "description" in out:
        out["description"] = truncate(out["description"], DESCRIPTION_LIMIT)
    fields = [dict(f) for f in (out.get("fields") or ())][:FIELDS_LIMIT]
    for f in fields:
        f["name"] = truncate(f.get("name") or "\u200b", FIELD_NAME_LIMIT) or "\u200b"
        f["value"] = truncate(f.get("value") or "\u200b", FIELD_VALUE_LIMIT) or "\u200b"
    out["fields"] = fields
    if "footer" in out:
        out["footer"] = {**out["footer"], "text": truncate(out["footer"].get("text") or "", FOOTER_LIMIT)}
    if "author" in out:
        out["author"] = {**out["author"], "name": truncate(out["author"].get("name") or "", AUTHOR_LIMIT)}
    # Shrink the biggest slot first so a huge footer or field cannot starve the summary.
    while (over := embed_size(out) - budget) > 0:
        slots: list[tuple[int, str, int]] = [(len(out.get("description") or ""), "description", -1),
                                             (len((out.get("footer") or {}).get("text") or ""), "footer", -1),
                                             (len(out.get("title") or ""), "title", -1)]
        slots += [(len(f["value"]), "value", i) for i, f in enumerate(fields)]
        slots += [(len(f["name"]), "name", i) for i, f in enumerate(fields)]
        size, slot, index = max(slots)
        keep = max(1, size - over) if size > over else max(1, size // 2)
        if slot == "description":
            out["description"] = truncate(out["description"], keep)
        elif slot == "footer":
            out["footer"] = {**out["footer"], "text": truncate(out["footer"]["text"], keep)}
        elif slot == "title":
            out["title"] = truncate(out["title"], keep)
        else:
            fields[index][slot] = truncate(fields[index][slot], keep) or "\u200b"
    return out


def pack_messages(embeds: list[Embed]) -> list[list[Embed]]:
    """Split embeds over messages: at most 10 per message and 6000 characters across each message."""
    messages: list[list[Embed]] = []
    current: list[Embed] = []
    size = 0
    for embed in embeds:
        embed = enforce_limits(embed)
        n = embed_size(embed)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or size + n > TOTAL_LIMIT):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += n
    if current:
        messages.append(current)
    return messages


def story_embed(story: Story) -> Embed:
    """A digest story: its lead briefing, plus the other outlets that carried it as a field."""
    embed = briefing_embed(story.briefing)
    others = [s for s in story.sources if s.url and s.url != story.briefing.source.url]
    lines = []
    for src in others:
        url = safe_url(src.url)
        if url and len(url) <= 900:
            lines.append(f"[{truncate(clean(src.site or 'source', single_line=True), 80)}]({url})")
    value = _join_fitting(lines, FIELD_VALUE_LIMIT)
    if value:
        embed["fields"] = [*embed["fields"], {"name": "Also reported by", "value": value, "inline": False}]
    return enforce_limits(embed)


def message_problems(embeds: list[Embed]) -> list[str]:
    """Every Discord limit one message's embeds break (empty when Discord would accept them)."""
    problems = []
    if len(embeds) > EMBEDS_PER_MESSAGE:
        problems.append(f"{len(embeds)} embeds > {EMBEDS_PER_MESSAGE}")
    if sum(embed_size(e) for e in embeds) > TOTAL_LIMIT:
        problems.append("total > 6000")
    for e in embeds:
        checks = [(e.get("title") or "", TITLE_LIMIT, "title"), (e.get("description") or "", DESCRIPTION_LIMIT,
                  "description"), ((e.get("footer") or {}).get("text") or "", FOOTER_LIMIT, "footer")]
        for f in e.get("fields") or ():
            checks += [(f["name"], FIELD_NAME_LIMIT, "field name"), (f["value"], FIELD_VALUE_LIMIT, "field value")]
            if not f["name"] or not f["value"]:
                problems.append("empty field")
        problems += [f"{what} {len(text)} > {limit}" for text, limit, what in checks if len(text) > limit]
        if len(e.get("fields") or ()) > FIELDS_LIMIT:
            problems.append("more than 25 fields")
    return problems


def to_discord(embed: Embed) -> Any:
    """The payload as a discord.Embed (imported here so the pure functions above stay import-light)."""
    import discord

    return discord.Embed.from_dict(embed)
