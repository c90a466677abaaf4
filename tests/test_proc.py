"""Processes (xv6py/proc/proc.py): the process table, fork, exit, wait, kill,
sleep and wakeup, growproc, procdump and reap, checked in the kernel's own state.

Most tests drive processes with kcall.Syscaller: real system calls through
trap(), without running user code. A call that sleeps leaves the process asleep;
helpers.finish() lets it go on once woken, as the scheduler would. The process
Syscaller creates first (pid 1, "initcode") plays init: it never runs, orphans
are given to it, and tests make it wait() like init.
"""

import struct

import pytest
from helpers import finish, running

from xv6py.fs import file as F
from xv6py.machine import Machine
from xv6py.memlayout import KERNBASE, KERNEND
from xv6py.mm import kalloc as K
from xv6py.mm import pgdir as V
from xv6py.mmu import PGSIZE, PTE_ADDR, PTE_P, PTE_U, PTE_W
from xv6py.panic import KernelPanic
from xv6py.param import NOFILE, NPROC
from xv6py.proc import proc as P
from xv6py.spinlock import Spinlock, acquire, holding
from xv6py.testing.kcall import Syscaller
from xv6py.timer import TICKS


@pytest.fixture
def h():
    m = Machine()
    m.activate()
    return Syscaller(m)


def pte(p, va):
    e = V.walkpgdir(p.pgdir, va, False)
    return V.x86.read32(e) if e is not None else 0


def used_slots():
    return [(i, p.pid, p.state) for i, p in enumerate(P.ptable.proc) if p.state is not P.UNUSED]


def heap(h, p, pages=1):
    """Grow p by some pages; their start, for data the test puts there."""
    va = h.call(p, "sbrk", pages * PGSIZE)
    assert va > 0
    return va


# ---- allocproc ------------------------------------------------------------------------------

def test_allocproc_gives_embryos_with_pids_from_one(kernel):
    a, b = P.allocproc(), P.allocproc()
    assert (a.pid, b.pid) == (1, 2)
    assert a.state is P.EMBRYO and b.state is P.EMBRYO
    assert a is P.ptable.proc[0] and b is P.ptable.proc[1]      # the first UNUSED slots
    assert not holding(P.ptable.lock)


def test_pids_are_never_reused_even_when_slots_are(kernel):
    a, b = P.allocproc(), P.allocproc()
    P.reap(a)                                   # slot 0 is free again
    assert a.state is P.UNUSED and a.pid == 0
    c = P.allocproc()
    assert c is a                               # the slot is reused ...
    assert c.pid == b.pid + 1                   # ... its old pid is not


def test_allocproc_on_a_full_table_returns_none_and_changes_nothing(kernel):
    procs = [P.allocproc() for _ in range(NPROC)]
    assert None not in procs and len(set(map(id, procs))) == NPROC
    assert [p.pid for p in procs] == list(range(1, NPROC + 1))
    frames, nextpid = K.kfreecount(), P.ptable.nextpid
    assert P.allocproc() is None
    assert (K.kfreecount(), P.ptable.nextpid) == (frames, nextpid)   # no pid used up
    assert all(p.state is P.EMBRYO for p in procs)
    assert not holding(P.ptable.lock)
    P.reap(procs[17])
    p = P.allocproc()
    assert p is procs[17] and p.pid == nextpid


def test_fork_with_a_full_table_fails_and_leaks_nothing(h):
    p = h.spawn()
    while P.allocproc() is not None:
        pass
    frames, slots = K.kfreecount(), used_slots()
    assert h.call(p, "fork") == -1
    assert (K.kfreecount(), used_slots()) == (frames, slots)


# ---- fork -----------------------------------------------------------------------------------

def test_fork_copies_memory_into_frames_of_its_own(h):
    p = h.spawn()
    buf = heap(h, p)
    assert h.poke(p, buf, b"parent's data") and h.poke(p, 0x10, b"\xaa\xbb")
    c = h.fork(p)
    assert c.sz == p.sz
    assert h.peek(c, buf, 13) == b"parent's data" and h.peek(c, 0x10, 2) == b"\xaa\xbb"
    for va in range(0, p.sz, PGSIZE):           # every page: same flags, another frame
        assert pte(c, va) & 0xFFF & ~0x60 == pte(p, va) & 0xFFF & ~0x60   # (the MMU sets A, D)
        assert PTE_ADDR(pte(c, va)) != PTE_ADDR(pte(p, va))
    assert h.poke(c, buf, b"child's")
    assert h.peek(p, buf, 13) == b"parent's data"       # a store in one is not seen in the other


def test_fork_returns_the_childs_pid_and_zero_in_the_child(h):
    p = h.spawn()
    p.tf.ebx, p.tf.esi, p.tf.ebp = 0x1234, 0x5678, 0x9ABC
    nextpid = P.ptable.nextpid
    pid = h.call(p, "fork")
    assert pid == nextpid
    (c,) = [q for q in P.ptable.proc if q.pid == pid]
    assert c.state is P.RUNNABLE and c.parent is p and c.name == p.name
    assert c.tf.eax == 0                                      # fork() returns 0 in the child
    assert (c.tf.ebx, c.tf.esi, c.tf.ebp, c.tf.eip) == (0x1234, 0x5678, 0x9ABC, p.tf.eip)


def test_fork_shares_open_files(h):
    p = h.spawn()
    fd = h.call(p, "open", "/hello", 0)
    assert fd == 0
    f = p.ofile[fd]
    assert f.ref == 1
    c = h.fork(p)
    assert c.ofile[fd] is f and f.ref == 2              # the same open file, one more reference
    assert all(g is None for g in c.ofile[1:])
    h.call(c, "exit")
    assert f.ref == 1 and f.type == F.FD_INODE          # still open in the parent


def fork_state(m, p):
    return (K.kfreecount(), used_slots(), p.ofile[0].ref, str(m.shm_segments()), list(p.shm))


def test_fork_out_of_memory_fails_at_every_allocation_and_leaks_nothing():
    """The parent has 3 pages, an open file and a segment attached in another 4 MiB:
    fork needs a page directory, a page table and 3 frames for the pages, and a
    page table for the segment (6 frames). With fewer free, fork fails and every
    count -- frames, slots, file and segment references -- is as before."""
    needed = 6
    for spare in range(needed + 1):
        m = Machine(phystop=KERNEND + 64 * PGSIZE, check=False)  # (frames held by the test)
        m.activate()
        h = Syscaller(m)
        p = h.spawn()
        assert h.call(p, "open", "/hello", 0) == 0
        seg = h.call(p, "shm_create", PGSIZE)
        assert h.call(p, "shm_attach", seg, 0x10000000) == 0
        assert p.sz == 3 * PGSIZE
        hold = [K.kalloc() for _ in range(K.kfreecount() - spare)]
        before = fork_state(m, p)
        pid = h.call(p, "fork")
        if spare < needed:
            assert pid == -1, spare
            assert fork_state(m, p) == before, spare
        else:
            assert pid > 0 and K.kfreecount() == 0
        for pa in hold:
            K.kfree(pa)


# ---- exit and wait --------------------------------------------------------------------------

def test_exit_leaves_a_zombie_that_wait_frees(h):
    p = h.spawn()
    frames = K.kfreecount()
    c = h.fork(p)
    assert K.kfreecount() < frames
    assert h.call(c, "exit") is None
    assert c.state is P.ZOMBIE and c.status == "exit" and P.mycpu().exits[c.pid] == "exit"
    assert c.pgdir is not None and K.kfreecount() < frames   # memory kept until the parent waits
    pid = c.pid
    assert h.call(p, "wait") == pid
    assert c.state is P.UNUSED and c.pid == 0 and c.parent is None
    assert K.kfreecount() == frames                          # every frame back


def test_wait_without_children_is_minus_one(h):
    p = h.spawn()
    assert h.call(p, "wait") == -1
    other = h.spawn()
    c = h.fork(other)
    h.call(c, "exit")
    assert h.call(p, "wait") == -1                           # another's zombie is not p's child
    assert c.state is P.ZOMBIE


def test_wait_sleeps_until_a_child_exits(h):
    p = h.spawn()
    c = h.fork(p)
    assert h.call(p, "wait") is None
    assert p.state is P.SLEEPING and p.chan is p             # xv6 sleeps on curproc
    pid = c.pid
    h.call(c, "exit")
    assert p.state is P.RUNNABLE
    assert finish(h, p) == pid
    assert c.state is P.UNUSED
    assert p.chan is None


def test_exit_gives_children_to_init(h):
    a = h.spawn()
    init = P.ptable.initproc
    b = h.fork(a)
    apid = a.pid
    h.call(a, "exit")
    assert b.parent is init
    assert h.call(init, "wait") == apid                     # a was init's own child
    assert h.call(init, "wait") is None                     # b is init's now, and alive
    pid = b.pid
    h.call(b, "exit")
    assert init.state is P.RUNNABLE
    assert finish(h, init) == pid
    assert h.call(init, "wait") == -1


def test_exit_with_a_zombie_child_wakes_init(h):
    """c is a zombie when its parent b exits: init, asleep in wait() on its own
    live child a, must be woken to reap c (b's exit wakes only a otherwise)."""
    a = h.spawn()
    init = P.ptable.initproc
    b = h.fork(a)
    c = h.fork(b)
    pid = c.pid
    h.call(c, "exit")
    assert h.call(init, "wait") is None and init.state is P.SLEEPING
    h.call(b, "exit")
    assert c.parent is init
    assert init.state is P.RUNNABLE
    assert finish(h, init) == pid


def test_exit_closes_every_file(h):
    p = h.spawn()
    for _ in range(3):
        h.call(p, "open", "/hello", 0)
    files = [f for f in p.ofile if f is not None]
    c = h.fork(p)
    h.call(c, "exit")
    assert c.ofile == [None] * NOFILE
    assert [f.ref for f in files] == [1, 1, 1]
    h.call(p, "exit")
    assert p.ofile == [None] * NOFILE
    assert all(f.ref == 0 and f.type == F.FD_NONE for f in files)


# ---- kill -----------------------------------------------------------------------------------

def test_kill_only_sets_the_flag(h):
    p, victim = h.spawn(), h.spawn()
    assert h.call(p, "kill", victim.pid) == 0
    assert victim.killed and victim.state is P.RUNNABLE     # exits only on its way back to user
    assert h.call(victim, "getpid") is None
    assert victim.state is P.ZOMBIE and victim.status == "killed"


def test_kill_of_an_unknown_or_reaped_pid_is_minus_one(h):
    p = h.spawn()
    c = h.fork(p)
    pid = c.pid
    h.call(c, "exit")
    h.call(p, "wait")
    assert h.call(p, "kill", pid) == -1                     # its slot is free
    assert h.call(p, "kill", P.ptable.nextpid) == -1        # never given out
    assert h.call(p, "kill", 12345) == -1
    assert not any(q.killed for q in P.ptable.proc)


def test_kill_wakes_a_sleeper_which_then_exits(h):
    p = h.spawn()
    c = h.fork(p)
    killer = h.spawn()
    assert h.call(p, "wait") is None                        # asleep: c is alive
    assert h.call(killer, "kill", p.pid) == 0
    assert p.state is P.RUNNABLE and p.killed
    assert finish(h, p) is None                             # wait() gives up, p exits
    assert p.state is P.ZOMBIE and p.status == "killed"
    assert c.parent is P.ptable.initproc and c.state is P.RUNNABLE


def test_kill_wakes_a_process_sleeping_on_the_clock(h):
    p, killer = h.spawn(), h.spawn()
    assert h.call(p, "sleep", 1000) is None
    assert p.state is P.SLEEPING and p.chan is TICKS
    h.call(killer, "kill", p.pid)
    assert p.state is P.RUNNABLE
    assert finish(h, p) is None and p.status == "killed"


# ---- sleep and wakeup -----------------------------------------------------------------------

def test_sleep_releases_the_lock_and_wakeup_wakes_that_channel_only(h):
    a, b = h.spawn(), h.spawn()
    lk = Spinlock("test")
    sleeps = {}
    for p, chan in ((a, ("chan", 1)), (b, ("chan", 2))):
        with running(h, p):
            acquire(lk)
            sleeps[p] = P.sleep(chan, lk)
            next(sleeps[p])
            assert p.state is P.SLEEPING and p.chan == chan
            assert not holding(lk)                          # released while asleep
    P.wakeup(("chan", 3))
    assert a.state is P.SLEEPING and b.state is P.SLEEPING
    P.wakeup(("chan", 1))                                   # an equal channel, not the same object
    assert a.state is P.RUNNABLE and b.state is P.SLEEPING
    with pytest.raises(StopIteration):
        next(sleeps[a])                                     # the scheduler resumes a
    assert holding(lk) and a.chan is None                   # the lock is taken back
    P.wakeup(("chan", 2))
    assert b.state is P.RUNNABLE


def test_wakeup_leaves_processes_that_do_not_sleep_alone(h):
    p = h.spawn()
    c = h.fork(p)
    h.call(c, "exit")
    P.wakeup(None)
    P.wakeup(p)
    assert p.state is P.RUNNABLE and c.state is P.ZOMBIE


def test_sleep_without_a_process_or_a_lock_panics(h):
    with pytest.raises(KernelPanic, match="^sleep$"):
        next(P.sleep("chan", Spinlock("x")))                # no process is running
    p = h.spawn()
    with running(h, p), pytest.raises(KernelPanic, match="sleep without lk"):
        next(P.sleep("chan", None))


def test_yield_makes_the_running_process_runnable_and_sched_refuses_a_running_one(h):
    p = h.spawn()
    with running(h, p):
        assert p.state is P.RUNNING
        with pytest.raises(KernelPanic, match="sched running"):
            P.sched()
        P.yield_()
        assert p.state is P.RUNNABLE and not holding(P.ptable.lock)


# ---- growproc -------------------------------------------------------------------------------

def test_growproc_grows_with_zeroed_user_pages_and_shrinks_back(h):
    p = h.spawn()
    sz, frames = p.sz, K.kfreecount()
    n = 2 * PGSIZE + 1                                      # three pages, the last one in part
    with running(h, p):
        assert P.growproc(n) == 0
    assert p.sz == sz + n
    assert K.kfreecount() == frames - 3
    for va in range(sz, sz + 3 * PGSIZE, PGSIZE):
        assert pte(p, va) & (PTE_P | PTE_W | PTE_U) == PTE_P | PTE_W | PTE_U
    assert h.peek(p, sz, 3 * PGSIZE) == bytes(3 * PGSIZE)
    with running(h, p):
        assert P.growproc(-n) == 0
    assert p.sz == sz and K.kfreecount() == frames
    assert [pte(p, va) for va in range(sz, sz + 3 * PGSIZE, PGSIZE)] == [0, 0, 0]


def test_growproc_reloads_cr3_after_shrinking(h):
    p = h.spawn()
    heap(h, p)
    loads = []
    real = V.x86.lcr3
    V.x86.lcr3 = lambda pa: (loads.append(pa), real(pa))[1]
    try:
        with running(h, p):
            loads.clear()
            assert P.growproc(-PGSIZE) == 0
            assert loads == [p.pgdir]      # the TLB may still hold the page just freed
    finally:
        V.x86.lcr3 = real


def test_growproc_refusals_change_nothing(h):
    """Reaching KERNBASE, a size below zero, or growing into an attached segment
    (here one that starts right at the break): -1, and nothing moves."""
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    assert h.call(p, "shm_attach", seg, p.sz) == 0

    def state():
        return (p.sz, K.kfreecount(), [pte(p, va) for va in range(0, p.sz + PGSIZE, PGSIZE)])

    before = state()
    with running(h, p):
        for n in (KERNBASE - p.sz, KERNBASE, 1, PGSIZE, -(p.sz + 1), -0x80000000):
            assert P.growproc(n) == -1, n
            assert state() == before, n
        assert P.growproc(0) == 0
    assert state() == before


# ---- procdump and reap ----------------------------------------------------------------------

def test_procdump_lists_each_process_by_state(h):
    a = h.spawn()
    init = P.ptable.initproc
    b, c, d = h.fork(a), h.fork(a), h.fork(a)
    h.call(b, "exit")
    h.call(c, "sleep", 5)
    h.call(init, "wait")
    with running(h, d):
        d.tf.eip = 0x1A2B
        assert P.procdump() == [
            "1 sleep initcode on wait(1)",
            "2 runble hello eip 0x0",
            "3 zombie hello",
            "4 sleep hello on &ticks",
            "5 run hello eip 0x1a2b",
        ]
    h.call(a, "exit")
    assert P.procdump()[1] == "2 zombie hello"


def test_procdump_is_the_same_on_two_machines():
    lines = []
    for _ in range(2):
        m = Machine()
        m.activate()
        h = Syscaller(m)
        p = h.spawn()
        buf = heap(h, p)
        assert h.call(p, "pipe", buf) == 0
        rfd = struct.unpack("<i", h.peek(p, buf, 4))[0]
        assert h.call(p, "read", rfd, buf + 8, 1) is None  # asleep on the empty pipe
        assert p.state is P.SLEEPING
        lines.append(P.procdump())
    assert lines[0] == lines[1]
    assert lines[0][1].startswith("2 sleep hello on ")


def test_reap_tears_a_process_down(h):
    """A process asleep in a read, with files and a segment attached: reap closes
    the files, detaches the segment, drops the blocked call and frees its memory."""
    keeper = h.spawn()
    seg = h.call(keeper, "shm_create", PGSIZE)
    frames = K.kfreecount()
    p = h.spawn()
    buf = heap(h, p)
    assert h.call(p, "pipe", buf) == 0
    assert h.call(p, "shm_attach", seg, 0x10000000) == 0
    rf, wf = p.ofile[0], p.ofile[1]
    assert h.call(p, "read", 0, buf + 8, 1) is None and p.context is not None
    P.reap(p)
    assert p.state is P.UNUSED and p.pgdir is None and p.context is None and p.shm == []
    assert p.ofile == [None] * NOFILE and rf.ref == 0 and wf.ref == 0
    assert h.m.shm_segments()[0]["refcount"] == 0
    assert K.kfreecount() == frames
    assert h.call(keeper, "shm_destroy", seg) == 0


def test_reap_of_the_loaded_process_unloads_it(h):
    p = h.spawn()
    with running(h, p):
        assert V.x86.loaded is p.tf
        P.reap(p)
        assert V.x86.loaded is None
    assert p.state is P.UNUSED
