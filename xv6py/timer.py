"""The timer interrupt and the ticks (xv6 keeps ticks in trap.c).

The timer "interrupts" every `quantum` instructions of virtual time (vtime.py:
user instructions and charged kernel work; a seed, if given, varies each
interval around the quantum, to explore other interleavings); each interrupt is
one tick and makes the running process yield, as on xv6. While no process can
run, time jumps to the next tick. The same program, arguments, quantum and seed
therefore give the same interleaving, the same output and the same tick counts
on every machine.
"""

from dataclasses import dataclass

from . import vtime
from .proc.proc import wakeup
from .spinlock import Spinlock, acquire, release

__all__ = ["clockinit", "timerintr", "TICKS", "ticks", "tickslock"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("ticks", "tickslock")
ticks = 0                  # timer interrupts since boot
tickslock: Spinlock = None  # guards ticks


@dataclass(frozen=True, eq=False)
class _Channel:
    """A sleep channel with a name, for process listings."""

    name: str

    def __repr__(self) -> str:
        return self.name


TICKS = _Channel("&ticks")   # what sleep(n) sleeps on: xv6 sleeps on &ticks


def clockinit(quantum: int, seed: int | None, limit: int | None) -> None:
    """Start virtual time (vtime.clock) and the ticks."""
    global ticks, tickslock
    vtime.clockinit(quantum, seed, limit)
    ticks = 0
    tickslock = Spinlock("time")


def timerintr() -> None:
    """A timer interrupt: one more tick; wake up sleep(n) callers."""
    global ticks
    acquire(tickslock)
    ticks += 1
    wakeup(TICKS)
    release(tickslock)
    vtime.clock.rearm()
