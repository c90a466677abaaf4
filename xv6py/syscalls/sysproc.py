"""Process system calls (xv6's sysproc.c): thin wrappers that fetch arguments
and call into proc/proc.py.

The calls after xv6's (owners, exit status) return a negated error number on
failure (see errno.py); xv6's keep their -1.
"""

import struct

from .. import timer
from ..errno import ECHILD, EFAULT, EINVAL, EPERM, ESRCH
from ..mm.pgdir import copyout
from ..proc.proc import WNOHANG, exit, fork, growproc, kill, myproc, sleep, wait, waitpid
from ..spinlock import acquire, release
from .args import argint, argptr

__all__ = ["sys_fork", "sys_exit", "sys_wait", "sys_kill", "sys_getpid", "sys_sbrk",
           "sys_sleep", "sys_uptime", "sys_getuid", "sys_geteuid", "sys_getgid", "sys_getegid",
           "sys_setuid", "sys_setgid", "sys_exit_status", "sys_waitpid", "sys_getppid", "sys_posix_kill"]

ID_MAX = 0x7FFFFFFF     # user and group ids are 0..ID_MAX (-1 means "no change" on Linux)


def sys_fork() -> int:
    return fork()


def sys_exit():
    yield from exit()
    return 0  # not reached


def sys_wait():
    return (yield from wait())


def sys_kill() -> int:
    pid = argint(0)
    if pid is None:
        return -1
    return kill(pid)


# Linux's signals whose default action is not to end the process: those ignored
# (SIGCHLD, SIGCONT, SIGURG, SIGWINCH) change nothing; those that stop it
# (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) are refused: xv6py cannot stop a process.
NSIG = 65
SIG_IGNORED = frozenset({17, 18, 23, 28})
SIG_STOPS = frozenset({19, 20, 21, 22})


def sys_posix_kill() -> int:
    """kill(pid, sig) for POSIX programs: end process pid, whose parent's
    waitpid() then sees signal sig (there are no handlers: every signal does
    its default action). sig 0 checks that pid exists. 0; -EINVAL for a bad
    or stopping signal or pid <= 0 (no process groups); -ESRCH: no such process."""
    pid, sig = argint(0), argint(1)
    if pid is None or sig is None:
        return -EFAULT
    if not 0 <= sig < NSIG or sig in SIG_STOPS or pid <= 0:
        return -EINVAL
    if kill(pid, 0 if sig in SIG_IGNORED else sig) < 0:
        return -ESRCH
    return 0


def sys_getpid() -> int:
    return myproc().pid


def sys_getppid() -> int:
    """The parent's pid: init's (1) once the parent has exited, 0 for init itself
    (as Linux answers for its first process). Cannot fail."""
    parent = myproc().parent
    return parent.pid if parent is not None else 0


def sys_sbrk() -> int:
    """Grow (or shrink) memory by n bytes; return the old size, the start of the new
    memory. -1 if that is impossible (nothing changes)."""
    n = argint(0)
    if n is None:
        return -1
    addr = myproc().sz
    if growproc(n) < 0:
        return -1
    return addr


def sys_sleep():
    """Sleep for n ticks. -1 if killed while sleeping."""
    n = argint(0)
    if n is None:
        return -1
    acquire(timer.tickslock)
    ticks0 = timer.ticks
    while timer.ticks - ticks0 < n:
        if myproc().killed:
            release(timer.tickslock)
            return -1
        yield from sleep(timer.TICKS, timer.tickslock)
    release(timer.tickslock)
    return 0


def sys_uptime() -> int:
    """How many clock tick interrupts have occurred since start."""
    acquire(timer.tickslock)
    xticks = timer.ticks
    release(timer.tickslock)
    return xticks


# ---- owners (uid, gid) ------------------------------------------------------------------------
# Only System V IPC's permission checks look at them so far; the file system
# ignores owners, as xv6's does.

def sys_getuid() -> int:
    return myproc().uid


def sys_geteuid() -> int:
    return myproc().euid


def sys_getgid() -> int:
    return myproc().gid


def sys_getegid() -> int:
    return myproc().egid


def sys_setuid() -> int:
    """setuid(uid): root sets the real and effective user id to any uid; anyone
    else may only set the effective id back to the real one. 0, -EINVAL, -EPERM
    (or -EFAULT: the argument cannot be read)."""
    p, uid = myproc(), argint(0)
    if uid is None:
        return -EFAULT
    if not 0 <= uid <= ID_MAX:
        return -EINVAL
    if p.euid == 0:
        p.uid = p.euid = uid
    elif uid == p.uid:
        p.euid = uid
    else:
        return -EPERM
    return 0


def sys_setgid() -> int:
    """setgid(gid): as setuid, for the group ids (root is still euid 0)."""
    p, gid = myproc(), argint(0)
    if gid is None:
        return -EFAULT
    if not 0 <= gid <= ID_MAX:
        return -EINVAL
    if p.euid == 0:
        p.gid = p.egid = gid
    elif gid == p.gid:
        p.egid = gid
    else:
        return -EPERM
    return 0


# ---- exit status (as RISC-V xv6's exit(int) and wait(int*)) ----------------------------------

def sys_exit_status():
    """exit_status(code): exit with a code the parent's waitpid() sees (the C
    library's _exit). Only the low 8 bits of code are kept. Closing the files
    may sleep: a generator, as sys_exit."""
    code = argint(0)
    yield from exit("exit", code if code is not None else 0)
    return 0  # not reached


def sys_waitpid():
    """waitpid(pid, int *status, options): wait for child pid (any child if
    pid <= 0); store its status (if status is not 0) and return its pid. 0 with
    WNOHANG if it has not exited; -ECHILD if there is no such child; -EFAULT
    if status cannot be written (checked first: no child is reaped then)."""
    pid, addr, options = argint(0), argint(1), argint(2)
    if pid is None or addr is None or options is None:
        return -EFAULT              # the arguments themselves cannot be read
    if options & ~WNOHANG:
        return -EINVAL
    if addr != 0 and argptr(1, 4, writable=True) is None:
        return -EFAULT
    pid, status = yield from waitpid(pid, options)
    if pid < 0:
        return -ECHILD
    if pid > 0 and addr != 0:
        copyout(myproc().pgdir, addr & 0xFFFFFFFF, struct.pack("<i", status))
    return pid
