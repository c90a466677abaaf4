"""Shared memory: segments of physical frames that several processes map (the
kernel half; the system calls in syscalls/sysshm.py fetch the arguments).

    id = shm_create(size)       allocate and zero a segment of size bytes (rounded up
                                to pages, at most SHM_MAX pages); returns its id
    shm_attach(p, id, addr)     map the segment's frames, user-writable, at addr in p
    shm_detach(p, id)           unmap it from p
    shm_destroy(id)             free the frames; refused while any process has it attached

The kernel keeps a fixed table of SHM_N segments, guarded by one lock; a slot is
free when its page count is 0. Each process lists the segments it has attached
as (id, addr) pairs in p.shm. exit and exec detach everything; fork gives the
child the same attachments, on the same frames; sbrk never grows into one.
Every bad argument makes a call return -1 and change nothing.

This file is the reference of the shared-memory lab (labs/shm/). The code
between `# [lab shm] begin` and `# [lab shm] end` is what students write: in
the file `xv6py lab init shm DIR` hands them, each such region is replaced by
its stub (the commented lines after `# [lab shm] stub:`), which imports and
fails politely. The markers are comments; they change nothing here.
"""

from ..memlayout import KERNBASE, PhysAddr
from ..mmu import PGROUNDUP, PGSIZE, PTE_P, PTE_U, PTE_W
from ..panic import panic
from ..param import SHM_MAX, SHM_N
from ..spinlock import Spinlock, acquire, release
from .kalloc import kalloc, kfree
from .pgdir import free_tables, mappages, missing_tables, switchuvm, uvmwalk, walkpgdir

__all__ = ["Segment", "ShmTable", "shminit", "shm_create", "shm_attach", "shm_detach",
           "shm_destroy", "shm_fork", "shm_detach_all", "shm_exit", "shm_overlaps", "shm_segments"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86", "shmtable")
x86 = None                      # the hardware
shmtable: "ShmTable" = None     # the segment table

ZERO_PAGE = bytes(PGSIZE)


class Segment:
    """One shared-memory segment."""

    __slots__ = ("npages", "frames", "refcount")

    def __init__(self):
        self.npages = 0                       # pages in the segment; 0: the slot is free
        self.frames: list[PhysAddr] = []      # its physical frames
        self.refcount = 0                     # attachments, in all processes


class ShmTable:
    __slots__ = ("lock", "seg")

    def __init__(self):
        self.lock = Spinlock("shm")
        self.seg = [Segment() for _ in range(SHM_N)]


def shminit() -> None:
    global shmtable
    shmtable = ShmTable()


def _segment(id: int) -> Segment | None:
    """The segment with this id, if the id is in range and the slot in use."""
    if not 0 <= id < SHM_N:
        return None
    seg = shmtable.seg[id]
    return seg if seg.npages > 0 else None


def shm_create(size: int) -> int:
    """A new zero-filled segment of size bytes; its id, or -1 (bad size, table
    full, or out of memory: then nothing stays allocated)."""
    # [lab shm] begin: check the size, take a free slot, allocate and zero its frames
    if size <= 0 or size > SHM_MAX * PGSIZE:
        return -1
    npages = PGROUNDUP(size) // PGSIZE
    acquire(shmtable.lock)
    id = next((i for i, seg in enumerate(shmtable.seg) if seg.npages == 0), None)
    if id is None:
        release(shmtable.lock)
        return -1
    seg = shmtable.seg[id]
    frames = []
    for _ in range(npages):
        pa = kalloc()
        if pa is None:
            for f in frames:
                kfree(f)
            release(shmtable.lock)
            return -1
        x86.ram[pa:pa + PGSIZE] = ZERO_PAGE
        frames.append(pa)
    seg.npages, seg.frames, seg.refcount = npages, frames, 0
    release(shmtable.lock)
    return id
    # [lab shm] stub:
    # return -1
    # [lab shm] end


def shm_attach(p, id: int, addr: int) -> int:
    """Map segment id at addr in process p. addr must be page aligned, the whole
    segment below KERNBASE, every page of the range unmapped, and the segment not
    already attached by p. 0, or -1."""
    # [lab shm] begin: check every argument, map the frames, record the attachment
    acquire(shmtable.lock)
    seg = _segment(id)
    ok = (seg is not None and addr % PGSIZE == 0
          and 0 < addr and addr + seg.npages * PGSIZE <= KERNBASE
          and all(a != id for a, _ in p.shm)
          and _unmapped(p.pgdir, addr, seg.npages)
          and _map(p.pgdir, addr, seg) == 0)
    if ok:
        p.shm.append((id, addr))
        seg.refcount += 1
    release(shmtable.lock)
    return 0 if ok else -1
    # [lab shm] stub:
    # return -1
    # [lab shm] end


def shm_detach(p, id: int) -> int:
    """Unmap segment id from process p, the running one. 0, or -1 if not attached."""
    # [lab shm] begin: unmap, flush the TLB, drop the reference
    acquire(shmtable.lock)
    for i, (a, addr) in enumerate(p.shm):
        if a == id:
            _detach(p.pgdir, addr, shmtable.seg[id])
            del p.shm[i]
            switchuvm(p)            # flush the TLB: the pages must fault from now on
            release(shmtable.lock)
            return 0
    release(shmtable.lock)
    return -1
    # [lab shm] stub:
    # return -1
    # [lab shm] end


def shm_destroy(id: int) -> int:
    """Free segment id. -1 if it is free or still attached."""
    # [lab shm] begin: refuse while attached, free the frames, free the slot
    acquire(shmtable.lock)
    seg = _segment(id)
    if seg is None or seg.refcount > 0:
        release(shmtable.lock)
        return -1
    for pa in seg.frames:
        kfree(pa)
    seg.npages, seg.frames = 0, []
    release(shmtable.lock)
    return 0
    # [lab shm] stub:
    # return -1
    # [lab shm] end


# [lab shm] begin: your own helpers, if you want some
def _unmapped(pgdir: PhysAddr, addr: int, npages: int) -> bool:
    """Is no page of [addr, addr + npages pages) mapped in pgdir?"""
    for _, _, _, pte in uvmwalk(pgdir, addr, npages * PGSIZE):
        if pte & PTE_P:
            return False
    return True


def _map(pgdir: PhysAddr, addr: int, seg: Segment) -> int:
    """Map the segment's frames at addr. Returns 0, or -1 if a page table could not
    be allocated; then the page tables this call added are freed again."""
    tables = missing_tables(pgdir, addr, addr + seg.npages * PGSIZE)
    for i, pa in enumerate(seg.frames):
        if mappages(pgdir, addr + i * PGSIZE, PGSIZE, pa, PTE_W | PTE_U) < 0:
            _unmap(pgdir, addr, i)
            free_tables(pgdir, tables)
            return -1
    return 0


def _unmap(pgdir: PhysAddr, addr: int, npages: int) -> None:
    """Clear the PTEs of npages pages at addr; the frames stay with the segment."""
    for va in range(addr, addr + npages * PGSIZE, PGSIZE):
        pte = walkpgdir(pgdir, va, False)
        if pte is None or not x86.read32(pte) & PTE_P:
            panic("shm: segment page not mapped")
        x86.write32(pte, 0)


def _detach(pgdir: PhysAddr, addr: int, seg: Segment) -> None:
    _unmap(pgdir, addr, seg.npages)
    seg.refcount -= 1
    if seg.refcount < 0:
        panic("shm: refcount")
# [lab shm] end


def shm_fork(parent, child) -> int:
    """Give child the parent's attachments, on the same frames. 0, or -1 if a page
    table could not be allocated (then the child has none of them)."""
    # [lab shm] begin: map the parent's segments in the child, take a reference for each
    acquire(shmtable.lock)
    for i, (id, addr) in enumerate(parent.shm):
        if _map(child.pgdir, addr, shmtable.seg[id]) < 0:
            for id2, addr2 in parent.shm[:i]:
                _unmap(child.pgdir, addr2, shmtable.seg[id2].npages)
            release(shmtable.lock)
            return -1
    for id, _ in parent.shm:
        shmtable.seg[id].refcount += 1
    child.shm = list(parent.shm)
    release(shmtable.lock)
    return 0
    # [lab shm] stub:
    # return 0
    # [lab shm] end


def shm_detach_all(p, pgdir: PhysAddr) -> None:
    """Detach every segment p has attached in pgdir (exit, exec)."""
    # [lab shm] begin: unmap each segment p has attached, drop its reference
    acquire(shmtable.lock)
    for id, addr in p.shm:
        _detach(pgdir, addr, shmtable.seg[id])
    p.shm = []
    release(shmtable.lock)
    # [lab shm] stub:
    # pass
    # [lab shm] end


def shm_exit(p) -> None:
    """exit: detach everything, so that freevm() later never frees a segment's frames."""
    # [lab shm] begin: detach everything, flush the TLB if p's page table is loaded
    if p.shm:
        shm_detach_all(p, p.pgdir)
        if x86.loaded is p.tf:      # p is running: flush the TLB
            switchuvm(p)
    # [lab shm] stub:
    # pass
    # [lab shm] end


def shm_overlaps(p, lo: int, hi: int) -> bool:
    """Does [lo, hi) meet a segment p has attached? (sbrk must not grow into one)"""
    # [lab shm] begin: compare [lo, hi) with each attachment
    return any(addr < hi and lo < addr + shmtable.seg[id].npages * PGSIZE for id, addr in p.shm)
    # [lab shm] stub:
    # return False
    # [lab shm] end


def shm_segments(procs) -> list[dict]:
    """The segment table, for tests and debuggers: one dict per used slot with its
    id, pages, frames, reference count, and the (pid, addr) of each attachment
    among the processes procs."""
    out = []
    for id, seg in enumerate(shmtable.seg):
        if seg.npages == 0:
            continue
        maps = [(p.pid, addr) for p in procs for a, addr in p.shm if a == id]
        out.append({"id": id, "pages": seg.npages, "frames": list(seg.frames),
                    "refcount": seg.refcount, "attached": maps})
    return out
