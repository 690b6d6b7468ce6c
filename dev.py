#!/usr/bin/env python3
"""Set up the project's virtual environment and run its main jobs, with nothing but Python 3.11+.

    python3 dev.py demo    # set up, then brief the bundled example articles (offline)
    python3 dev.py test    # set up, then run ruff, mypy and the whole test suite
    python3 dev.py bench   # set up (with the benchmark extras), then run the benchmarks in bench/
"""

from __future__ import annotations

import glob
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _stamp(extras: str) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    return digest[:16]


def ensure_env(extras: str = "dev") -> None:
    """Create .venv and install the project with the given extras, unless pyproject.toml is unchanged."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 the machine has
        sys.exit("newsbrief needs Python 3.11 or newer")
    if not PY.exists():
        print("creating .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    marker = VENV / ".newsbrief-installed"
    want = _stamp(extras)
    if marker.exists() and marker.read_text().strip() == want:
        return
    print(f"installing newsbrief[{extras}] into .venv ...", file=sys.stderr)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "-e", f".[{extras}]"], check=True, cwd=ROOT)
    marker.write_text(want)


def run(*args: str) -> int:
    """Run a command in the project root and return its exit code."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(list(args), cwd=ROOT, env=env).returncode


def demo() -> int:
    """Brief every bundled example article, offline."""
    ensure_env("dev")
    examples = sorted(glob.glob(str(ROOT / "examples" / "articles" / "*")))
    return run(str(PY), "-m", "bot", "brief", *examples, "--config", str(ROOT / "examples" / "config.yaml"))


def test() -> int:
    """Lint, type-check and run the test suite; the first failure decides the exit code."""
    ensure_env("dev")
    for step in (
        [str(PY), "-m", "ruff", "check", "bot", "tests", "bench", "dev.py"],
        [str(PY), "-m", "mypy"],
        [str(PY), "-m", "pytest", *sys.argv[2:]],
    ):
        print("$ " + " ".join(Path(step[0]).name if i == 0 else a for i, a in enumerate(step)), flush=True)
        code = run(*step)
        if code != 0:
            return code
    return 0


def bench() -> int:
    """Run every benchmark in bench/ (they read ../shared/eval-data when it is there)."""
    ensure_env("dev,bench")
    code = 0
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        print(f"$ python {script.relative_to(ROOT)}", flush=True)
        code |= run(str(PY), str(script))
    return code


def main() -> int:
    """Dispatch dev.py's sub-command."""
    jobs = {"demo": demo, "test": test, "bench": bench}
    if len(sys.argv) < 2 or sys.argv[1] not in jobs:
        print(__doc__)
        return 2
    return jobs[sys.argv[1]]()


if __name__ == "__main__":
    sys.exit(main())
