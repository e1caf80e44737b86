"""Real Neovims for the editor tests, installed on demand by scripts/setup-neovim.sh, and a
closing summary of which server-dependent checks ran (they are conditional on what the server
advertises, so a green run alone does not say)."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def neovims() -> dict[str, str]:
    """NVIM_07 / NVIM_011 -> binary. Installs what is missing; a failed install fails the tests."""
    proc = subprocess.run([str(REPO / "scripts" / "setup-neovim.sh")], capture_output=True, text=True,
                          timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"scripts/setup-neovim.sh failed ({proc.returncode}):\n{proc.stderr}")
    found = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    for key in ("NVIM_07", "NVIM_011"):
        if not Path(found.get(key, "")).exists():
            pytest.fail(f"scripts/setup-neovim.sh printed no usable {key}:\n{proc.stdout}\n{proc.stderr}")
    return found


@pytest.fixture
def conditional_report(record_property):
    """Report (case, {check: "ran" | "skipped: why"}) in the closing summary (tests/conftest.py)."""

    def report(case: str, conditions: dict[str, str]) -> None:
        for name, status in conditions.items():
            record_property("summary-line:Neovim: checks that depend on server capabilities", f"{case}: {name} {status}")

    return report
