from collections.abc import Iterable
from typing import TextIO

from golens.report import LocatedFinding


def write_text(findings: Iterable[LocatedFinding], out: TextIO) -> None:
    """`path:line:col: GL201 message` (byte columns, like go vet), related locations indented."""
    for f in findings:
        out.write(f"{f.path}:{f.start.line}:{f.start.column}: {f.rule} {f.message}\n")
        for r in f.related:
            out.write(f"\t{r.path}:{r.start.line}:{r.start.column}: {r.message}\n")
