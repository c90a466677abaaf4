"""`xv6py lab` as an instructor uses it every day: grading needs nothing beyond a
plain install, a typo among many workspaces costs one row of the table, the cause
of a crashed grader is shown in full, and labs may live outside the package."""

import json
import os
import tomllib
from importlib.metadata import requires
from pathlib import Path

import pytest
from labdirs import make_lab

from xv6py.cli import main as cli
from xv6py.grading import grade
from xv6py.grading.grade import grade_many, grade_one
from xv6py.grading.spec import LABS_ENV, init_workspace, load_lab

ROOT = Path(__file__).resolve().parents[1]


def test_pytest_is_a_runtime_dependency():
    """`lab grade` runs each grader with pytest: a plain `pip install` must bring it."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("pytest") for d in deps)
    installed = [r for r in requires("xv6py") if "extra ==" not in r]
    assert any(r.startswith("pytest") for r in installed), installed


# ---- an instructor's own labs directory --------------------------------------------------------

OUR_TESTS = '''
import pytest

@pytest.mark.points(2)
def test_our_shmtest(xv6_run):
    assert xv6_run("shmtest").output.endswith("detached and destroyed segment 0\\n")

@pytest.mark.points(1)
def test_our_shmcall(xv6_run):
    assert "all answers correct" in xv6_run("shmcall").output
'''


def course(tmp_path: Path, conftest: str | None = None) -> Path:
    """An instructor's labs directory outside the package: their own grader for
    the shm lab (the kernel's `[lab shm]` regions), with their own handout."""
    return make_lab(tmp_path / "course", OUR_TESTS, conftest=conftest)


@pytest.fixture(autouse=True)
def _package_labs():
    """--labs sets XV6PY_LABS in this process: take it away after each test."""
    before = os.environ.pop(LABS_ENV, None)
    yield
    os.environ.pop(LABS_ENV, None)
    if before is not None:
        os.environ[LABS_ENV] = before


def test_every_lab_subcommand_takes_a_labs_directory(tmp_path, capsys):
    labs = course(tmp_path)
    assert cli(["lab", "list", "--labs", str(labs)]) == 0
    listed = capsys.readouterr().out
    assert "Shared memory, our course" in listed and "pgtbl" not in listed
    ws = tmp_path / "alice"
    assert cli(["lab", "init", "--labs", str(labs), "shm", str(ws)]) == 0
    assert (ws / "README.md").read_text() == "# Our shared-memory lab\n"
    ref = tmp_path / "ref"
    assert cli(["lab", "init", "--labs", str(labs), "--reference", "shm", str(ref)]) == 0
    capsys.readouterr()
    assert cli(["lab", "grade", "--labs", str(labs), str(ws), str(ref)]) == 0
    scores = {d: json.loads((tmp_path / d / "results.json").read_text()) for d in ("alice", "ref")}
    assert [t["name"] for t in scores["ref"]["tests"]] == ["test_our_shmtest", "test_our_shmcall"]
    assert (scores["ref"]["score"], scores["alice"]["score"]) == (3, 0)
    assert cli(["lab", "selfcheck", "--labs", str(labs), "shm", "-j", "2"]) == 0
    out = capsys.readouterr().out
    assert "3/3 as expected" in out and "pgtbl" not in out      # reference, starter, release


def test_a_labs_directory_that_is_not_there_is_one_line(tmp_path, capsys):
    assert cli(["lab", "list", "--labs", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.strip() == f"xv6py: {tmp_path / 'nope'}: no such labs directory"


# ---- many workspaces, a few of them wrong -------------------------------------------------------

def test_a_typo_among_many_workspaces_is_one_error_row(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "300")         # one line per row of the table
    init_workspace(load_lab("shm"), Path("alice"), reference=True)
    Path("nolab").mkdir()
    Path("garbled").mkdir()
    (Path("garbled") / "xv6py-lab.toml").write_bytes(b"lab = \"\xff\"\n")    # not UTF-8
    for lab in ([], ["--lab", "shm"]):
        code = cli(["lab", "grade", *lab, "alice", "missing", "nolab", "garbled", "-k", "create_returns"])
        out = capsys.readouterr().out
        assert code == 2, out
        rows = {line.split()[1]: line for line in out.splitlines() if line.startswith("│ ")
                and line.split()[1] in ("alice", "missing", "nolab", "garbled")}
        assert set(rows) == {"alice", "missing", "nolab", "garbled"}, out
        assert "2/2" in rows["alice"] and "graded" in rows["alice"]
        assert "no such directory" in rows["missing"]
        assert "Traceback" not in out
        assert json.loads(Path("alice/results.json").read_text())["score"] == 2
        assert not Path("missing").exists()
        if not lab:
            assert "nolab: no xv6py-lab.toml" in rows["nolab"] and "garbled" in rows["garbled"]
        else:                       # the lab is named: an empty directory misses its file
            assert "shm.py is missing from the workspace" in rows["nolab"]


def test_an_unexpected_failure_of_one_workspace_keeps_everyone_elses_grade(tmp_path, monkeypatch):
    ws = [tmp_path / "alice", tmp_path / "bob"]
    for w in ws:
        init_workspace(load_lab("pgtbl"), w, reference=True)
    real = grade.workspace_lab

    def flaky(workspace, lab=None):
        if workspace.name == "bob":
            raise RuntimeError("the disk went away")
        return real(workspace, lab)
    monkeypatch.setattr(grade, "workspace_lab", flaky)
    alice, bob = grade_many(ws, jobs=2, select="walkpgdir")
    assert alice.status == "graded" and alice.score == alice.max_score > 0
    assert bob.status == "error" and bob.tests == []
    assert "RuntimeError: the disk went away" in bob.message and "Traceback" in bob.message


def test_a_crashed_grader_shows_its_cause_in_full(tmp_path, capsys):
    labs = course(tmp_path, conftest='raise RuntimeError("the grader is broken: on purpose")\n')
    ws = tmp_path / "alice"
    assert cli(["lab", "init", "--labs", str(labs), "shm", str(ws)]) == 0
    g = grade_one(ws)
    assert g.status == "crashed"
    assert "conftest.py" in g.message and "RuntimeError: the grader is broken: on purpose" in g.message
    assert "RuntimeError: the grader is broken: on purpose" in grade.cause(g.message)
    results = json.loads((ws / "results.json").read_text())
    assert "RuntimeError: the grader is broken: on purpose" in results["output"]
    capsys.readouterr()
    cli(["lab", "grade", str(ws)])
    out = capsys.readouterr().out
    assert 'raise RuntimeError("the grader is broken: on purpose")' in out      # the traceback, whole


# ---- time limits from lab.toml --------------------------------------------------------------------

LOOPS = '''
import pytest

def create(h):
    p = h.spawn()
    return h.call(p, "shm_create", 4096)

@pytest.mark.points(1)
def test_creates_once(xv6_syscaller):
    create(xv6_syscaller)

@pytest.mark.points(1)
def test_runs_hello(xv6_run):
    assert xv6_run("hello").output == "hello, world\\n"

@pytest.mark.points(1)
def test_creates_again(xv6_syscaller):
    create(xv6_syscaller)

@pytest.mark.points(1)
def test_creates_a_third_time(xv6_syscaller):
    create(xv6_syscaller)

@pytest.mark.points(1)
def test_creates_a_fourth_time(xv6_syscaller):
    create(xv6_syscaller)

@pytest.mark.points(1)
def test_creates_a_fifth_time(xv6_syscaller):
    create(xv6_syscaller)

@pytest.mark.points(1)
def test_runs_hello_last(xv6_run):
    assert xv6_run("hello").output == "hello, world\\n"
'''


def test_the_time_limits_come_from_lab_toml(tmp_path, monkeypatch):
    """test_timeout stops a test whose student code loops (the others pass), and
    timeout the whole workspace: both as lab.toml says. Five loops of 1 s each
    outlast the workspace's 3.5 s however fast the host is."""
    labs = make_lab(tmp_path / "course", LOOPS)
    toml = labs / "shm" / "lab.toml"
    toml.write_text(toml.read_text().replace("test_timeout = 5", "test_timeout = 1")
                    .replace("timeout = 60", "timeout = 3.5"))
    monkeypatch.setenv(LABS_ENV, str(labs))
    spec = load_lab("shm")
    assert (spec.test_timeout, spec.timeout) == (1, 3.5)
    init_workspace(spec, tmp_path / "ws", reference=True)
    shm = tmp_path / "ws" / "shm.py"
    mark = "# [lab shm] begin: check the size, take a free slot, allocate and zero its frames\n"
    assert shm.read_text().count(mark) == 1
    shm.write_text(shm.read_text().replace(mark, mark + "    while True:\n        pass\n"))
    g = grade_one(tmp_path / "ws")
    assert g.status == "timeout" and "stopped after 3.5 s" in g.message
    assert "ran for more than 1 s of host time" in g.test("test_creates_once").output
    assert g.test("test_runs_hello").passed
    assert g.test("test_runs_hello_last").outcome == "not run"


def test_a_test_limit_in_a_batch_follows_the_reference():
    """limit_factor times the reference's time on the test, at least limit_floor,
    at most the test timeout; from lab.toml, 10 and 1 s unless it says."""
    spec = load_lab("shm")
    assert (spec.limit_factor, spec.limit_floor) == (10, 1)
    assert [spec.test_limit(s, 5) for s in (0.01, 0.25, 2)] == [1, 2.5, 5]


def test_a_batch_stops_a_loop_at_the_limit_the_reference_gives(tmp_path, monkeypatch):
    """Graded with another workspace, a looping test is stopped at its own limit
    (from the reference's time on it, at least limit_floor), not the test
    timeout; the other workspace, the reference, keeps every point."""
    labs = make_lab(tmp_path / "course", LOOPS, toml="limit_floor = 0.5\n")
    toml = labs / "shm" / "lab.toml"
    toml.write_text(toml.read_text().replace("test_timeout = 5", "test_timeout = 4"))
    monkeypatch.setenv(LABS_ENV, str(labs))
    spec = load_lab("shm")
    assert (spec.test_timeout, spec.limit_floor) == (4, 0.5)
    for name in ("loops", "ref"):
        init_workspace(spec, tmp_path / name, reference=True)
    shm = tmp_path / "loops" / "shm.py"
    mark = "# [lab shm] begin: check the size, take a free slot, allocate and zero its frames\n"
    shm.write_text(shm.read_text().replace(mark, mark + "    while True:\n        pass\n"))
    loops, ref = grade_many([tmp_path / "loops", tmp_path / "ref"], jobs=2)
    assert ref.status == "graded" and ref.score == ref.max_score
    assert loops.status == "graded" and loops.test("test_runs_hello").passed
    stopped = loops.test("test_creates_once").output
    limit = float(stopped.split("ran for more than ", 1)[1].split(" s ", 1)[0])
    assert 0.5 <= limit < 4, stopped
