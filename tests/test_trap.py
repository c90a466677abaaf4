"""Traps (xv6py/trap.py): system calls, user faults and the timer, each handed to
trap() as the CPU would hand it over, with the process running (helpers.running).

tests/test_programs.py shows the fault lines of real faulting programs and
tests/test_syscalls.py the unknown numbers badargs uses; here each path of
trap() is checked on its own, with the kernel state it leaves.
"""

import pytest
from helpers import running

from xv6py import timer
from xv6py import trap as T
from xv6py.dev import console
from xv6py.machine import Machine
from xv6py.proc import proc as P
from xv6py.testing.kcall import Syscaller
from xv6py.traps import IRQ_TIMER, T_GPFLT, T_IRQ0, T_PGFLT, T_SYSCALL


@pytest.fixture
def h():
    m = Machine()
    m.activate()
    return Syscaller(m)


def output_since(n):
    return bytes(console.cons.out[n:]).decode()


def raw_trap(h, p, trapno, *, eax=None, err=0, cr2=0, eip=None):
    """Hand trap() a trap of p's, as the CPU would. Returns (console output, eax)."""
    n = len(console.cons.out)
    with running(h, p):
        tf = p.tf
        if eax is not None:
            tf.eax = eax
        if eip is not None:
            tf.eip = eip
        tf.trapno, tf.err, tf.cr2 = trapno, err, cr2
        T.trap(tf)
        result = tf.eax
    return output_since(n), result


# ---- system calls ---------------------------------------------------------------------------

@pytest.mark.parametrize("num, shown", [
    (1000, 1000), (0x7FFFFFFF, 2147483647), (0x80000000, -2147483648), (0xFFFFFFFE, -2),
])
def test_unknown_syscall_prints_xv6s_line_and_returns_minus_one(h, num, shown):
    p = h.spawn()
    served = P.mycpu().nsyscall
    out, eax = raw_trap(h, p, T_SYSCALL, eax=num)
    assert out == f"{p.pid} hello: unknown sys call {shown}\n"
    assert eax == 0xFFFFFFFF
    assert p.state is P.RUNNABLE and not p.killed           # the process goes on
    assert P.mycpu().nsyscall == served                     # not counted as a call served


def test_a_known_syscall_puts_its_result_in_eax(h):
    p = h.spawn()
    served = P.mycpu().nsyscall
    out, eax = raw_trap(h, p, T_SYSCALL, eax=11)            # getpid
    assert (out, eax) == ("", p.pid)
    assert P.mycpu().nsyscall == served + 1


def test_a_killed_process_exits_at_its_next_syscall_without_making_it(h):
    p, victim = h.spawn(), h.spawn()
    h.call(p, "kill", victim.pid)
    nextpid, served = P.ptable.nextpid, P.mycpu().nsyscall
    assert h.call(victim, "fork") is None
    assert victim.state is P.ZOMBIE and victim.status == "killed"
    assert P.ptable.nextpid == nextpid and P.mycpu().nsyscall == served   # fork never ran
    assert P.mycpu().exits[victim.pid] == "killed"


def test_a_process_that_kills_itself_exits_when_the_call_returns(h):
    p = h.spawn()
    assert h.call(p, "kill", p.pid) is None
    assert p.state is P.ZOMBIE and p.status == "killed"


def test_exit_never_escapes_trap(h):
    p = h.spawn()
    out, _ = raw_trap(h, p, T_SYSCALL, eax=2)               # exit: raises Exited inside
    assert out == "" and p.state is P.ZOMBIE and p.status == "exit"


# ---- faults ---------------------------------------------------------------------------------

@pytest.mark.parametrize("trapno, err, eip, cr2", [
    (T_PGFLT, 6, 0x1234, 0x40000000),
    (T_PGFLT, 5, 0x0, 0x80000000),
    (T_GPFLT, 0, 0xABCDEF, 0),
    (0, 0, 0x10, 0),                                        # divide error
])
def test_a_fault_prints_xv6s_kill_line_and_kills(h, trapno, err, eip, cr2):
    p = h.spawn()
    assert h.call(p, "open", "/hello", 0) == 0
    f = p.ofile[0]
    seen = []
    T.faulttracer = lambda q, tf: seen.append((q, tf.trapno, q.pgdir is not None))
    faults = P.mycpu().nfault
    try:
        out, _ = raw_trap(h, p, trapno, err=err, cr2=cr2, eip=eip)
    finally:
        T.faulttracer = None
    line = f"pid {p.pid} hello: trap {trapno} err {err} on cpu 0 eip {eip:#x} addr {cr2:#x}--kill proc"
    assert out == line + "\n"
    assert p.state is P.ZOMBIE and p.killed
    assert p.status == line and P.mycpu().exits[p.pid] == line
    assert P.mycpu().nfault == faults + 1
    assert seen == [(p, trapno, True)]                      # told while the memory is still there
    assert f.ref == 0                                       # exit closed its files


def test_a_fault_kills_only_the_faulting_process(h):
    p, other = h.spawn(), h.spawn()
    raw_trap(h, p, T_PGFLT, err=4, cr2=0x40000000, eip=0)
    assert p.state is P.ZOMBIE
    assert other.state is P.RUNNABLE and not other.killed
    assert h.call(other, "getpid") == other.pid


# ---- the timer ------------------------------------------------------------------------------

def test_the_timer_makes_the_running_process_yield(h):
    p, sleeper = h.spawn(), h.spawn()
    assert h.call(sleeper, "sleep", 1) is None
    t0 = timer.ticks
    out, _ = raw_trap(h, p, T_IRQ0 + IRQ_TIMER)
    assert out == ""
    assert timer.ticks == t0 + 1
    assert p.state is P.RUNNABLE and not p.killed           # gave up the CPU, nothing more
    assert sleeper.state is P.RUNNABLE                      # the tick woke sleep(1)


def test_a_killed_process_exits_at_the_timer_interrupt(h):
    p, killer = h.spawn(), h.spawn()
    h.call(killer, "kill", p.pid)
    raw_trap(h, p, T_IRQ0 + IRQ_TIMER)
    assert p.state is P.ZOMBIE and p.status == "killed"


def test_the_timer_preempts_a_program_that_never_makes_a_call():
    """regloop's loop has no system call: only the timer takes the CPU from it."""
    r = Machine(quantum=1000).run("regloop", ["10000"])
    assert r.output == "regloop: done\n"
    assert r.switches > r.ticks >= 30          # a switch at every tick (and a few for init)
