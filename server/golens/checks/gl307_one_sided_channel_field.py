"""GL307 one-sided-channel-field: see rules/GL307-one-sided-channel-field.md."""

from collections.abc import Iterator
from functools import partial

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.bindings import struct_type_of
from golens.syntax.channels import CLOSE, RANGE, RECV, SEND
from golens.syntax.facts import ChanField, Fact
from golens.syntax.flow import leak_severity
from golens.syntax.summaries import ESCAPE, LEN, channel_use, field_channel_ops, summarize_channels
from golens.syntax.tree import enclosing_function, text


def summarize(unit: Unit) -> Iterator[Fact]:
    yield from summarize_channels(unit)


def check(unit: Unit) -> Iterator[Report]:
    facts = unit.file.facts
    if not facts.of(ChanField):
        return
    reported: set[tuple[str, str]] = set()
    for selector in unit.nodes("selector_expression"):
        operand = selector.child_by_field_name("operand")
        field_node = selector.child_by_field_name("field")
        if operand is None or field_node is None:
            continue
        found = channel_use(selector)
        if found is None or found[0] not in (SEND, RECV, RANGE):
            continue
        field = text(field_node)
        struct = struct_type_of(operand)
        # An exported field can be used by other packages, which this one cannot see.
        if struct is None or not field[:1].islower() or ChanField(struct, field) not in facts \
                or (struct, field) in reported:
            continue
        function = enclosing_function(selector)
        operation = selector.parent
        if function is None or function.has_error or operation is None:
            continue
        ops = unit.file.memo.get((field_channel_ops, struct, field), partial(field_channel_ops, struct, field, facts))
        if ESCAPE in ops:
            continue
        name = f"{text(operand)}.{field}"
        if found[0] == SEND and not ops & {RECV, RANGE, LEN} and not _in_select_case(selector, alone=False):
            reported.add((struct, field))
            yield unit.report(
                operation,
                f"nothing in this package receives from {name} ({struct}.{field}): once its buffer, if it "
                f"has one, is full, this send blocks forever",
                severity=leak_severity(unit, function),
            )
        elif found[0] in (RECV, RANGE) and not ops & {SEND, CLOSE}:
            reported.add((struct, field))
            if found[0] == RANGE:
                effect = "this range never gets a value and never ends"
            elif _in_select_case(selector):
                effect = "this case can never be chosen"
            else:
                effect = "this receive never gets a value and waits forever"
            yield unit.report(
                operation if found[0] == RECV else selector,
                f"nothing in this package sends on or closes {name} ({struct}.{field}): {effect}",
                severity=leak_severity(unit, function),
            )


def _in_select_case(selector: Node, alone: bool = True) -> bool:
    """`case <-x.f:`, `case v := <-x.f:` or `case x.f <- v:` of a select (with `alone` False:
    only of a select with another case or a default, where the operation need not happen)."""
    node = selector.parent  # the send or the `<-` expression
    for _ in range(3):
        node = node.parent if node is not None else None
        if node is not None and node.type == "communication_case":
            select = node.parent
            cases = [c for c in select.named_children if c.type in ("communication_case", "default_case")] \
                if select is not None else []
            return alone or len(cases) > 1
    return False
