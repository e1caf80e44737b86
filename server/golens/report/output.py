"""Every way the CLI writes results: the report in one of the formats, or a patch, to stdout or
to the `--output` file."""

import contextlib
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from golens.registry import Registry
from golens.report import LocatedFinding
from golens.report.jsonout import write_json
from golens.report.sarif import write_sarif
from golens.report.text import write_text

Format = Literal["text", "json", "sarif"]
FORMATS: tuple[Format, ...] = ("text", "json", "sarif")


@dataclass(frozen=True)
class TraceHeader:
    """The trace the findings were merged with, as reports show it."""

    path: str
    summary: dict[str, Any]
    summary_lines: list[str]  # the text report's closing `# ...` lines


@contextlib.contextmanager
def output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or the file the user named (created or truncated)."""
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8") as out:
        yield out


def write_report(findings: Iterable[LocatedFinding], fmt: Format, out: TextIO, registry: Registry, *,
                 trace: TraceHeader | None = None, json_envelope: bool = False) -> None:
    """`json_envelope`: JSON as an object with the trace and its summary beside the findings
    (`golens trace`), instead of the plain array `golens check` writes."""
    findings = list(findings)
    if fmt == "json":
        envelope = {"trace": trace.path, "summary": trace.summary} if trace is not None and json_envelope else None
        write_json(findings, out, envelope)
    elif fmt == "sarif":
        run_properties = {"trace": trace.path, "traceSummary": trace.summary} if trace is not None else None
        write_sarif(findings, out, registry, Path.cwd(), run_properties)
    else:
        write_text(findings, out)
        if trace is not None:
            out.write("\n" if findings else "")
            for line in trace.summary_lines:
                out.write(f"# {line}\n")


def write_patch(diffs: Iterable[str], out: TextIO) -> None:
    """A pure patch, as `golens check --fix --diff | git apply` wants it."""
    out.write("".join(diffs))
