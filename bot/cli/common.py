"""Helpers shared by the command-line sub-commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.errors import ConfigError
from bot.settings import Settings, load_settings

DEFAULT_CONFIG = Path("config.yaml")


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """Add --config PATH (default: ./config.yaml when it exists, else built-in defaults)."""
    parser.add_argument("--config", metavar="PATH", help="config file (default: ./config.yaml if present)")


def settings_from_args(args: argparse.Namespace) -> Settings | None:
    """Load the settings named by --config; prints the errors and returns None when they are invalid."""
    path: Path | None = Path(args.config) if getattr(args, "config", None) else None
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    try:
        return load_settings(path)
    except ConfigError as err:
        print("\n".join(err.problems), file=sys.stderr)
        return None
    except OSError as err:
        print(f"cannot read config {path}: {err.strerror}", file=sys.stderr)
        return None
