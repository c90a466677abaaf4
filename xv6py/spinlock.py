"""Mutual exclusion locks (xv6's spinlock.c).

xv6py emulates one CPU, and the Python kernel is never interrupted: the timer only
fires while user code runs. So nothing here ever spins. Locks are kept anyway,
where xv6 has them, because they say which data each one guards, and because
they catch the mistakes xv6's do: acquiring a lock twice, releasing one that is
not held, and sleeping while holding one (the next acquirer panics).
"""

from .panic import panic

__all__ = ["Spinlock", "acquire", "release", "holding"]


class Spinlock:
    """A lock: `locked` is true while some kernel code holds it."""

    __slots__ = ("name", "locked")

    def __init__(self, name: str):
        self.name = name        # for debugging
        self.locked = False     # is the lock held?

    def __repr__(self) -> str:
        return f"<Spinlock {self.name}{' held' if self.locked else ''}>"


def acquire(lk: Spinlock) -> None:
    """Take the lock. Holding it already is a deadlock on real hardware: panic."""
    if lk.locked:
        panic(f"acquire {lk.name}")
    lk.locked = True


def release(lk: Spinlock) -> None:
    """Release the lock."""
    if not lk.locked:
        panic(f"release {lk.name}")
    lk.locked = False


def holding(lk: Spinlock) -> bool:
    """Is the lock held?"""
    return lk.locked
