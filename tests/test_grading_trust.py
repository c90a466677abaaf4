"""Grading a class that wants the points: every attack a student's module can try
(issue: "student code that cannot touch the grade") is a workspace here, graded
next to the reference, and the grade must survive it. Honest use -- print
debugging, helpers, a dataclass, a forgotten breakpoint() -- keeps working."""

import json
import os
import re
import time
from pathlib import Path

import pytest

from xv6py.grading import gate
from xv6py.grading.grade import grade_many
from xv6py.grading.remote import KernelProcess, RemoteMachine, privilege_note
from xv6py.grading.spec import init_workspace, load_lab

CREATE = "    # [lab shm] begin: check the size, take a free slot, allocate and zero its frames\n"
DESTROY = "    # [lab shm] begin: refuse while attached, free the frames, free the slot\n"
HEAD = "ZERO_PAGE = bytes(PGSIZE)\n"
SELECT = "create_returns or create_rounds or destroy_frees or shmtest"


def workspace(tmp: Path, name: str, edits, base: str = "reference") -> Path:
    """A shm workspace: the reference (or the starter) with text inserted after anchors."""
    ws = tmp / name
    init_workspace(load_lab("shm"), ws, reference=base == "reference")
    text = (ws / "shm.py").read_text()
    for anchor, added in edits:
        assert text.count(anchor) == 1, anchor
        text = text.replace(anchor, anchor + added)
    (ws / "shm.py").write_text(text)
    return ws


# Each attack: edits of the reference, and what must come of it. None of them may
# score more than the points of the tests its own code does not reach.
ATTACKS = {
    # Patch the test machinery from inside the kernel.
    "patch-pytest": [(HEAD, "import sys\nsys.modules['pytest'].fail = lambda *a, **k: None\n")],
    # Register an exit hook that rewrites the results.
    "exit-hook": [(HEAD, "import atexit\natexit.register(lambda: None)\n")],
    # Print forged events and results, then leave as if done.
    "forge-events": [(CREATE, '    print(\'{"event": "result", "name": "test_shmtest", "passed": true}\')\n'
                              '    print(\'{"ok": 0, "log": "", "notes": []}\')\n'
                              "    raise SystemExit(0)\n")],
    # Detect the grader and hand back the reference, read from the install.
    "reference-from-disk": [(HEAD, "src = open(__file__.replace('mylab', 'ref')).read()\nexec(src)\n")],
    # Leak the hidden grader's source into the output.
    "leak-grader": [(CREATE, "    print(open('/dev/null').read())\n")],
    # Reach the interpreter's insides without importing anything.
    "frames": [(CREATE, "    g = (x for x in ())\n    g.gi_frame.f_back.f_globals['x'] = 1\n")],
    "dunders": [(CREATE, "    ().__class__.__base__.__subclasses__()\n")],
    "format-walk": [(CREATE, '    "{0.__class__}".format(size)\n')],
    # Rewrite another workspace's results, or the installed grader.
    "write-files": [(CREATE, "    import pathlib\n    pathlib.Path('/tmp/x').write_text('')\n")],
    # Patch the kernel around it.
    "patch-kernel": [(HEAD, "from . import kalloc as _k\n_k.kfreecount = lambda: 0\n")],
}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attacks")
    ws = {"reference": workspace(tmp, "reference", [])}
    ws.update({name: workspace(tmp, name, edits) for name, edits in ATTACKS.items()})
    grades = grade_many(list(ws.values()), jobs=2, test_timeout=3, select=SELECT)
    return dict(zip(ws, grades, strict=True))


def test_the_reference_next_to_the_attacks_scores_full_marks(attacked):
    g = attacked["reference"]
    assert g.status == "graded" and g.score == g.max_score > 0 and len(g.tests) == 4


@pytest.mark.parametrize("name", sorted(set(ATTACKS) - {"forge-events"}))
def test_an_attack_through_the_gate_is_an_import_error_and_zero(attacked, name):
    g = attacked[name]
    assert g.status == "import error" and g.score == 0, (g.status, g.message)
    assert "did not import" in g.message and "may not" in g.tests[0].output


def test_forged_events_and_an_early_exit_win_nothing(attacked):
    """The module passes the gate, prints forged events and exits from inside
    shm_create: the kernel process is gone, the tests that called it fail, the
    forged lines are only the student's printing."""
    g = attacked["forge-events"]
    assert g.status == "graded"
    results = {t.name: t for t in g.tests}
    assert not results["test_create_returns_a_new_segment"].passed
    assert "kernel process ended" in results["test_create_returns_a_new_segment"].output
    assert not results["test_shmtest"].passed            # shmtest creates a segment too
    assert results["test_destroy_frees_the_frames_and_the_slot"].passed is False
    saved = json.loads((g.workspace / "results.json").read_text())
    assert saved["score"] == g.score < g.max_score


def test_the_gate_lists_every_refusal_with_its_line():
    ref = Path(gate.__file__).parent.parent.joinpath("mm", "shm.py").read_text()
    src = "import os\nx = eval('1')\ny = [].__class__\n"
    with pytest.raises(gate.GateError) as e:
        gate.compile_module(src, "shm.py", "xv6py.mm.shm", ref)
    text = str(e.value)
    assert "line 1: import of os" in text and "line 2: the name eval" in text
    assert "line 3: the attribute .__class__" in text


def test_honest_debugging_keeps_its_points_and_breakpoint_is_a_note(tmp_path):
    """print, a helper, a dataclass and a breakpoint() left in: full marks; the
    note about breakpoint reaches the student; a failing test shows the printing."""
    helper = ("from dataclasses import dataclass\n\n\n@dataclass\nclass Trace:\n    calls: int = 0\n\n\n"
              "TRACE = Trace()\n\n\ndef _count():\n    TRACE.calls += 1\n    return TRACE.calls\n")
    debug = "    breakpoint()\n    print('create', size, _count())\n"
    good = workspace(tmp_path, "honest", [(HEAD, helper), (CREATE, debug)])
    bad = workspace(tmp_path, "buggy", [(DESTROY, "    print('destroying', id)\n    return -1\n")])
    g, b = grade_many([good, bad], jobs=2, test_timeout=3, select=SELECT)
    assert g.status == "graded" and g.score == g.max_score, [t.output for t in g.tests if not t.passed]
    assert any("breakpoint() does nothing while grading" in t.output for t in g.tests)
    failed = b.test("test_destroy_frees_the_frames_and_the_slot")
    assert not failed.passed and "your code printed:" in failed.output and "destroying" in failed.output


def test_memory_and_loops_cost_only_their_own_tests(tmp_path):
    """A module that asks for 16 GiB in shm_create, and one whose shm_destroy
    never returns: those tests fail with the reason; the others pass."""
    hog = workspace(tmp_path, "hog", [(CREATE, "    if size == 3 * PGSIZE:\n        bytearray(16 << 30)\n")])
    stuck = workspace(tmp_path, "stuck", [(DESTROY, "    while True:\n        pass\n")])
    h, s = grade_many([hog, stuck], jobs=2, test_timeout=2, select=SELECT)
    assert {t.name for t in h.tests if not t.passed} == {"test_destroy_frees_the_frames_and_the_slot"}
    assert "MemoryError" in h.test("test_destroy_frees_the_frames_and_the_slot").output
    assert {t.name for t in s.tests if not t.passed} == {"test_destroy_frees_the_frames_and_the_slot",
                                                         "test_shmtest"}
    # In a batch, the loop is stopped at the test's own limit: 10x the reference's
    # time on it, at least the lab's floor (1 s), at most the test timeout (2 s).
    stopped = s.test("test_destroy_frees_the_frames_and_the_slot").output
    limit = re.search(r"ran for more than ([\d.]+) s", stopped)
    assert limit is not None and 1 <= float(limit.group(1)) <= 2


def test_the_kernel_process_runs_with_limits_and_without_the_graders_environment(monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("XV6PY_SECRET", "the answer key")
    kp = KernelProcess(load_lab("shm"), {}, memory_mib=3072, cpu_seconds=30)
    try:
        m = RemoteMachine(kp)
        assert m.run("hello").output == "hello, world\n"
        limits = Path(f"/proc/{kp.proc.pid}/limits").read_text()
        env = Path(f"/proc/{kp.proc.pid}/environ").read_bytes().split(b"\0")
        status = Path(f"/proc/{kp.proc.pid}/status").read_text()
    finally:
        kp.stop()
    row = {line[:26].strip(): line[26:].split() for line in limits.splitlines()[1:]}
    assert row["Max file size"][:2] == ["0", "0"]
    assert row["Max data size"][0] == str(3072 << 20)
    assert row["Max cpu time"][0] == "31" and row["Max processes"][0] == "1"
    assert row["Max core file size"][0] == "0"
    assert not any(v.startswith((b"CI=", b"XV6PY_SECRET=")) for v in env)
    assert b"PYTHONBREAKPOINT=0" in env
    uid = int(status.split("Uid:")[1].split()[0])
    if os.geteuid() == 0 and not privilege_note():
        assert uid == 65534                     # nobody
    else:
        assert uid == os.geteuid()              # no privilege to drop, or no way to (the note says)


def test_a_dead_kernel_process_is_replaced_for_the_next_request():
    kp = KernelProcess(load_lab("shm"), {})
    try:
        m = RemoteMachine(kp)
        os.kill(kp.proc.pid, 9)
        with pytest.raises(Exception, match="kernel process ended"):
            m.processes()
        assert RemoteMachine(kp).run("echo", ["again"]).output == "again\n"
        assert kp.generation == 2
    finally:
        kp.stop()


def test_a_workspace_file_that_links_to_the_reference_gets_nothing(tmp_path):
    from xv6py.grading.grade import grade_one
    from xv6py.grading.spec import module_path
    ws = workspace(tmp_path, "linked", [], base="starter")
    (ws / "shm.py").unlink()
    (ws / "shm.py").symlink_to(module_path("xv6py.mm.shm"))
    g = grade_one(ws, select=SELECT)
    assert g.score == 0 and g.status in ("import error", "error"), (g.status, g.message)


# ---- the zygote: kernel processes forked from a clean, warm Python ----------------------------

def _fds(pid: int) -> list[str]:
    return [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]


def test_a_forked_kernel_process_holds_nothing_of_its_zygote_or_its_siblings():
    """Two kernel processes from one zygote: each has its own three pipes (and the
    dup of its standard output), no socket -- not the zygote's, not a sibling's
    lifeline -- and, under a root grader, runs as nobody while the zygote stays root."""
    from xv6py.grading.remote import zygote
    lab = load_lab("shm")
    one, two = KernelProcess(lab, {}), KernelProcess(lab, {})
    try:
        RemoteMachine(one), RemoteMachine(two)
        pids = one.proc.pid, two.proc.pid
        held = [_fds(pid) for pid in pids]
        z = zygote("shm").proc.pid
        status = [Path(f"/proc/{pid}/status").read_text() for pid in (*pids, z)]
    finally:
        one.stop(), two.stop()
    for fds in held:
        assert not any(f.startswith("socket:") for f in fds), fds
        assert len(set(fds)) == 3 and all(f.startswith("pipe:") for f in fds), fds
    assert not set(held[0]) & set(held[1])                  # no pipe of a sibling
    for s in status[:2]:
        assert f"PPid:\t{z}\n" in s
        if os.geteuid() == 0 and not privilege_note():
            assert int(s.split("Uid:")[1].split()[0]) == 65534
    if os.geteuid() == 0:
        assert "Uid:\t0" in status[2]


def test_the_zygote_imports_nothing_that_depends_on_the_labs_modules():
    from xv6py.grading.zygote import preimports
    pre = preimports({"xv6py.mm.shm"})
    assert "xv6py.cpu.x86" in pre and "xv6py.mm.pgdir" in pre and "xv6py.grading.kserver" in pre
    assert not {"xv6py.mm.shm", "xv6py.proc.proc", "xv6py.machine", "xv6py.syscalls.syscall"} & set(pre)
    assert "xv6py.mm.pgdir" not in preimports({"xv6py.mm.pgdir"})


def test_a_kernel_process_whose_worker_lets_go_is_killed_and_its_status_reported():
    """Closing the lifeline (a worker that died) kills the kernel process; kill()
    has the zygote kill it and report the signal."""
    lab = load_lab("shm")
    kp = KernelProcess(lab, {})
    try:
        RemoteMachine(kp)
        child = kp.proc
        pid = child.pid
        child.kill()
        assert child.wait(timeout=10) == -9
    finally:
        kp.stop()
    kp = KernelProcess(lab, {})
    try:
        RemoteMachine(kp)
        pid = kp.proc.pid
        kp.proc.close()
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.05)
        assert not Path(f"/proc/{pid}").exists(), "the kernel process outlived its lifeline"
    finally:
        kp.proc = None
        kp.stop()


def test_frames_held_and_given_back_in_one_request_are_as_in_the_graders_own_process():
    # A grader's helper that takes memory away (hold_frames) asks for every frame
    # in one request, kalloc_many; the kernel process must answer it as a machine
    # in the grader's own process does, errors included.
    from helpers import script_of_many

    from xv6py.machine import Machine
    from xv6py.memlayout import KERNEND
    from xv6py.mmu import PGSIZE
    small = KERNEND + 16 * PGSIZE
    kp = KernelProcess(load_lab("shm"), {})
    try:
        m = RemoteMachine(kp, phystop=small)
        requests = []
        ask = kp.request
        kp.request = lambda op, *args: requests.append(op) or ask(op, *args)
        remote = script_of_many(m)
    finally:
        kp.stop()
    assert remote == script_of_many(Machine(phystop=small))
    assert requests.count("kernel") == 8         # one request for each, however many frames


def test_several_looks_in_one_request_are_as_in_the_graders_own_process():
    # A grader's snapshot (processes, free frames, segments, PTEs) is one request,
    # at_once; the kernel process must answer it as a machine in the grader's own
    # process answers each look, the first error included.
    from helpers import looks_at_once

    from xv6py.grading.remote import RemoteSyscaller
    from xv6py.grading.wire import encode
    from xv6py.machine import Machine
    from xv6py.testing.kcall import Syscaller
    kp = KernelProcess(load_lab("shm"), {})
    try:
        m = RemoteMachine(kp)
        remote = looks_at_once(m, RemoteSyscaller(m))
        with pytest.raises(ValueError, match="run is not an inspection"):     # the kernel process checks too
            kp.request("at_once", m.mid, [["free_frames"], ["run", "hello", [], None]])
    finally:
        kp.stop()
    here = Machine()
    local = looks_at_once(here, Syscaller(here))
    assert json.loads(json.dumps(encode(remote))) == json.loads(json.dumps(encode(local)))
