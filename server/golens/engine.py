"""The check engine: document in, findings out. Both faces (LSP, CLI) call only this.

Checks run per top-level declaration ("unit"). Results are cached by the unit's exact bytes and
the file context, with offsets relative to the unit, so an edit re-checks only the declaration
it touched and shifts the rest. The package facts are part of a result's key only as far as the
unit's checks read them: the engine records which kinds, which names of a kind and which single
facts each unit's checks asked about, and a change of the package's facts re-checks only the
units that asked about something that changed.
"""

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple, TypeVar

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


class CheckStopped(Exception):
    """A check ended at a cancellation point because its caller's `stop` said so."""


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
    checked_units: int = 0  # declarations whose checks ran (the others' results were cached)


class _Reads(NamedTuple):
    """What one unit's checks asked of the package facts."""

    kinds: frozenset[type]  # kinds read whole (`of`, iterating); `object`: everything
    names: frozenset[tuple[type, str]]  # (kind, name) looked up through `by_name`
    facts: frozenset[tuple[object, ...]]  # single facts tested with `in`


_NOTHING_READ = _Reads(frozenset(), frozenset(), frozenset())

F = TypeVar("F", bound=tuple[object, ...])


class _ReadRecorder(Facts):
    """The package facts as the checks of one unit see them: every question is noted, so that
    the unit's cached result is kept until an answer it got changes. Each method of Facts is
    overridden; one added to Facts and not here fails loudly (no `_by_kind`) instead of answering
    without being recorded."""

    __slots__ = ("_facts", "_kinds", "_names", "_probes")

    def __init__(self, facts: Facts) -> None:  # no super().__init__(): it would group the facts again
        self._facts = facts
        self._kinds: set[type] = set()
        self._names: set[tuple[type, str]] = set()
        self._probes: set[tuple[object, ...]] = set()

    def start(self) -> None:
        self._kinds = set()
        self._names = set()
        self._probes = set()

    def taken(self) -> _Reads:
        if not (self._kinds or self._names or self._probes):
            return _NOTHING_READ
        return _Reads(frozenset(self._kinds), frozenset(self._names), frozenset(self._probes))

    def of(self, kind: type[F]) -> frozenset[F]:
        self._kinds.add(kind)
        return self._facts.of(kind)

    def by_name(self, kind: type[F]) -> Mapping[str, list[F]]:
        return _RecordedIndex(self._facts.by_name(kind), kind, self._names, self._kinds)

    def kinds(self) -> dict[type, frozenset[tuple[object, ...]]]:
        self._kinds.add(object)
        return self._facts.kinds()

    def __contains__(self, fact: object) -> bool:
        if isinstance(fact, tuple):
            self._probes.add(fact)
        else:
            self._kinds.add(object)
        return fact in self._facts

    def __iter__(self) -> Iterator[tuple[object, ...]]:
        self._kinds.add(object)
        return iter(self._facts)

    def __len__(self) -> int:
        self._kinds.add(object)
        return len(self._facts)

    def __eq__(self, other: object) -> bool:
        self._kinds.add(object)
        return self._facts == (other._facts if isinstance(other, _ReadRecorder) else other)

    def __hash__(self) -> int:
        self._kinds.add(object)
        return hash(self._facts)

    def __repr__(self) -> str:
        return f"recorded {self._facts!r}"


class _RecordedIndex(Mapping[str, list[F]]):
    """`Facts.by_name` with each looked-up name noted; listing the names reads the whole kind."""

    __slots__ = ("_index", "_kind", "_names", "_kinds")

    def __init__(self, index: Mapping[str, list[F]], kind: type, names: set[tuple[type, str]], kinds: set[type]) -> None:
        self._index = index
        self._kind = kind
        self._names = names
        self._kinds = kinds

    def __getitem__(self, name: str) -> list[F]:
        self._names.add((self._kind, name))
        return self._index[name]

    def __iter__(self) -> Iterator[str]:
        self._kinds.add(self._kind)
        return iter(self._index)

    def __len__(self) -> int:
        self._kinds.add(self._kind)
        return len(self._index)


class _FactChanges:
    """What differs between the facts a cache's results were made under and the current ones."""

    def __init__(self, old: Facts, new: Facts) -> None:
        self.kinds: set[type] = set()
        self.names: set[tuple[type, str]] = set()
        self.facts: set[tuple[object, ...]] = set()
        for kind in old.kinds().keys() | new.kinds().keys():
            before, after = old.of(kind), new.of(kind)
            if before is after or before == after:
                continue
            differ = before ^ after
            self.kinds.add(kind)
            self.facts |= differ
            self.names |= {(kind, str(fact[0])) for fact in differ}

    def touch(self, reads: _Reads) -> bool:
        if not self.kinds or reads is _NOTHING_READ:
            return False
        return (object in reads.kinds or not self.kinds.isdisjoint(reads.kinds)
                or not self.names.isdisjoint(reads.names) or not self.facts.isdisjoint(reads.facts))


@dataclass
class _UnitResult:
    summary: frozenset
    reports: dict[str, tuple[Report, ...]] | None = None  # rule id -> reports, offsets unit-relative
    context_key: tuple | None = None
    reads: _Reads = _NOTHING_READ  # what the checks asked of the package facts
    # The findings last made from `reports`: (unit start, config, test file?, findings). Rebuilt
    # when the unit moved or the configuration changed; never kept where a suppression comment
    # exists in the file (which findings a comment hides depends on the lines around them).
    findings: tuple[int, Config, bool, list[Finding]] | None = None


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
        # The facts every entry's reports are valid under (those not re-checked read nothing
        # that changed since they were made).
        self.facts: Facts | None = None
        # Units walked by `summarize`, for the check of the same tree that follows (the CLI
        # summarises every file of a package before checking them): walking a unit is a sixth
        # of checking it.
        self.walked: tuple[object, dict[int, Unit]] | None = None


class Engine:
    def __init__(self, registry: Registry | None = None, config: Config | None = None):
        self.registry = registry or default_registry()
        self.config = config or Config()
        # The last two packages' facts, built: a package's test files see more facts than its others.
        self._package_facts: list[tuple[frozenset[Fact], Facts]] = []

    @property
    def static_rules(self) -> list[Rule]:
        return self.registry.static_rules

    def summarize(self, doc: Document, cache: UnitCache | None = None) -> frozenset[Fact]:
        """The facts this file contributes to its package (see golens.package). With a cache, the
        summaries stay there for the check that follows."""
        if doc.skip_reason is not None or doc.tree is None:
            return frozenset()
        context = FileContext.of(doc, self.config.go_wrappers)
        _, walked, own = self._units(doc, cache if cache is not None else UnitCache(), context, [])
        if cache is not None:
            cache.walked = (doc.tree, walked)
        return own

    def check(self, doc: Document, cache: UnitCache | None = None, config: Config | None = None,
              package: frozenset[Fact] = frozenset(), stop: Callable[[], bool] | None = None) -> CheckResult:
        """Findings for `doc`; `package` holds the facts of the other files of its package.

        `stop` is asked before each declaration is summarised or checked; when it says yes the
        check ends with CheckStopped (the editor's newer text, or its time budget). What was done
        stays in the cache, each entry whole, for the next check to reuse."""
        config = config or self.config
        if doc.skip_reason is not None or doc.tree is None:
            return CheckResult([], skipped=doc.skip_reason or "not parsed")
        cache = cache if cache is not None else UnitCache()
        rules = self.static_rules
        base_context = FileContext.of(doc, config.go_wrappers)
        failures: list[RuleFailure] = []
        keyed, walked, own = self._units(doc, cache, base_context, failures, stop)
        if cache.walked is not None:
            if cache.walked[0] is doc.tree:
                walked = {**cache.walked[1], **walked}
            cache.walked = None
        inputs = cache.facts_inputs
        if inputs is not None and inputs[1] is package and inputs[0] == own:
            facts = inputs[2]  # no fact changed: keep the object, so that keys compare by identity
        else:
            if package and own <= package:
                # The CLI passes the whole package's facts, this file's included: build them once.
                built = next((f for p, f in self._package_facts if p is package), None)
                if built is None:
                    built = Facts(package)
                    self._package_facts = [*self._package_facts[-1:], (package, built)]
                facts = built
            else:
                facts = merged_facts(own, package)
            cache.facts_inputs = (own, package, facts)
        if cache.facts is None or cache.facts is facts:
            changes = None
        else:
            changes = _FactChanges(cache.facts, facts)
        recorder = _ReadRecorder(facts)
        context = replace(base_context, facts=recorder)
        context_key = (context.imports, context.dot_imports, context.package, context.go_version,
                       context.is_test, context.path, context.go_wrappers)
        if context_key == cache.context_key:
            # Reuse the previous object so that the per-unit comparison below is an identity check.
            context_key = cache.context_key
        findings: list[Finding] = []
        suppressions = Suppressions.scan(doc)
        # Decided once per check, not per unit: with ~30 rules and ~2k units, asking per unit cost
        # ~10 ms of a one-character edit on a 5k-line file.
        is_test = doc.is_test_file
        enabled = {rule.id: rule for rule in rules if config.is_enabled(rule, is_test)}
        suppressed = bool(suppressions.by_line)
        checked = 0
        for node, entry in keyed:
            if entry.reports is None or entry.context_key is not context_key or \
                    (changes is not None and changes.touch(entry.reads)):
                if stop is not None and stop():
                    raise CheckStopped
                unit = walked.get(node.start_byte)
                if unit is None:
                    unit = Unit(node, context)
                unit.file = context
                recorder.start()
                entry.reports = self._run_checks(unit, rules, failures, stop)
                entry.reads = recorder.taken()
                entry.context_key = context_key
                entry.findings = None
                checked += 1
            if not entry.reports:
                continue
            base = node.start_byte
            made = entry.findings
            if made is not None and made[0] == base and made[1] is config and made[2] == is_test and not suppressed:
                # Unmoved and under the same settings: a 20k-line file has ~1,300 findings, and
                # making them all again cost a third of a keystroke's check.
                findings += made[3]
                continue
            unit_findings: list[Finding] = []
            # Per unit, walk what it reported rather than every rule: most units report nothing
            # or one rule, and asking each of ~30 rules per unit was most of a keystroke's check.
            for rule_id, reports in entry.reports.items():
                rule = enabled.get(rule_id)
                if rule is None:
                    continue
                for report in reports:
                    start = base + report.start
                    if suppressions.suppresses(doc, rule.id, rule.slug, start):
                        continue
                    unit_findings.append(Finding(
                        rule=rule.id,
                        start=start,
                        end=base + report.end,
                        message=report.message,
                        severity=config.severity.get(rule.id) or report.severity or rule.severity,
                        related=tuple(Related(base + s, base + e, m) for s, e, m in report.related),
                        data=dict(report.data) if report.data is not None else None,
                    ))
            entry.findings = (base, config, is_test, unit_findings)
            findings += unit_findings
        cache.context_key = context_key
        cache.facts = facts
        findings.sort(key=lambda f: (f.start, f.rule))
        return CheckResult(findings, failures=failures, facts=own, checked_units=checked)

    def _units(self, doc: Document, cache: UnitCache, base_context: FileContext,
               failures: list[RuleFailure], stop: Callable[[], bool] | None = None) -> tuple[list[tuple[Node, _UnitResult]], dict[int, Unit], frozenset[Fact]]:
        """Every top-level declaration with its cached (or fresh) summary, the units walked for
        the fresh ones, and the union of the summaries: the file's own facts."""
        assert doc.tree is not None
        rules = self.static_rules
        summary_key = (base_context.imports, base_context.dot_imports, base_context.package, base_context.go_wrappers)
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
                if stop is not None and stop():
                    raise CheckStopped
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
        # One function index per unit for every summary, not one per rule: entering it once per
        # rule and unit was a tenth of building a package's model.
        with indexed_functions(unit):
            try:
                facts.update(summarize_functions(unit))
            except Exception as exc:  # deeply nested code (RecursionError) must not lose the file's findings
                log.warning("function summaries failed", exc_info=_loggable(exc))
                failures.append(RuleFailure("summaries", unit.node.start_byte, f"{type(exc).__name__}: {exc}"))
            for rule in rules:
                summarize = rule.summarize
                if summarize is None:
                    continue
                try:
                    facts.update(summarize(unit))
                except Exception as exc:  # one broken check must not take the others down
                    log.warning("%s summarize failed", rule.id, exc_info=_loggable(exc))
                    failures.append(RuleFailure(rule.id, unit.node.start_byte, f"{type(exc).__name__}: {exc}"))
        return frozenset(facts)

    @staticmethod
    def _run_checks(unit: Unit, rules: list[Rule], failures: list[RuleFailure],
                    stop: Callable[[], bool] | None = None) -> dict[str, tuple[Report, ...]]:
        base = unit.node.start_byte
        results: dict[str, tuple[Report, ...]] = {}
        found = []
        with indexed_functions(unit):
            for rule in rules:
                if rule.check is None:
                    continue
                if stop is not None and stop():  # one huge declaration: stop between its rules too
                    raise CheckStopped
                found.append((rule.id, Engine._reports_of(unit, rule, failures)))
        for rule_id, reports in found:
            if reports:
                results[rule_id] = tuple(
                    Report(r.start - base, r.end - base, r.message,
                           tuple((s - base, e - base, m) for s, e, m in r.related), r.data, r.severity)
                    for r in reports
                )
        return results

    @staticmethod
    def _reports_of(unit: Unit, rule: Rule, failures: list[RuleFailure]) -> tuple[Report, ...]:
        assert rule.check is not None
        try:
            return tuple(rule.check(unit))
        except Exception as exc:
            log.warning("%s failed", rule.id, exc_info=_loggable(exc))
            failures.append(RuleFailure(rule.id, unit.node.start_byte, f"{type(exc).__name__}: {exc}"))
            return ()
