import argparse
import sys
from pathlib import Path

from golens.cli import Subparsers
from golens.config import Config, ConfigError, find_config_file
from golens.registry import default_registry


def register(subparsers: Subparsers) -> None:
    subparsers.add_parser("rules", help="list the rules", description="List every rule golens knows.")


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    found = find_config_file(Path.cwd())
    try:
        config = Config.from_file(found, registry) if found else Config()
    except ConfigError as exc:
        print(f"golens: {exc}", file=sys.stderr)
        return 2
    for problem in config.problems:
        print(f"golens: {problem}", file=sys.stderr)
    rows = [("ID", "SLUG", "SEVERITY", "CATEGORY", "ON", "TITLE")]
    for rule in registry.rules:
        rows.append((rule.id, rule.slug, config.severity_for(rule).label, rule.category,
                     "yes" if config.is_enabled(rule) else "no", rule.title))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        # The last column, the title, is not padded: zip stops at the widths.
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[5])
    return 2 if config.problems else 0
