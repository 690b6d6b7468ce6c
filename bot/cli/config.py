"""`python -m bot check-config [PATH]`: validate a config file without starting the bot."""

from __future__ import annotations

import argparse
from typing import Any

from bot.errors import ConfigError
from bot.settings import load_settings, summarise_settings


def register(subparsers: Any) -> None:
    """Add the `check-config` sub-command."""
    parser = subparsers.add_parser(
        "check-config",
        help="validate a config file and list every problem",
        description="Exit 0 with a one-line summary when the file is valid, else exit 1 with every "
        "problem as file:line:column key.path: message, one per line.",
    )
    parser.add_argument("path", nargs="?", default="config.yaml", metavar="PATH", help="default: ./config.yaml")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate args.path; print the summary (exit 0) or every problem (exit 1) on standard output."""
    try:
        settings = load_settings(args.path)
    except ConfigError as err:
        # Standard output, like a linter: the list is this command's result, ready for grep.
        for problem in err.problems:
            print(problem)
        return 1
    print(summarise_settings(settings))
    return 0
