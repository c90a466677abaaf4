"""Results files in Gradescope's format, and the autograder zip.

One writer (testing/report.py) serves the pytest plugin's --gradescope-json and
`xv6py lab grade`: the same grader, run both ways, gives the same document --
each test's score, status, visibility and outcome (skipped tests told apart)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from labdirs import MIXED_TESTS, make_lab

from xv6py.grading.grade import grade_one
from xv6py.grading.spec import LABS_ENV, init_workspace, load_lab


@pytest.fixture
def mixed(tmp_path, monkeypatch):
    """A labs directory whose shm grader has a visible, a hidden and a skipped test."""
    labs = make_lab(tmp_path / "labs", MIXED_TESTS)
    monkeypatch.setenv(LABS_ENV, str(labs))
    return labs


def _plain_pytest(grader: Path, out: Path) -> dict:
    """The grader run by plain pytest with the plugin, on the reference kernel."""
    subprocess.run([sys.executable, "-m", "pytest", str(grader), "-q", "-p", "no:cacheprovider",
                    "-p", "no:hypothesispytest", "-o", "addopts=", "--gradescope-json", str(out)],
                   capture_output=True, text=True, timeout=120, cwd=grader)
    return json.loads(out.read_text())


def test_lab_grade_and_the_plugin_write_the_same_results(mixed, tmp_path):
    ws = tmp_path / "ref"
    init_workspace(load_lab("shm"), ws, reference=True)
    g = grade_one(ws)
    ours = json.loads((ws / "results.json").read_text())
    theirs = _plain_pytest(mixed / "shm" / "grader", tmp_path / "plugin.json")

    def rows(doc):
        return [(t["name"].split("::")[-1], t["score"], t["max_score"], t["status"], t["visibility"],
                 t["extra_data"]["outcome"]) for t in doc["tests"]]
    expected = [("test_shmtest_shares_a_segment", 2, 2, "passed", "visible", "passed"),
                ("test_secret_shmcall", 3, 3, "passed", "hidden", "passed"),
                ("test_skipped_this_term", 0, 1, "failed", "after_due_date", "skipped")]
    assert rows(ours) == rows(theirs) == expected
    assert g.status == "graded" and g.score == 5 and g.max_score == 6
    for doc in (ours, theirs):
        assert doc["score"] == 5 and doc["extra_data"]["max_score"] == 6
        assert doc["output"].startswith("5 / 6 points; 2 of 3 tests passed (1 skipped)")
        assert doc["tests"][2]["output"] == "skipped: not graded this term"
        assert "leaderboard" not in doc
        for t in doc["tests"]:
            assert set(t) == {"name", "score", "max_score", "status", "output", "visibility", "extra_data"}
    assert set(ours) == set(theirs)
    assert set(theirs["extra_data"]) < set(ours["extra_data"])          # lab grade adds lab, status, ...
    assert (ours["extra_data"]["lab"], ours["extra_data"]["status"]) == ("shm", "graded")


def test_a_failed_hidden_test_stays_hidden(mixed, tmp_path):
    ws = tmp_path / "alice"
    init_workspace(load_lab("shm"), ws)                  # the starter: shm_create fails
    grade_one(ws)
    doc = json.loads((ws / "results.json").read_text())
    hidden = next(t for t in doc["tests"] if t["name"] == "test_secret_shmcall")
    assert (hidden["status"], hidden["score"], hidden["visibility"]) == ("failed", 0, "hidden")
    assert "all answers correct" in hidden["output"]
    assert os.path.exists(ws / "results.json") and not os.path.exists(ws / "results.json.tmp")
