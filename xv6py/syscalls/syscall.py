"""System call numbers, the table, and dispatch (xv6's syscall.h and the second
half of syscall.c).

The numbers are those of userprogs/include/syscall.h, the one list shared with
user programs; tests/test_syscall_numbers.py checks that the two agree.

A system call is a plain function in one table keyed by its number; it returns
the value for %eax (-1 on any error). A call that may block is a generator (see
proc/proc.py): dispatch runs it until it finishes or sleeps, and resume() runs
the rest when the process is scheduled again.
"""

import logging
from dataclasses import dataclass
from types import GeneratorType

from ..dev.console import cprintf
from ..proc.proc import mycpu, myproc
from .args import argint, fetchstr

__all__ = ["SYSCALL_NAMES", "syscalls", "syscall", "resume", "set_tracing", "set_tracer", "Traced"]

# System call numbers
SYS_fork = 1
SYS_exit = 2
SYS_wait = 3
SYS_pipe = 4
SYS_read = 5
SYS_kill = 6
SYS_exec = 7
SYS_fstat = 8
SYS_chdir = 9
SYS_dup = 10
SYS_getpid = 11
SYS_sbrk = 12
SYS_sleep = 13
SYS_uptime = 14
SYS_open = 15
SYS_write = 16
SYS_mknod = 17
SYS_unlink = 18
SYS_link = 19
SYS_mkdir = 20
SYS_close = 21
SYS_shm_create = 22
SYS_shm_attach = 23
SYS_shm_detach = 24
SYS_shm_destroy = 25

from . import shm, sysfile, sysproc  # noqa: E402 -- they import argint & co. from above

# The table: number -> (function, name, argument kinds for traces: i int, p pointer, s string).
syscalls = {
    SYS_fork: (sysproc.sys_fork, "fork", ""),
    SYS_exit: (sysproc.sys_exit, "exit", ""),
    SYS_wait: (sysproc.sys_wait, "wait", ""),
    SYS_pipe: (sysfile.sys_pipe, "pipe", "p"),
    SYS_read: (sysfile.sys_read, "read", "ipi"),
    SYS_kill: (sysproc.sys_kill, "kill", "i"),
    SYS_exec: (sysfile.sys_exec, "exec", "sp"),
    SYS_fstat: (sysfile.sys_fstat, "fstat", "ip"),
    SYS_chdir: (sysfile.sys_chdir, "chdir", "s"),
    SYS_dup: (sysfile.sys_dup, "dup", "i"),
    SYS_getpid: (sysproc.sys_getpid, "getpid", ""),
    SYS_sbrk: (sysproc.sys_sbrk, "sbrk", "i"),
    SYS_sleep: (sysproc.sys_sleep, "sleep", "i"),
    SYS_uptime: (sysproc.sys_uptime, "uptime", ""),
    SYS_open: (sysfile.sys_open, "open", "si"),
    SYS_write: (sysfile.sys_write, "write", "ipi"),
    SYS_mknod: (sysfile.sys_mknod, "mknod", "sii"),
    SYS_unlink: (sysfile.sys_unlink, "unlink", "s"),
    SYS_link: (sysfile.sys_link, "link", "ss"),
    SYS_mkdir: (sysfile.sys_mkdir, "mkdir", "s"),
    SYS_close: (sysfile.sys_close, "close", "i"),
    SYS_shm_create: (shm.sys_shm_create, "shm_create", "i"),
    SYS_shm_attach: (shm.sys_shm_attach, "shm_attach", "ip"),
    SYS_shm_detach: (shm.sys_shm_detach, "shm_detach", "i"),
    SYS_shm_destroy: (shm.sys_shm_destroy, "shm_destroy", "i"),
}

SYSCALL_NAMES = {num: name for num, (_, name, _) in syscalls.items()}

log = logging.getLogger("xv6py.syscalls")
tracer = None            # while tracing: called with a Traced record after each system call
sleeping: dict = {}      # pid -> the traced call it sleeps in (to name it when it returns)


@dataclass(slots=True)
class Traced:
    """One system call as the tracer sees it."""

    pid: int
    name: str                   # the process's name
    call: str                   # the call and its arguments: "write(1, 0x2f8c, 12)"
    result: int | None          # what it returned; None while it sleeps, or if it exited
    note: str = ""              # "sleeps", "exited" or "woke up"

    def __str__(self) -> str:
        head = f"pid {self.pid} {self.name}: {self.call}"
        if self.result is None:
            return f"{head}: {self.note}"
        return f"{head} = {self.result}" + (f" ({self.note})" if self.note else "")


def log_call(t: Traced) -> None:
    """The default tracer: one line per call on the "xv6py.syscalls" logger."""
    log.info("%s", t)


def set_tracing(on: bool) -> None:
    """Trace every system call to the logger (or stop tracing)."""
    set_tracer(log_call if on else None)


def set_tracer(fn) -> None:
    """Call fn(Traced) after every system call (None: stop tracing)."""
    global tracer
    tracer = fn


def syscall() -> None:
    """Dispatch the system call whose number is in %eax; its result goes in %eax."""
    curproc = myproc()
    num = curproc.tf.eax
    entry = syscalls.get(num)
    if entry is None:
        num -= (num & 0x80000000) << 1          # print it as the int it is
        cprintf("%d %s: unknown sys call %d\n", curproc.pid, curproc.name, num)
        curproc.tf.eax = -1
        return
    mycpu().nsyscall += 1
    if tracer is not None:
        return _traced(curproc, entry)
    ret = entry[0]()
    if type(ret) is GeneratorType:
        curproc.context = ret
        ret = _run_blocking(curproc)
        if curproc.context is not None:
            return           # asleep in the middle of the call; resume() finishes it
    curproc.tf.eax = ret


def _run_blocking(p):
    """Run p's blocking system call until it finishes (return its result) or goes to
    sleep again (return None, p.context stays set)."""
    try:
        p.context.send(None)
    except StopIteration as done:
        p.context = None
        return done.value
    return None


def resume(p) -> None:
    """Finish the system call p is blocked in, now that it has been woken and
    scheduled (what xv6 does when swtch() returns into sleep())."""
    from ..proc.proc import Exited, exit
    ret = _run_blocking(p)
    if p.context is not None:
        return
    p.tf.eax = ret
    if tracer is not None:
        tracer(Traced(p.pid, p.name, sleeping.pop(p.pid, "..."), ret, "woke up"))
    if p.killed:
        try:
            exit("killed")
        except Exited:
            pass


def _traced(p, entry) -> None:
    """syscall() with a trace record: the call with its arguments (read before it
    runs: exec replaces the memory they are in), then its result."""
    from ..proc.proc import Exited
    call = f"{entry[1]}({', '.join(_describe(entry[2]))})"
    pid, name = p.pid, p.name
    try:
        ret = entry[0]()
        if type(ret) is GeneratorType:
            p.context = ret
            ret = _run_blocking(p)
    except Exited:
        tracer(Traced(pid, name, call, None, "exited"))
        raise
    if p.context is not None:
        sleeping[pid] = call
        tracer(Traced(pid, name, call, None, "sleeps"))
        return
    p.tf.eax = ret
    tracer(Traced(pid, p.name, call, ret))


def _describe(kinds: str) -> list[str]:
    """The arguments of the current call, formatted by kind."""
    args = []
    for n, kind in enumerate(kinds):
        word = argint(n)
        if word is None:
            args.append("?")
        elif kind == "s":
            s = fetchstr(word & 0xFFFFFFFF)
            args.append(repr(s.decode("latin-1")) if s is not None else f"{word & 0xFFFFFFFF:#x}")
        elif kind == "p":
            args.append(f"{word & 0xFFFFFFFF:#x}")
        else:
            args.append(str(word))
    return args
