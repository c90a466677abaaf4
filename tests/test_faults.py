"""Fault injection (xv6py/fail.py): the N-th allocation of a kind fails, for every N
a program reaches, and each time the call that met it gives its error back,
nothing leaks, the kernel's invariants hold throughout (check=True), and the same
machine then runs the program normally.

Set XV6PY_FAULT_SWEEP=full for every N of every program (bench-sized); by
default the longest sweeps take every few N."""

import os

import pytest

from xv6py.fail import parse
from xv6py.fsck import fsck
from xv6py.machine import Machine

FULL = os.environ.get("XV6PY_FAULT_SWEEP") == "full"

# (program, args, kind, step): step 1 tries every N; a larger one every step-th.
SWEEPS = [
    ("forktest", [], "kalloc", 1 if FULL else 13),    # fork until the table or memory is full
    ("forktree", ["3"], "kalloc", 1 if FULL else 3),  # fork, exit, wait in a tree
    ("exectest", [], "kalloc", 1),                    # exec, and exec's failures
    ("sbrktest", [], "kalloc", 1 if FULL else 9973),  # sbrk up to the end of memory, and back
    ("shmtest", [], "kalloc", 1),                     # the lab's shm: create, attach, fork
    ("shmerrors", [], "kalloc", 1),
    ("pipeloop", [], "kalloc", 1),                    # pipes between two processes
    ("uidtest", [], "kalloc", 1 if FULL else 3),      # System V IPC, owners
    ("fstests", [], "balloc", 1 if FULL else 11),     # files: create, write, mkdir, unlink
    ("fstests", [], "ialloc", 1 if FULL else 5),
    ("fstests", [], "kalloc", 1 if FULL else 7),
    # mmap and POSIX shared memory: each part of mmaptest, shm-posix; files mapped
    # and written back meet a full disk
    *[("mmaptest", [t], "kalloc", 1 if FULL else step)
      for t, step in (("zero", 3), ("shared", 2), ("private", 2), ("partial", 3), ("mprotect", 3),
                      ("lazy", 3), ("file", 1), ("fileshared", 1), ("unlink", 2), ("excl", 17),
                      ("errors", 3), ("buffer", 2))],
    ("mmaptest", ["file"], "balloc", 1),
    ("mmaptest", ["fileshared"], "balloc", 1),
    ("mmaptest", ["file"], "ialloc", 1),
    ("mmaptest", ["fileshared"], "ialloc", 1),
    ("shm-posix", [], "kalloc", 1),
]


def segment_frames(m: Machine) -> int:
    """Frames held by segments a program left behind (theirs to destroy, not a leak)."""
    lab = sum(len(s["frames"]) for s in m.shm_segments())
    sysv = sum(len(s["frames"]) for s in m.ipc_objects()["shm"])
    return lab + sysv


def no_leak(r, base, m: Machine) -> str | None:
    """Why run r leaked, compared with the run without a failure (base); or None."""
    if r.free_frames_after + segment_frames(m) != r.free_frames_before:
        return f"frames {r.free_frames_before} -> {r.free_frames_after} (+{segment_frames(m)} in segments)"
    # Blocks and inodes: a program that gave up half-way leaves its files; fsck
    # tells those from leaks (a block or inode in use that no file holds).
    same = (r.free_blocks_before - r.free_blocks_after
            == base.free_blocks_before - base.free_blocks_after
            and r.free_inodes_before - r.free_inodes_after
            == base.free_inodes_before - base.free_inodes_after)
    problems = [] if same else fsck(m.image())
    if problems:
        return "fsck: " + "; ".join(problems[:3])
    if r.inodes_in_use:
        return f"{r.inodes_in_use} in-memory inodes still referenced"
    mm = m.mmap_state()
    if mm["objects"] or mm["files"] or mm["areas"]:
        return f"mmap left {mm['objects']} objects, {mm['files']} mapped files, areas {mm['areas']}"
    return None


def sweep(m: Machine, prog: str, args, kind: str, step: int) -> int:
    """Fail each N-th allocation of kind in runs of prog; returns how many there are."""
    m.fail = None
    base = m.run(prog, args)
    assert base.status == "exit", base.reason
    m.fail = (kind, 10**9)                  # counts them, fails none
    m.run(prog, args)
    total = m.failed.seen
    assert total > 0
    for n in range(1, total + 1, step):
        m.fail = (kind, n)
        r = m.run(prog, args)
        where = f"`xv6py run --check --fail {kind}:{n} {prog} {' '.join(args)}`"
        assert m.failed.failed, where
        # (a program that waits for what a failed call should have made may spin to its budget)
        assert r.status in ("exit", "killed", "not started", "budget"), f"{where}: {r.status}: {r.reason}"
        problem = no_leak(r, base, m)
        assert problem is None, f"{where}: {problem}"
    m.fail = None
    again = m.run(prog, args)                # the same machine, as if nothing had happened
    assert again.status == "exit" and again.output == base.output
    return total


@pytest.mark.parametrize("prog,args,kind,step", SWEEPS,
                         ids=[f"{p}-{'-'.join(a + [k])}" for p, a, k, _ in SWEEPS])
def test_every_allocation_can_fail_cleanly(prog, args, kind, step):
    m = Machine(check=True, max_instructions=20_000_000)
    assert sweep(m, prog, args, kind, step) > 0


def test_a_failed_fork_is_seen_by_the_program():
    m = Machine(check=True)
    m.fail = ("kalloc", 10**9)
    m.run("forktree", ["2"])
    n = m.failed.seen
    for k in range(1, n + 1):
        m.fail = ("kalloc", k)
        r = m.run("forktree", ["2"])
        if "fork failed" in r.output:
            return
    pytest.fail("no failed kalloc made forktree say that fork failed")


def test_the_spec_is_checked():
    assert parse("kalloc:3") == ("kalloc", 3)
    assert parse(("ialloc", 1)) == ("ialloc", 1)
    for bad in ("kalloc", "kalloc:0", "kalloc:-1", "frames:1", "balloc:x"):
        with pytest.raises(ValueError):
            parse(bad)
    with pytest.raises(ValueError):
        Machine(fail="nothing:1")


def test_injection_is_off_by_default_and_changes_nothing():
    a, b = Machine().run("forktree", ["3"]), Machine(fail="kalloc:1000000").run("forktree", ["3"])
    assert a == b
