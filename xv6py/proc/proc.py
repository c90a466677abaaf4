"""Processes: the process table, fork, exit, wait, sleep, wakeup and kill
(xv6's proc.c; its scheduler() is in proc/scheduler.py).

Two things work differently from xv6, because the kernel is Python:

* A kernel cannot stop a Python function half-way and switch to another
  process's kernel stack, as swtch() does. So a system call that may block is a
  generator, and `yield from sleep(chan, lk)` is where it gives up the CPU; the
  suspended generator is kept in p.context (where xv6 keeps the saved kernel
  registers) and resumed when the process runs again.
* exit() does not return in xv6. Here it raises Exited, which unwinds the
  Python stack to the trap that led to it; nothing after exit() runs. exit()
  may sleep (closing a file may write to the disk), so it is a generator too:
  `yield from exit()` in a system call, exit_from_trap() from trap().
* The first process starts in forkret(), as xv6's processes do, to read the
  super block and recover the log: that needs the disk, which means sleeping,
  which only a process can do.

The CPU's registers of a process are its trap frame (cpu/trapframe.py): in the
CPU while it runs, saved in p.tf while it does not.

The scheduler itself, which runs user code and so sits above trap(), is in
proc/scheduler.py. Files and pipes call into this module and it calls back into
them from fork() and exit(), as xv6's proc.c and file.c do: the one cycle among
the kernel's modules. Those calls import late, inside the function, because
Python cannot import two modules that each need the other first. The file
system's inodes (a process's current directory) are reached through file.py
too: fs.py imports this module for sleep and myproc.
"""

from dataclasses import dataclass, field
from enum import Enum
from types import GeneratorType

from ..ipc.sem import exit_sem
from ..ipc.shm import attached_in, exit_shm, fork_shm
from ..memlayout import PhysAddr
from ..mm.pgdir import allocuvm, copyuvm, deallocuvm, freevm, inituvm, setupkvm, switchuvm
from ..mm.shm import shm_detach_all, shm_exit, shm_fork, shm_overlaps
from ..mm.vma import vma_fork, vma_overlaps
from ..mmu import PGSIZE
from ..panic import panic
from ..param import NOFILE, NPROC, ROOTDEV
from ..spinlock import Spinlock, acquire, release

__all__ = ["ProcState", "UNUSED", "EMBRYO", "SLEEPING", "RUNNABLE", "RUNNING", "ZOMBIE",
           "Proc", "Cpu", "Exited", "pinit", "mycpu", "myproc", "allocproc", "userinit",
           "forkret", "growproc", "fork", "exit", "exit_from_trap", "wait", "resume", "sched",
           "yield_", "sleep", "wakeup", "kill", "procdump", "reap", "waitpid", "WNOHANG", "SIGILL",
           "SIGFPE", "SIGKILL", "SIGSEGV"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86", "ptable", "cpu")
x86 = None                  # the hardware
ptable: "Ptable" = None     # the process table
cpu: "Cpu" = None           # the one CPU's kernel state


# What a wait status says about a process that did not exit by itself: the signal
# that would have killed it on Linux (xv6py has no signals, only these ends).
SIGILL = 4        # an invalid instruction
SIGFPE = 8        # a division by zero
SIGKILL = 9       # kill()
SIGSEGV = 11      # a page fault, or any other fault

WNOHANG = 1       # waitpid: return 0 at once if no child has exited yet


class ProcState(Enum):
    UNUSED = "unused"
    EMBRYO = "embryo"
    SLEEPING = "sleep"
    RUNNABLE = "runble"
    RUNNING = "run"
    ZOMBIE = "zombie"


UNUSED, EMBRYO, SLEEPING = ProcState.UNUSED, ProcState.EMBRYO, ProcState.SLEEPING
RUNNABLE, RUNNING, ZOMBIE = ProcState.RUNNABLE, ProcState.RUNNING, ProcState.ZOMBIE


@dataclass(slots=True, eq=False)
class Proc:
    """Per-process state (xv6's struct proc)."""

    sz: int = 0                         # Size of process memory (bytes)
    pgdir: PhysAddr | None = None       # Page table (physical address of the directory)
    newpgdir: PhysAddr | None = None    # The directory exec is building (its image is read
    #                                     from the disk, which sleeps; check.py walks it)
    state: ProcState = UNUSED           # Process state
    pid: int = 0                        # Process ID
    parent: "Proc | None" = None        # Parent process
    tf: object = None                   # Trap frame: the user registers (a TrapFrame)
    context: GeneratorType | None = None  # The system call it is blocked in, to resume
    chan: object = None                 # If not None, sleeping on chan
    killed: bool = False                # If true, have been killed
    ofile: list = field(default_factory=lambda: [None] * NOFILE)  # Open files
    cwd: object = None                  # Current directory (an Inode)
    name: str = ""                      # Process name (debugging)
    shm: list = field(default_factory=list)  # Attached shm segments: [(id, va)] (shm.py)
    vmas: list = field(default_factory=list)  # Memory areas of mmap, by address (mm/vma.py)
    insns: int = 0                      # User instructions it has retired
    status: str = ""                    # How it ended: "exit", or the reason it was killed
    xstate: int = 0                     # Exit status for waitpid: code << 8, or the killing signal
    uid: int = 0                        # Real user id (0: root). Only System V IPC checks
    gid: int = 0                        #   owners so far: the file system ignores them.
    euid: int = 0                       # Effective user id: what permission checks use
    egid: int = 0                       # Effective group id


class Ptable:
    """The process table: NPROC slots, reused; pids are never reused."""

    __slots__ = ("lock", "proc", "nextpid", "initproc")

    def __init__(self):
        self.lock = Spinlock("ptable")
        self.proc = [Proc() for _ in range(NPROC)]
        self.nextpid = 1
        self.initproc: Proc | None = None


class Cpu:
    """The CPU's kernel state (xv6's struct cpu), and the machine's counters."""

    __slots__ = ("proc", "halted", "nsyscall", "nfault", "nswitch", "exits", "initlives", "execd")

    def __init__(self):
        self.proc: Proc | None = None   # The process running on this cpu or None
        self.halted: tuple[str, str] | None = None  # (status, message) once the machine stops
        self.nsyscall = 0               # system calls served
        self.nfault = 0                 # user faults (processes killed by a trap)
        self.nswitch = 0                # times the scheduler switched to a process
        self.exits: dict[int, str] = {}  # pid -> how it ended ("exit" or the kill line)
        self.initlives = False          # init is xv6's, whose exit panics (a session)
        self.execd: set[int] = set()     # pids that exec'd a program (a run's report)


class Exited(Exception):
    """Raised by exit(), which does not return: unwinds to the trap that called it."""


def pinit() -> None:
    global ptable, cpu
    ptable = Ptable()
    cpu = Cpu()


def mycpu() -> Cpu:
    return cpu


def myproc() -> Proc | None:
    """The process running on this CPU, or None."""
    return cpu.proc


def _clear(p: Proc) -> None:
    """Return a slot to UNUSED (the part of wait() that frees a zombie's fields)."""
    p.sz, p.pgdir, p.pid, p.parent, p.tf, p.context, p.chan = 0, None, 0, None, None, None, None
    p.newpgdir = None
    p.cwd = None
    p.killed, p.name, p.shm, p.insns, p.status = False, "", [], 0, ""
    p.vmas = []
    p.xstate, p.uid, p.gid, p.euid, p.egid = 0, 0, 0, 0, 0
    p.state = UNUSED


def allocproc() -> Proc | None:
    """Look in the process table for an UNUSED proc. If found, change its state to
    EMBRYO and give it a pid. Otherwise return None. (xv6 also allocates the
    kernel stack here; xv6py's kernel has none.)"""
    acquire(ptable.lock)
    for p in ptable.proc:
        if p.state is UNUSED:
            p.state = EMBRYO
            p.pid = ptable.nextpid
            ptable.nextpid += 1
            release(ptable.lock)
            return p
    release(ptable.lock)
    return None


def userinit(initcode: bytes) -> Proc:
    """Set up the first user process: one page holding `initcode`, which execs /init.
    Its kernel code starts in forkret(), which sets up the file system."""
    from ..fs.file import rootdir  # file.py calls into this module: import late
    p = allocproc()
    if p is None:
        panic("userinit: no proc")
    ptable.initproc = p
    p.pgdir = setupkvm()
    if p.pgdir is None:
        panic("userinit: out of memory?")
    inituvm(p.pgdir, initcode)
    p.sz = PGSIZE
    p.tf = x86.user_frame()      # user code and data segments, EFLAGS = IF
    p.tf.esp = PGSIZE
    p.tf.eip = 0                 # beginning of initcode
    p.name = "initcode"
    p.cwd = rootdir()
    p.context = forkret()        # the first thing it runs, before initcode
    p.state = RUNNABLE
    return p


def forkret():
    """The first process's first kernel code (xv6: every new process returns
    through forkret, and the first one does this). Some initialization functions
    must be run in the context of a regular process (they sleep, for the disk),
    and thus cannot be run from boot: read the super block, recover the log.
    A generator; then the process goes on in user mode, with initcode."""
    from ..fs.file import fsinit  # file.py calls into this module: import late
    yield from fsinit(ROOTDEV)


def growproc(n: int) -> int:
    """Grow the current process's memory by n bytes (shrink if n < 0).
    Returns 0 on success, -1 on failure (nothing changed)."""
    curproc = myproc()
    sz = curproc.sz
    if n > 0:
        if (shm_overlaps(curproc, sz, sz + n) or attached_in(curproc, sz, sz + n)
                or vma_overlaps(curproc, sz, sz + n)):
            return -1                            # segments and areas above sz must not be grown into
        sz = allocuvm(curproc.pgdir, sz, sz + n)
        if sz == 0:
            return -1
    elif n < 0:
        if sz + n < 0:
            return -1        # xv6 wraps around here; a negative size is simply refused
        sz = deallocuvm(curproc.pgdir, sz, sz + n)
    curproc.sz = sz
    switchuvm(curproc)       # reload CR3: the TLB may hold the pages just removed
    return 0


def fork() -> int:
    """Create a new process copying the current one as the parent. Sets up the
    child to return from the system call as if it were the parent, with 0.
    Returns the child's pid, or -1 (no free slot, or no memory: nothing leaked)."""
    from ..fs.file import cwddup, filedup  # file.py calls into this module: import late
    from ..fs.fmap import mmap_reap
    curproc = myproc()
    np = allocproc()
    if np is None:
        return -1
    # Copy process state from proc.
    np.pgdir = copyuvm(curproc.pgdir, curproc.sz)
    if np.pgdir is None:
        _clear(np)
        return -1
    if shm_fork(curproc, np) < 0:
        freevm(np.pgdir)
        _clear(np)
        return -1
    if fork_shm(curproc, np) < 0:            # System V segments (ipc/shm.py)
        shm_detach_all(np, np.pgdir)
        freevm(np.pgdir)
        _clear(np)
        return -1
    if vma_fork(curproc, np) < 0:            # mmap's areas (mm/vma.py)
        mmap_reap(np)
        exit_shm(np)
        shm_detach_all(np, np.pgdir)
        freevm(np.pgdir)
        _clear(np)
        return -1
    np.sz = curproc.sz
    np.parent = curproc
    np.tf = x86.copy_frame(curproc.tf)
    # Clear %eax so that fork returns 0 in the child.
    np.tf.eax = 0
    for i, f in enumerate(curproc.ofile):
        if f is not None:
            np.ofile[i] = filedup(f)
    np.cwd = cwddup(curproc.cwd)
    np.name = curproc.name
    np.uid, np.gid, np.euid, np.egid = curproc.uid, curproc.gid, curproc.euid, curproc.egid
    pid = np.pid
    acquire(ptable.lock)
    np.state = RUNNABLE
    release(ptable.lock)
    return pid


def exit(status: str = "exit", code: int = 0):
    """Exit the current process. Does not return (raises Exited). An exited process
    remains in the zombie state until its parent calls wait() to find out it exited.
    A generator: closing its files and dropping its current directory may sleep.

    status says how it ended: "exit" (the process asked; code is its exit code, 0
    for xv6's exit()), "killed", or the kill line of a fault (trap() has put the
    fault's signal in p.xstate). waitpid() reports code << 8, or the signal.

    In xv6 init never exits (it panics if it does). Here init exits when its
    program has ended and no children are left: that ends the run."""
    from ..fs.file import cwdput, fileclose  # file.py calls into this module: import late
    from ..fs.fmap import mmap_exit
    curproc = myproc()
    # Close all open files.
    for fd in range(NOFILE):
        f = curproc.ofile[fd]
        if f is not None:
            curproc.ofile[fd] = None    # (before it may sleep: a teardown then finds it closed)
            yield from fileclose(f)
    cwd, curproc.cwd = curproc.cwd, None
    if cwd is not None:
        yield from cwdput(cwd)
    shm_exit(curproc)
    exit_shm(curproc)                       # System V segments
    yield from mmap_exit(curproc)           # mmap's areas: shared file pages written back
    acquire(ptable.lock)
    for s in exit_sem(curproc):             # SEM_UNDO: give back what it holds
        _wakeup1(s)
    # Parent might be sleeping in wait().
    _wakeup1(curproc.parent)
    # Pass abandoned children to init.
    initproc = ptable.initproc
    for p in ptable.proc:
        if p.parent is curproc:
            p.parent = initproc
            if p.state is ZOMBIE:
                _wakeup1(initproc)
    # Jump into the scheduler, never to return.
    curproc.state = ZOMBIE
    curproc.status = status
    if status == "exit":
        curproc.xstate = (code & 0xFF) << 8
    elif not curproc.xstate & 0x7F:
        curproc.xstate = SIGKILL        # killed, and not by a fault (that set its own signal)
    cpu.exits[curproc.pid] = status
    release(ptable.lock)
    if curproc is initproc:
        if cpu.initlives:
            panic("init exiting")       # a session's init is xv6's: it never exits
        cpu.halted = ("exited", "init exited")
    sched()
    raise Exited


def exit_from_trap(status: str) -> None:
    """exit() where the kernel is not in a generator (trap()): exit's code becomes
    the process's kernel code, run now. Raises Exited if it runs to its end;
    returns if it sleeps -- the scheduler finishes it when the process runs again."""
    p = myproc()
    p.context = exit(status)
    resume(p)


def wait():
    """Wait for a child process to exit and return its pid. Return -1 if this
    process has no children (or was killed). A generator: it sleeps until a
    child exits. (xv6's wait() is waitpid() for any child, its status dropped:
    the loop is there.)"""
    pid, _ = yield from waitpid(-1)
    return pid


def waitpid(pid: int, options: int = 0):
    """wait() for the child pid (any child if pid <= 0), and report how it ended.
    Returns (pid, status) -- status as exit() left it in p.xstate --, (0, 0) if
    options has WNOHANG and no such child has exited yet, or (-1, 0) if there is
    no such child (or this process was killed). A generator, like wait()."""
    curproc = myproc()
    acquire(ptable.lock)
    while True:
        # Scan through table looking for exited children.
        havekids = False
        for p in ptable.proc:
            if p.parent is not curproc or (pid > 0 and p.pid != pid):
                continue
            havekids = True
            if p.state is ZOMBIE:
                # Found one.
                found = p.pid, p.xstate
                freevm(p.pgdir)
                _clear(p)
                release(ptable.lock)
                return found
        # No point waiting if we don't have any children.
        if not havekids or curproc.killed:
            release(ptable.lock)
            return -1, 0
        if options & WNOHANG:
            release(ptable.lock)
            return 0, 0
        # Wait for children to exit. (See _wakeup1 call in exit.)
        yield from sleep(curproc, ptable.lock)


def resume(p: Proc) -> None:
    """Go on with the kernel code p is blocked in (p.context: a system call that
    slept) until it sleeps again or ends; then p.context is None. If it exits,
    Exited goes on up to the caller, as from any exit(). (In xv6 this is where
    swtch() returns into the sleeping process's kernel stack.)"""
    try:
        p.context.send(None)
    except StopIteration:
        p.context = None
    except Exited:
        p.context = None
        raise


def sched() -> None:
    """Give up the CPU: the time slice ends after the current trap and the scheduler
    picks another process. The caller has changed p.state already."""
    p = myproc()
    if p.state is RUNNING:
        panic("sched running")
    x86.stop()


def yield_() -> None:
    """Give up the CPU for one scheduling round (xv6's yield; a Python keyword)."""
    acquire(ptable.lock)
    myproc().state = RUNNABLE
    sched()
    release(ptable.lock)


def sleep(chan, lk: Spinlock):
    """Atomically release lock and sleep on chan; reacquire lock when awakened.
    A generator: `yield from sleep(chan, lk)` suspends the system call until
    wakeup(chan) makes the process runnable and the scheduler picks it."""
    p = myproc()
    if p is None:
        panic("sleep")
    if lk is None:
        panic("sleep without lk")
    release(lk)
    # Go to sleep.
    p.chan = chan
    p.state = SLEEPING
    sched()
    yield                  # the scheduler resumes us here after wakeup()
    # Tidy up.
    p.chan = None
    acquire(lk)


def _wakeup1(chan) -> None:
    """Wake up all processes sleeping on chan."""
    for p in ptable.proc:
        if p.state is SLEEPING and p.chan == chan:
            p.state = RUNNABLE


def wakeup(chan) -> None:
    """Wake up all processes sleeping on chan."""
    _wakeup1(chan)


def kill(pid: int, sig: int = SIGKILL) -> int:
    """Kill the process with the given pid. Process won't exit until it returns to
    user space (see trap in trap.py). Returns 0, or -1 if there is no such process.
    sig is the signal its parent's waitpid() will see (the first one sent wins);
    sig 0 only checks that the process exists."""
    acquire(ptable.lock)
    for p in ptable.proc:
        if p.pid == pid and p.state is not UNUSED:
            if sig != 0:
                p.killed = True
                if p.state is not ZOMBIE and not p.xstate & 0x7F:
                    p.xstate = sig      # exit() keeps it; a zombie's status is final
            # Wake process from sleep if necessary.
            if p.killed and p.state is SLEEPING:
                p.state = RUNNABLE
            release(ptable.lock)
            return 0
    release(ptable.lock)
    return -1


def procdump() -> list[str]:
    """A listing of the processes, one line each: pid, state, name, and what it
    sleeps on or where its user code is (xv6 prints this on ^P)."""
    lines = []
    for p in ptable.proc:
        if p.state is UNUSED:
            continue
        line = f"{p.pid} {p.state.value} {p.name}"
        if p.state is SLEEPING:
            line += f" on {p.chan!r}" if not isinstance(p.chan, Proc) else f" on wait({p.chan.pid})"
        elif p.state in (RUNNABLE, RUNNING) and p.tf is not None:
            line += f" eip {p.tf.eip:#x}"
        lines.append(line)
    return lines


def reap(p: Proc) -> None:
    """Tear down a process the machine no longer runs (a run that was stopped, or
    init after it exited): close its files, detach its segments, free its memory.
    The disk is left as it is, as if the power went off: nothing is written."""
    from ..fs.file import cwddrop, filedrop  # file.py calls into this module: import late
    from ..fs.fmap import mmap_reap
    for fd in range(NOFILE):
        if p.ofile[fd] is not None:
            filedrop(p.ofile[fd])
            p.ofile[fd] = None
    if p.cwd is not None:
        cwddrop(p.cwd)
        p.cwd = None
    shm_exit(p)
    if p.context is not None:
        p.context.close()
    if p.newpgdir is not None:              # stopped inside exec: the image it was reading
        freevm(p.newpgdir)
    exit_shm(p)
    exit_sem(p)
    if p.pgdir is not None:
        mmap_reap(p)
        if x86.loaded is p.tf:
            x86.unload()
        freevm(p.pgdir)
    _clear(p)

