"""The scheduler: the CPU's loop over the process table, and the time slices it
runs processes for (the second half of xv6's proc.c, and the part of its
trap.c that returns to user mode).

It sits above trap(): a time slice runs user code, and what ends a slice -- a
fault, the timer, the disk -- is handed to trap(). Nothing below imports this
module.

Interrupts come at virtual times: the timer's every quantum, the disk's when
the request it works on is done (dev/ide.py). A slice ends at the first of
them; while no process can run, time jumps to it (idle()).

The scheduler is a generator for the sake of a debugger: while one is attached,
the machine pauses inside a time slice (a breakpoint, the end of a step) by
yielding up through swtch() and run_user(), and goes on where it was when
resumed. A plain run never pauses: `for _ in scheduler(): pass`.
"""

from operator import attrgetter

from .. import timer, vtime
from ..dev import console, kbd
from ..dev.ide import idedue, ideintr
from ..mm.pgdir import switchkvm, switchuvm
from ..param import COST_TRAP
from ..trap import trap
from ..traps import IRQ_IDE, IRQ_TIMER, T_IRQ0
from . import proc
from .proc import RUNNABLE, RUNNING, SLEEPING, Exited, mycpu, procdump, resume

__all__ = ["scheduler", "swtch", "switchto", "switchback", "run_user", "idle", "nextevent",
           "budget_reason", "timeout_reason"]

# Per-machine state and hooks (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86",)
HOOKS = ("debugger",)
x86 = None                 # the hardware
debugger = None            # an attached debugger (xv6py/debug/), which may pause the machine


def scheduler():
    """The CPU's scheduler (xv6's scheduler()). Loops over the process table in
    order, running each RUNNABLE process until it gives up the CPU. Unlike xv6's,
    it returns, once the machine halts."""
    c = mycpu()
    while c.halted is None:
        ran = False
        for p in proc.ptable.proc:
            if p.state is not RUNNABLE:
                continue
            ran = True
            switchto(p)
            yield from swtch(p)
            switchback()
            if c.halted is not None:
                return
        if not ran:
            idle()


def switchto(p) -> None:
    """Switch to the chosen process: its registers and page table in the CPU."""
    c = mycpu()
    c.proc = p
    switchuvm(p)
    p.state = RUNNING
    c.nswitch += 1


def switchback() -> None:
    """Back in the scheduler: the kernel's page table, the process's registers
    saved in its trap frame. The process is done running for now."""
    switchkvm()
    x86.unload()
    mycpu().proc = None


def swtch(p):
    """Run p until it gives up the CPU: first the rest of a system call it was
    blocked in, if any, then user code, until it sleeps, yields or exits.
    (In xv6 this is swtch() into p's kernel context and back.)"""
    c = mycpu()
    while c.halted is None:
        if p.state is not RUNNING and not _only_sleeper(p):
            return
        if p.context is not None:
            try:
                resume(p)
            except Exited:
                pass        # p is a zombie now; the loop ends
        else:
            yield from run_user(p)


def _only_sleeper(p) -> bool:
    """p went to sleep and no process is RUNNABLE: the scheduler would idle to the
    next interrupt and, if that wakes p alone, switch back to it. Do just that
    here, without switching away and back (each disk request of a process working
    alone would cost two page-table loads and two register copies). Returns True,
    with p RUNNING again and the switch counted, if p is to run on."""
    state = attrgetter("state")
    if p.state is not SLEEPING or RUNNABLE in map(state, proc.ptable.proc):
        return False
    if idedue(vtime.clock.now) is None:
        return False                # only the clock can wake anyone: idle() decides
    if not nextevent():
        _halt("budget", "instruction budget exhausted: " + "; ".join(procdump()))
        return False
    if p.state is not RUNNABLE or list(map(state, proc.ptable.proc)).count(RUNNABLE) > 1:
        return False                # the scheduler picks, in table order
    p.state = RUNNING
    mycpu().nswitch += 1
    return True


def run_user(p):
    """Run p in user mode until the next timer interrupt, a trap that stops the CPU
    (a fault, or a system call that blocks or exits), or the end of the budget.

    A generator (see scheduler()): an attached debugger may shorten the slice (a
    step) and pause the machine after it, before a fault is handled. Time and
    the timer advance only by the instructions that ran and the kernel work
    charged (vtime.py), so a paused and resumed run interleaves exactly as an
    uninterrupted one. Kernel work charged before the slice may have made the
    timer due already: then no user instruction runs."""
    clock = vtime.clock
    n = clock.slice()
    if n <= 0 and clock.spent():
        _halt("budget", budget_reason())
        return
    if x86.expired:
        _halt("timeout", timeout_reason())
        return
    due = idedue(clock.now)
    if due is not None:
        n = min(n, max(due - clock.now, 1))     # the slice ends when the disk interrupts
    if n > 0:
        if debugger is not None:
            yield from debugger.before_run(p)
            n = debugger.slice(p, n)
        c = mycpu()
        calls, translated = c.nsyscall, x86.translated
        done = x86.run(n, clock.room(n))
        clock.translation += x86.translated - translated
        clock.calls += (c.nsyscall - calls) * COST_TRAP
        clock.now += done
        clock.insns += done
        p.insns += done
        if debugger is not None:
            yield from debugger.after_run(p, done)
        if x86.fault is not None:
            trap(p.tf)
    due = idedue(clock.now)
    if due is not None and clock.now >= due:
        if p.state is RUNNING:
            p.tf.trapno = T_IRQ0 + IRQ_IDE
            trap(p.tf)
        else:
            ideintr()
    if clock.now >= clock.next_timer:
        if console.cons.session:
            kbd.consolepoll(block=False)       # a terminal's keys, typed while programs run
        if p.state is RUNNING:
            p.tf.trapno = T_IRQ0 + IRQ_TIMER
            trap(p.tf)
        else:
            timer.timerintr()


def idle() -> None:
    """No process is RUNNABLE: wait for the next interrupt -- the disk's, or the
    timer's if any process sleeps on the clock; with neither, nothing can ever
    run again."""
    waiting = idedue(vtime.clock.now) is not None or any(
        p.state is SLEEPING and p.chan is timer.TICKS for p in proc.ptable.proc)
    if not waiting and console.cons.session and kbd.reading():
        # Only the keyboard can wake anyone: wait for the host to type.
        if not kbd.consolepoll():
            _halt("input ended", "console input ended")
        return
    if not waiting:
        _halt("deadlock", "no process can run: " + "; ".join(procdump()))
        return
    if x86.past_deadline():
        _halt("timeout", timeout_reason())
        return
    if not nextevent():
        _halt("budget", budget_reason())


def nextevent() -> bool:
    """Let virtual time pass, with no user code running, to the next interrupt
    (the disk's, or the timer's) and deliver it. False, with time at the end of
    the budget, if the budget ends first."""
    clock = vtime.clock
    due = idedue(clock.now)
    nxt = clock.next_timer if due is None else min(clock.next_timer, due)
    stop = clock.stop()
    if stop is not None and nxt > stop:
        clock.now = max(clock.now, stop)
        return False
    clock.now = max(clock.now, nxt)
    if due is not None and clock.now >= due:
        ideintr()
    if clock.now >= clock.next_timer:
        timer.timerintr()
    return True


def budget_reason() -> str:
    """Why a run ended for its budget: the budget, what used it, where each process was."""
    c = vtime.clock
    budget = f" of {c.budget:,}" if c.budget is not None else ""
    return f"instruction budget{budget} exhausted ({c.usage()}): " + "; ".join(procdump())


def timeout_reason() -> str:
    """Why a run ended at its host-time deadline, and where each process was."""
    return "host time limit reached: " + "; ".join(procdump())


def _halt(status: str, message: str) -> None:
    mycpu().halted = (status, message)
