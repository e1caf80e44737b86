import argparse
import sys

from golens.cli import Subparsers
from golens.registry import default_registry


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("explain", help="show a rule's documentation",
                                   description="Print a rule's documentation (by id or slug).")
    parser.add_argument("rule", metavar="RULE", help="rule id (GL201) or slug (lost-cancel)")


def run(args: argparse.Namespace) -> int:
    rule = default_registry().get(args.rule)
    if rule is None:
        print(f"golens: unknown rule {args.rule!r} (see `golens rules`)", file=sys.stderr)
        return 2
    print(f"{rule.id} {rule.slug}: {rule.title}")
    print(f"severity: {rule.severity.label}, category: {rule.category}, since {rule.since}")
    print()
    print(rule.body)
    return 0
