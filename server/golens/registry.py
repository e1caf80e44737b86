"""The rule registry: every rule is documented in `rules/<ID>-<slug>.md` (TOML front matter +
Markdown sections) and, for static rules, implemented in `golens.checks.<id>_<slug>`."""

import importlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType

from golens.checks import Check, Summarize
from golens.findings import Severity

REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
_FRONT_MATTER = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n", re.DOTALL)


class RuleDocError(ValueError):
    pass


def rules_dir() -> Path:
    """The rule docs: shipped inside the wheel as golens/_rules, or the repository's rules/."""
    packaged = Path(__file__).resolve().parent / "_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


@dataclass(frozen=True)
class Rule:
    id: str
    slug: str
    title: str
    severity: Severity
    category: str
    kind: str  # "static" (GL...) or "trace" (GT...)
    default_enabled: bool
    since: str
    related_checks: tuple[str, ...]
    body: str
    doc_path: Path
    sections: dict[str, str] = field(hash=False, compare=False)
    # Front matter `tests = false`: off in _test.go files unless golens.toml's [tests] enable
    # lists it (rules whose findings have little value in test code).
    enabled_in_tests: bool = True

    @property
    def module_name(self) -> str:
        return f"golens.checks.{self.id.lower()}_{self.slug.replace('-', '_')}"

    @cached_property
    def module(self) -> ModuleType | None:
        if self.kind != "static":
            return None
        return importlib.import_module(self.module_name)

    @cached_property
    def check(self) -> Check | None:
        return getattr(self.module, "check", None) if self.module else None

    @cached_property
    def summarize(self) -> Summarize | None:
        return getattr(self.module, "summarize", None) if self.module else None

    def code_blocks(self, section: str) -> list[str]:
        """The ```go blocks of one section (the documented bad and good examples)."""
        return re.findall(r"```go\n(.*?)```", self.sections.get(section, ""), re.DOTALL)

    @property
    def doc_uri(self) -> str:
        return self.doc_path.resolve().as_uri()


def parse_rule_doc(path: Path) -> Rule:
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if not match:
        raise RuleDocError(f"{path.name}: missing +++ TOML front matter")
    try:
        meta = tomllib.loads(match[1])
    except tomllib.TOMLDecodeError as exc:
        raise RuleDocError(f"{path.name}: {exc}") from None
    body = text[match.end():]
    sections: dict[str, str] = {}
    for heading in re.finditer(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", body, re.MULTILINE | re.DOTALL):
        sections[heading[1].strip()] = heading[2].strip()
    try:
        rule = Rule(
            id=meta["id"],
            slug=meta["slug"],
            title=meta["title"],
            severity=Severity.parse(meta["severity"]),
            category=meta["category"],
            kind=meta.get("kind", "static"),
            default_enabled=meta.get("enabled", True),
            since=meta.get("since", "0.1.0"),
            related_checks=tuple(meta.get("related", ())),
            body=body.strip(),
            doc_path=path,
            sections=sections,
            enabled_in_tests=meta.get("tests", True),
        )
    except KeyError as exc:
        raise RuleDocError(f"{path.name}: front matter lacks {exc}") from None
    expected_name = f"{rule.id}-{rule.slug}.md"
    if path.name != expected_name:
        raise RuleDocError(f"{path.name}: should be named {expected_name}")
    missing = [s for s in REQUIRED_SECTIONS if s not in sections]
    if missing:
        raise RuleDocError(f"{path.name}: missing sections {missing}")
    return rule


class Registry:
    def __init__(self, rules: Iterable[Rule]):
        self.rules = sorted(rules, key=lambda r: r.id)
        self._by_key = {}
        for rule in self.rules:
            self._by_key[rule.id.upper()] = rule
            self._by_key[rule.slug.lower()] = rule

    @classmethod
    def load(cls, directory: Path | None = None) -> "Registry":
        directory = directory or rules_dir()
        return cls(parse_rule_doc(p) for p in sorted(directory.glob("G*.md")))

    def get(self, key: str) -> Rule | None:
        """A rule by id (GL201, case-insensitive) or slug (lost-cancel)."""
        return self._by_key.get(key.upper()) or self._by_key.get(key.lower())

    @cached_property
    def static_rules(self) -> list[Rule]:
        return [r for r in self.rules if r.kind == "static"]


_default: Registry | None = None


def default_registry() -> Registry:
    global _default
    if _default is None:
        _default = Registry.load()
    return _default
