"""Process system calls (xv6's sysproc.c): thin wrappers that fetch arguments
and call into proc/proc.py."""

from .. import timer
from ..proc.proc import exit, fork, growproc, kill, myproc, sleep, wait
from ..spinlock import acquire, release
from .args import argint

__all__ = ["sys_fork", "sys_exit", "sys_wait", "sys_kill", "sys_getpid", "sys_sbrk",
           "sys_sleep", "sys_uptime"]


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


def sys_getpid() -> int:
    return myproc().pid


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
