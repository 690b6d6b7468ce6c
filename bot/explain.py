"""Answers to "why wasn't this article posted?", read from the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.settings import Settings
from bot.store_factory import StoreLike


def _when(value: str | None) -> str:
    if not value:
        return "an unknown time"
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


def _variants(url: str) -> list[str]:
    base = url.split("#", 1)[0]
    out = [url, base]
    out.append(base[:-1] if base.endswith("/") else base + "/")
    if base.startswith("http://"):
        out.append("https://" + base[len("http://"):])
    elif base.startswith("https://"):
        out.append("http://" + base[len("https://"):])
    return list(dict.fromkeys(out))


def _delivery_line(item: dict[str, Any], d: dict[str, Any], feed_name: str) -> str:
    digest = d["digest_id"]
    if d["state"] == "posted":
        line = f"posted by digest {digest} in <#{d['channel']}> at {_when(d['posted_at'])} (message {d['message_id']})"
        if d.get("headline") and d["headline"] != item["title"]:
            line += f", grouped into the story \u201c{d['headline']}\u201d"
        return line
    if d["state"] == "sending":
        return (f"digest {digest} was posting it at {_when(d['at'])} when the run was interrupted: it may have been"
                f" posted once and will not be posted again")
    reason = d.get("reason") or "no reason recorded"
    return f"not posted by digest {digest}: {reason} (at {_when(d['at'])})"


async def explain(store: StoreLike, settings: Settings, url: str) -> str:
    """Every fact the store holds about url, in sentences."""
    items: list[dict[str, Any]] = []
    for variant in _variants(url):
        items = await store.items_by_link(variant)
        if items:
            break
    if not items:
        feeds = ", ".join(f.name or f.id for f in settings.feeds) or "none configured"
        return (f"Never seen: none of the configured feeds ({feeds}) has carried {url} since the bot started"
                f" reading them.")
    names = {f.id: f.name or f.id for f in settings.feeds}
    lines = []
    for item in items:
        feed_name = names.get(item["feed_id"], item["feed_id"])
        lines.append(f"\u201c{item['title']}\u201d was first seen in feed {feed_name} at {_when(item['first_seen'])}.")
        if item["filtered"]:
            lines.append(f"- filtered out by the feed's rule: {item['filtered']}")
            continue
        if item["error"]:
            lines.append(f"- {item['error']} (the feed's own text was briefed instead)")
        reported = set()
        for d in item["deliveries"]:
            reported.add(d["digest_id"])
            lines.append("- " + _delivery_line(item, d, feed_name))
        for digest in settings.digests:
            if item["feed_id"] not in digest.feeds or digest.id in reported:
                continue
            since = await store.baseline(digest.id, item["feed_id"])
            if since is not None and item["seq"] <= since:
                lines.append(f"- not posted by digest {digest.id}: it was already in the feed when the digest first"
                             f" read it (first_fetch: store posts only items that appear later)")
            else:
                lines.append(f"- waiting for the next run of digest {digest.id}")
    return "\n".join(lines)
