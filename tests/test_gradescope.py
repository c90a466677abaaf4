"""Results files in Gradescope's format, and the autograder zip (`xv6py lab
gradescope`), run in a temporary root laid out as Gradescope lays it out.

One writer (testing/report.py) serves the pytest plugin's --gradescope-json and
`xv6py lab grade`: the same grader, run both ways, gives the same document --
each test's score, status, visibility and outcome (skipped tests told apart)."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from labdirs import MIXED_TESTS, make_lab

from xv6py.grading.grade import grade_one
from xv6py.grading.gradescope import build_wheel
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


# ---- the autograder zip, in a root laid out as Gradescope lays it out ---------------------------

def _unzip(zip_path: Path, dest: Path) -> None:
    """Unpack as unzip does: files with the modes the zip gives them."""
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            target = dest / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or 0o644)


@pytest.fixture(scope="module")
def gradescope_root(tmp_path_factory):
    """A Gradescope root in a temporary directory: the zip of the mixed lab
    unpacked into ROOT/source, setup.sh run for real (a virtual environment,
    xv6py from the zip's wheel, the pinned dependencies from the index), and
    run_autograder copied to ROOT/run_autograder as Gradescope does."""
    tmp = tmp_path_factory.mktemp("gradescope")
    labs = make_lab(tmp / "labs", MIXED_TESTS)
    zip_path = tmp / "autograder.zip"
    made = subprocess.run([sys.executable, "-m", "xv6py", "lab", "gradescope", "--labs", str(labs), "shm",
                           str(zip_path)], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    root = tmp / "autograder"
    _unzip(zip_path, root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    env = {k: v for k, v in os.environ.items() if k != LABS_ENV}
    env.update(XV6PY_AUTOGRADER_ROOT=str(root), XV6PY_PYTHON=sys.executable)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True,
                           env=env, cwd=root, timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return root, env, setup.stdout


def _submit(root: Path, env: dict, files: dict[str, str | Path]) -> dict:
    """Put files in ROOT/submission (text, or a Path: a symbolic link to it), run
    ROOT/run_autograder from ROOT, and read ROOT/results/results.json."""
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    (root / "submission").mkdir()
    for name, content in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            path.symlink_to(content)
        else:
            path.write_text(content)
    run = subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, env=env, cwd=root,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_zip_holds_what_gradescope_needs(gradescope_root):
    root, _, setup_log = gradescope_root
    src = root / "source"
    names = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file())
    assert {"setup.sh", "run_autograder", "constraints.txt", "README.md", "labs/shm/lab.toml",
            "labs/shm/grader/test_ours.py"} <= set(names)
    assert [n for n in names if n.endswith(".whl")] == ["xv6py-0.1.0-py3-none-any.whl"]
    assert os.access(src / "setup.sh", os.X_OK) and os.access(src / "run_autograder", os.X_OK)
    pins = (src / "constraints.txt").read_text().splitlines()
    assert f"unicorn=={version('unicorn')}" in pins and f"pytest=={version('pytest')}" in pins
    assert "hello, world" in setup_log                 # setup.sh booted a machine
    venv = root / "xv6py-venv"
    installed = subprocess.run([str(venv / "bin" / "python"), "-c", "import unicorn, xv6py; "
                                "print(unicorn.__version__, xv6py.__file__)"], capture_output=True, text=True,
                               cwd=root)
    assert installed.stdout.split()[0] == version("unicorn") and str(venv) in installed.stdout
    assert (src.stat().st_mode & 0o077) == 0           # the grader's tests are root's


def test_run_autograder_grades_a_submission_into_results_json(gradescope_root):
    root, env, _ = gradescope_root
    doc = _submit(root, env, {"shm.py": load_lab("shm").reference("shm.py")})
    assert doc["score"] == 5 and doc["extra_data"]["max_score"] == 6 and "leaderboard" not in doc
    assert [(t["name"], t["status"], t["visibility"], t["extra_data"]["outcome"]) for t in doc["tests"]] == [
        ("test_shmtest_shares_a_segment", "passed", "visible", "passed"),
        ("test_secret_shmcall", "passed", "hidden", "passed"),
        ("test_skipped_this_term", "failed", "after_due_date", "skipped")]
    assert doc["tests"][2]["output"] == "skipped: not graded this term"


def test_a_submission_in_a_folder_is_found_and_a_failure_says_why(gradescope_root):
    root, env, _ = gradescope_root
    doc = _submit(root, env, {"mylab/shm.py": load_lab("shm").starter("shm.py"), "mylab/notes.txt": "hi"})
    assert doc["score"] == 0 and len(doc["tests"]) == 3
    first = doc["tests"][0]
    assert first["status"] == "failed" and "shm_create failed" in first["output"]


def test_a_submission_without_the_file_or_with_a_link_scores_zero_and_says_why(gradescope_root):
    root, env, _ = gradescope_root
    empty = _submit(root, env, {"README.txt": "I forgot"})
    assert empty["score"] == 0 and "shm.py is missing from the workspace" in empty["output"]
    reference = root / "xv6py-venv" / "lib"
    link = next(reference.glob("python3*/site-packages/xv6py/mm/shm.py"))
    linked = _submit(root, env, {"shm.py": link})      # a link to the installed reference
    assert linked["score"] == 0 and "symbolic link" in linked["output"]


# ---- a wheel of an install that has no source tree ---------------------------------------------

def test_an_install_without_its_source_tree_repacks_its_own_wheel(tmp_path):
    wheel = build_wheel(tmp_path / "built")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]])}
    env.pop(LABS_ENV, None)
    zip_path = tmp_path / "ag.zip"
    made = subprocess.run([sys.executable, "-S", "-m", "xv6py", "lab", "gradescope", "pgtbl", str(zip_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(zip_path) as z:
        inner = next(n for n in z.namelist() if n.endswith(".whl"))
        (tmp_path / inner).write_bytes(z.read(inner))
    with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(tmp_path / inner) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        assert all(a.read(n) == b.read(n) for n in a.namelist() if not n.endswith("RECORD"))
    again = tmp_path / "again"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(again),
                    str(tmp_path / inner)], check=True, capture_output=True)
    env["PYTHONPATH"] = os.pathsep.join([str(again), sysconfig.get_paths()["purelib"]])
    hello = subprocess.run([sys.executable, "-S", "-m", "xv6py", "run", "hello"], capture_output=True,
                           text=True, env=env, cwd=tmp_path)
    assert hello.stdout == "hello, world\n"
