"""One module per static rule, named `gl<nnn>_<slug>.py` after its doc in rules/.

A check module defines `check(unit) -> Iterable[Report]` and, when it needs to know about other
declarations of the file, `summarize(unit) -> Iterable[Hashable]`: the union of every unit's
summary is `unit.file.facts`. Reports only point inside their own unit (results are cached per
declaration).
"""
