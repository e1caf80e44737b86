"""Moving trace evidence with the user's edits, without the LSP.

Evidence lines refer to the files as they were when the trace was loaded (the baseline). For a
document whose text differs, lines are mapped through a line diff of the baseline and the current
text; evidence on a line that was itself edited is marked stale rather than moved.
"""

from __future__ import annotations

import dataclasses
import difflib

from golens.evidence.analysis import Evidence, Site
from golens.findings import Severity

# 1-based baseline line -> (current line or None when deleted, was the line edited?)
LineMap = dict[int, tuple[int | None, bool]]

STALE_EDITED = "the line was edited since the trace"


def line_map(base: bytes, current: bytes) -> LineMap | None:
    """How baseline lines moved in `current`; None when the texts are identical.

    An edited line keeps the position of its counterpart in the replacing block (None when the
    block was deleted outright)."""
    if base == current:
        return None
    a, b = base.split(b"\n"), current.split(b"\n")
    mapping: LineMap = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for k in range(i1, i2):
            if tag == "equal":
                mapping[k + 1] = (j1 + (k - i1) + 1, False)
            elif j2 > j1:
                mapping[k + 1] = (j1 + min(k - i1, j2 - j1 - 1) + 1, True)
            else:
                mapping[k + 1] = (None, True)
    return mapping


def current_line(mapping: LineMap | None, line: int) -> int | None:
    """Where a baseline line is now; None when it was edited or deleted."""
    if mapping is None:
        return line
    now, edited = mapping.get(line, (None, True))
    return None if edited else now


def shift_evidence(e: Evidence, mapping: LineMap, path: str) -> Evidence:
    """`e` with its sites in `path` moved to their current lines; on an edited line the evidence
    stays where it was, is marked stale and drops one severity level."""

    def move(site: Site) -> Site:
        if str(site.path) != path:
            return site
        new, edited = mapping.get(site.line, (None, True))
        line = new if new is not None else site.line
        if edited:
            return dataclasses.replace(site, line=line, stale=site.stale or STALE_EDITED)
        return dataclasses.replace(site, line=line)

    site = move(e.site)
    related = [(move(s), m) for s, m in e.related]
    if site.stale and not e.site.stale:
        return dataclasses.replace(e, site=site, related=related,
                                   severity=Severity(min(int(Severity.HINT), int(e.severity) + 1)),
                                   message=e.message + f" [stale: {site.stale}]")
    return dataclasses.replace(e, site=site, related=related)
