"""Traps from user mode: system calls, faults and timer interrupts (xv6's trap.c).

Every trap reaches trap(tf): `int $64` from inside the CPU's interrupt hook,
while the time slice is still going; an exception after the CPU has stopped at
the faulting instruction; the timer when a slice's instruction count runs out.
"""

from . import timer
from .dev.console import cprintf
from .proc import proc as _proc
from .proc.proc import RUNNING, SLEEPING, Exited, exit, mycpu, myproc, yield_
from .syscalls.syscall import syscall
from .timer import TICKS, timerintr
from .traps import IRQ_TIMER, T_IRQ0, T_SYSCALL

__all__ = ["tvinit", "trap", "run_user", "idle"]

x86 = None                 # the hardware (installed by the Machine)
debugger = None            # an attached debugger (xv6py/debug/), which may pause the machine
faulttracer = None         # while tracing faults: called as faulttracer(p, tf) after the kill line


def tvinit() -> None:
    """Set up trap handling. Only `int $64` may be raised from user mode: xv6 gives
    the T_SYSCALL gate DPL_USER and every other gate DPL 0."""
    x86.set_trap_handler(trap, {T_SYSCALL})


def trap(tf) -> None:
    """Handle a trap from user mode (xv6's trap())."""
    p = myproc()
    try:
        if tf.trapno == T_SYSCALL:
            if p.killed:
                exit("killed")
            syscall()
            if p.killed and p.context is None:
                exit("killed")
            return
        if tf.trapno == T_IRQ0 + IRQ_TIMER:
            timerintr()
        else:
            # In user space, assume process misbehaved.
            line = ("pid %d %s: trap %d err %d on cpu %d eip 0x%x addr 0x%x--kill proc"
                    % (p.pid, p.name, tf.trapno, tf.err, 0, tf.eip, tf.cr2))
            cprintf(line + "\n")
            if faulttracer is not None:
                faulttracer(p, tf)      # explain it, while the page table is still there
            mycpu().nfault += 1
            p.killed = True
            p.status = line
        # Force process exit if it has been killed and is in user space.
        if p.killed:
            exit(p.status or "killed")
        # Force process to give up CPU on clock tick.
        if p.state is RUNNING and tf.trapno == T_IRQ0 + IRQ_TIMER:
            yield_()
    except Exited:
        pass        # p is a zombie now; the scheduler will not run it again


def run_user(p):
    """Run p in user mode until the next timer interrupt, a trap that stops the CPU
    (a fault, or a system call that blocks or exits), or the end of the budget.

    A generator (see scheduler()): an attached debugger may shorten the slice (a
    step) and pause the machine after it, before a fault is handled. Time and
    the timer advance only by the instructions that ran, so a paused and resumed
    run interleaves exactly as an uninterrupted one."""
    clock = timer.clock
    n = clock.slice()
    if n <= 0:
        _halt("budget", "instruction budget exhausted: " + "; ".join(_proc.procdump()))
        return
    if debugger is not None:
        yield from debugger.before_run(p)
        n = debugger.slice(p, n)
    done = x86.run(n)
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
            timerintr()


def idle() -> None:
    """No process is RUNNABLE: wait for the next timer interrupt, if any process
    sleeps on the clock; otherwise nothing can ever run again."""
    clock = timer.clock
    if not any(p.state is SLEEPING and p.chan is TICKS for p in _proc.ptable.proc):
        _halt("deadlock", "no process can run: " + "; ".join(_proc.procdump()))
        return
    if clock.limit is not None and clock.next_timer > clock.limit:
        clock.now = clock.limit
        _halt("budget", "instruction budget exhausted: " + "; ".join(_proc.procdump()))
        return
    clock.now = clock.next_timer
    timerintr()


def _halt(status: str, message: str) -> None:
    mycpu().halted = (status, message)
