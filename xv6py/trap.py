"""Traps from user mode: system calls, faults and interrupts (xv6's trap.c).

Every trap reaches trap(tf): `int $64` from inside the CPU's interrupt hook,
while the time slice is still going; an exception after the CPU has stopped at
the faulting instruction; the timer when a slice's instruction count runs out,
and the disk when a slice ends at the virtual time its request finishes (the
time slices themselves are run by proc/scheduler.py).

A killed process exits here; exit() may sleep (on the disk), so it runs as the
process's kernel code (exit_from_trap): if it sleeps, trap() returns and the
scheduler finishes the exit when the process runs again.
"""

from types import MappingProxyType

from .dev.console import cprintf
from .dev.ide import ideintr
from .param import COST_TRAP
from .proc.proc import RUNNING, SIGFPE, SIGILL, SIGSEGV, Exited, exit_from_trap, mycpu, myproc, yield_
from .syscalls.syscall import syscall
from .timer import timerintr
from .traps import IRQ_IDE, IRQ_TIMER, T_DIVIDE, T_ILLOP, T_IRQ0, T_SYSCALL
from .vtime import charge

__all__ = ["tvinit", "trap"]

# Per-machine state and hooks (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86",)
HOOKS = ("faulttracer", "checker")
x86 = None                 # the hardware
faulttracer = None         # while tracing faults: called as faulttracer(p, tf) after the kill line
checker = None             # while checking invariants (check.py): called as checker(tf) after every trap

# The signal a parent's waitpid() reports for a child killed by a fault (Linux's
# choice for each); every other fault reports SIGSEGV.
FAULT_SIGNALS = MappingProxyType({T_DIVIDE: SIGFPE, T_ILLOP: SIGILL})


def tvinit() -> None:
    """Set up trap handling. Only `int $64` may be raised from user mode: xv6 gives
    the T_SYSCALL gate DPL_USER and every other gate DPL 0."""
    x86.set_trap_handler(trap, {T_SYSCALL})


def trap(tf) -> None:
    """Handle a trap from user mode (xv6's trap() is handletrap); then, on a machine
    that checks the kernel's invariants, check them (check.py)."""
    handletrap(tf)
    if checker is not None:
        checker(tf)


def handletrap(tf) -> None:
    """Handle a trap from user mode (xv6's trap())."""
    p = myproc()
    try:
        if tf.trapno == T_SYSCALL:
            if p.killed:
                exit_from_trap("killed")
                return
            syscall()
            if p.killed and p.context is None:
                exit_from_trap("killed")
            return
        if tf.trapno == T_IRQ0 + IRQ_TIMER:
            timerintr()
        elif tf.trapno == T_IRQ0 + IRQ_IDE:
            ideintr()
        else:
            # In user space, assume process misbehaved.
            charge(COST_TRAP)
            line = ("pid %d %s: trap %d err %d on cpu %d eip 0x%x addr 0x%x--kill proc"
                    % (p.pid, p.name, tf.trapno, tf.err, 0, tf.eip, tf.cr2))
            cprintf(line + "\n")
            if faulttracer is not None:
                faulttracer(p, tf)      # explain it, while the page table is still there
            mycpu().nfault += 1
            p.killed = True
            p.status = line
            p.xstate = FAULT_SIGNALS.get(tf.trapno, SIGSEGV)
        # Force process exit if it has been killed and is in user space.
        if p.killed:
            exit_from_trap(p.status or "killed")
            return
        # Force process to give up CPU on clock tick.
        if p.state is RUNNING and tf.trapno == T_IRQ0 + IRQ_TIMER:
            yield_()
    except Exited:
        pass        # p is a zombie now; the scheduler will not run it again
