"""Read a profile file and attribute it to a workspace in one call."""

from __future__ import annotations

import os
from pathlib import Path

from golens.evidence.mapping import Workspace

from .analysis import ProfileEvidence, ProfileThresholds, analyze_profile
from .reader import CPU, USED_KINDS, ProfileError, describe_kind, read_profile


def load_profile_evidence(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None, *,
                          thresholds: ProfileThresholds | None = None, workspace: Workspace | None = None,
                          expect: str | None = None) -> ProfileEvidence:
    """Raises ProfileError for a file that is no profile golens uses (CPU and heap profiles
    included: they say nothing about concurrency), OSError for one that cannot be read."""
    p = Path(path)
    profile = read_profile(p, expect=expect)
    if profile.kind not in USED_KINDS:
        why = "golens reads goroutineleak, goroutine, mutex and block profiles"
        if profile.kind == CPU:
            why = "a CPU profile says where time went, not who waited: " + why
        raise ProfileError(f"is a {describe_kind(profile.kind)}, not used: {why}")
    ws = workspace or Workspace.scan(root if root is not None else p.parent)
    return analyze_profile(profile, ws, thresholds, source=str(path))
