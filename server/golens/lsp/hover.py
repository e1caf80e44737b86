"""Hover on a flagged range: what the rule is, what was found, why it matters, how to fix it."""

from lsprotocol import types

from golens.findings import Finding
from golens.lsp.guard import guarded
from golens.registry import Registry

WHY = "Why is this bad?"
FIX_SECTIONS = ("Fix", "Use instead")


def findings_at(findings: list[Finding], offset: int) -> list[Finding]:
    # Half-open ranges, like the squiggle: the character right after a token is not on it.
    return [f for f in findings if f.start <= offset < f.end or f.start == f.end == offset]


def render(finding: Finding, registry: Registry, markdown: bool) -> str:
    rule = registry.get(finding.rule)
    if rule is None:
        return f"{finding.rule}: {finding.message}"
    fix = next((rule.sections[s] for s in FIX_SECTIONS if rule.sections.get(s)), None)
    why = rule.sections.get(WHY)
    if not markdown:
        parts = [f"{rule.id} {rule.slug}: {rule.title}", finding.message]
        if why:
            parts.append(f"{WHY}\n{why}")
        if fix:
            parts.append(f"How to fix\n{fix}")
        return "\n\n".join(parts)
    parts = [f"**{rule.id}** `{rule.slug}` — {rule.title}", finding.message]
    if why:
        parts.append(f"**{WHY}**\n\n{why}")
    if fix:
        parts.append(f"**How to fix**\n\n{fix}")
    parts.append(f"[{rule.id} documentation]({rule.doc_uri})")
    return "\n\n".join(parts)


def _wants_markdown(ls) -> bool:
    text_document = ls.client_capabilities.text_document
    hover = text_document and text_document.hover
    formats = (hover and hover.content_format) or ()
    # The first listed format is the client's preference; no list means plain text only.
    return bool(formats) and formats[0] == types.MarkupKind.Markdown


def register(ls) -> None:
    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded()
    def hover(ls, params: types.HoverParams):
        opened = ls.documents.get(params.text_document.uri)
        if opened is None:
            return None
        mapper = opened.mapper(ls.encoding)
        offset = mapper.offset(params.position)
        hits = findings_at(ls.check(opened).findings, offset)
        markdown = _wants_markdown(ls)
        kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
        trace = getattr(ls, "trace", None)
        if not hits:
            if trace is None:
                return None
            # Trace evidence without a finding: the line's waits and syscalls, or on `package`,
            # the trace summary (golens.lsp.trace_features).
            from golens.lsp import trace_features

            line = opened.doc.lines.position(offset)[0] + 1
            text = trace_features.package_hover(ls, opened, offset, markdown) or \
                trace_features.line_markdown(ls, opened, line, markdown)
            return types.Hover(contents=types.MarkupContent(kind=kind, value=text)) if text else None
        separator = "\n\n---\n\n" if markdown else "\n\n"
        parts = [render(f, ls.engine.registry, markdown) for f in hits]
        if trace is not None:
            from golens.lsp import trace_features

            parts += [t for f in hits if (t := trace_features.evidence_markdown(ls, f, markdown))]
        return types.Hover(
            contents=types.MarkupContent(kind=kind, value=separator.join(parts)),
            range=mapper.range(min(f.start for f in hits), max(f.end for f in hits)),
        )
