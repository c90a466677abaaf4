"""System call numbers, the table, and dispatch (xv6's syscall.h and the second
half of syscall.c).

The numbers are those of userprogs/include/syscall.h, the one list shared with
user programs; tests/test_syscall_numbers.py checks that the two agree.

A system call is a plain function in one table keyed by its number; it returns
the value for %eax (-1 on any error). The table also says which calls may block:
wait and sleep, exit, and every call that reaches the file system (the disk
takes time; a pipe may be empty or full). Those are generators (see sleep() in
proc/proc.py) -- or, like semop, msgsnd and msgrcv, functions that return their
result when they need not sleep and a generator, the rest of the call, when
they must.
Dispatch runs such a call at once, as far as it goes. Most do not sleep (a
semaphore that is free, a message already queued, a block in the cache): they
end there, as a plain call does. One that sleeps is left in p.context wrapped
in _blocking(), which finishes it by itself when the scheduler resumes it: the
result goes in %eax, and a process killed while it slept exits, as trap()
would have made it.
"""

import logging
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from ..dev.console import cprintf
from ..errno import errname
from ..proc.proc import Exited, exit, mycpu, myproc
from . import sysfile, sysipc, sysmman, sysposix, sysproc, sysshm
from .args import argint, fetchstr, takefill

__all__ = ["SYSCALL_NAMES", "NUMBERED", "Syscall", "syscalls", "syscall", "set_tracing", "set_tracer",
           "Traced"]

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
# The calls below return a negated error number on failure (errno.py).
SYS_getuid = 26
SYS_geteuid = 27
SYS_getgid = 28
SYS_getegid = 29
SYS_setuid = 30
SYS_setgid = 31
SYS_exit_status = 32
SYS_waitpid = 33
SYS_shmget = 34
SYS_shmat = 35
SYS_shmdt = 36
SYS_shmctl = 37
SYS_semget = 38
SYS_semop = 39
SYS_semctl = 40
SYS_msgget = 41
SYS_msgsnd = 42
SYS_msgrcv = 43
SYS_msgctl = 44
SYS_mmap = 45
SYS_munmap = 46
SYS_mprotect = 47
SYS_shm_open = 48
SYS_shm_unlink = 49
SYS_ftruncate = 50
# POSIX's file calls for POSIX programs (sysposix.py): Linux's flags, struct stat, errors.
SYS_posix_open = 51
SYS_posix_fstat = 52
SYS_posix_stat = 53
SYS_lseek = 54
SYS_posix_read = 55
SYS_posix_write = 56
SYS_posix_close = 57
SYS_posix_dup = 58
SYS_posix_pipe = 59
SYS_posix_unlink = 60
SYS_getppid = 61
SYS_posix_kill = 62


class Syscall(NamedTuple):
    """A row of the table."""

    fn: object          # the sys_* function; if `blocks`, it returns a generator (or its result)
    name: str           # for traces and messages
    args: str           # argument kinds, for traces: i int, p pointer, s string,
                        # and System V's flags and commands (sysipc.ARG_KINDS)
    blocks: bool = False  # may sleep (a generator): dispatch goes through _startblocking()


BLOCKS = True

# The table: number -> Syscall. (Read-only: it is code, shared by every machine.)
syscalls = MappingProxyType({
    SYS_fork: Syscall(sysproc.sys_fork, "fork", ""),
    SYS_exit: Syscall(sysproc.sys_exit, "exit", "", BLOCKS),
    SYS_wait: Syscall(sysproc.sys_wait, "wait", "", BLOCKS),
    SYS_pipe: Syscall(sysfile.sys_pipe, "pipe", "p", BLOCKS),
    SYS_read: Syscall(sysfile.sys_read, "read", "ipi", BLOCKS),
    SYS_kill: Syscall(sysproc.sys_kill, "kill", "i"),
    SYS_exec: Syscall(sysfile.sys_exec, "exec", "sp", BLOCKS),
    SYS_fstat: Syscall(sysfile.sys_fstat, "fstat", "ip", BLOCKS),
    SYS_chdir: Syscall(sysfile.sys_chdir, "chdir", "s", BLOCKS),
    SYS_dup: Syscall(sysfile.sys_dup, "dup", "i"),
    SYS_getpid: Syscall(sysproc.sys_getpid, "getpid", ""),
    SYS_sbrk: Syscall(sysproc.sys_sbrk, "sbrk", "i"),
    SYS_sleep: Syscall(sysproc.sys_sleep, "sleep", "i", BLOCKS),
    SYS_uptime: Syscall(sysproc.sys_uptime, "uptime", ""),
    SYS_open: Syscall(sysfile.sys_open, "open", "si", BLOCKS),
    SYS_write: Syscall(sysfile.sys_write, "write", "ipi", BLOCKS),
    SYS_mknod: Syscall(sysfile.sys_mknod, "mknod", "sii", BLOCKS),
    SYS_unlink: Syscall(sysfile.sys_unlink, "unlink", "s", BLOCKS),
    SYS_link: Syscall(sysfile.sys_link, "link", "ss", BLOCKS),
    SYS_mkdir: Syscall(sysfile.sys_mkdir, "mkdir", "s", BLOCKS),
    SYS_close: Syscall(sysfile.sys_close, "close", "i", BLOCKS),
    SYS_shm_create: Syscall(sysshm.sys_shm_create, "shm_create", "i"),
    SYS_shm_attach: Syscall(sysshm.sys_shm_attach, "shm_attach", "ip"),
    SYS_shm_detach: Syscall(sysshm.sys_shm_detach, "shm_detach", "i"),
    SYS_shm_destroy: Syscall(sysshm.sys_shm_destroy, "shm_destroy", "i"),
    SYS_getuid: Syscall(sysproc.sys_getuid, "getuid", ""),
    SYS_geteuid: Syscall(sysproc.sys_geteuid, "geteuid", ""),
    SYS_getgid: Syscall(sysproc.sys_getgid, "getgid", ""),
    SYS_getegid: Syscall(sysproc.sys_getegid, "getegid", ""),
    SYS_setuid: Syscall(sysproc.sys_setuid, "setuid", "i"),
    SYS_setgid: Syscall(sysproc.sys_setgid, "setgid", "i"),
    SYS_exit_status: Syscall(sysproc.sys_exit_status, "exit_status", "i", BLOCKS),
    SYS_waitpid: Syscall(sysproc.sys_waitpid, "waitpid", "ipi", BLOCKS),
    SYS_shmget: Syscall(sysipc.sys_shmget, "shmget", "kig"),
    SYS_shmat: Syscall(sysipc.sys_shmat, "shmat", "ipa"),
    SYS_shmdt: Syscall(sysipc.sys_shmdt, "shmdt", "p"),
    SYS_shmctl: Syscall(sysipc.sys_shmctl, "shmctl", "iSp"),
    SYS_semget: Syscall(sysipc.sys_semget, "semget", "kig"),
    SYS_semop: Syscall(sysipc.sys_semop, "semop", "ipi", BLOCKS),
    SYS_semctl: Syscall(sysipc.sys_semctl, "semctl", "iiMi"),
    SYS_msgget: Syscall(sysipc.sys_msgget, "msgget", "kg"),
    SYS_msgsnd: Syscall(sysipc.sys_msgsnd, "msgsnd", "ipin", BLOCKS),
    SYS_msgrcv: Syscall(sysipc.sys_msgrcv, "msgrcv", "ipiin", BLOCKS),
    SYS_msgctl: Syscall(sysipc.sys_msgctl, "msgctl", "iQp"),
    SYS_mmap: Syscall(sysmman.sys_mmap, "mmap", "piiiii", BLOCKS),
    SYS_munmap: Syscall(sysmman.sys_munmap, "munmap", "pi", BLOCKS),
    SYS_mprotect: Syscall(sysmman.sys_mprotect, "mprotect", "pii"),
    SYS_shm_open: Syscall(sysmman.sys_shm_open, "shm_open", "sii"),
    SYS_shm_unlink: Syscall(sysmman.sys_shm_unlink, "shm_unlink", "s"),
    SYS_ftruncate: Syscall(sysmman.sys_ftruncate, "ftruncate", "ii", BLOCKS),
    SYS_posix_open: Syscall(sysposix.sys_posix_open, "posix_open", "sii", BLOCKS),
    SYS_posix_fstat: Syscall(sysposix.sys_posix_fstat, "posix_fstat", "ip", BLOCKS),
    SYS_posix_stat: Syscall(sysposix.sys_posix_stat, "posix_stat", "sp", BLOCKS),
    SYS_lseek: Syscall(sysposix.sys_lseek, "lseek", "iii"),
    SYS_posix_read: Syscall(sysposix.sys_posix_read, "posix_read", "ipi", BLOCKS),
    SYS_posix_write: Syscall(sysposix.sys_posix_write, "posix_write", "ipi", BLOCKS),
    SYS_posix_close: Syscall(sysposix.sys_posix_close, "posix_close", "i", BLOCKS),
    SYS_posix_dup: Syscall(sysposix.sys_posix_dup, "posix_dup", "i"),
    SYS_posix_pipe: Syscall(sysposix.sys_posix_pipe, "posix_pipe", "p"),
    SYS_posix_unlink: Syscall(sysposix.sys_posix_unlink, "posix_unlink", "s", BLOCKS),
    SYS_getppid: Syscall(sysproc.sys_getppid, "getppid", ""),
    SYS_posix_kill: Syscall(sysproc.sys_posix_kill, "posix_kill", "ii"),
})

SYSCALL_NAMES = MappingProxyType({num: call.name for num, call in syscalls.items()})

# The calls that fail with a negated error number (errno.py): getuid and after.
NUMBERED = frozenset(call.name for num, call in syscalls.items() if num >= SYS_getuid)

log = logging.getLogger("xv6py.syscalls")

# Per-machine hooks (see Machine): tools attach them; each machine has its own.
HOOKS = ("tracer",)
tracer = None            # while tracing: called with a Traced record after each system call


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
    """Dispatch the system call whose number is in %eax; its result goes in %eax.
    A call that sleeps is left in p.context, and finishes when resumed."""
    curproc = myproc()
    num = curproc.tf.eax
    call = syscalls.get(num)
    if call is None:
        num -= (num & 0x80000000) << 1          # print it as the int it is
        cprintf("%d %s: unknown sys call %d\n", curproc.pid, curproc.name, num)
        curproc.tf.eax = -1
        return
    mycpu().nsyscall += 1
    # For a trace, the arguments are read before the call (exec replaces them).
    traced = Traced(curproc.pid, curproc.name, _format(call), None) if tracer is not None else None
    try:
        ret = call.fn()
        if call.blocks and not isinstance(ret, int):
            ret = _startblocking(curproc, call, ret, traced)
            if ret is None:
                return                          # asleep: p.context finishes the call
    except Exited:
        _trace(traced, None, "exited")
        raise
    curproc.tf.eax = ret
    if traced is not None:
        _trace(traced, ret, _errnote(call, ret))


def _startblocking(p, call: Syscall, body, traced) -> int | None:
    """Run body, the generator a call that may sleep returned, until it returns
    (its result) or first sleeps (None: it is p.context now, as _blocking()).

    The common case, a call that does not sleep, ends here, as a plain call
    does (not `p.context = _blocking(...); resume(p)`: that wrapper, the resume
    and a trace note built for nobody cost 0.4 us of a 6 us semop). A call may
    even return its result instead of a generator when it finds it need not
    sleep (semop, msgsnd, msgrcv: a generator costs 0.3 us more), and then
    syscall() does not come here at all."""
    try:
        body.send(None)
    except StopIteration as done:
        return done.value
    _trace(traced, None, "sleeps")
    p.context = _blocking(p, call, body, traced)
    return None


def _blocking(p, call: Syscall, body, traced):
    """Finish a call that has slept once already (body, its generator, is asleep):
    each time the scheduler resumes p, run body on until it sleeps again (yield)
    or returns; then put its result in %eax. If p was killed meanwhile, exit, as
    trap() does after a system call returns."""
    try:
        while True:
            try:
                body.send(None)
            except StopIteration as done:
                ret = done.value
                break
            yield               # asleep again: the scheduler resumes us after wakeup()
    except Exited:
        _trace(traced, None, "exited")
        raise
    takefill()      # (a buffer refused after a sleep cannot be filled and the call run again: trap.py
    #                  does that only for a call that has not slept, so it has changed nothing yet)
    p.tf.eax = ret
    if traced is not None:
        _trace(traced, ret, _errnote(call, ret, "woke up"))
    if p.killed:
        yield from exit("killed")


def _trace(traced, result, note: str = "") -> None:
    """Hand the tracer the record of a call (if tracing), with its result or note.
    A call that returned is shown under the process's name now (exec renames it)."""
    if traced is None or tracer is None:
        return
    name = myproc().name if result is not None else traced.name
    tracer(Traced(traced.pid, name, traced.call, result, note))


def _errnote(call: Syscall, ret: int, note: str = "") -> str:
    """A trace's note, with the error's name when a numbered call failed."""
    if call.name not in NUMBERED or not -4095 <= ret < 0:
        return note
    return f"{note}, {errname(-ret)}" if note else errname(-ret)


def _format(call: Syscall) -> str:
    """The current call with its arguments: "write(1, 0x2f8c, 12)"."""
    return f"{call.name}({', '.join(_describe(call.args))})"


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
        elif kind in sysipc.ARG_KINDS:
            args.append(sysipc.ARG_KINDS[kind](word))
        else:
            args.append(str(word))
    return args
