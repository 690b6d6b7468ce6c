"""ROUGE and speed of every summary algorithm on the eval data (CNN/DailyMail, BBC).

Usage: .venv/bin/python bench/bench_summaries.py [--split dev|heldout|both] [--data cnndm,bbc]
       [--algorithms news,lead,...] [--speed-only]
Reads /work/shared/eval-data/summaries/*.jsonl when present (override with NEWSBRIEF_EVAL_DATA);
the split is sha1(id) in hex ending in 0-4 = dev, else held out. Tune on dev only.
"""

from __future__ import annotations

import os

# sumy's LSA runs numpy SVDs: multi-threaded BLAS made it 17-75x slower on small matrices.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.models import Article  # noqa: E402
from bot.news.summarise import ALGORITHMS, summarise  # noqa: E402

DATA = Path(os.environ.get("NEWSBRIEF_EVAL_DATA", "/work/shared/eval-data")) / "summaries"
SEED_TEXT = (
    "The city council approved a new budget on Tuesday after months of debate, raising spending on "
    "schools and public transport by 4.5 percent. Mayor Jane Doe said the plan would hire 120 teachers "
    "and add three bus lines by next spring. Opposition members criticised the tax increase that pays "
    "for it, saying families were already struggling with higher prices. The budget passed by 7 votes "
    "to 4. Read more: How the city spends your money. Officials expect the first new buses to run in "
    "March, and the hiring of teachers will begin in January."
)


def is_dev(doc_id: str) -> bool:
    """The project's split: sha1 of the id in hex ending in 0-4 is dev."""
    return hashlib.sha1(doc_id.encode()).hexdigest()[-1] in "01234"


def load(name: str, split: str) -> list[dict[str, str]]:
    """Documents of one data set and split ('dev' or 'heldout')."""
    path = DATA / f"{name}.jsonl"
    docs = [json.loads(line) for line in path.open(encoding="utf-8")]
    return [d for d in docs if is_dev(d["id"]) == (split == "dev")]


def article_of(doc: dict[str, str]) -> Article:
    """The bench document as the Article the pipeline would see."""
    paragraphs = tuple(p for p in doc["text"].split("\n\n") if p.strip())
    return Article(headline=doc["title"], paragraphs=paragraphs, language="en")


def score(docs: list[dict[str, str]], algorithm: str) -> tuple[float, float, float, float]:
    """Mean ROUGE-1/2/L F (x100) and mean summary words for 3-sentence summaries."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    r1, r2, rl, n_words = [], [], [], []
    for doc in docs:
        summary = " ".join(summarise(article_of(doc), sentences=3, algorithm=algorithm))
        s = scorer.score(doc["reference"], summary)
        r1.append(s["rouge1"].fmeasure)
        r2.append(s["rouge2"].fmeasure)
        rl.append(s["rougeL"].fmeasure)
        n_words.append(len(summary.split()))
    return (100 * statistics.mean(r1), 100 * statistics.mean(r2), 100 * statistics.mean(rl),
            statistics.mean(n_words))


def synthetic(n_sentences: int) -> Article:
    """A deterministic article of n sentences of news-like vocabulary."""
    rng = random.Random(7)
    vocab = ("government minister said police city council report market company people year week "
             "officials election budget court health school water energy prices workers union "
             "talks plan vote law bank rates growth").split()
    fill = "the a of to in and on for with by from that".split()
    sentences = []
    for _ in range(n_sentences):
        n = rng.randint(8, 30)
        ws = [rng.choice(vocab if rng.random() < 0.5 else fill) for _ in range(n)]
        sentences.append(" ".join(ws).capitalize() + ".")
    paragraphs = tuple(" ".join(sentences[i:i + 5]) for i in range(0, n_sentences, 5))
    return Article(headline="Government and union agree budget plan", paragraphs=paragraphs, language="en")


def seed_article() -> Article:
    """The project's example article (examples/articles/us-china-call.txt), else a built-in text."""
    path = Path(__file__).resolve().parents[1] / "examples" / "articles" / "us-china-call.txt"
    if not path.is_file():
        return Article(headline="Council approves budget", paragraphs=(SEED_TEXT,), language="en")
    blocks = [b.strip() for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    return Article(headline=blocks[1], paragraphs=tuple(blocks[2:]), language="en")


def timed_ms(article: Article, algorithm: str, repeat: int = 5) -> float:
    """Best-of-`repeat` wall time of one summarise call, in ms."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        summarise(article, algorithm=algorithm)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def speed(algorithms: list[str]) -> None:
    """Print ms for the seed text and a synthetic 800-sentence article, per algorithm."""
    seed = seed_article()
    big = synthetic(800)
    summarise(seed)  # warm the stemmer and stop-word caches once, as a running bot would be
    print(f"{'speed':<10} {'seed ms':>8} {'800-sent ms':>12}   (best of 5 / 2 runs, warm caches)")
    for algorithm in algorithms:
        print(f"{algorithm:<10} {timed_ms(seed, algorithm):8.1f} {timed_ms(big, algorithm, 2):12.1f}")


def main() -> int:
    """Print ROUGE tables per data set and split, then the speed lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "heldout", "both"), default="dev")
    parser.add_argument("--data", default="cnndm,bbc")
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--speed-only", action="store_true")
    args = parser.parse_args()
    algorithms = [a for a in args.algorithms.split(",") if a]
    if not args.speed_only:
        if not DATA.is_dir():
            print(f"eval data not found at {DATA}: skipping ROUGE (set NEWSBRIEF_EVAL_DATA)")
        else:
            splits = ("dev", "heldout") if args.split == "both" else (args.split,)
            for name in args.data.split(","):
                for split in splits:
                    docs = load(name, split)
                    print(f"\n{name} {split} ({len(docs)} docs)  R-1    R-2    R-L   words")
                    for algorithm in algorithms:
                        r1, r2, rl, nw = score(docs, algorithm)
                        print(f"  {algorithm:<10} {r1:6.2f} {r2:6.2f} {rl:6.2f} {nw:6.1f}", flush=True)
    print()
    speed(algorithms)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
