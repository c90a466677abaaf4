"""`xv6py lab` as an instructor uses it every day: grading needs nothing beyond a
plain install, a typo among many workspaces costs one row of the table, the cause
of a crashed grader is shown in full, and labs may live outside the package."""

import tomllib
from importlib.metadata import requires
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_pytest_is_a_runtime_dependency():
    """`lab grade` runs each grader with pytest: a plain `pip install` must bring it."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("pytest") for d in deps)
    installed = [r for r in requires("xv6py") if "extra ==" not in r]
    assert any(r.startswith("pytest") for r in installed), installed
