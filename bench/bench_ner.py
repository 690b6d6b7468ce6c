"""Score bot.news.ner.recognise against CoNLL-2003 English (news documents only).

Reads ../shared/eval-data/ner/conll2003_{dev,test}.txt when present (not shipped with the project).
Per document, the set of unique PER/ORG/LOC names (MISC ignored) from the gold IOB2 tags is compared
with the set recognise() finds in the detokenised document text. Names are compared case-folded with
whitespace removed (the text is detokenised, so "U.S ." and "U.S." are one name). F1 is given both
type-agnostic (name only) and type-aware (name + kind), micro-averaged (true/false positives summed over
documents) and macro-averaged (mean of per-document F1).

Sports documents are left out: a document is sports when its first line starts with a sport's name
(SOCCER -, CRICKET -, Boxing-...) or holds RESULTS / STANDINGS / SCOREBOARD in capitals.

    python bench/bench_ner.py [--split dev|test] [--errors N]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.news.ner import recognise

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval-data" / "ner"
KINDS = {"PER": "person", "ORG": "organization", "LOC": "location"}
SPORTS = ("SOCCER", "CRICKET", "TENNIS", "BASEBALL", "BASKETBALL", "GOLF", "BOXING", "ATHLETICS", "CYCLING",
          "RUGBY", "MOTOR RACING", "MOTORCYCLING", "HORSE RACING", "SQUASH", "NFL", "NBA", "NHL", "ICE HOCKEY",
          "HOCKEY", "SWIMMING", "SKIING", "ALPINE SKIING", "ROWING", "FORMULA ONE", "BADMINTON", "VOLLEYBALL",
          "SAILING", "YACHTING", "TABLE TENNIS", "JUDO", "WRESTLING", "SUMO", "FENCING", "HANDBALL",
          "AMERICAN FOOTBALL", "FOOTBALL", "CHESS", "SNOOKER", "DARTS", "TRIATHLON", "GYMNASTICS")
SPORTS_WORDS = re.compile(r"\b(RESULTS|STANDINGS|SCOREBOARD)\b")
_NO_SPACE_BEFORE = {".", ",", ";", ":", "!", "?", ")", "'s", "'S", "n't", "%", "'"}


def read_docs(path: Path) -> list[list[list[tuple[str, str]]]]:
    """Documents as lists of sentences of (token, IOB2 tag)."""
    docs: list[list[list[tuple[str, str]]]] = []
    sent: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            docs.append([])
            continue
        if not line.strip():
            if sent:
                docs[-1].append(sent)
                sent = []
            continue
        parts = line.split()
        sent.append((parts[0], parts[-1]))
    if sent:
        docs[-1].append(sent)
    return [d for d in docs if d]


def detok(tokens: list[str]) -> str:
    """Tokens joined the way news text is written: no space before punctuation or after '('."""
    out = ""
    for i, t in enumerate(tokens):
        if i and t not in _NO_SPACE_BEFORE and tokens[i - 1] not in {"(", "$"}:
            out += " "
        out += t
    return out


def gold_names(doc: list[list[tuple[str, str]]]) -> set[tuple[str, str]]:
    """Unique (name, kind) of the PER/ORG/LOC spans."""
    names: set[tuple[str, str]] = set()
    for sent in doc:
        span: list[str] = []
        kind = ""
        for tok, tag in [*sent, ("", "O")]:
            if span and not tag.startswith("I-"):
                if kind in KINDS:
                    names.add((detok(span), KINDS[kind]))
                span = []
            if tag.startswith("B-") or (tag.startswith("I-") and not span):
                span, kind = [tok], tag[2:]
            elif tag.startswith("I-"):
                span.append(tok)
    return names


def is_sports(doc: list[list[tuple[str, str]]]) -> bool:
    """Whether the document's first line marks it as sports."""
    first = detok([t for t, _ in doc[0]])
    head = first.upper()
    return head.startswith(SPORTS) or bool(SPORTS_WORDS.search(first))


def norm(name: str) -> str:
    """Compare names case-folded, without whitespace or a final full stop."""
    return re.sub(r"\s+", "", name).casefold().rstrip(".")


def f1(tp: int, fp: int, fn: int) -> float:
    """F1 from counts (1.0 when there is nothing to find and nothing found)."""
    if tp + fp + fn == 0:
        return 1.0
    return 2 * tp / (2 * tp + fp + fn)


def main() -> int:
    """Print the scores; exit 2 when the data is absent."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--errors", type=int, default=0, help="print the N most common misses and false names")
    args = ap.parse_args()
    path = DATA / f"conll2003_{args.split}.txt"
    if not path.exists():
        print(f"no CoNLL data at {path}: nothing to measure")
        return 2
    docs = read_docs(path)
    news = [d for d in docs if not is_sports(d)]
    print(f"{args.split}: {len(docs)} documents, {len(news)} kept as news (sports left out)")
    totals = {"agnostic": [0, 0, 0], "aware": [0, 0, 0]}
    macro: dict[str, list[float]] = {"agnostic": [], "aware": []}
    misses: Counter[str] = Counter()
    false: Counter[str] = Counter()
    elapsed = 0.0
    for doc in news:
        text = "\n".join(detok([t for t, _ in s]) for s in doc)
        gold = {(norm(n), k) for n, k in gold_names(doc)}
        t0 = time.perf_counter()
        found = {(norm(n), k) for n, k in recognise(text)}
        elapsed += time.perf_counter() - t0
        for label, g, p in (("agnostic", {n for n, _ in gold}, {n for n, _ in found}), ("aware", gold, found)):
            tp, fp, fn = len(g & p), len(p - g), len(g - p)
            for i, v in enumerate((tp, fp, fn)):
                totals[label][i] += v
            macro[label].append(f1(tp, fp, fn))
        misses.update(f"{n}/{k}" for n, k in gold - found)
        false.update(f"{n}/{k}" for n, k in found - gold)
    for label in ("agnostic", "aware"):
        tp, fp, fn = totals[label]
        p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        print(f"type-{label:8s} micro P={p:.3f} R={r:.3f} F1={f1(tp, fp, fn):.3f}   "
              f"macro F1={sum(macro[label]) / len(macro[label]):.3f}")
    print(f"time: {1000 * elapsed / len(news):.2f} ms per document")
    if args.errors:
        print("missed:", ", ".join(f"{k}×{v}" for k, v in misses.most_common(args.errors)))
        print("false: ", ", ".join(f"{k}×{v}" for k, v in false.most_common(args.errors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
