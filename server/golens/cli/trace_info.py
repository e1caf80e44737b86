"""`golens trace-info TRACE`: summarise a Go execution trace."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from golens.cli import Subparsers
from golens.trace import Trace, TraceError, read_trace


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "trace-info",
        help="summarise a Go execution trace (runtime/trace, Go 1.22+)",
        description="Print a summary of a Go execution trace: format version, duration, "
        "goroutines, events by kind, GC cycles.",
    )
    p.add_argument("trace", metavar="TRACE", help="trace file written by runtime/trace, go test -trace or /debug/pprof/trace")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def summarize(tr: Trace) -> dict[str, Any]:
    gors = tr.goroutines.values()
    alive = [g for g in gors if g.alive_at_end]
    by_state: dict[str, int] = {}
    for g in alive:
        key = str(g.final_state)
        by_state[key] = by_state.get(key, 0) + 1
    stw_total = sum(p.duration or 0 for p in tr.stw_pauses)
    return {
        "format": f"go 1.{tr.format_version} trace",
        "written_by": tr.written_by,
        "size_bytes": tr.size_bytes,
        "duration_ns": tr.duration_ns,
        "wall_start": tr.wall_start.isoformat() if tr.wall_start else None,
        "generations": tr.generations,
        "truncated": tr.truncated,
        "goroutines": {
            "total": len(tr.goroutines),
            "created_during_trace": sum(1 for g in gors if g.created_ns is not None),
            "existed_before_trace": sum(1 for g in gors if g.created_ns is None),
            "alive_at_end": len(alive),
            "alive_at_end_by_state": dict(sorted(by_state.items())),
        },
        "transitions": sum(g.transition_count for g in gors),
        "events": tr.event_total,
        "events_by_kind": dict(sorted(tr.event_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        "gc_cycles": len(tr.gc_cycles),
        "stw_pauses": len(tr.stw_pauses),
        "stw_total_ns": stw_total,
        "mark_assists": len(tr.mark_assists),
        "tasks": len(tr.tasks),
        "regions": len(tr.regions),
        "logs": len(tr.logs),
        "cpu_samples": len(tr.cpu_samples),
        "stacks": len(tr.stacks),
        "warnings": list(tr.warnings),
    }


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.3f} ms"


def render(s: dict[str, Any]) -> str:
    g = s["goroutines"]
    lines = [
        f"format:        {s['format']} (written by {s['written_by']})",
        f"size:          {s['size_bytes']} bytes",
        f"duration:      {_ms(s['duration_ns'])}",
    ]
    if s["wall_start"]:
        lines.append(f"wall start:    {s['wall_start']}")
    lines += [
        f"generations:   {s['generations']}" + (" (truncated)" if s["truncated"] else ""),
        f"goroutines:    {g['total']} ({g['created_during_trace']} created during the trace, "
        f"{g['existed_before_trace']} existed before it)",
        f"alive at end:  {g['alive_at_end']}"
        + (" (" + ", ".join(f"{n} {k.lower()}" for k, n in g["alive_at_end_by_state"].items()) + ")" if g["alive_at_end"] else ""),
        f"transitions:   {s['transitions']}",
        f"GC cycles:     {s['gc_cycles']}",
        f"STW pauses:    {s['stw_pauses']} ({_ms(s['stw_total_ns'])} total)",
        f"mark assists:  {s['mark_assists']}",
        f"user tasks:    {s['tasks']}, regions: {s['regions']}, logs: {s['logs']}",
        f"CPU samples:   {s['cpu_samples']}",
        f"stacks:        {s['stacks']}",
        f"events:        {s['events']}",
    ]
    width = max((len(k) for k in s["events_by_kind"]), default=0)
    for kind, n in s["events_by_kind"].items():
        lines.append(f"  {kind:<{width}}  {n}")
    for w in s["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        tr = read_trace(args.trace)
    except TraceError as e:
        print(f"golens trace-info: {args.trace}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"golens trace-info: {args.trace}: {e.strerror or e}", file=sys.stderr)
        return 2
    s = summarize(tr)
    if getattr(args, "json", False):
        print(json.dumps(s, indent=2))
    else:
        print(render(s))
    for w in tr.warnings:
        print(f"golens trace-info: warning: {w}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="golens")
    register(parser.add_subparsers(dest="command", required=True))
    sys.exit(run(parser.parse_args()))
