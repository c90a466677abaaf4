"""Virtual time: the clock, counted in instructions, and what kernel work costs.

Time in xv6py is virtual (DESIGN.md section 6). The clock advances

* with every user instruction retired (the CPU counts them),
* by a fixed charge for each piece of work the kernel does for a program --
  a page copied, a frame allocated, a disk block read or written, a system
  call (the COST_* table in param.py) -- because a kernel written in Python
  runs no x86 instructions of its own; charge(n) is how kernel code says so,
* and in jumps, while the CPU idles, to the next timer interrupt.

So the timer interrupt and the instruction budget see kernel work as they see
user code: a program cannot hide a long run in a few system calls, and a budget
bounds the host time a run takes. Charges are fixed numbers, so the same program
is charged the same on every machine.

Two more costs are counted against the budget but not on the clock, and only
between time slices:

* each system call's fixed cost (COST_TRAP): counted per slice from the number
  of calls served, so that the system-call path costs no more than it did
  (charging it exactly, as kernel work is, would add a tenth to getpid);
* translating user code the CPU has not run before (COST_TB, COST_TB_INSN), as
  the CPU reports it: it depends on what the CPU has cached -- a debugger's
  breakpoints make it translate again -- and the timer, so every interleaving,
  must not.

So a budget may be overrun by up to a time slice's worth of them.

The timer interrupt and the ticks are in timer.py; the time slices in
proc/scheduler.py.
"""

import random

from .mmu import PGSIZE
from .param import COST_PAGE, COST_WALK

__all__ = ["Clock", "clockinit", "charge", "charge_range", "clock"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86", "clock")
x86 = None                 # the hardware: a charge may end its time slice
clock: "Clock" = None      # virtual time


class Clock:
    """Virtual time, in instructions: `now` advances with every user instruction
    retired and every charge of kernel work, and jumps ahead while the CPU idles;
    the timer fires when `now` reaches `next_timer`; the machine stops when the
    budget is spent: when `now + calls + translation` reaches `limit`."""

    __slots__ = ("quantum", "rng", "now", "next_timer", "limit", "budget", "insns", "kernel",
                 "calls", "translation", "since")

    def __init__(self, quantum: int, seed: int | None, limit: int | None):
        if quantum < 1:
            raise ValueError("the quantum must be at least one instruction")
        self.quantum = quantum
        self.rng = random.Random(seed) if seed is not None else None
        self.now = 0               # virtual time
        self.insns = 0             # user instructions retired
        self.kernel = 0            # kernel work charged (part of now)
        self.calls = 0             # system calls' fixed cost charged (not part of now)
        self.translation = 0       # code translation charged (not part of now)
        self.limit = limit         # budget spent when now + calls + translation reaches it; or None
        self.budget = limit        # the budget as given (set_budget), for messages
        self.since = (0, 0, 0, 0, 0)  # now, insns, kernel, calls, translation when it was given
        self.next_timer = self._interval()

    def _interval(self) -> int:
        if self.rng is None:
            return self.quantum
        return self.rng.randint(1, 2 * self.quantum - 1)   # mean: the quantum

    def set_budget(self, n: int | None) -> None:
        """From now on, allow n more instructions of virtual time (None: no limit)."""
        self.limit = self.now + self.calls + self.translation + n if n is not None else None
        self.budget = n
        self.since = self._counts()

    def _counts(self) -> tuple:
        return self.now, self.insns, self.kernel, self.calls, self.translation

    def usage(self) -> str:
        """What the budget went on since it was given: "2,500 user instructions,
        860 kernel work, 0 code translation, 0 idle"."""
        now, insns, kernel, calls, translation = (
            a - b for a, b in zip(self._counts(), self.since, strict=True))
        return (f"{insns:,} user instructions, {kernel + calls:,} kernel work, {translation:,} "
                f"code translation, {now - insns - kernel:,} idle")

    def stop(self) -> int | None:
        """The virtual time at which the budget is spent (None: no budget): its
        limit, less the costs counted against it but not on the clock."""
        if self.limit is None:
            return None
        return self.limit - self.calls - self.translation

    def spent(self) -> bool:
        """Is the budget used up?"""
        stop = self.stop()
        return stop is not None and self.now >= stop

    def end(self) -> int:
        """The virtual time at which the running time slice must end: the next
        timer interrupt, or the end of the budget."""
        stop = self.stop()
        return self.next_timer if stop is None else min(self.next_timer, stop)

    def slice(self) -> int:
        """Instructions until the next timer interrupt or the end of the budget
        (0 or less: the timer is due, or the budget spent)."""
        return self.end() - self.now

    def room(self, n: int) -> int | None:
        """How much code translation a slice of n instructions may be charged
        before the budget is spent (None: no budget)."""
        stop = self.stop()
        return None if stop is None else stop - self.now - n

    def rearm(self) -> None:
        self.next_timer = self.now + self._interval()


def clockinit(quantum: int, seed: int | None, limit: int | None) -> None:
    global clock
    clock = Clock(quantum, seed, limit)


def charge(n: int) -> None:
    """Charge n instructions of kernel work (param.py's COST_* table) to virtual
    time. Inside a time slice, they come out of the slice: when they reach the
    next timer interrupt or the end of the budget, the slice ends as soon as the
    trap being handled returns. Work done while the kernel boots, before the
    clock starts, is not charged."""
    c = clock
    if c is None:
        return
    c.now += n
    c.kernel += n
    x86.consume(n)


def charge_range(n: int) -> None:
    """Charge for a user range of n bytes that the kernel walks and copies (or
    scans): COST_WALK per page and COST_PAGE per page, pro rata, beyond the first
    page, which the system call's COST_TRAP covers (so the usual small argument
    costs no charge of its own)."""
    if n > PGSIZE:
        n -= PGSIZE
        charge(-(-n // PGSIZE) * COST_WALK + n * COST_PAGE // PGSIZE)
