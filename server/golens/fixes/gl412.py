"""GL412 lock-left-held: release the lock where the path leaves it held — before the `break` or
`continue`, or as the last statement of the loop body or the function. Preferred: every path
reaching that point holds the lock (the check's walk is must-held), so the new release is the
one each of them lacks."""

from typing import cast

from golens.checks.gl412_lock_left_held import GL412Data
from golens.document import TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext


def fixes(ctx: FixContext) -> list[Fix]:
    data = cast(GL412Data, ctx.data)
    lock, unlock, where = data.get("lock"), data.get("unlock"), data.get("where")
    if not lock or not unlock or not where:
        return []
    release = f"{lock}.{unlock}()"
    if where in ("break", "continue"):
        jump = ctx.named_node(f"{where}_statement")
        if jump is None or not ctx.starts_line(jump):
            return []
        return [Fix(f"Call {release} before {where}", (ctx.insert_before(jump, release),), preferred=True)]
    brace = ctx.node
    if brace.type != "}" or not ctx.starts_line(brace):
        return []  # a body on one line: the release would need the braces reflowed
    at = ctx.doc.lines.line_start(brace.start_point[0])
    indent = ctx.indent_at(brace.start_byte)
    place = "at the end of the iteration" if where == "iteration" else "at the end of the function"
    return [Fix(f"Call {release} {place}", (TextEdit(at, at, f"{indent}\t{release}\n".encode()),),
                preferred=True)]
