"""Virtual time (xv6py/timer.py): the Clock, the tick, and sleep(n)/uptime() as
programs see them.

Time is counted in user instructions; the timer fires every `quantum` of them
(a seed varies each interval within [1, 2*quantum - 1]); while nothing can run,
time jumps to the next tick. So tick counts are exact, and the tests say so.
"""

import struct

import pytest
from elfgen import program, syscall
from helpers import finish, run

from xv6py import timer, vtime
from xv6py.machine import Machine
from xv6py.proc import proc as P
from xv6py.spinlock import holding
from xv6py.syscalls.syscall import SYS_exit, SYS_sleep, SYS_uptime, SYS_write
from xv6py.testing.kcall import Syscaller
from xv6py.timer import TICKS
from xv6py.vtime import Clock


def intervals(clock: Clock, n: int) -> list[int]:
    """The first n intervals between timer interrupts, firing each on time."""
    out = [clock.next_timer - clock.now]
    while len(out) < n:
        clock.now = clock.next_timer
        clock.rearm()
        out.append(clock.next_timer - clock.now)
    return out


# ---- the Clock ------------------------------------------------------------------------------

@pytest.mark.parametrize("quantum", [0, -1, -100_000])
def test_a_quantum_below_one_is_refused(quantum):
    with pytest.raises(ValueError, match="at least one instruction"):
        Clock(quantum, None, None)
    with pytest.raises(ValueError, match="at least one instruction"):
        Machine(quantum=quantum)


def test_without_a_seed_every_interval_is_the_quantum():
    c = Clock(250, None, None)
    assert (c.now, c.insns, c.next_timer) == (0, 0, 250)
    assert intervals(c, 50) == [250] * 50


def test_slice_is_the_time_to_the_next_interrupt_or_the_limit():
    c = Clock(100, None, None)
    assert c.slice() == 100
    c.now = 30
    assert c.slice() == 70
    c.limit = 50
    assert c.slice() == 20                  # the limit comes first
    c.limit = 500
    assert c.slice() == 70
    c.now = c.limit = 500
    assert c.slice() <= 0                   # nothing left: the scheduler halts the run


def test_rearm_counts_from_now():
    c = Clock(100, None, None)
    c.now = 1234                            # late, or after idling: the next tick is a quantum on
    c.rearm()
    assert c.next_timer == 1334


@pytest.mark.parametrize("quantum", [1, 2, 10, 997])
def test_seeded_intervals_lie_in_1_to_2q_minus_1(quantum):
    seq = intervals(Clock(quantum, 7, None), 2000)
    assert min(seq) >= 1 and max(seq) <= 2 * quantum - 1
    if quantum <= 10:
        assert set(seq) == set(range(1, 2 * quantum))      # both ends are reached


def test_the_same_seed_gives_the_same_intervals_and_another_seed_others():
    a = intervals(Clock(1000, 42, None), 100)
    assert intervals(Clock(1000, 42, None), 100) == a
    assert intervals(Clock(1000, 43, None), 100) != a
    assert len(set(a)) > 50                                 # varied, not a constant


def test_seed_zero_is_a_seed():
    assert len(set(intervals(Clock(1000, 0, None), 20))) > 1


# ---- the tick -------------------------------------------------------------------------------

def test_timerintr_counts_a_tick_wakes_clock_sleepers_only_and_rearms():
    m = Machine(quantum=500)
    m.activate()
    h = Syscaller(m)
    napper, waiter = h.spawn(), h.spawn()
    h.fork(waiter)
    assert h.call(napper, "sleep", 5) is None
    assert h.call(waiter, "wait") is None
    with m.entered():
        t0, now = timer.ticks, vtime.clock.now + 777
        vtime.clock.now = now
        timer.timerintr()
        assert timer.ticks == t0 + 1
        assert vtime.clock.next_timer == now + 500
        assert not holding(timer.tickslock)
    assert napper.state is P.RUNNABLE and napper.chan is TICKS    # woken to look at the clock
    assert waiter.state is P.SLEEPING                              # not on the clock


def test_sleep_sleeps_until_n_ticks_have_passed():
    m = Machine(quantum=500)
    m.activate()
    h = Syscaller(m)
    p = h.spawn()
    t0 = h.call(p, "uptime")                                # (loading hello from the disk took time)
    assert h.call(p, "sleep", 0) == 0                       # at once
    assert h.call(p, "sleep", 2) is None
    for tick in (1, 2):
        with m.entered():
            timer.timerintr()
        assert p.state is P.RUNNABLE
        result = finish(h, p)
        assert result == (None if tick == 1 else 0)         # after one tick it sleeps again
    assert h.call(p, "uptime") == t0 + 2


# ---- through programs -----------------------------------------------------------------------

def _store_eax(addr: int) -> bytes:
    return b"\xa3" + struct.pack("<I", addr)                # mov %eax, addr


def napper(n: int) -> bytes:
    """t0 = uptime(); sleep(n); t1 = uptime(); write(1, &t0, 8) (raw words); exit()."""
    buf = 0x800
    return program(syscall(SYS_uptime) + _store_eax(buf) + syscall(SYS_sleep, n)
                   + syscall(SYS_uptime) + _store_eax(buf + 4)
                   + syscall(SYS_write, 1, buf, 8) + syscall(SYS_exit), bss=4096).to_bytes()


@pytest.mark.parametrize("quantum", [1000, 100_000])
def test_sleep_n_lasts_n_ticks_and_idling_costs_no_instructions(quantum):
    m = Machine(quantum=quantum)
    m.add_program("napper", napper(3))
    r = run(m, "napper")
    t0, t1 = struct.unpack("<II", r.output.encode("latin-1"))
    assert t1 - t0 == 3
    # Three ticks while it slept, and the ticks of the disk's time and of the kernel
    # work charged for exec and the calls (vtime.py).
    assert 3 <= r.ticks <= t1 + (r.instructions + r.kernel) // quantum + 1
    assert r.instructions < 1000                            # the ticks passed while the CPU idled


def test_uptime_counts_ticks_of_busy_time_too():
    """Ticks come every quantum of virtual time a program uses: regloop 10000 runs
    30,000-odd instructions more than regloop 0, and is charged a few thousand more
    for kernel work (its system calls: vtime.py), so 30 ticks and a few more at a
    quantum of 1000 (give or take the one the disk's time before them shifts)."""
    r0 = run(Machine(quantum=1000), "regloop", ["0"])
    r = run(Machine(quantum=1000), "regloop", ["10000"])
    assert (r.instructions - r0.instructions) // 1000 == 30
    assert 30 <= r.ticks - r0.ticks <= 31 + (r.kernel - r0.kernel) // 1000 + 1


def test_with_a_seed_sleep_still_waits_n_ticks():
    """A seed changes the length of each tick, not what sleep(n) counts."""
    m = Machine(quantum=1000, seed=3)
    m.add_program("napper", napper(4))
    r = run(m, "napper")
    t0, t1 = struct.unpack("<II", r.output.encode("latin-1"))
    assert t1 - t0 == 4
