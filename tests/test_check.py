"""The kernel invariant checker (xv6py/check.py): each broken invariant is caught
at the next trap, and the panic names it and the frame or address."""

import pytest

from xv6py.check import FRAME_OWNERS
from xv6py.machine import Machine
from xv6py.memlayout import KERNBASE
from xv6py.mm import kalloc as K
from xv6py.mm import shm, vma
from xv6py.mmu import PDX, PTE_U
from xv6py.panic import KernelPanic
from xv6py.testing.kcall import Syscaller


@pytest.fixture
def proc():
    m = Machine(check=True)
    m.activate()
    h = Syscaller(m)
    p = h.spawn()
    assert h.call(p, "getpid") == p.pid         # a clean machine passes
    return m, h, p


def test_a_leaked_frame_is_named(proc):
    m, h, p = proc
    pa = K.kalloc()
    with pytest.raises(KernelPanic, match=f"frame {pa:#x} is neither free nor used by anyone"):
        h.call(p, "getpid")


def test_pte_u_on_a_kernel_mapping_is_named(proc):
    m, h, p = proc
    pde = p.pgdir + 4 * PDX(KERNBASE)
    m.x86.write32(pde, m.x86.read32(pde) | PTE_U)
    with pytest.raises(KernelPanic, match=f"kernel mapping at {KERNBASE:#x} has PTE_U"):
        h.call(p, "getpid")


def test_a_user_pte_at_a_free_frame_is_named(proc):
    m, h, p = proc
    assert h.call(p, "sbrk", 4096) >= 0
    pte = m.pte(p.pid, p.sz - 4096)
    frame = pte & ~0xFFF
    K.kfree(frame)                              # the process still maps it
    with pytest.raises(KernelPanic, match=f"a user page at {frame:#x} is a free frame"):
        h.call(p, "getpid")


def test_an_shm_refcount_that_is_not_the_attachments_is_named(proc):
    m, h, p = proc
    seg = h.call(p, "shm_create", 4096)
    assert h.call(p, "shm_attach", seg, 0x10000000) == 0
    shm.shmtable.seg[seg].refcount += 1
    with pytest.raises(KernelPanic, match=f"shm segment {seg} has refcount 2 but 1 attachments"):
        h.call(p, "getpid")


def test_a_lock_held_between_traps_is_named(proc):
    m, h, p = proc
    K.kmem.lock.locked = True
    with pytest.raises(KernelPanic, match="lock kmem held between traps"):
        h.call(p, "getpid")
    K.kmem.lock.locked = False


def test_every_program_passes_the_checker():
    m = Machine(check=True, max_instructions=50_000_000)
    for prog, args in [("forktree", ["3"]), ("shmtest", []), ("pipeloop", []), ("fstests", []),
                       ("exectest", []), ("uidtest", []), ("badargs", []), ("faults", [])]:
        r = m.run(prog, args)
        assert r.status != "panic", f"{prog}: {r.reason}"


def test_subsystems_name_what_they_own():
    assert len(FRAME_OWNERS) >= 3 and all(callable(f) for f in FRAME_OWNERS)


def _shared_page(m, h, p, prot=3):
    """A MAP_SHARED|MAP_ANONYMOUS page of p, faulted in: (its address, its frame)."""
    va = h.call(p, "mmap", 0, 4096, prot, 0x21, -1, 0)
    assert va > 0
    with m.entered():
        assert vma.vma_fault(p, va, 4)[0] == vma.FAULT_FILLED
    return va, m.pte(p.pid, va) & ~0xFFF


def test_mmap_frames_are_owned_by_their_object(proc):
    m, h, p = proc
    va, frame = _shared_page(m, h, p)
    child = h.fork(p)                           # the child maps the object's page again
    with m.entered():
        assert vma.vma_fault(child, va, 6)[0] == vma.FAULT_FILLED
    assert h.call(child, "getpid") == child.pid
    assert m.pte(child.pid, va) & ~0xFFF == frame


def test_an_extra_mapping_of_an_object_frame_is_named(proc):
    m, h, p = proc
    va, frame = _shared_page(m, h, p)
    assert h.call(p, "sbrk", 4096) >= 0
    pte = m.pte(p.pid, p.sz - 4096)
    K.kfree(pte & ~0xFFF)                       # the heap page now points at the object's frame
    with m.entered():
        from xv6py.mm.pgdir import walkpgdir
        m.x86.write32(walkpgdir(p.pgdir, p.sz - 4096, False), frame | (pte & 0xFFF))
    with pytest.raises(KernelPanic, match=f"frame {frame:#x} of page 0 of .* is mapped 2 times, not 1"):
        h.call(p, "getpid")


def test_an_object_refcount_that_is_not_its_holders_is_named(proc):
    m, h, p = proc
    _shared_page(m, h, p)
    p.vmas[0].obj.ref += 1
    with pytest.raises(KernelPanic, match="mmap object 'anonymous' has ref 2 but 1 holders"):
        h.call(p, "getpid")


def test_a_writable_pte_in_a_read_only_area_is_named(proc):
    m, h, p = proc
    va, frame = _shared_page(m, h, p, prot=1)
    with m.entered():
        from xv6py.mm.pgdir import walkpgdir
        pte = walkpgdir(p.pgdir, va, False)
        m.x86.write32(pte, m.x86.read32(pte) | 2)
    with pytest.raises(KernelPanic, match=f"page at {va:#x} is writable in an area mapped r--"):
        h.call(p, "getpid")


def test_overlapping_areas_are_named(proc):
    m, h, p = proc
    a = h.call(p, "mmap", 0, 8192, 3, 0x22, -1, 0)
    b = h.call(p, "mmap", 0, 8192, 3, 0x22, -1, 0)
    assert a > 0 and b > 0
    p.vmas[0].end += 4096 * 3                   # now over the next one
    with pytest.raises(KernelPanic, match="area .* is out of order"):
        h.call(p, "getpid")


def test_a_leak_is_named_while_another_process_sleeps_in_a_call(proc):
    m, h, p = proc
    child = h.fork(p)
    h.fork(child)                               # the child waits for it: asleep in wait()
    assert h.call(child, "wait") is None and child.context is not None
    pa = K.kalloc()
    with pytest.raises(KernelPanic, match=f"frame {pa:#x} is neither free nor used by anyone"):
        h.call(p, "getpid")


@pytest.mark.parametrize("prot", [0, 4])
def test_mprotect_to_none_or_exec_alone_passes_the_checker(proc, prot):
    """A resident page kept through mprotect: without PTE_U for PROT_NONE, a user
    page for PROT_EXEC alone (no NX bit: what runs can be read)."""
    m, h, p = proc
    va, _ = _shared_page(m, h, p)
    assert h.call(p, "mprotect", va, 4096, prot) == 0
    assert h.call(p, "getpid") == p.pid
