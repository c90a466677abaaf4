"""Shared memory: the lab's programs, every error case, and kernel state checked
directly (segment table, page tables, frame counts) through kcall.Syscaller."""

import re
import struct

import pytest

from xv6py.machine import Machine
from xv6py.memlayout import KERNBASE, KERNEND
from xv6py.mm import kalloc as K
from xv6py.mm import pgdir as V
from xv6py.mmu import PGSIZE, PTE_ADDR, PTE_P, PTE_U, PTE_W
from xv6py.param import SHM_MAX, SHM_N
from xv6py.testing.asserts import assert_frame_filled
from xv6py.testing.kcall import Syscaller

SHMTEST = """\
parent: created segment 0 of 8192 bytes
child: attached segment 0 at 0x20000000
child: storing 42 in the first int
parent: attached at 0x10000000, child stored 42; releasing it
child: parent released me with 1
child: detached, exiting
parent: child exited; detached and destroyed segment 0
"""
SHMCALL = "".join(f"shmcall: square({i}) = {i * i}\n" for i in range(1, 21)) + \
    "shmcall: all answers correct\nshmcall: server answered 20 calls\n"
SHMGLOBAL = """\
child: storing 1 in the global flag at 0x{addr}
child: my flag is now 1; telling the parent through the segment
parent: timed out: the child stored to its global, my flag at 0x{addr} is still 0
parent: after fork each process has its own copy of every page; only the segment is shared
"""


def shmglobal_expected(output: str) -> str:
    addr = output.split("flag at 0x", 1)[1][:8]
    return SHMGLOBAL.format(addr=addr)


def clean(r):
    assert r.status == "exit", r.reason
    assert r.free_frames_after == r.free_frames_before


# ---- the lab's programs ----------------------------------------------------------------------

def test_shmtest(machine):
    r = machine.run("shmtest")
    assert r.output == SHMTEST
    clean(r)
    assert machine.shm_segments() == []


def test_shmcall(machine):
    r = machine.run("shmcall")
    assert r.output == SHMCALL
    clean(r)


def test_shmglobal(machine):
    r = machine.run("shmglobal")
    assert r.output == shmglobal_expected(r.output)
    clean(r)


SCHEDULES = [(1, None)] + [(q, seed) for q in (7, 100, 10_000) for seed in range(20)]


@pytest.mark.parametrize("prog", ["shmtest", "shmcall", "shmglobal"])
def test_same_output_under_every_schedule(prog):
    """20 seeds for each quantum (with a one-instruction quantum the timer fires
    after every instruction and a seed cannot vary it)."""
    outputs = set()
    for quantum, seed in SCHEDULES:
        r = Machine(quantum=quantum, seed=seed).run(prog)
        clean(r)
        outputs.add(r.output)
    assert len(outputs) == 1
    out = outputs.pop()
    assert out == {"shmtest": SHMTEST, "shmcall": SHMCALL}.get(prog) or out == shmglobal_expected(out)


SHMERRORS = """\
shmerrors: create size 0 = -1
shmerrors: create size -4096 = -1
shmerrors: create size SHM_MAX pages + 1 = -1
shmerrors: create size SHM_MAX pages = ok
shmerrors: destroy it = ok
shmerrors: segments created before the table is full = 16
shmerrors: create a 17th segment = -1
shmerrors: create segment a, 2 pages = ok
shmerrors: create segment b, 1 page = ok
shmerrors: attach id -1 = -1
shmerrors: attach id 16 = -1
shmerrors: attach a free slot = -1
shmerrors: attach at an unaligned address = -1
shmerrors: attach at address 0 = -1
shmerrors: attach over the program text = -1
shmerrors: attach over the guard page = -1
shmerrors: attach over the stack = -1
shmerrors: attach over the heap = -1
shmerrors: attach reaching KERNBASE = -1
shmerrors: attach at KERNBASE = -1
shmerrors: attach ending exactly at KERNBASE = ok
shmerrors: detach it = ok
shmerrors: attach a at 0x10000000 = ok
shmerrors: attach a again elsewhere = -1
shmerrors: attach b over a's second page = -1
shmerrors: detach b (not attached) = -1
shmerrors: detach id -1 = -1
shmerrors: detach id 16 = -1
shmerrors: destroy a while attached = -1
shmerrors: detach a = ok
shmerrors: detach a again = -1
shmerrors: destroy a = ok
shmerrors: destroy a again = -1
shmerrors: destroy id -1 = -1
shmerrors: destroy id 16 = -1
shmerrors: destroy b = ok
shmerrors: attach a segment just above the heap = ok
shmerrors: sbrk into the segment = -1
shmerrors: break unchanged = 1
shmerrors: sbrk up to the segment = ok
shmerrors: detach = ok
shmerrors: sbrk over where it was = ok
shmerrors: destroy = ok
shmerrors: non-zero words in a new segment on reused frames = 0
shmerrors: child wrote 7 through the segment, detaches, reads again:
pid 3 shmerrors: trap 14 err 4 on cpu 0 eip 0x{eip} addr 0x10000000--kill proc
shmerrors: destroy after the killed child = 0
shmerrors: all cases as expected
"""


def test_shmerrors_every_case(machine):
    """One line per case; the child reading after detach is killed by a page fault
    on the address that was mapped (not present: err 4)."""
    r = machine.run("shmerrors")
    clean(r)
    assert re.fullmatch(re.escape(SHMERRORS).replace(re.escape("0x{eip}"), "0x[0-9a-f]+"), r.output)


# ---- kernel state, through direct system calls ----------------------------------------------

@pytest.fixture
def h():
    return Syscaller(Machine())


def pte(p, va):
    e = V.walkpgdir(p.pgdir, va, False)
    return V.x86.read32(e) if e is not None else 0


def test_create_allocates_zeroed_frames_and_records_them(h):
    p = h.spawn()
    n = K.kfreecount()
    seg = h.call(p, "shm_create", 3 * PGSIZE - 100)          # rounded up to 3 pages
    assert seg == 0 and K.kfreecount() == n - 3
    (entry,) = h.m.shm_segments()
    assert entry["pages"] == 3 and entry["refcount"] == 0 and entry["attached"] == []
    for pa in entry["frames"]:
        assert_frame_filled(h.m, pa, 0)


def test_attach_maps_the_frames_user_writable(h):
    p = h.spawn()
    seg = h.call(p, "shm_create", 2 * PGSIZE)
    assert h.call(p, "shm_attach", seg, 0x10000000) == 0
    frames = h.m.shm_segments()[0]["frames"]
    for i, pa in enumerate(frames):
        e = pte(p, 0x10000000 + i * PGSIZE)
        assert PTE_ADDR(e) == pa and e & (PTE_P | PTE_W | PTE_U) == PTE_P | PTE_W | PTE_U
    assert h.m.shm_segments()[0]["attached"] == [(p.pid, 0x10000000)]
    assert p.sz < 0x10000000                                  # the segment lies above sz


def test_write_in_one_process_is_read_in_another(h):
    a = h.spawn()
    seg = h.call(a, "shm_create", PGSIZE)
    b = h.spawn()
    h.call(a, "shm_attach", seg, 0x10000000)
    h.call(b, "shm_attach", seg, 0x20000000)
    assert h.poke(a, 0x10000010, b"through the segment")
    assert h.peek(b, 0x20000010, 19) == b"through the segment"


def test_fork_shares_frames_and_counts(h):
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    c = h.fork(p)
    assert PTE_ADDR(pte(c, 0x10000000)) == PTE_ADDR(pte(p, 0x10000000))
    assert h.m.shm_segments()[0]["refcount"] == 2
    assert sorted(h.m.shm_segments()[0]["attached"]) == [(p.pid, 0x10000000), (c.pid, 0x10000000)]
    h.call(c, "exit")
    assert h.m.shm_segments()[0]["refcount"] == 1
    assert h.call(p, "shm_destroy", seg) == -1                 # still attached by p


def test_exit_and_kill_detach(h):
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    victim = h.spawn()
    h.call(victim, "shm_attach", seg, 0x10000000)
    assert h.call(p, "kill", victim.pid) == 0
    assert h.m.shm_segments()[0]["refcount"] == 1              # killed, not yet exited
    assert h.call(victim, "getpid") is None                     # exits on its way back to user
    assert h.m.shm_segments()[0]["refcount"] == 0
    assert h.call(p, "shm_destroy", seg) == 0


def test_exec_detaches(h):
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    assert h.call(p, "exec", "/hello", ["hello"]) == 0
    assert h.m.shm_segments()[0]["refcount"] == 0 and p.shm == []
    assert pte(p, 0x10000000) == 0


def test_sbrk_never_grows_into_a_segment(h):
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    top = p.sz + 2 * PGSIZE
    assert h.call(p, "shm_attach", seg, top) == 0
    n, sz = K.kfreecount(), p.sz
    assert h.call(p, "sbrk", 3 * PGSIZE) == -1
    assert (K.kfreecount(), p.sz) == (n, sz)                    # nothing changed
    assert h.call(p, "sbrk", 2 * PGSIZE) == sz                  # right up to it is fine


def test_detach_flushes_the_tlb(h):
    """The CPU must not keep the old translation: shmerrors shows the fault from
    user code; here, the PTE is gone and CR3 was reloaded."""
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    reloads = []
    real = V.x86.lcr3
    V.x86.lcr3 = lambda pa: (reloads.append(pa), real(pa))[1]
    try:
        assert h.call(p, "shm_detach", seg) == 0
    finally:
        V.x86.lcr3 = real
    assert p.pgdir in reloads
    assert pte(p, 0x10000000) == 0


def test_destroy_frees_frames_and_a_new_segment_is_zero(h):
    p = h.spawn()
    n = K.kfreecount()
    seg = h.call(p, "shm_create", 2 * PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    h.poke(p, 0x10000000, b"\xff" * 2 * PGSIZE)
    frames = h.m.shm_segments()[0]["frames"]
    h.call(p, "shm_detach", seg)
    assert h.call(p, "shm_destroy", seg) == 0
    assert K.kfreecount() == n - 1      # the page table made for 0x10000000 stays until exit
    for pa in frames:
        assert_frame_filled(h.m, pa, 1)                         # kfree's junk
    seg = h.call(p, "shm_create", 2 * PGSIZE)
    again = h.m.shm_segments()[0]["frames"]
    assert set(again) == set(frames)                            # the same frames came back
    for pa in again:
        assert_frame_filled(h.m, pa, 0)


def test_out_of_frames_half_way_through_create_leaks_nothing():
    for spare in range(0, SHM_MAX + 2):
        m = Machine(phystop=KERNEND + 64 * PGSIZE, check=False)  # (frames held by the test)
        h = Syscaller(m)
        p = h.spawn()
        hold = [K.kalloc() for _ in range(K.kfreecount() - spare)]
        n = K.kfreecount()
        seg = h.call(p, "shm_create", SHM_MAX * PGSIZE)
        if spare < SHM_MAX:
            assert seg == -1 and K.kfreecount() == n and m.shm_segments() == []
        else:
            assert seg == 0 and K.kfreecount() == n - SHM_MAX
        for pa in hold:
            K.kfree(pa)


def test_out_of_frames_for_the_page_table_of_an_attach_changes_nothing():
    m = Machine(phystop=KERNEND + 64 * PGSIZE, check=False)  # (frames held by the test)
    h = Syscaller(m)
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    hold = [K.kalloc() for _ in range(K.kfreecount())]
    assert h.call(p, "shm_attach", seg, 0x10000000) == -1      # needs a page table: none left
    assert K.kfreecount() == 0 and m.shm_segments()[0]["refcount"] == 0 and p.shm == []
    assert V.x86.read32(p.pgdir + 4 * (0x10000000 >> 22)) == 0
    for pa in hold:
        K.kfree(pa)
    assert h.call(p, "shm_attach", seg, 0x10000000) == 0


def test_bad_arguments_change_nothing(h):
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    other = h.call(p, "shm_create", PGSIZE)
    h.call(p, "shm_attach", other, 0x20000000)

    def state():
        return (K.kfreecount(), str(h.m.shm_segments()), list(p.shm), p.sz,
                [pte(p, va) for va in (0x10000000, 0x20000000, KERNBASE - PGSIZE)])

    before = state()
    bad = [("shm_create", 0), ("shm_create", -1), ("shm_create", SHM_MAX * PGSIZE + 1),
           ("shm_attach", -1, 0x10000000), ("shm_attach", SHM_N, 0x10000000),
           ("shm_attach", 7, 0x10000000), ("shm_attach", seg, 0x10000004), ("shm_attach", seg, 0),
           ("shm_attach", seg, PGSIZE), ("shm_attach", seg, KERNBASE), ("shm_attach", seg, 0xFFFFF000),
           ("shm_attach", other, 0x30000000), ("shm_attach", seg, 0x20000000),
           ("shm_detach", seg), ("shm_detach", -1), ("shm_detach", SHM_N),
           ("shm_destroy", other), ("shm_destroy", 9), ("shm_destroy", -5)]
    for call in bad:
        assert h.call(p, *call) == -1, call
        assert state() == before, call


def test_pointers_into_a_segment_are_valid_syscall_arguments():
    """write() from a buffer that lies in an attached segment, above p->sz: xv6's
    size check would refuse it, the page-table check accepts it."""
    m = Machine()
    h = Syscaller(m)
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    h.poke(p, 0x10000000, b"from the segment\n")
    fds = p.sz - 64                                     # somewhere in p's own memory
    assert h.call(p, "pipe", fds) == 0
    rfd, wfd = struct.unpack("<ii", h.peek(p, fds, 8))
    assert h.call(p, "write", wfd, 0x10000000, 17) == 17
    assert h.call(p, "read", rfd, 0x10000100, 17) == 17      # and into it
    assert h.peek(p, 0x10000100, 17) == b"from the segment\n"
