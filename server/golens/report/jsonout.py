import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import TextIO

from golens.report import LocatedFinding


def write_json(findings: Iterable[LocatedFinding], out: TextIO) -> None:
    """One JSON array; positions 1-based, columns in bytes (`column`) and UTF-16 units."""
    json.dump([asdict(f) for f in findings], out, indent=2, ensure_ascii=False)
    out.write("\n")
