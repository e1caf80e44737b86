"""One module per static rule, named `gl<nnn>_<slug>.py` after its doc in rules/.

A check module defines `check` (a `Check`) and, when it needs to know about other declarations of
the package, `summarize` (a `Summarize`): the union of every unit's summary is `unit.file.facts`
(typed facts, `golens.syntax.facts`).
Reports only point inside their own unit (results are cached per declaration).
"""

from collections.abc import Iterable
from typing import Protocol

from golens.syntax.facts import Fact
from golens.syntax.unit import Report, Unit


class Check(Protocol):
    """A rule's check: the reports of one top-level declaration, in any order."""

    def __call__(self, unit: Unit, /) -> Iterable[Report]: ...


class Summarize(Protocol):
    """Facts one declaration contributes to `FileContext.facts` for every unit of the package."""

    def __call__(self, unit: Unit, /) -> Iterable[Fact]: ...
