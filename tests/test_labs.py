"""The lab framework: solution regions, workspaces, grading in processes of their
own, and the self-check of every lab (reference = full marks, starter = 0,
each mutant caught by the test that names its mistake)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from xv6py.cli import main as cli
from xv6py.grading import regions
from xv6py.grading.grade import grade_many, grade_one
from xv6py.grading.selfcheck import selfcheck
from xv6py.grading.spec import LabError, init_workspace, lab_names, load_lab

LABS = lab_names()
MUTANTS = [(name, m.name) for name in LABS for m in load_lab(name).mutants]


# ---- regions --------------------------------------------------------------------------------

SOURCE = """\
def f(x):
    \"\"\"Double x.\"\"\"
    # [lab demo] begin: multiply
    y = x * 2
    return y
    # [lab demo] stub:
    # return -1
    #
    # # a comment of the stub
    # [lab demo] end


# [lab other] begin
def helper():
    return 1
# [lab other] end
"""

STARTER = """\
def f(x):
    \"\"\"Double x.\"\"\"
    # TODO [lab demo]: multiply
    return -1

    # a comment of the stub


def helper():
    return 1
"""


def test_starter_replaces_its_labs_regions_by_their_stubs():
    assert regions.starter(SOURCE, "demo") == STARTER
    assert [(r.lab, r.hint, r.begin, r.stub_at, r.end) for r in regions.parse(SOURCE)] == \
        [("demo", "multiply", 2, 5, 9), ("other", "", 12, None, 15)]


def test_other_labs_keep_their_solution_without_markers():
    other = regions.starter(SOURCE, "other")
    assert "y = x * 2" in other and "[lab" not in other.replace("# TODO [lab other]", "")
    assert other.count("# TODO [lab other]") == 1 and "def helper" not in other
    assert "[lab" not in regions.strip_markers(SOURCE)


@pytest.mark.parametrize("bad, line", [
    ("# [lab a] end\n", 1),                                          # end with no begin
    ("# [lab a] begin\n# [lab a] begin\n# [lab a] end\n", 2),         # nested
    ("# [lab a] begin\nx = 1\n", 1),                                  # never ended
    ("    # [lab a] begin\n    x = 1\n# [lab a] end\n", 3),           # indentation differs
    ("# [lab a] begin\n# [lab b] end\n", 2),                          # lab differs
    ("# [lab a] begin\n# [lab a] stub:\nreturn 1\n# [lab a] end\n", 3),   # stub line not a comment
    ("# [lab a] begin\n# [lab a] stub:\n# [lab a] stub:\n# [lab a] end\n", 3),
    ("# [lab a] bgin\n", 1),                                          # a typo
])
def test_malformed_markers_are_refused_with_their_line(bad, line):
    with pytest.raises(regions.RegionError, match=rf"^f.py:{line}: "):
        regions.parse(bad, "f.py")


def test_a_stub_that_is_not_python_is_refused():
    bad = ("def f():\n    # [lab a] begin\n    return 1\n"
           "    # [lab a] stub:\n    # return (\n    # [lab a] end\n")
    with pytest.raises(regions.RegionError, match="not valid Python"):
        regions.check_starter(bad, "a", "f.py")


@pytest.mark.parametrize("lab", LABS)
def test_markers_change_nothing_in_the_reference(lab):
    """Markers and stubs are comments: the reference's code is the code without them."""
    spec = load_lab(lab)
    for name in spec.files:
        ref = spec.reference(name)
        assert ast.dump(ast.parse(ref)) == ast.dump(ast.parse(regions.strip_markers(ref)))


@pytest.mark.parametrize("lab", LABS)
def test_each_starter_is_python_with_a_todo_per_region(lab):
    spec = load_lab(lab)
    for name in spec.files:
        ours = [r for r in regions.parse(spec.reference(name)) if r.lab == lab]
        starter = spec.starter(name)
        assert ours and starter.count(f"# TODO [lab {lab}]") == len(ours)
        for r in ours:                  # no line of a solution survives (blank lines aside)
            kept = [line for line in r.solution if line.strip() and line in starter.splitlines(True)
                    and not line.strip().startswith(("#", '"""'))]
            assert len(kept) < len([line for line in r.solution if line.strip()]), (name, r.begin)


@pytest.mark.parametrize("lab, mutant", MUTANTS)
def test_each_mutant_is_one_edit_that_changes_the_code(lab, mutant):
    spec = load_lab(lab)
    m = next(m for m in spec.mutants if m.name == mutant)
    ref = spec.reference(m.file)
    assert ast.dump(ast.parse(m.apply(ref))) != ast.dump(ast.parse(ref))


# ---- workspaces and the command line ---------------------------------------------------------

def test_init_writes_a_workspace_and_refuses_to_overwrite(tmp_path, capsys):
    assert cli(["lab", "init", "shm", str(tmp_path / "ws")]) == 0
    ws = tmp_path / "ws"
    assert sorted(p.name for p in ws.iterdir()) == ["README.md", "shm.py", "xv6py-lab.toml"]
    assert (ws / "shm.py").read_text() == load_lab("shm").starter("shm.py")
    assert cli(["lab", "init", "shm", str(ws)]) == 2
    assert "would overwrite" in capsys.readouterr().err
    with pytest.raises(LabError, match="no lab named"):
        load_lab("nosuchlab")


def test_run_with_a_workspace_uses_its_files(tmp_path):
    """`xv6py run --workspace`: the starter's shm_create fails; the reference works."""
    init_workspace(load_lab("shm"), tmp_path / "starter")
    init_workspace(load_lab("shm"), tmp_path / "ref", reference=True)
    out = {}
    for ws in ("starter", "ref"):
        p = subprocess.run([sys.executable, "-m", "xv6py", "run", "-w", str(tmp_path / ws), "shmtest"],
                           capture_output=True, text=True, timeout=60)
        out[ws] = p.stdout
        assert f"kernel with shm.py from {tmp_path / ws}" in p.stderr
    assert out["starter"] == "shmtest: shm_create failed\n"
    assert out["ref"].endswith("detached and destroyed segment 0\n")


def test_debug_and_pt_with_a_workspace_use_its_files(tmp_path):
    """`xv6py debug -w` and `xv6py pt -w`, as `run -w`."""
    init_workspace(load_lab("shm"), tmp_path / "starter")
    p = subprocess.run([sys.executable, "-m", "xv6py", "debug", "-w", str(tmp_path / "starter"), "shmtest"],
                       input="c\nc\nq\n", capture_output=True, text=True, timeout=60)
    assert f"kernel with shm.py from {tmp_path / 'starter'}" in p.stderr
    assert "shmtest: shm_create failed" in p.stdout
    p = subprocess.run([sys.executable, "-m", "xv6py", "pt", "-w", str(tmp_path / "starter"), "--svg",
                        str(tmp_path / "a.svg"), "shmtest"], capture_output=True, text=True, timeout=60)
    assert f"kernel with shm.py from {tmp_path / 'starter'}" in p.stderr


def test_grade_from_the_command_line_writes_results(tmp_path, capsys):
    ws = tmp_path / "alice"
    init_workspace(load_lab("pgtbl"), ws, reference=True)
    assert cli(["lab", "grade", str(ws), "-k", "walkpgdir"]) == 0
    out = capsys.readouterr().out
    assert "alice" in out and "graded" in out
    results = json.loads((ws / "results.json").read_text())
    names = [t["name"] for t in results["tests"]]
    assert names and all("walkpgdir" in n for n in names)
    full = sum(t["max_score"] for t in results["tests"])
    assert results["score"] == results["extra_data"]["max_score"] == full > 0


# ---- broken workspaces, graded together with a good one ---------------------------------------

def _variant(tmp_path: Path, name: str, edits: list[tuple[str, str]], base: str = "reference") -> Path:
    """A shm workspace: the reference (or the starter) with text replacements."""
    ws = tmp_path / name
    lab = load_lab("shm")
    init_workspace(lab, ws, reference=base == "reference")
    text = (ws / "shm.py").read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (ws / "shm.py").write_text(text)
    return ws


ANY = "    return any(addr < hi and"
BROKEN = {          # workspace: edits of the reference shm.py
    "reference": [],
    "syntax": [("def shm_fork(parent, child) -> int:", "def shm_fork(parent, child) ->:")],
    "raises": [("    # [lab shm] begin: refuse while attached, free the frames, free the slot\n"
                "    acquire(shmtable.lock)",
                "    # [lab shm] begin: refuse while attached, free the frames, free the slot\n"
                "    id //= 0\n    acquire(shmtable.lock)")],
    "garbage": [("    return 0 if ok else -1", "    return 'ok' if ok else [-1]")],
    "loops": [(ANY, "    while True:\n        pass\n" + ANY)],
    "import-loop": [("ZERO_PAGE = bytes(PGSIZE)\n", "ZERO_PAGE = bytes(PGSIZE)\nwhile True:\n    pass\n")],
}
SLOT = "    id = next((i for i, seg in enumerate(shmtable.seg) if seg.npages == 0), None)\n"
CORRECT = {         # correct solutions that choose otherwise where the handout leaves the choice
    "highest-slot": [(SLOT, "    id = next((i for i in reversed(range(SHM_N)) "
                            "if shmtable.seg[i].npages == 0), None)\n")],
    "scrambled-slot-first-in-list": [
        (SLOT, "    free = [i for i, seg in enumerate(shmtable.seg) if seg.npages == 0]\n"
               "    id = min(free, key=lambda i: (7 * i + 5) % SHM_N) if free else None\n"),
        ("        p.shm.append((id, addr))\n", "        p.shm.insert(0, (id, addr))\n")],
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """Grade, in one parallel batch: the reference, and workspaces whose shm.py has
    a syntax error, raises in shm_destroy, returns garbage from shm_attach, loops in
    shm_overlaps (sbrk), or loops at import; and correct ones that take another
    free slot than the lowest, or list attachments newest first."""
    tmp = tmp_path_factory.mktemp("broken")
    ws = {name: _variant(tmp, name, edits) for name, edits in (BROKEN | CORRECT).items()}
    grades = grade_many(list(ws.values()), jobs=2, test_timeout=1)
    return dict(zip(ws, grades, strict=True))


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_solution_that_chooses_otherwise_scores_full_marks(broken, name):
    """shm_create may take any free slot, and p.shm may list attachments in any
    order: the grader assumes neither (the handout does not say)."""
    g = broken[name]
    assert g.status == "graded" and g.score == g.max_score > 0, \
        [(t.name, t.output[:300]) for t in g.tests if not t.passed]


def test_the_good_workspace_is_untouched_by_the_broken_ones(broken):
    g = broken["reference"]
    assert g.status == "graded" and g.score == g.max_score > 0


def test_a_syntax_error_fails_every_test_with_the_error(broken):
    g = broken["syntax"]
    assert g.status == "import error" and "SyntaxError" in g.message and g.score == 0
    assert g.tests and all("shm.py did not import: SyntaxError" in t.output for t in g.tests)


def test_a_raising_module_costs_points_without_crashing(broken):
    g = broken["raises"]
    assert g.status == "graded" and 0 < g.score < g.max_score
    assert g.test("test_create_returns_a_new_segment").passed
    t = g.test("test_destroy_frees_the_frames_and_the_slot")
    assert not t.passed and "ZeroDivisionError" in t.output and "shm.py" in t.output
    assert not g.test("test_shmtest").passed


def test_garbage_results_cost_points_without_crashing(broken):
    g = broken["garbage"]
    assert g.status == "graded" and 0 < g.score < g.max_score
    assert not g.test("test_attach_maps_the_frames_user_writable").passed


def test_an_endless_loop_in_a_call_fails_that_test_only(broken):
    g = broken["loops"]
    assert g.status == "graded"
    failed = [t for t in g.tests if not t.passed]
    assert {t.name for t in failed} == {"test_attach_refuses_pages_already_mapped",       # the tests that
                                        "test_sbrk_never_grows_into_a_segment",           # call sbrk
                                        "test_shmerrors", "test_badargs"}
    assert all("ran for more than 1 s of host time and was stopped" in t.output for t in failed)


def test_an_endless_loop_at_import_is_an_import_error(broken):
    g = broken["import-loop"]
    assert g.status == "import error" and "took more than 1 s" in g.message and g.score == 0


def test_a_loop_that_swallows_every_exception_costs_only_the_tests_that_reach_it(tmp_path):
    """A loop in shm_overlaps (sbrk) that catches every exception: the test that
    calls it is stopped at its deadline, its kernel process killed; the tests
    after it get a new kernel process and pass."""
    ws = _variant(tmp_path, "swallow", [("    return any(addr < hi and",
                                         "    while True:\n        try:\n            while True:\n"
                                         "                pass\n        except BaseException:\n"
                                         "            pass\n    return any(addr < hi and")])
    g = grade_one(ws, timeout=30, test_timeout=1,
                  select="create_returns or sbrk_never or destroy_frees or create_rounds")
    assert g.status == "graded"
    assert sorted((t.name, t.passed) for t in g.tests) == [
        ("test_create_returns_a_new_segment", True), ("test_create_rounds_up_to_whole_pages", True),
        ("test_destroy_frees_the_frames_and_the_slot", True), ("test_sbrk_never_grows_into_a_segment", False)]
    assert "ran for more than 1 s of host time" in g.test("test_sbrk_never_grows_into_a_segment").output
    assert g.seconds < 15


def test_a_workspace_that_never_gets_to_its_tests_scores_zero_on_each(tmp_path, broken):
    """An endless loop at import that swallows the alarm: the process is killed
    before it reports a single test; every test of the lab is listed, with 0."""
    ws = _variant(tmp_path, "stuck", [("ZERO_PAGE = bytes(PGSIZE)\n",
                                       "ZERO_PAGE = bytes(PGSIZE)\nwhile True:\n    try:\n"
                                       "        while True:\n            pass\n"
                                       "    except BaseException:\n        pass\n")])
    g = grade_one(ws, timeout=4, test_timeout=1)
    assert g.status == "timeout" and g.score == 0
    full = broken["reference"]                                       # the grader's full list
    assert [t.name for t in g.tests] == [t.name for t in full.tests] and g.max_score == full.max_score
    assert all(t.output.startswith("not run: the grader was stopped after 4 s") for t in g.tests)


# ---- the self-check ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def checks():
    return {(c.lab, c.case): c for c in selfcheck(jobs=2)}


@pytest.mark.parametrize("lab", LABS)
def test_the_reference_scores_full_marks(checks, lab):
    c = checks[lab, "reference"]
    assert c.ok and c.grade.score == c.grade.max_score > 0, c.why


@pytest.mark.parametrize("lab", LABS)
def test_the_starter_scores_zero_without_crashing(checks, lab):
    c = checks[lab, "starter"]
    assert c.ok and c.grade.status == "graded" and c.grade.score == 0, c.why
    assert len(c.grade.tests) == len(checks[lab, "reference"].grade.tests)


@pytest.mark.parametrize("lab", LABS)
def test_the_selfcheck_searches_the_release_for_solutions(checks, lab):
    c = checks[lab, "release"]
    assert c.ok and c.grade is None and "no line of a solution" in c.why, c.why


@pytest.mark.parametrize("lab, mutant", MUTANTS)
def test_each_mutant_loses_points_on_the_test_that_names_it(checks, lab, mutant):
    c = checks[lab, mutant]
    assert c.ok, c.why
    assert c.grade.score < c.grade.max_score


def test_a_grade_reads_the_same_where_the_environment_names_a_ci_system(checks, tmp_path, monkeypatch):
    """pytest explains a failed assert in full when CI is set; the worker runs
    without it, so a failing page comparison reads (and takes) the same."""
    lab = load_lab("shm")
    m = next(m for m in lab.mutants if m.name == "no-zero-fill")
    ws = tmp_path / "ws"
    init_workspace(lab, ws, reference=True)
    (ws / m.file).write_text(m.apply(lab.reference(m.file)))
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("BUILD_NUMBER", "7")
    g, plain = grade_one(ws, results=None), checks["shm", m.name].grade
    assert [(t.name, t.passed, t.output) for t in g.tests] == \
        [(t.name, t.passed, t.output) for t in plain.tests]
    t = g.test(m.test)
    assert not t.passed and "not zero-filled" in t.output and "ran for more than" not in t.output
