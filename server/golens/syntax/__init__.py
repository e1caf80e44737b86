"""Shared syntactic machinery for the checks: our substitute for type information.

`Unit` is one top-level declaration walked once; checks ask it for nodes by type instead of
walking the tree themselves. The helpers in this package resolve calls through import aliases,
recognise HTTP handlers and the request context, and track what local names are bound to.
"""

from golens.syntax.unit import FileContext, Report, Unit, walk_named

__all__ = ["FileContext", "Report", "Unit", "walk_named"]
