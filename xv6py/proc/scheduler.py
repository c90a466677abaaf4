"""The scheduler: the CPU's loop over the process table, and the time slices it
runs processes for (the second half of xv6's proc.c, and the part of its
trap.c that returns to user mode).

It sits above trap(): a time slice runs user code, and what ends a slice -- a
fault, the timer -- is handed to trap(). Nothing below imports this module.

The scheduler is a generator for the sake of a debugger: while one is attached,
the machine pauses inside a time slice (a breakpoint, the end of a step) by
yielding up through swtch() and run_user(), and goes on where it was when
resumed. A plain run never pauses: `for _ in scheduler(): pass`.
"""

from .. import timer, vtime
from ..mm.pgdir import switchkvm, switchuvm
from ..param import COST_TRAP
from ..trap import trap
from ..traps import IRQ_TIMER, T_IRQ0
from . import proc
from .proc import RUNNABLE, RUNNING, SLEEPING, Exited, mycpu, procdump, resume

__all__ = ["scheduler", "swtch", "switchto", "switchback", "run_user", "idle", "budget_reason",
           "timeout_reason"]

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
    while p.state is RUNNING and c.halted is None:
        if p.context is not None:
            try:
                resume(p)
            except Exited:
                pass        # p is a zombie now; the loop ends
        else:
            yield from run_user(p)


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
    if clock.now >= clock.next_timer:
        if p.state is RUNNING:
            p.tf.trapno = T_IRQ0 + IRQ_TIMER
            trap(p.tf)
        else:
            timer.timerintr()


def idle() -> None:
    """No process is RUNNABLE: wait for the next timer interrupt, if any process
    sleeps on the clock; otherwise nothing can ever run again."""
    clock = vtime.clock
    if not any(p.state is SLEEPING and p.chan is timer.TICKS for p in proc.ptable.proc):
        _halt("deadlock", "no process can run: " + "; ".join(procdump()))
        return
    if clock.limit is not None and clock.next_timer > clock.end():
        clock.now = max(clock.now, clock.end())
        _halt("budget", budget_reason())
        return
    if x86.past_deadline():
        _halt("timeout", timeout_reason())
        return
    clock.now = max(clock.now, clock.next_timer)
    timer.timerintr()


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
