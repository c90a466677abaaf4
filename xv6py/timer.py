"""Virtual time: the clock, ticks and the timer interrupt (xv6 keeps ticks in trap.c).

Time is counted in user instructions. The timer "interrupts" every `quantum`
user instructions (a seed, if given, varies each interval around the quantum,
to explore other interleavings); each interrupt is one tick and makes the
running process yield, as on xv6. While no process can run, time jumps to the
next tick. The same program, arguments, quantum and seed therefore give the same
interleaving, the same output and the same tick counts on every machine.
"""

import random
from dataclasses import dataclass

from .proc.proc import wakeup
from .spinlock import Spinlock, acquire, release

__all__ = ["Clock", "clockinit", "timerintr", "TICKS", "ticks", "tickslock", "clock"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("clock", "ticks", "tickslock")
clock: "Clock" = None      # virtual time
ticks = 0                  # timer interrupts since boot
tickslock: Spinlock = None  # guards ticks


@dataclass(frozen=True, eq=False)
class _Channel:
    """A sleep channel with a name, for process listings."""

    name: str

    def __repr__(self) -> str:
        return self.name


TICKS = _Channel("&ticks")   # what sleep(n) sleeps on: xv6 sleeps on &ticks


class Clock:
    """Virtual time, in instructions: `now` advances with every user instruction
    retired and jumps ahead while the CPU idles; the timer fires when `now`
    reaches `next_timer`; the machine stops when it reaches `limit`."""

    __slots__ = ("quantum", "rng", "now", "next_timer", "limit", "insns")

    def __init__(self, quantum: int, seed: int | None, limit: int | None):
        if quantum < 1:
            raise ValueError("the quantum must be at least one instruction")
        self.quantum = quantum
        self.rng = random.Random(seed) if seed is not None else None
        self.now = 0               # virtual time
        self.insns = 0             # user instructions retired (virtual time minus idling)
        self.limit = limit         # virtual time at which the machine stops, or None
        self.next_timer = self._interval()

    def _interval(self) -> int:
        if self.rng is None:
            return self.quantum
        return self.rng.randint(1, 2 * self.quantum - 1)   # mean: the quantum

    def slice(self) -> int:
        """Instructions until the next timer interrupt or the end of the budget."""
        end = self.next_timer if self.limit is None else min(self.next_timer, self.limit)
        return end - self.now

    def rearm(self) -> None:
        self.next_timer = self.now + self._interval()


def clockinit(quantum: int, seed: int | None, limit: int | None) -> None:
    global clock, ticks, tickslock
    clock = Clock(quantum, seed, limit)
    ticks = 0
    tickslock = Spinlock("time")


def timerintr() -> None:
    """A timer interrupt: one more tick; wake up sleep(n) callers."""
    global ticks
    acquire(tickslock)
    ticks += 1
    wakeup(TICKS)
    release(tickslock)
    clock.rearm()
