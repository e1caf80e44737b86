"""Precision of golens's Warning/Error findings on the held-back corpus (or the tuning half).

    python tests/corpus/precision.py --root DIR [--half held-back|tuning] [--save DIR | --load DIR]
                                     [--untriaged] [--append-untriaged]

DIR holds one checkout per repository of `tests/corpus/split.json`, named by its `dir` field, at
the recorded commit (corpus source is read as data, never committed). The script runs
`golens check --format json` in each repository, joins the Warning/Error findings with the triage
records in `tests/corpus/triage/<half>.tsv`, and prints per rule: findings, true / false /
debatable / untriaged, and precision. A record is keyed by repository, file, rule, a hash of the
flagged line's text and its occurrence among equal keys, so it survives lines moving up or down;
a finding whose line text changed, or that a rule newly makes, shows up as untriaged.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
SPLIT = HERE / "split.json"
TRIAGE_DIR = HERE / "triage"
TRIAGED_SEVERITIES = ("error", "warning")
VERDICTS = ("true", "false", "debatable")
TRIAGE_COLUMNS = ("repo", "path", "line", "rule", "text_hash", "occurrence", "verdict", "reason")


@dataclass(frozen=True)
class Key:
    repo: str
    path: str
    rule: str
    text_hash: str
    occurrence: int


@dataclass
class Finding:
    key: Key
    line: int
    severity: str
    message: str
    text: str


@dataclass
class Verdict:
    verdict: str
    reason: str
    line: int


@dataclass
class RuleTally:
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def findings(self) -> int:
        return sum(self.counts.values())

    @property
    def triaged(self) -> int:
        return sum(self.counts[v] for v in VERDICTS)

    def precision(self) -> float | None:
        """Share of triaged findings that are right; a debatable finding does not count as right."""
        return self.counts["true"] / self.triaged if self.triaged else None

    def lenient_precision(self) -> float | None:
        """Share of triaged findings that are right or debatable."""
        return (self.counts["true"] + self.counts["debatable"]) / self.triaged if self.triaged else None


def text_hash(line_text: str) -> str:
    normalized = " ".join(line_text.split())
    return hashlib.sha1(normalized.encode()).hexdigest()[:12]


def load_split() -> dict[str, list[dict[str, object]]]:
    split: dict[str, list[dict[str, object]]] = json.loads(SPLIT.read_text())
    return split


def run_golens(repo_dir: Path) -> list[dict[str, object]]:
    proc = subprocess.run([sys.executable, "-m", "golens", "check", "--format", "json", "."],
                          cwd=repo_dir, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"golens check failed in {repo_dir} (exit {proc.returncode}):\n{proc.stderr}")
    findings: list[dict[str, object]] = json.loads(proc.stdout or "[]")
    return findings


def keyed_findings(repo: str, repo_dir: Path, raw: list[dict[str, object]]) -> list[Finding]:
    lines_by_path: dict[str, list[str]] = {}
    seen: Counter[tuple[str, str, str]] = Counter()
    keyed = []
    ordered = sorted(raw, key=lambda f: (str(f["path"]), _line(f), str(f["rule"])))
    for f in ordered:
        path, rule, line = str(f["path"]), str(f["rule"]), _line(f)
        if path not in lines_by_path:
            lines_by_path[path] = (repo_dir / path).read_text(errors="replace").splitlines()
        source_lines = lines_by_path[path]
        text = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
        digest = text_hash(text)
        seen[(path, rule, digest)] += 1
        keyed.append(Finding(Key(repo, path, rule, digest, seen[(path, rule, digest)]), line,
                             str(f["severity"]), str(f["message"]), text.strip()))
    return keyed


def _line(finding: dict[str, object]) -> int:
    start = finding["start"]
    assert isinstance(start, dict)
    return int(start["line"])


def triage_path(half: str) -> Path:
    return TRIAGE_DIR / f"{half}.tsv"


def load_triage(half: str) -> dict[Key, Verdict]:
    path = triage_path(half)
    if not path.exists():
        return {}
    records: dict[Key, Verdict] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            key = Key(row["repo"], row["path"], row["rule"], row["text_hash"], int(row["occurrence"]))
            if key in records:
                raise SystemExit(f"{path}: {key} triaged twice")
            records[key] = Verdict(row["verdict"], row["reason"], int(row["line"]))
    return records


def append_untriaged(half: str, findings: list[Finding]) -> None:
    path = triage_path(half)
    new_file = not path.exists()
    with path.open("a", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        if new_file:
            writer.writerow(TRIAGE_COLUMNS)
        for f in findings:
            k = f.key
            writer.writerow((k.repo, k.path, f.line, k.rule, k.text_hash, k.occurrence, "?", f.message))


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def report(findings: list[Finding], triage: dict[Key, Verdict]) -> tuple[list[Finding], list[Key]]:
    """Prints the tables; returns the untriaged Warning/Error findings and the stale records."""
    tallies: dict[str, RuleTally] = {}
    information: dict[str, Counter[str]] = {}
    untriaged = []
    matched = set()
    for f in findings:
        if f.severity not in TRIAGED_SEVERITIES:
            place = "test" if f.key.path.endswith("_test.go") else "non-test"
            information.setdefault(f.key.rule, Counter())[place] += 1
            continue
        record = triage.get(f.key)
        verdict = record.verdict if record and record.verdict in VERDICTS else "untriaged"
        if verdict == "untriaged":
            untriaged.append(f)
        else:
            matched.add(f.key)
        tallies.setdefault(f.key.rule, RuleTally()).counts[verdict] += 1

    print("Warning/Error findings (precision: true / triaged; lenient: (true + debatable) / triaged)")
    print(f"{'rule':6} {'findings':>8} {'true':>5} {'false':>5} {'debat.':>6} {'untri.':>6} "
          f"{'precision':>9} {'lenient':>7}")
    overall = RuleTally()
    for rule in sorted(tallies):
        t = tallies[rule]
        overall.counts.update(t.counts)
        print(f"{rule:6} {t.findings:8} {t.counts['true']:5} {t.counts['false']:5} "
              f"{t.counts['debatable']:6} {t.counts['untriaged']:6} {percent(t.precision()):>9} "
              f"{percent(t.lenient_precision()):>7}")
    print(f"{'all':6} {overall.findings:8} {overall.counts['true']:5} {overall.counts['false']:5} "
          f"{overall.counts['debatable']:6} {overall.counts['untriaged']:6} "
          f"{percent(overall.precision()):>9} {percent(overall.lenient_precision()):>7}")
    print()
    print("Information findings (not triaged one by one)")
    print(f"{'rule':6} {'non-test':>8} {'_test.go':>8}")
    for rule in sorted(information):
        c = information[rule]
        print(f"{rule:6} {c['non-test']:8} {c['test']:8}")
    stale = [k for k, v in triage.items() if k not in matched and v.verdict in VERDICTS]
    return untriaged, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True,
                        help="directory holding one checkout per repository of split.json")
    parser.add_argument("--half", choices=("held-back", "tuning"), default="held-back")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--save", type=Path, metavar="DIR", help="also write each repository's raw findings here")
    source.add_argument("--load", type=Path, metavar="DIR", help="read raw findings saved by --save instead of running golens")
    parser.add_argument("--untriaged", action="store_true", help="list untriaged findings and stale records")
    parser.add_argument("--append-untriaged", action="store_true",
                        help="append untriaged findings to the triage file with verdict '?', to be filled in")
    args = parser.parse_args(argv)

    findings: list[Finding] = []
    for entry in load_split()[args.half]:
        repo, repo_dir = str(entry["repo"]), args.root / str(entry["dir"])
        if args.load:
            raw = json.loads((args.load / f"{entry['dir']}.json").read_text())
        else:
            if not repo_dir.is_dir():
                raise SystemExit(f"{repo_dir}: missing; check out {repo} at {entry['commit']} there")
            raw = run_golens(repo_dir)
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"{entry['dir']}.json").write_text(json.dumps(raw))
        findings += keyed_findings(repo, repo_dir, raw)

    triage = load_triage(args.half)
    untriaged, stale = report(findings, triage)
    if args.untriaged:
        print()
        for f in untriaged:
            print(f"untriaged {f.key.repo} {f.key.path}:{f.line} {f.key.rule} {f.message}\n    {f.text}")
        for k in stale:
            print(f"no longer a Warning/Error finding: {k.repo} {k.path}:{triage[k].line} {k.rule} "
                  f"({triage[k].verdict}: {triage[k].reason})")
    if args.append_untriaged and untriaged:
        append_untriaged(args.half, untriaged)
    return 0


if __name__ == "__main__":
    sys.exit(main())
