"""pprof profiles beside the trace: read them, attribute them to workspace lines (GP… evidence).

    from golens.profile import load_profile_evidence
    pe = load_profile_evidence("mutex.pb.gz", root=".")   # ProfileEvidence: evidence, lines, summary
"""

from .analysis import (
    ProfileEvidence,
    ProfileLine,
    ProfileSet,
    ProfileSummary,
    ProfileThresholds,
    analyze_profile,
    combine,
    label,
)
from .load import load_profile_evidence
from .reader import USED_KINDS, Profile, ProfileError, describe_kind, parse_profile, read_profile

__all__ = [
    "USED_KINDS", "Profile", "ProfileError", "ProfileEvidence", "ProfileLine", "ProfileSet", "ProfileSummary",
    "ProfileThresholds", "analyze_profile", "combine", "describe_kind", "label", "load_profile_evidence",
    "parse_profile", "read_profile",
]
