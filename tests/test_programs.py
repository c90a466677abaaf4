"""The user programs of userprogs/ on a fresh machine: exact output, how they
ended, and the free-frame count back where it started."""

import re

import pytest

FORKTREE_2 = """\
forktree: enter root (pid 2)
forktree: enter root.0 (pid 3)
forktree: enter root.0.0 (pid 4)
forktree: leave root.0.0 (pid 4)
forktree: enter root.0.1 (pid 5)
forktree: leave root.0.1 (pid 5)
forktree: leave root.0 (pid 3)
forktree: enter root.1 (pid 6)
forktree: enter root.1.0 (pid 7)
forktree: leave root.1.0 (pid 7)
forktree: enter root.1.1 (pid 8)
forktree: leave root.1.1 (pid 8)
forktree: leave root.1 (pid 6)
forktree: leave root (pid 2)
"""

EIP = "0x[0-9a-f]+"
LAST = "{last}"    # CR2 as it stands: the address of the last page fault before this one
# The kill line of each kind of fault, after "pid N faults: ". xv6 prints rcr2() as
# the addr of every trap, so a trap other than a page fault shows the address of
# the last page fault (CR2 is only ever written by a page fault).
FAULT_LINES = {
    "read-unmapped": f"trap 14 err 4 on cpu 0 eip {EIP} addr 0x40000000",
    "write-unmapped": f"trap 14 err 6 on cpu 0 eip {EIP} addr 0x40000000",
    "exec-unmapped": "trap 14 err 4 on cpu 0 eip 0x40000000 addr 0x40000000",
    "kernel-read": f"trap 14 err 5 on cpu 0 eip {EIP} addr 0x80000000",
    "kernel-write": f"trap 14 err 7 on cpu 0 eip {EIP} addr 0x80100000",
    "guard": f"trap 14 err 7 on cpu 0 eip {EIP} addr 0x2010",
    "stack-overflow": f"trap 14 err 7 on cpu 0 eip {EIP} addr 0x2[0-9a-f]{{3}}",
    "div0": f"trap 0 err 0 on cpu 0 eip {EIP} addr {LAST}",
    "ud2": f"trap 6 err 0 on cpu 0 eip {EIP} addr {LAST}",
    "in": f"trap 13 err 0 on cpu 0 eip {EIP} addr {LAST}",
    "out": f"trap 13 err 0 on cpu 0 eip {EIP} addr {LAST}",
    "hlt": f"trap 13 err 0 on cpu 0 eip {EIP} addr {LAST}",
    "cli": f"trap 13 err 0 on cpu 0 eip {EIP} addr {LAST}",
    "int": f"trap 13 err 386 on cpu 0 eip {EIP} addr {LAST}",   # int $0x30, DPL-0 gate: 0x30<<3 | 2
    "int3": f"trap 13 err 26 on cpu 0 eip {EIP} addr {LAST}",
    "ret-main": "trap 14 err 4 on cpu 0 eip 0xffffffff addr 0xffffffff",
}


def check_clean(r):
    assert r.status == "exit", r.reason
    assert r.free_frames_after == r.free_frames_before


def test_hello(machine):
    r = machine.run("hello")
    assert r.output == "hello, world\n"
    check_clean(r)
    assert r.pid == 2 and r.syscalls > 0 and r.instructions > 0


def test_echo(machine):
    assert machine.run("echo", ["a", "bc", "def"]).output == "a bc def\n"


def test_forktree_output_is_fixed_by_wait(machine):
    r = machine.run("forktree", ["2"])
    assert r.output == FORKTREE_2
    check_clean(r)


def test_argtest(machine):
    r = machine.run("argtest", ["one", "two words", ""])
    assert r.output.splitlines() == ["argc=4", "argv[0]=argtest", "argv[1]=one",
                                     "argv[2]=two words", "argv[3]=", "argtest: ok"]
    check_clean(r)


def test_sbrktest(machine):
    r = machine.run("sbrktest")
    assert r.output.endswith("sbrktest: ok\n"), r.output
    assert "fail" not in r.output.replace("fails ok", "")
    check_clean(r)


def test_faults_each_kind_killed_with_xv6s_line(machine):
    """Every kind, in order, each in its own child (pids 3, 4, ...): the guard page
    and a stack overflow are present but not user pages (err 7), the kernel half
    too (5 on read, 7 on write); int n other than 64 is a #GP naming the gate."""
    r = machine.run("faults")
    check_clean(r)
    assert "did not fault" not in r.output
    lines = r.output.splitlines()
    assert len(lines) == 2 * len(FAULT_LINES)
    last = None
    for pid, (announce, kill) in enumerate(zip(lines[::2], lines[1::2], strict=True), start=3):
        kind = announce.removeprefix("faults: ")
        want = FAULT_LINES[kind].replace(LAST, last or "NONE")
        assert re.fullmatch(f"pid {pid} faults: {want}--kill proc", kill), kill
        if " trap 14 " in kill:
            last = kill.rpartition(" addr ")[2].removesuffix("--kill proc")
    assert last is not None and LAST in FAULT_LINES["div0"]
    assert r.faults == len(FAULT_LINES)


def test_spin_proves_preemption(machine):
    r = machine.run("spin")
    assert r.output == "spin: child killed after parent ran; preemption works\n"
    check_clean(r)
    assert r.ticks > 1


@pytest.mark.parametrize("quantum", [1, 7, 1000])
def test_small_quanta_same_output(quantum):
    from xv6py.machine import Machine
    r = Machine(quantum=quantum).run("forktree", ["2"])
    assert r.output == FORKTREE_2
    check_clean(r)


def test_a_trap_reports_the_page_faults_of_its_own_run_only():
    """CR2 is the last page fault's address within a run: a machine started afresh
    (a reset CPU) reports 0 for a trap before any page fault, as a new machine does."""
    from xv6py.machine import Machine
    m = Machine()
    first = m.run("faults", ["div0"]).output
    assert re.search(r"trap 0 err 0 on cpu 0 eip 0x[0-9a-f]+ addr 0x0--kill proc", first), first
    m.run("faults", ["kernel-read"])
    again = m.run("faults", ["div0"]).output
    assert again == first
    after = m.run("faults", ["kernel-read", "div0"]).output
    assert after.rstrip().endswith("addr 0x80000000--kill proc"), after
