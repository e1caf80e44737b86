"""The check engine: document in, findings out. Both faces (LSP, CLI) call only this.

Checks run per top-level declaration ("unit"). Results are cached by the unit's exact bytes and
the file context, with offsets relative to the unit, so an edit re-checks only the declaration
it touched and shifts the rest.
"""

import logging
from dataclasses import dataclass, field, replace

from tree_sitter import Node

from golens.config import Config
from golens.document import Document
from golens.findings import Finding, Related
from golens.package import merged_facts
from golens.registry import Registry, Rule, default_registry
from golens.suppression import Suppressions
from golens.syntax.bindings import summarize_bindings
from golens.syntax.facts import Fact, Facts
from golens.syntax.summaries import summarize_functions
from golens.syntax.tree import indexed_functions
from golens.syntax.unit import FileContext, Report, Unit

log = logging.getLogger(__name__)


def _loggable(exc: Exception) -> Exception | bool:
    """The exception, for its traceback in the log, unless that is thousands of identical frames
    (a RecursionError): written to the server's stderr, such a traceback filled the pipe of a
    client that does not drain it, and the server stopped answering."""
    return False if isinstance(exc, RecursionError) else exc

_NOT_UNITS = frozenset({"package_clause", "import_declaration", "comment"})


@dataclass
class RuleFailure:
    rule: str
    offset: int
    error: str


@dataclass
class CheckResult:
    findings: list[Finding]
    skipped: str | None = None  # why the whole file was not checked
    failures: list[RuleFailure] = field(default_factory=list)  # checks that crashed on a unit
    facts: frozenset[Fact] = frozenset()  # what this file contributes to its package


@dataclass
class _UnitResult:
    summary: frozenset
    reports: dict[str, tuple[Report, ...]] | None = None  # rule id -> reports, offsets unit-relative
    context_key: tuple | None = None


def _units_with_doc_comments(root) -> list[tuple[object, int]]:
    """Top-level declarations, each with where its doc comment (the comments right above it)
    starts."""
    units = []
    comment_start = None
    previous_end_row = -2
    for node in root.named_children:
        if node.type == "comment":
            if comment_start is None or node.start_point[0] > previous_end_row + 1:
                comment_start = node.start_byte
            previous_end_row = node.end_point[0]
            continue
        attached = comment_start is not None and node.start_point[0] == previous_end_row + 1
        if node.type not in _NOT_UNITS:
            units.append((node, comment_start if attached else node.start_byte))
        comment_start = None
    return units


class UnitCache:
    """Per-document memory of unit results between edits (the LSP keeps one per open file)."""

    def __init__(self):
        self.entries: dict[tuple, _UnitResult] = {}
        self.context_key: tuple | None = None
        self.summary_key: tuple | None = None  # the imports/package the entries were made under
        # (own facts, package facts, their merge): an edit that changes no fact keeps the object
        self.facts_inputs: tuple[frozenset[Fact], frozenset[Fact], Facts] | None = None


class Engine:
    def __init__(self, registry: Registry | None = None, config: Config | None = None):
        self.registry = registry or default_registry()
        self.config = config or Config()
        self._package_facts: tuple[frozenset[Fact], Facts] | None = None  # the last package's, built

    @property
    def static_rules(self) -> list[Rule]:
        return self.registry.static_rules

    def summarize(self, doc: Document, cache: UnitCache | None = None) -> frozenset[Fact]:
        """The facts this file contributes to its package (see golens.package). With a cache, the
        summaries stay there for the check that follows."""
        if doc.skip_reason is not None or doc.tree is None:
            return frozenset()
        _, _, own = self._units(doc, cache if cache is not None else UnitCache(), FileContext.of(doc), [])
        return own

    def check(self, doc: Document, cache: UnitCache | None = None, config: Config | None = None,
              package: frozenset[Fact] = frozenset()) -> CheckResult:
        """Findings for `doc`; `package` holds the facts of the other files of its package."""
        config = config or self.config
        if doc.skip_reason is not None or doc.tree is None:
            return CheckResult([], skipped=doc.skip_reason or "not parsed")
        cache = cache if cache is not None else UnitCache()
        rules = self.static_rules
        base_context = FileContext.of(doc)
        failures: list[RuleFailure] = []
        keyed, walked, own = self._units(doc, cache, base_context, failures)
        inputs = cache.facts_inputs
        if inputs is not None and inputs[1] is package and inputs[0] == own:
            facts = inputs[2]  # no fact changed: keep the object, so that keys compare by identity
        else:
            if package and own <= package:
                # The CLI passes the whole package's facts, this file's included: build them once.
                if self._package_facts is None or self._package_facts[0] is not package:
                    self._package_facts = (package, Facts(package))
                facts = self._package_facts[1]
            else:
                facts = merged_facts(own, package)
            cache.facts_inputs = (own, package, facts)
        context = replace(base_context, facts=facts)
        context_key = (context.imports, context.dot_imports, context.package, context.go_version,
                       context.is_test, context.path, context.facts)
        if context_key == cache.context_key:
            # Reuse the previous object so that the per-unit comparison below is an identity
            # check: comparing the facts set once per unit made checks quadratic in file size
            # (~25 ms of a one-character edit at 20k lines).
            context_key = cache.context_key
        findings: list[Finding] = []
        suppressions = Suppressions.scan(doc)
        # Decided once per check, not per unit: with ~30 rules and ~2k units, asking per unit cost
        # ~10 ms of a one-character edit on a 5k-line file.
        enabled = {rule.id: rule for rule in rules if config.is_enabled(rule, doc.is_test_file)}
        for node, entry in keyed:
            if entry.reports is None or entry.context_key is not context_key:
                unit = walked.get(node.start_byte)
                if unit is None:
                    unit = Unit(node, context)
                unit.file = context
                entry.reports = self._run_checks(unit, rules, failures)
                entry.context_key = context_key
            if not entry.reports:
                continue
            # Per unit, walk what it reported rather than every rule: most units report nothing
            # or one rule, and asking each of ~30 rules per unit was most of a keystroke's check.
            for rule_id, reports in entry.reports.items():
                rule = enabled.get(rule_id)
                if rule is None:
                    continue
                for report in reports:
                    start = node.start_byte + report.start
                    if suppressions.suppresses(doc, rule.id, rule.slug, start):
                        continue
                    findings.append(Finding(
                        rule=rule.id,
                        start=start,
                        end=node.start_byte + report.end,
                        message=report.message,
                        severity=config.severity.get(rule.id) or report.severity or rule.severity,
                        related=tuple(Related(node.start_byte + s, node.start_byte + e, m) for s, e, m in report.related),
                        data=dict(report.data) if report.data is not None else None,
                    ))
        cache.context_key = context_key
        findings.sort(key=lambda f: (f.start, f.rule))
        return CheckResult(findings, failures=failures, facts=own)

    def _units(self, doc: Document, cache: UnitCache, base_context: FileContext,
               failures: list[RuleFailure]) -> tuple[list[tuple[Node, _UnitResult]], dict[int, Unit], frozenset[Fact]]:
        """Every top-level declaration with its cached (or fresh) summary, the units walked for
        the fresh ones, and the union of the summaries: the file's own facts."""
        assert doc.tree is not None
        rules = self.static_rules
        summary_key = (base_context.imports, base_context.dot_imports, base_context.package)
        if cache.summary_key != summary_key:
            # Summaries depend on the imports: with other imports nothing cached applies. Checked
            # once here rather than hashed into every unit's key (2k tuples of imports per edit).
            cache.entries = {}
            cache.summary_key = summary_key
        units = _units_with_doc_comments(doc.tree.root_node)
        fresh: dict[tuple, _UnitResult] = {}
        walked: dict[int, Unit] = {}
        facts: set[Fact] = set()
        keyed: list[tuple[Node, _UnitResult]] = []
        source = doc.source
        cached = cache.entries
        for node, key_start in units:
            # The doc comment is part of the key: checks read it ("the caller must unlock"). So are
            # the node's kind and error state: the same text parses differently after a broken
            # declaration above it (a function becomes a top-level expression statement).
            key = (node.type, node.has_error, source[node.start_byte:node.end_byte],
                   source[key_start:node.start_byte] if key_start != node.start_byte else b"")
            entry = cached.get(key) or fresh.get(key)
            if entry is None:
                unit = walked[node.start_byte] = Unit(node, base_context)
                entry = _UnitResult(self._summarize(unit, rules, failures))
            fresh[key] = entry
            keyed.append((node, entry))
            facts |= entry.summary
        cache.entries = fresh
        return keyed, walked, frozenset(facts)

    @staticmethod
    def _summarize(unit: Unit, rules: list[Rule], failures: list[RuleFailure]) -> frozenset:
        facts: set[Fact] = set(summarize_bindings(unit))
        try:
            # Indexed like the checks: asked without the index, each enclosing_function walked
            # Node.parent, O(depth²) in a deeply nested declaration (2 s at 2,000 blocks).
            with indexed_functions(unit):
                facts.update(summarize_functions(unit))
        except Exception as exc:  # deeply nested code (RecursionError) must not lose the file's findings
            log.warning("function summaries failed", exc_info=_loggable(exc))
            failures.append(RuleFailure("summaries", unit.node.start_byte, f"{type(exc).__name__}: {exc}"))
        for rule in rules:
            summarize = rule.summarize
            if summarize is None:
                continue
            try:
                with indexed_functions(unit):
                    facts.update(summarize(unit))
            except Exception as exc:  # one broken check must not take the others down
                log.warning("%s summarize failed", rule.id, exc_info=_loggable(exc))
                failures.append(RuleFailure(rule.id, unit.node.start_byte, f"{type(exc).__name__}: {exc}"))
        return frozenset(facts)

    @staticmethod
    def _run_checks(unit: Unit, rules: list[Rule], failures: list[RuleFailure]) -> dict[str, tuple[Report, ...]]:
        base = unit.node.start_byte
        results: dict[str, tuple[Report, ...]] = {}
        for rule in rules:
            check = rule.check
            if check is None:
                continue
            try:
                with indexed_functions(unit):
                    reports = tuple(check(unit))
            except Exception as exc:
                log.warning("%s failed", rule.id, exc_info=_loggable(exc))
                failures.append(RuleFailure(rule.id, base, f"{type(exc).__name__}: {exc}"))
                continue
            if reports:
                results[rule.id] = tuple(
                    Report(r.start - base, r.end - base, r.message,
                           tuple((s - base, e - base, m) for s, e, m in r.related), r.data, r.severity)
                    for r in reports
                )
        return results
