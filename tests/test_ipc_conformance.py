"""The System V IPC conformance suite: userprogs/posix/ipctest.c and ipcstress.c,
POSIX programs that check every rule and error of the issue, one line per check.

Each runs on xv6py under several schedules (quanta and seeds): it must pass
every check, print the same text under each schedule, and leave no frame, no
IPC object and no undo record behind. The same source, built by the host's C
compiler and run on Linux, must print the same lines (skipped where the host
has no compiler or no System V IPC; it must run as root, as CI does)."""

import os
import re

import pytest
from helpers import run
from hostc import host_output

from xv6py.machine import Machine

pytest_plugins = ["pytester"]

# (quantum, seed): the default schedule, then tiny time slices that switch in
# the middle of almost everything, under several seeds.
SCHEDULES = [(100_000, None), (97, 1), (97, 2), (1000, 3), (5000, 4)]

# The kernel's own console line when it kills a faulting process: Linux prints nothing.
KILL_LINE = re.compile(r"^pid \d+ \w+: trap \d+ err \d+ on cpu 0 eip 0x[0-9a-f]+ "
                       r"addr 0x[0-9a-f]+--kill proc\n", re.M)


def xv6_output(prog: str, test: str, quantum: int = 100_000, seed=None) -> str:
    m = Machine(quantum=quantum, seed=seed)
    r = run(m, prog, [test])
    assert r.status == "exit", r.reason
    assert m.ipc_objects() == {"shm": [], "sem": [], "msg": []}, "an IPC object was left behind"
    return r.output


def checked(out: str, test: str) -> str:
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert not fails, "\n".join(fails)
    assert out.endswith(f"{test}: all checks passed\n"), out[-500:]
    return out


def linux(prog: str, test: str, tmp_path) -> str:
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        pytest.skip("the conformance programs need root on the host (they setuid in children)")
    out = host_output(prog, [test], tmp_path)
    if "ENOSYS" in out or "Function not implemented" in out:
        pytest.skip("no System V IPC on this host")
    return out


@pytest.mark.parametrize("test", ["perm", "shm", "sem", "msg", "full"])
def test_ipctest(test):
    checked(xv6_output("ipctest", test), test)


@pytest.mark.parametrize("test", ["perm", "shm", "sem", "msg"])
def test_ipctest_schedules_do_not_change_the_results(test):
    outs = {xv6_output("ipctest", test, q, s) for q, s in SCHEDULES[1:3]}
    assert outs == {xv6_output("ipctest", test)}


@pytest.mark.parametrize("test", ["nattch", "pingpong", "kill", "exec"])
def test_ipcstress_under_every_schedule(test):
    outs = {checked(xv6_output("ipcstress", test, q, s), test) for q, s in SCHEDULES}
    assert len(outs) == 1, outs


@pytest.mark.parametrize("test", ["perm", "shm", "sem", "msg", "full"])
def test_ipctest_prints_the_same_on_linux(test, tmp_path):
    host = linux("ipctest", test, tmp_path)
    assert KILL_LINE.sub("", xv6_output("ipctest", test)) == host


@pytest.mark.parametrize("test", ["nattch", "pingpong", "kill", "exec"])
def test_ipcstress_prints_the_same_on_linux(test, tmp_path):
    host = linux("ipcstress", test, tmp_path)
    assert xv6_output("ipcstress", test) == host


GRADER = '''
from xv6py.testing.asserts import assert_no_ipc, assert_no_leak


def test_pingpong(xv6_run, xv6_machine):
    r = xv6_run("ipcstress", "pingpong")
    assert r.output.endswith("pingpong: all checks passed\\n")
    assert_no_leak(r)
    assert_no_ipc(xv6_machine)


def test_philosophers(xv6_run):
    r = xv6_run("philosophers", "5", "2", "kill")
    assert r.output.endswith("all 5 forks are back on the table, the dead philosopher's too\\n")
'''


def test_the_plugins_seeds_do_not_change_the_results(pytester):
    """A grader's tests of these programs pass under every seed the plugin's
    --xv6py-seeds option reruns them with."""
    pytester.makepyfile(test_ipc_grader=GRADER)
    result = pytester.runpytest("-p", "no:hypothesispytest", "--xv6py-seeds", "4", "--xv6py-quantum", "500")
    result.assert_outcomes(passed=2)
