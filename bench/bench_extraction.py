#!/usr/bin/env python3
"""Main-text extraction quality and speed on the scrapinghub article-extraction benchmark.

Usage:  .venv/bin/python bench/bench_extraction.py [--split dev|heldout|both] [--folds] [--data DIR]

Reads ../shared/eval-data/extraction (html/*.html.gz + ground-truth.json) when present. The metric is
the benchmark's own: 4-token shingles (tokens = \\w+ runs), per-page tp/fp/fn normalised to sum 1,
precision and recall averaged over pages, F1 = harmonic mean of those two averages. Dev split: pages
whose sha1(page id) hex ends in 0-4 (tune only there); the rest is held out. --folds also prints the dev split's
two folds (sha1 hex ending in 0-1 and in 2-4): a change to the extractor is kept only when it helps on both.

"newsbrief" is Article.text from extract_article (body paragraphs and section subheads: by design it leaves out
the headline and the standfirst, which the benchmark's articleBody sometimes includes). "trafilatura" is
trafilatura.extract(html, include_comments=False), as the benchmark's own runner calls it. Times are measured
page by page, interleaved, so machine load affects both alike.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from bot.errors import ExtractError  # noqa: E402
from bot.news.extract import extract_article  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval-data" / "extraction"
_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
Counts = tuple[float, float, float]


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of n-token shingles; a text shorter than n tokens is one shorter shingle."""
    tokens = _TOKEN_RE.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_counts(true: str, pred: str) -> Counts:
    """tp, fp, fn over shingles, normalised so that every page weighs the same."""
    gold, got = shingles(true), shingles(pred)
    tp = sum((gold & got).values())
    fp = sum((got - gold).values())
    fn = sum((gold - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def scores(rows: Iterable[Counts]) -> tuple[float, float, float]:
    """(F1, precision, recall) as the benchmark computes them from per-page counts."""
    rows = list(rows)

    def precision(tp: float, fp: float, fn: float) -> float:
        if fp == fn == 0:
            return 1.0
        return 0.0 if tp == fp == 0 else tp / (tp + fp)

    def recall(tp: float, fp: float, fn: float) -> float:
        if fp == fn == 0:
            return 1.0
        return 0.0 if tp == fn == 0 else tp / (tp + fn)

    p = statistics.mean(precision(*r) for r in rows if r[0] + r[1] > 0)
    r = statistics.mean(recall(*r) for r in rows if r[0] + r[2] > 0)
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def is_dev(page_id: str) -> bool:
    """The tuning split: sha1 of the page id ends in a hex digit 0-4."""
    return hashlib.sha1(page_id.encode("utf-8")).hexdigest()[-1] in "01234"


def dev_fold(page_id: str) -> str:
    """Which half of the dev split a page is in, for checking that a change generalises: 'A' (0-1) or 'B' (2-4)."""
    return "A" if hashlib.sha1(page_id.encode("utf-8")).hexdigest()[-1] in "01" else "B"


def ours(html: str, url: str | None) -> str:
    """Our extraction's main text."""
    try:
        return extract_article(html, url=url, is_html=True).text
    except ExtractError:
        return ""


def plain_trafilatura(html: str, url: str | None) -> str:
    """trafilatura.extract as the benchmark's own runner calls it."""
    return trafilatura.extract(html, include_comments=False) or ""


Extractor = Callable[[str, str | None], str]


def run(pages: list[tuple[str, str, str, str | None]], extractors: dict[str, Extractor]) -> dict[str, tuple[list[Counts], float]]:
    """Per-page counts and mean ms/page for each extractor, interleaved page by page so load affects all alike."""
    rows: dict[str, list[Counts]] = {name: [] for name in extractors}
    elapsed = dict.fromkeys(extractors, 0.0)
    for _pid, html, true, url in pages:
        for name, fn in extractors.items():
            start = time.perf_counter()
            pred = fn(html, url)
            elapsed[name] += time.perf_counter() - start
            rows[name].append(page_counts(true, pred))
    return {name: (rows[name], elapsed[name] / max(1, len(pages)) * 1000) for name in extractors}


def main() -> int:
    """Print F1/precision/recall and ms/page for our extractor and plain trafilatura, per split."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("dev", "heldout", "both"), default="both")
    parser.add_argument("--folds", action="store_true", help="also print the dev split's two folds")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    truth_path = args.data / "ground-truth.json"
    if not truth_path.exists():
        print(f"extraction eval data not found at {args.data}; nothing to measure")
        return 0
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    splits = ("dev", "heldout") if args.split == "both" else (args.split,)
    for split in splits:
        pages = []
        for pid in sorted(truth):
            if is_dev(pid) != (split == "dev"):
                continue
            with gzip.open(args.data / "html" / f"{pid}.html.gz", "rt", encoding="utf-8") as fh:
                pages.append((pid, fh.read(), truth[pid].get("articleBody", ""), truth[pid].get("url")))
        print(f"{split}: {len(pages)} pages")
        ours("<html><body><p>Warm-up page with a sentence in it.</p></body></html>", None)
        results = run(pages, {"newsbrief": ours, "trafilatura": plain_trafilatura})
        for name, (rows, ms) in results.items():
            f1, p, r = scores(rows)
            print(f"  {name:<12} F1={f1:.4f}  precision={p:.4f}  recall={r:.4f}  {ms:6.1f} ms/page")
            if args.folds and split == "dev":
                for fold in ("A", "B"):
                    part = [row for row, page in zip(rows, pages, strict=True) if dev_fold(page[0]) == fold]
                    f1, p, r = scores(part)
                    print(f"    fold {fold} ({len(part)} pages)  F1={f1:.4f}  precision={p:.4f}  recall={r:.4f}")
        ratio = results["newsbrief"][1] / max(1e-9, results["trafilatura"][1])
        print(f"  time ratio newsbrief / trafilatura.extract: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
