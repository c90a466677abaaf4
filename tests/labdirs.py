"""Labs directories made by tests: an instructor's own lab outside the package
(`--labs DIR`), standing in for the kernel's shm module as labs/shm does."""

import textwrap
from pathlib import Path

# A small grader with a test of each kind a results file must tell apart.
MIXED_TESTS = '''
import pytest

@pytest.mark.points(2)
def test_shmtest_shares_a_segment(xv6_run):
    """shmtest: two processes meet in a segment."""
    assert xv6_run("shmtest").output.endswith("detached and destroyed segment 0\\n")

@pytest.mark.points(3, visibility="hidden")
def test_secret_shmcall(xv6_run):
    """THE-HIDDEN-TEST-DOCSTRING: twenty calls through a segment."""
    assert "all answers correct" in xv6_run("shmcall").output

@pytest.mark.points(1, visibility="after_due_date")
def test_skipped_this_term():
    pytest.skip("not graded this term")
'''


def make_lab(root: Path, tests: str, *, name: str = "shm", title: str = "Shared memory, our course",
             handout: str = "# Our shared-memory lab\n", conftest: str | None = None,
             toml: str = "") -> Path:
    """root/NAME: lab.toml (the shm lab's file), a handout, grader/test_ours.py
    holding `tests` (and grader/conftest.py holding `conftest`). Returns root,
    the labs directory."""
    lab = root / name
    (lab / "grader").mkdir(parents=True)
    (lab / "lab.toml").write_text(textwrap.dedent(f'''\
        title = "{title}"
        [files]
        "shm.py" = "xv6py.mm.shm"
        [grader]
        test_timeout = 5
        timeout = 60
        ''') + toml)
    (lab / "README.md").write_text(handout)
    (lab / "grader" / "test_ours.py").write_text(tests)
    if conftest is not None:
        (lab / "grader" / "conftest.py").write_text(conftest)
    return root
