"""Quick fixes: edits that resolve a finding, computed from the current tree (never from ranges a
client echoes back), in byte offsets like the rest of the engine.

Each rule's fix lives in `golens.fixes.<rule id lowercase>` as `fixes(ctx: FixContext) -> list[Fix]`.
A fix is `preferred` only when it keeps the program's behaviour in the common case; fix-all
applies only preferred fixes.
"""

import importlib
from dataclasses import dataclass
from types import ModuleType

from golens.config import Config
from golens.document import Document, TextEdit
from golens.engine import Engine
from golens.findings import Finding
from golens.fixes.context import FixContext
from golens.syntax.facts import Fact


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]
    preferred: bool = False
    rule: str = ""
    kind: str = "quickfix"


def _fix_module(rule_id: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"golens.fixes.{rule_id.lower()}")
    except ModuleNotFoundError as exc:
        if exc.name == f"golens.fixes.{rule_id.lower()}":
            return None
        raise


def has_fix(rule_id: str) -> bool:
    return _fix_module(rule_id) is not None


def fixes_for(doc: Document, finding: Finding) -> list[Fix]:
    """The fixes for one finding of the document's current version; none if the code around it
    has syntax errors (an edit there could land anywhere)."""
    module = _fix_module(finding.rule)
    if module is None or doc.tree is None:
        return []
    ctx = FixContext(doc, finding)
    if ctx.touches_error():
        return []
    found = []
    for fix in module.fixes(ctx):
        found.append(Fix(fix.title, tuple(sorted(fix.edits, key=lambda e: (e.start, e.end))),
                         fix.preferred, finding.rule, fix.kind))
    return found


def suppress_fix(doc: Document, finding: Finding) -> Fix:
    """`//golens:ignore RULE` on its own line above the statement that holds the finding."""
    ctx = FixContext(doc, finding)
    statement = ctx.statement()
    anchor = statement.start_byte if statement is not None else finding.start
    line_start = doc.lines.line_start(doc.lines.position(anchor)[0])
    indent = ctx.indent_at(anchor)
    return Fix(
        f"Suppress {finding.rule} on this line",
        (TextEdit(line_start, line_start, f"{indent}//golens:ignore {finding.rule}\n".encode()),),
        preferred=False,
        rule=finding.rule,
    )


def apply_edits(source: bytes, edits: list[TextEdit] | tuple[TextEdit, ...]) -> bytes:
    """Apply non-overlapping edits given against the same source."""
    result = source
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        result = result[:edit.start] + edit.new_text + result[edit.end:]
    return result


def combine(fixes: list[Fix]) -> list[TextEdit]:
    """The edits of several fixes in one batch: identical edits (the same import added twice)
    are merged, and a fix whose edits overlap an earlier one is left for the next round."""
    taken: list[TextEdit] = []
    for fix in fixes:
        new = [e for e in fix.edits if e not in taken]
        if any(_overlaps(e, t) for e in new for t in taken):
            continue
        taken.extend(new)
    return sorted(taken, key=lambda e: (e.start, e.end))


def _overlaps(a: TextEdit, b: TextEdit) -> bool:
    if a.start == a.end == b.start == b.end:
        return a.new_text != b.new_text  # two inserts at one point: order would be ambiguous
    return a.start < b.end and b.start < a.end



def fix_all(doc: Document, engine: Engine, config: Config | None = None, max_rounds: int = 8,
            package: frozenset[Fact] = frozenset()) -> bytes:
    """The document's text with every preferred fix applied. Fixes can enable or overlap each
    other, so this re-checks and repeats until nothing is left to do (applying it twice is a
    no-op)."""
    source = doc.source
    for _ in range(max_rounds):
        current = Document(source, doc.path, module_go_version=doc.module_go_version)
        chosen = []
        for finding in engine.check(current, config=config, package=package).findings:
            preferred = [f for f in fixes_for(current, finding) if f.preferred]
            if preferred:
                chosen.append(preferred[0])
        edits = combine(chosen)
        if not edits:
            break
        source = apply_edits(source, edits)
    return source


__all__ = ["Fix", "FixContext", "fixes_for", "fix_all", "suppress_fix", "apply_edits", "combine", "has_fix"]
