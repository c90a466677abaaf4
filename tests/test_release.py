"""`xv6py lab release`: the student edition of a lab holds no line of a solution
and no hidden test, installs with pip, boots, and grades with the public tests."""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from labdirs import MIXED_TESTS, make_lab

from xv6py.cli import main as cli
from xv6py.grading import regions
from xv6py.grading.release import leaks, public_tests, write_release
from xv6py.grading.selfcheck import release_check
from xv6py.grading.spec import LABS_ENV, LabError, lab_names, load_lab

LABS = lab_names()
ROOT = Path(__file__).resolve().parents[1]


# ---- hidden tests stay out ----------------------------------------------------------------------

GRADER = '''\
import pytest

HELPER = 1


@pytest.mark.points(2)
def test_public():
    assert HELPER == 1


# the secret: checks what the handout does not say
@pytest.mark.points(3, visibility="hidden")
@pytest.mark.budget(1_000_000)
def test_secret():
    assert "SECRET-ONE"


class TestGroup:
    @pytest.mark.points(1)
    def test_open(self):
        pass

    @pytest.mark.points(1, visibility="after_due_date")
    def test_later(self):
        assert "SECRET-TWO"


@pytest.mark.points(1, visibility="hidden")
class TestAllHidden:
    def test_a(self):
        assert "SECRET-THREE"
'''


def test_public_tests_leave_out_every_test_that_is_not_visible():
    public, hidden = public_tests(GRADER, "test_g.py")
    assert [(h.name, h.visibility) for h in hidden] == [
        ("test_secret", "hidden"), ("TestGroup::test_later", "after_due_date"), ("TestAllHidden", "hidden")]
    assert "SECRET" not in public and "the secret" not in public and "budget" not in public
    for kept in ("def test_public", "HELPER = 1", "class TestGroup", "def test_open"):
        assert kept in public
    compile(public, "test_g.py", "exec")
    assert hidden[0].source.startswith("# the secret") and "SECRET-ONE" in hidden[0].source


def test_a_file_marked_hidden_as_a_whole_is_left_out():
    source = ('import pytest\npytestmark = [pytest.mark.points(1, visibility="hidden")]\n'
              'def test_a():\n    pass\n')
    public, hidden = public_tests(source, "test_h.py")
    assert public is None and hidden[0].source == source


@pytest.mark.parametrize("source", [
    'import pytest\n@pytest.mark.parametrize("x", [1, pytest.param(2, marks=pytest.mark.points(1, '
    'visibility="hidden"))])\ndef test_a(x):\n    pass\n',
    'import pytest\nV = "hidden"\n@pytest.mark.points(1, visibility=V)\ndef test_a():\n    pass\n',
    'import pytest\nKW = {}\n@pytest.mark.points(1, **KW)\ndef test_a():\n    pass\n',
])
def test_a_hidden_test_that_cannot_be_cut_out_is_refused(source):
    with pytest.raises(LabError, match="test_x.py:"):
        public_tests(source, "test_x.py")


# ---- the edition of each lab ---------------------------------------------------------------------

@pytest.mark.parametrize("lab", LABS)
def test_a_release_holds_no_line_of_a_solution(lab, tmp_path):
    spec = load_lab(lab)
    rel = write_release(spec, tmp_path / "out")
    assert leaks(rel) == []
    out = rel.dir
    assert sorted(p.name for p in (out / "labs").iterdir()) == ["__init__.py", lab]
    assert not list(out.rglob("mutants.toml")) and not list(out.rglob("__pycache__"))
    assert not (out / "tests").exists() and not (out / "bench").exists()
    for f, module in spec.files.items():
        mine = (out / "xv6py" / Path(*module.split(".")[1:])).with_suffix(".py").read_text()
        assert mine == spec.starter(f)          # the package's own file is what lab init hands out
    for py in (out / "xv6py").rglob("*.py"):    # no marker left in the kernel
        if "grading" not in py.parts:
            assert not any(regions.LOOSE.match(line) for line in py.read_text().splitlines()), py
    # every solution line of this lab that tells something is gone, checked here without leaks()
    for f in spec.files:
        starter = spec.starter(f)
        for r in regions.parse(spec.reference(f)):
            if r.lab == lab:
                telling = [s.strip() for s in r.solution if len(s.split()) > 3 and s.strip() not in starter]
                assert not any(s in (out / "README.md").read_text() for s in telling)
    assert "--reference" not in (out / "README.md").read_text()
    assert os.access(out / "grade.sh", os.X_OK)


def test_the_shm_release_keeps_the_page_table_code_it_needs_and_says_so(tmp_path):
    rel = write_release(load_lab("shm"), tmp_path / "out")
    assert list(rel.kept) == ["pgtbl"] and rel.left_out == []
    pgdir = (rel.dir / "xv6py" / "mm" / "pgdir.py").read_text()
    assert "pgtab = kalloc()" in pgdir and "    # [lab pgtbl] begin" not in pgdir
    assert "reference solutions of lab `pgtbl`" in (rel.dir / "README.md").read_text()
    other = write_release(load_lab("pgtbl"), tmp_path / "pg")
    assert other.left_out == ["shm"] and other.kept == {}
    shm = (other.dir / "xv6py" / "mm" / "shm.py").read_text()
    assert "lab shm is not part of this edition" in shm and "seg.refcount > 0" not in shm
    assert "not the other labs (`shm`)" in (other.dir / "README.md").read_text()


def test_leaks_finds_what_must_not_be_there(tmp_path):
    rel = write_release(load_lab("shm"), tmp_path / "out")
    (rel.dir / "notes.md").write_text("```\n    #    if seg is None or seg.refcount > 0:   # hm\n```\n")
    (rel.dir / "xv6py" / "__pycache__").mkdir()
    (rel.dir / "xv6py" / "__pycache__" / "shm.cpython-311.pyc").write_bytes(b"\0")
    (rel.dir / "labs" / "shm" / "mutants.toml").write_text("")
    (rel.dir / "labs" / "pgtbl").mkdir()
    found = leaks(rel)
    assert any(f.startswith("notes.md:2: a line of the solution at xv6py/mm/shm.py:") for f in found), found
    assert any("compiled code" in f for f in found) and any("mutants" in f for f in found)
    assert any("other labs (pgtbl)" in f for f in found)


def test_the_selfcheck_fails_a_lab_whose_public_tests_hold_a_solution_line(tmp_path, monkeypatch):
    grader = MIXED_TESTS + "\n\ndef _oops(seg):\n    if seg is None or seg.refcount > 0:\n        return -1\n"
    monkeypatch.setenv(LABS_ENV, str(make_lab(tmp_path / "labs", grader)))
    check = release_check(load_lab("shm"))
    assert not check.ok and "a line of the solution" in check.why and "test_ours.py" in check.why


def test_hidden_tests_are_left_out_of_a_release(tmp_path, monkeypatch):
    monkeypatch.setenv(LABS_ENV, str(make_lab(tmp_path / "labs", MIXED_TESTS)))
    rel = write_release(load_lab("shm"), tmp_path / "out")
    assert [h.name for h in rel.hidden] == ["test_secret_shmcall", "test_skipped_this_term"]
    assert leaks(rel) == []
    every = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in rel.dir.rglob("*") if p.is_file())
    assert "test_secret_shmcall" not in every and "THE-HIDDEN-TEST-DOCSTRING" not in every
    assert "test_shmtest_shares_a_segment" in (rel.dir / "labs/shm/grader/test_ours.py").read_text()
    assert "also runs 2 test(s) that are not here" in (rel.dir / "README.md").read_text()
    with open(rel.dir / "labs/shm/grader/test_ours.py", "a") as f:     # put one back
        f.write(rel.hidden[0].source)
    assert any("a line of the hidden test" in line for line in leaks(rel))
    assert release_check(load_lab("shm")).ok


def test_release_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "pg"
    assert cli(["lab", "release", "pgtbl", str(out), "--keep", "shm"]) == 0
    said = capsys.readouterr().out
    assert "keeps the solutions of lab shm" in said and "no line of a solution" in said
    assert "seg.refcount > 0" in (out / "xv6py" / "mm" / "shm.py").read_text()     # kept: done before
    assert cli(["lab", "release", "pgtbl", str(out)]) == 2
    assert "not an empty directory" in capsys.readouterr().err
    assert cli(["lab", "release", "pgtbl", str(tmp_path / "x"), "--keep", "nosuch"]) == 2
    assert "cannot keep nosuch" in capsys.readouterr().err


# ---- installed, booted, graded ----------------------------------------------------------------

def _isolated(target: Path) -> dict:
    """An environment in which python -S sees the installed release and the
    dependencies, and not the editable xv6py of this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])
    env.pop(LABS_ENV, None)
    return env


def test_the_release_installs_boots_and_grades_with_its_public_tests(tmp_path):
    out = tmp_path / "shm-edition"
    write_release(load_lab("shm"), out)
    target = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                          str(target), str(out)], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr
    assert (target / "bin" / "xv6py").is_file()
    env, cwd = _isolated(target), tmp_path / "student"
    cwd.mkdir()

    def xv6py(*args):
        return subprocess.run([sys.executable, "-S", "-m", "xv6py", *args], capture_output=True, text=True,
                              env=env, cwd=cwd, timeout=300)
    where = subprocess.run([sys.executable, "-S", "-c", "import xv6py; print(xv6py.__file__)"],
                           capture_output=True, text=True, env=env, cwd=cwd)
    assert where.stdout.strip() == str(target / "xv6py" / "__init__.py")
    run = xv6py("run", "forktree")
    assert run.returncode == 0 and "forktree: leave root (pid 2)" in run.stdout, run.stderr
    assert xv6py("lab", "init", "--reference", "shm", "ref").returncode == 2
    assert not any(c in xv6py("lab", "--help").stdout for c in ("selfcheck", "release", "gradescope"))
    assert xv6py("lab", "init", "shm", "mylab").returncode == 0
    assert (cwd / "mylab" / "shm.py").read_text() == load_lab("shm").starter("shm.py")
    (cwd / "solved").mkdir()
    (cwd / "solved" / "shm.py").write_text(load_lab("shm").reference("shm.py"))     # as a student would
    (cwd / "solved" / "xv6py-lab.toml").write_text('lab = "shm"\n')
    graded = xv6py("lab", "grade", "mylab", "solved")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    mine, solved = (json.loads((cwd / d / "results.json").read_text()) for d in ("mylab", "solved"))
    assert mine["score"] == 0 and solved["score"] == solved["extra_data"]["max_score"] > 0
    # grade.sh, from the tree itself (not installed)
    sh = subprocess.run([str(out / "grade.sh"), "solved", "-k", "create"], capture_output=True, text=True,
                        cwd=cwd, env={**os.environ, "PYTHON": sys.executable}, timeout=300)
    assert sh.returncode == 0 and "graded" in sh.stdout, sh.stdout + sh.stderr


def test_a_plain_install_writes_the_same_release_as_a_clone(tmp_path):
    """A plain `pip install` has no pyproject.toml, README or userprogs/ beside the
    package: the release takes the user programs and labs from the package and
    the rest from the installed metadata, and is the edition a clone writes."""
    from xv6py.grading.gradescope import build_wheel
    wheel = build_wheel(tmp_path / "built")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    env = _isolated(site)
    out = tmp_path / "from-install"
    made = subprocess.run([sys.executable, "-S", "-m", "xv6py", "lab", "release", "shm", str(out)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert made.returncode == 0 and "no line of a solution" in made.stdout, made.stderr
    clone = tmp_path / "from-clone"
    write_release(load_lab("shm"), clone)

    def files(top):
        return {p.relative_to(top): p.read_bytes() for p in top.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    a, b = files(out), files(clone)
    assert sorted(a) == sorted(b)
    differ = [str(p) for p in a if a[p] != b[p]]
    assert differ in ([], ["XV6PY.md"])           # xv6py's README: the file, or the metadata's copy
    assert a[Path("XV6PY.md")].startswith(b"# xv6py")
