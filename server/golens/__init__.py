"""golens: Go concurrency anti-patterns, checked live and backed by runtime trace evidence.

Layout (each arrow of the pipeline is a module boundary):
  document/   Go text -> tree-sitter tree, line index, imports, Go version
  syntax/     shared syntactic machinery the checks use (call resolution, handlers, bindings)
  checks/     one module per static rule (GL...), registered from the docs in rules/
  engine.py   runs the checks over a document, applies config and suppressions -> findings
  trace/      Go execution trace reader (bytes -> goroutine timelines), no source knowledge
  evidence/   trace analysis and mapping to workspace source lines (GT... findings)
  fixes/      edits that resolve findings (quick fixes)
  pipeline.py files -> findings for `golens check` (config, fixes, runtime evidence, workers)
  report/     text / json / sarif renderers
  lsp/        the language server face; cli/ the command-line face
"""

from importlib.metadata import PackageNotFoundError, version

# One version, pyproject.toml's: read from the installed distribution.
try:
    __version__ = version("golens")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
