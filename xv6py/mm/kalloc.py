"""Physical memory allocator, for user processes, page tables and page
directories (xv6's kalloc.c). Allocates whole 4096-byte frames.

xv6 threads its free list through the free frames themselves (`struct run`).
Here the free list is a Python list used as a stack, so that the same order
results: kfree pushes, kalloc pops the most recently freed frame. A frame is
named by its physical address (xv6 uses kernel virtual addresses; in a Python
kernel there are none, so xv6's V2P(kalloc()) is simply kalloc()).
"""

from .. import fail
from ..memlayout import PhysAddr
from ..mmu import PGSIZE
from ..panic import panic
from ..spinlock import Spinlock, acquire, release

__all__ = ["Kmem", "kinit", "freerange", "kfree", "kalloc", "kfreecount", "isfree"]

JUNK = b"\x01" * PGSIZE   # fill for freed frames, to catch dangling references

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86", "kmem")
x86 = None                # the hardware
kmem: "Kmem" = None       # the allocator's state


class Kmem:
    """The allocator's state (xv6's `kmem`)."""

    __slots__ = ("lock", "freelist", "free", "start", "end")

    def __init__(self, start: PhysAddr, end: PhysAddr):
        self.lock = Spinlock("kmem")
        self.freelist: list[PhysAddr] = []   # free frames; the last one is handed out next
        self.start = start                   # first frame kalloc manages
        self.end = end                       # end of the managed range (PHYSTOP)
        # free[i] is 1 when frame start + i*PGSIZE is on the free list: catches double frees
        self.free = bytearray((end - start) // PGSIZE)


def kinit(start: PhysAddr, end: PhysAddr) -> None:
    """Create the allocator and give it every frame in [start, end)."""
    global kmem
    kmem = Kmem(start, end)
    freerange(start, end)


def freerange(start: PhysAddr, end: PhysAddr) -> None:
    """Put the frames of [start, end) on the free list, lowest first, so that the
    highest frame is handed out first, as in xv6.

    Unlike kfree this does not junk-fill: these frames have never been used, the
    host hands them over zero-filled, and touching all 224 MiB would cost tens of
    milliseconds at every boot.
    """
    first, last = (start - kmem.start) // PGSIZE, (end - kmem.start) // PGSIZE
    kmem.free[first:last] = b"\x01" * (last - first)
    kmem.freelist.extend(range(start, end, PGSIZE))


def kfree(pa: PhysAddr) -> None:
    """Free the frame at pa, which kalloc() returned. Panics on a misaligned address,
    one outside the managed range, or a frame that is already free."""
    if pa % PGSIZE or not kmem.start <= pa < kmem.end:
        panic(f"kfree {pa:#x}")
    i = (pa - kmem.start) // PGSIZE
    if kmem.free[i]:
        panic(f"kfree {pa:#x}: already free")
    # Fill with junk to catch dangling refs.
    x86.ram[pa:pa + PGSIZE] = JUNK
    x86.forget_code(pa)      # the CPU must not reuse code it translated from this frame
    acquire(kmem.lock)
    kmem.free[i] = 1
    kmem.freelist.append(pa)
    release(kmem.lock)


def kalloc() -> PhysAddr | None:
    """Allocate one 4096-byte frame. Returns its physical address, or None if
    memory is exhausted. The contents are whatever the last user left (junk)."""
    if fail.failing is not None and fail.fails("kalloc"):
        return None             # fault injection (fail.py): as if memory had run out
    acquire(kmem.lock)
    pa = kmem.freelist.pop() if kmem.freelist else None
    if pa is not None:
        kmem.free[(pa - kmem.start) // PGSIZE] = 0
    release(kmem.lock)
    return pa


def kfreecount() -> int:
    """Number of free frames."""
    return len(kmem.freelist)


def isfree(pa: PhysAddr) -> bool:
    """Is the frame at pa on the free list? (for tests and the debugger)"""
    return bool(kmem.start <= pa < kmem.end and kmem.free[(pa - kmem.start) // PGSIZE])
