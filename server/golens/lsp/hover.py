"""Hover on a flagged range: which rule, the short way to fix it, the trace evidence, and a link
to the rule's page for the rest. The finding's own message is not repeated: the editor shows it
next to the hover already (VS Code's hover, Neovim's diagnostic float)."""

import re
from typing import Any

from lsprotocol import types

from golens.findings import Finding
from golens.lsp.guard import guarded

# At run time, not only for mypy: pygls reads the explain command's annotations to convert its
# arguments.
from golens.lsp.server import GolensServer
from golens.registry import Registry

FIX_SECTIONS = ("Fix", "Use instead")
_FENCE = re.compile(r"```.*?```", re.S)
_SENTENCE_END = re.compile(r"(?<=\.)\s")
SHORT_FIX_CHARS = 280


def findings_at(findings: list[Finding], offset: int) -> list[Finding]:
    # Half-open ranges, like the squiggle: the character right after a token is not on it.
    return [f for f in findings if f.start <= offset < f.end or f.start == f.end == offset]


def short_fix(sections: dict[str, str]) -> str | None:
    """The first sentence of the rule's fix, without code blocks (the page has the examples)."""
    for name in FIX_SECTIONS:
        text = _FENCE.sub("", sections.get(name) or "").strip()
        if not text:
            continue
        first = text.split("\n\n", 1)[0].lstrip("- ")
        first = " ".join(first.split())
        end = _SENTENCE_END.search(first)
        sentence = first[:end.start()] if end else first
        if len(sentence) > SHORT_FIX_CHARS:
            sentence = sentence[:SHORT_FIX_CHARS].rsplit(" ", 1)[0]
            sentence += "` …" if sentence.count("`") % 2 else " …"  # close a cut code span
        return sentence
    return None


def render(finding: Finding, registry: Registry, markdown: bool) -> str:
    rule = registry.get(finding.rule)
    if rule is None:
        return f"{finding.rule}: {finding.message}"
    fix = short_fix(rule.sections)
    if not markdown:
        parts = [f"{rule.id} {rule.slug}: {rule.title}"]
        if fix:
            parts.append(f"Fix: {fix}")
        parts.append(f"More: golens explain {rule.id}")
        return "\n\n".join(parts)
    parts = [f"**{rule.id}** `{rule.slug}` — {rule.title}"]
    if fix:
        parts.append(f"**Fix:** {fix}")
    parts.append(f"[Why, examples and the full fix: {rule.id} documentation]({rule.doc_uri})")
    return "\n\n".join(parts)


EXPLAIN = "golens.explainRule"


def rule_page(registry: Registry, key: str) -> str | None:
    """A rule's documentation as Markdown (what `golens explain` prints, with a heading), for an
    editor to show read-only and rendered."""
    rule = registry.get(key)
    if rule is None:
        return None
    return (f"# {rule.id} `{rule.slug}`: {rule.title}\n\n"
            f"severity: {rule.severity.label}, category: {rule.category}, since {rule.since}\n\n{rule.body}")


def _wants_markdown(ls: GolensServer) -> bool:
    text_document = ls.client_capabilities.text_document
    hover = text_document and text_document.hover
    formats = (hover and hover.content_format) or ()
    # The first listed format is the client's preference; no list means plain text only.
    return bool(formats) and formats[0] == types.MarkupKind.Markdown


def register(ls: GolensServer) -> None:
    @ls.command(EXPLAIN)
    def explain(ls: GolensServer, *args: Any) -> str | dict[str, str]:
        key = args[0] if args else None
        page = rule_page(ls.engine.registry, key) if isinstance(key, str) else None
        if page is None:
            return {"error": f"unknown rule {key!r} (golens rules lists them)"}
        return page

    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded()
    async def hover(ls: GolensServer, params: types.HoverParams) -> types.Hover | None:
        opened = ls.documents.get(params.text_document.uri)
        if opened is None:
            return None
        # Awaited before the position is mapped: the text is the one the findings are for.
        findings = (await ls.current_result(opened)).findings
        mapper = opened.mapper(ls.encoding)
        offset = mapper.offset(params.position)
        hits = findings_at(findings, offset)
        markdown = _wants_markdown(ls)
        kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
        trace = getattr(ls, "trace", None)
        profiles = getattr(ls, "profiles", None)
        line = opened.doc.lines.position(offset)[0] + 1
        # What the profiles saw at this line, beside the trace's evidence (golens.lsp.profile_state).
        profile_text = profiles.line_markdown(opened, line, markdown) if profiles is not None else None
        separator = "\n\n---\n\n" if markdown else "\n\n"
        if not hits:
            if trace is None and profile_text is None:
                return None
            # Trace evidence without a finding: the line's waits and syscalls, or on `package`,
            # the trace summary (golens.lsp.trace_features).
            from golens.lsp import trace_features

            text = trace_features.package_hover(ls, opened, offset, markdown) or \
                trace_features.line_markdown(ls, opened, line, markdown) if trace is not None else None
            text = separator.join(t for t in (text, profile_text) if t)
            return types.Hover(contents=types.MarkupContent(kind=kind, value=text)) if text else None
        parts = [render(f, ls.engine.registry, markdown) for f in hits]
        if trace is not None:
            from golens.lsp import trace_features

            parts += [t for f in hits if (t := trace_features.evidence_markdown(ls, f, markdown))]
        if profile_text:
            parts.append(profile_text)
        return types.Hover(
            contents=types.MarkupContent(kind=kind, value=separator.join(parts)),
            range=mapper.range(min(f.start for f in hits), max(f.end for f in hits)),
        )
