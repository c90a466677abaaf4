"""Sleeping locks (xv6's sleeplock.c): long-term locks for buffers and inodes.

A spin-lock guards data for a few lines; a sleep-lock is held across disk I/O,
which takes virtual time, so a process that wants one while another holds it
sleeps until releasesleep() wakes it. acquiresleep() is therefore a generator:
`yield from acquiresleep(lk)`, like every kernel function that may sleep (see
sleep() in proc/proc.py).
"""

from .panic import panic
from .proc.proc import myproc, sleep, wakeup
from .spinlock import Spinlock, acquire, release

__all__ = ["Sleeplock", "acquiresleep", "releasesleep", "holdingsleep"]


class Sleeplock:
    """Long-term lock for processes (xv6's struct sleeplock)."""

    __slots__ = ("locked", "lk", "name", "pid", "waiting")

    def __init__(self, name: str):
        self.locked = False       # Is the lock held?
        self.lk = Spinlock("sleep lock")  # spinlock protecting this sleep lock
        self.name = name          # Name of lock (for debugging)
        self.pid = 0              # Process holding lock
        self.waiting = 0          # Processes asleep in acquiresleep (not in xv6: see releasesleep)

    def __repr__(self) -> str:    # as a sleep channel in a process listing
        return f"sleeplock {self.name}"


def acquiresleep(lk: Sleeplock):
    """Take the lock, sleeping while another process holds it (a generator)."""
    acquire(lk.lk)
    while lk.locked:
        lk.waiting += 1
        yield from sleep(lk, lk.lk)
        lk.waiting -= 1
    lk.locked = True
    lk.pid = myproc().pid
    release(lk.lk)


def releasesleep(lk: Sleeplock) -> None:
    """Release the lock and wake whoever waits for it. (xv6 calls wakeup every
    time; here only if some process sleeps on the lock: wakeup looks at every
    slot of the process table, and buffers are released thousands of times for
    each time one is waited for.)"""
    if not lk.locked:
        panic(f"releasesleep {lk.name}")
    acquire(lk.lk)
    lk.locked = False
    lk.pid = 0
    if lk.waiting:
        wakeup(lk)
    release(lk.lk)


def holdingsleep(lk: Sleeplock) -> bool:
    """Does the current process hold the lock?"""
    p = myproc()
    return lk.locked and p is not None and lk.pid == p.pid
