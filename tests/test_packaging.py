"""Every package of xv6py's source tree is installed by `pip install .`: the
pyproject's package list names each directory that holds Python modules."""

import tomllib
from pathlib import Path

import xv6py

ROOT = Path(xv6py.__file__).resolve().parent.parent


def test_every_python_package_is_in_the_pyproject_list():
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setup["packages"])
    dirs = {p.parent for p in (ROOT / "xv6py").rglob("*.py")} - {ROOT / "xv6py" / "__pycache__"}
    found = {".".join(d.relative_to(ROOT).parts) for d in dirs if "__pycache__" not in d.parts}
    assert found <= listed, sorted(found - listed)
