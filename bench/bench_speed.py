"""Speed of a whole briefing against trafilatura's extraction alone, the seed, and an 800-sentence article.

Targets (issue 2): a briefing (extract + summarise + actors) costs at most 2x trafilatura's extraction
alone of the same page, both on one core, measured side by side in this run; the seed text briefs in
under 50 ms; an article of 800 sentences briefs in under 0.3 s.
Reads ../shared/eval-data/extraction (dev split only) when present; the other two need nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import statistics
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from bot.news.briefing import BriefOptions, brief_content  # noqa: E402
from bot.settings import DefaultsSettings  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval-data" / "extraction"
SEED = ROOT / "examples" / "articles" / "us-china-call.txt"
DEFAULTS = DefaultsSettings()
OPTS = BriefOptions()


def best_of(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    """Fastest of `repeat` runs, in seconds (the least disturbed by the rest of the machine)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def pages_vs_trafilatura() -> None:
    """Per page: our whole briefing vs trafilatura.extract alone, side by side."""
    html_dir = EVAL / "html"
    if not html_dir.is_dir():
        print("extraction pages: ../shared/eval-data/extraction not present, skipped")
        return
    ours_total = traf_total = 0.0
    ratios = []
    n = 0
    for path in sorted(html_dir.glob("*.html.gz")):
        page_id = path.name.split(".")[0]
        if hashlib.sha1(page_id.encode()).hexdigest()[-1] not in "01234":
            continue
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        t_traf = best_of(lambda h=html: trafilatura.extract(h), 3)
        try:
            t_ours = best_of(lambda h=html: brief_content(h, None, True, OPTS, DEFAULTS), 3)
        except Exception as err:  # a page that fails is reported, not timed
            print(f"  {page_id}: {type(err).__name__}: {err}")
            continue
        ours_total += t_ours
        traf_total += t_traf
        ratios.append(t_ours / t_traf)
        n += 1
    print(f"extraction pages (dev split, {n} pages, one core): briefing {1000 * ours_total / n:.1f} ms/page, "
          f"trafilatura.extract {1000 * traf_total / n:.1f} ms/page, total ratio {ours_total / traf_total:.2f}x "
          f"(median per page {statistics.median(ratios):.2f}x, p90 {sorted(ratios)[int(0.9 * n)]:.2f}x; target <= 2x)")


def seed_speed() -> None:
    """The seed article, warm."""
    text = SEED.read_text(encoding="utf-8")
    brief_content(text, None, False, OPTS, DEFAULTS)
    t = best_of(lambda: brief_content(text, None, False, OPTS, DEFAULTS), 20)
    print(f"seed text: {1000 * t:.1f} ms per briefing (target < 50 ms)")


def long_article(sentences: int = 800) -> str:
    """A deterministic article of `sentences` varied sentences, in paragraphs of five."""
    rng = random.Random(800)
    subjects = ["The minister", "Officials in Brussels", "Maria Lopez", "The central bank", "Analysts at Morgan Stanley",
                "The United Nations", "Residents of Lyon", "President Joe Biden", "The committee", "Chinese diplomats"]
    verbs = ["said", "warned", "announced", "denied", "confirmed", "argued", "reported", "estimated"]
    objects = ["that prices would rise by 3.5 per cent", "a new plan for the region", "the talks had stalled",
               "further sanctions on Monday", "that the budget was balanced", "an inquiry into the contracts",
               "the deal with the U.S. government", "a delay until Jan. 5", "record exports in October"]
    tails = ["", " after a long meeting", " in a statement", " according to Reuters", " on Tuesday evening"]
    out, para = [], []
    for i in range(sentences):
        para.append(f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}{rng.choice(tails)}, item {i}.")
        if len(para) == 5:
            out.append(" ".join(para))
            para = []
    return "Long report on the economy\n\n" + "\n\n".join(out + ([" ".join(para)] if para else []))


def long_speed() -> None:
    """An 800-sentence article: the quadratic algorithms must be bounded."""
    text = long_article()
    brief_content(text, None, False, OPTS, DEFAULTS)
    t = best_of(lambda: brief_content(text, None, False, OPTS, DEFAULTS), 3)
    print(f"800-sentence article: {1000 * t:.0f} ms per briefing (target < 300 ms)")


if __name__ == "__main__":
    seed_speed()
    long_speed()
    pages_vs_trafilatura()
