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
from .fs.fmap import fillpage
from .mm.pgdir import copyin, switchuvm
from .mm.vma import FAULT_BUS, FAULT_FILLED, FAULT_READ, vma_fault, vma_prefault
from .param import COST_TRAP
from .proc.proc import (
    RUNNING,
    SIGFPE,
    SIGILL,
    SIGSEGV,
    Exited,
    exit,
    exit_from_trap,
    mycpu,
    myproc,
    resume,
    yield_,
)
from .syscalls.args import takefill
from .syscalls.syscall import syscall
from .timer import timerintr
from .traps import IRQ_IDE, IRQ_TIMER, T_DIVIDE, T_ILLOP, T_IRQ0, T_PGFLT, T_SYSCALL
from .vtime import charge

__all__ = ["tvinit", "trap"]

# Per-machine state and hooks (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86",)
HOOKS = ("faulttracer", "filltracer", "checker")
x86 = None                 # the hardware
faulttracer = None         # while tracing faults: called as faulttracer(p, tf) after the kill line
filltracer = None          # while tracing faults: called as filltracer(p, tf, area) after a lazy fill
checker = None             # while checking invariants (check.py): called as checker(tf) after every trap

SIGBUS = 7                 # a page of an mmap area beyond the end of its object (Linux's signal)

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
            want = takefill()
            if want is not None and p.context is None:
                bufferfill(p, tf, want)     # file pages under a buffer: read, then call again
            if p.killed and p.context is None:
                exit_from_trap("killed")
            return
        if tf.trapno == T_IRQ0 + IRQ_TIMER:
            timerintr()
        elif tf.trapno == T_IRQ0 + IRQ_IDE:
            ideintr()
        elif tf.trapno == T_PGFLT and p.vmas:
            lazyfault(p, tf)            # an mmap page mapped (or read in), or a kill with the reason
        else:
            # In user space, assume process misbehaved.
            charge(COST_TRAP)
            _killfault(p, tf)
        # Force process exit if it has been killed and is in user space. (Not if it
        # sleeps in kernel code, a file page read in for a fault: that code is
        # exiting already, or exits when it is resumed -- a second exit here would
        # drop the first half-way, its areas removed but their objects still held.)
        if p.killed and p.context is None:
            exit_from_trap(p.status or "killed")
            return
        # Force process to give up CPU on clock tick.
        if p.state is RUNNING and tf.trapno == T_IRQ0 + IRQ_TIMER:
            yield_()
    except Exited:
        pass        # p is a zombie now; the scheduler will not run it again


def _killfault(p, tf, reason: str = "", sig: int = 0) -> None:
    """Kill p for the fault in tf, with xv6's line on the console (and, for a
    fault in an mmap area, a second line saying why no area allowed it)."""
    line = ("pid %d %s: trap %d err %d on cpu %d eip 0x%x addr 0x%x--kill proc"
            % (p.pid, p.name, tf.trapno, tf.err, 0, tf.eip, tf.cr2))
    cprintf(line + "\n")
    if reason:
        cprintf("pid %d %s: %s\n", p.pid, p.name, reason)
    if faulttracer is not None:
        faulttracer(p, tf)      # explain it, while the page table is still there
    mycpu().nfault += 1
    p.killed = True
    p.status = line + (f" ({reason})" if reason else "")
    p.xstate = sig or FAULT_SIGNALS.get(tf.trapno, SIGSEGV)


def lazyfault(p, tf) -> None:
    """A page fault in a process with mmap areas (mm/vma.py): map the page if an
    area allows the access, reading a file page in as p's kernel code (it may
    sleep). Else kill p, with xv6's line and the reason: SIGSEGV (no area holds
    the address, or its area refuses the access), or SIGBUS for a page beyond
    the end of its object."""
    charge(COST_TRAP)
    what, reason, v = vma_fault(p, tf.cr2, tf.err)
    if what == FAULT_FILLED:
        switchuvm(p)                    # (a not-present entry is not cached; flush anyway, as xv6 does)
        if filltracer is not None:
            filltracer(p, tf, v)
    elif what == FAULT_READ:
        p.context = _fill(p, tf, v)
        resume(p)
    else:
        _killfault(p, tf, "mmap: " + reason, SIGBUS if what == FAULT_BUS else SIGSEGV)


# The instruction of a system call: `int $64` (0xCD 0x40), two bytes.
INT64 = b"\xcd\x40"


def bufferfill(p, tf, want) -> None:
    """A system call refused a buffer (argptr) because pages of a file mapping
    under it were never touched: the file system cannot read them inside the
    copy. Read them in as p's kernel code (it may sleep), then back %eip up over
    the `int $64` and put the call's number back in %eax, so the program makes
    the same call again, now with its buffer present (Linux restarts an
    interrupted call the same way). If a page cannot be had, the call's error
    (EFAULT, or xv6's -1) stands."""
    if copyin(p.pgdir, tf.eip - 2, 2) != INT64:
        return                              # not entered by `int $64`: nothing to restart
    p.context = _fillbuffer(p, tf, *want)
    resume(p)


def _fillbuffer(p, tf, addr: int, size: int, writable: bool, num: int):
    """Read in the file pages of [addr, addr+size), then restart the call."""
    while True:
        what, va, v = vma_prefault(p, addr, size, writable)
        if what == FAULT_FILLED:
            break
        if what != FAULT_READ or (yield from fillpage(p, va, v)):
            return                          # beyond the end, out of memory: the error stands
    switchuvm(p)
    tf.eip -= len(INT64)
    tf.eax = num


def _fill(p, tf, v):
    """Read a file page in for a fault, as p's kernel code: the disk may make it
    sleep. Exits p if the page cannot be had (beyond the end: SIGBUS)."""
    reason = yield from fillpage(p, tf.cr2, v)
    if reason:
        _killfault(p, tf, "mmap: " + reason, SIGBUS)
        yield from exit(p.status)
    switchuvm(p)
    if filltracer is not None:
        filltracer(p, tf, v)
