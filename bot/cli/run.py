"""`python -m bot run [--config PATH]`: the Discord bot, or the console front-end without a token."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import DEFAULT_CONFIG, add_config_argument
from bot.errors import ConfigError


def register(subparsers: Any) -> None:
    """Add the `run` sub-command."""
    p = subparsers.add_parser("run", help="run the Discord bot (console front-end when DISCORD_TOKEN is unset)",
                              description="Connect to Discord with the token in DISCORD_TOKEN. Without a token "
                                          "the same commands are offered at a console prompt.")
    add_config_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start the bot; returns the exit code."""
    from bot.app import run_app
    from bot.news.workers import pin_blas_threads

    pin_blas_threads()
    path = args.config or (str(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else None)
    if path and not Path(path).is_file():
        print(f"cannot read config {path}: no such file", file=sys.stderr)
        return 2
    token = os.environ.get("DISCORD_TOKEN", "").strip() or None
    try:
        return asyncio.run(run_app(path, token))
    except ConfigError as err:
        print("\n".join(err.problems), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
