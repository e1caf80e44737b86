"""A report in one of the formats: findings, plus what the runtime evidence was (a trace's or
profiles' summary) as `# ` lines in text and as properties in JSON and SARIF. Where it goes
(stdout or `--output`, and what happens when that fails) is cli.files.write_report's job."""

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

from golens.registry import Registry
from golens.report import LocatedFinding
from golens.report.jsonout import write_json
from golens.report.sarif import write_sarif
from golens.report.text import write_text

Format = Literal["text", "json", "sarif"]
FORMATS: tuple[Format, ...] = ("text", "json", "sarif")


def render(out: TextIO, fmt: str, findings: Iterable[LocatedFinding], registry: Registry, *,
           summary: Sequence[str] = (), json_properties: dict[str, Any] | None = None,
           sarif_properties: dict[str, Any] | None = None) -> None:
    """`json_properties`: JSON becomes an object of them plus `findings` instead of a plain
    array; `sarif_properties`: the SARIF run's properties."""
    findings = list(findings)
    if fmt == "json":
        write_json(findings, out, json_properties)
    elif fmt == "sarif":
        write_sarif(findings, out, registry, Path.cwd(), sarif_properties)
    else:
        write_text(findings, out)
        out.write("\n" if findings and summary else "")
        for line in summary:
            out.write(f"# {line}\n")


def write_patch(out: TextIO, diffs: Iterable[str]) -> None:
    """A pure patch, as `golens check --fix --diff | git apply` wants it."""
    out.write("".join(diffs))
