"""Buffer cache (xv6's bio.c).

The buffer cache is a linked list of Buf structures holding cached copies of
disk block contents. Caching disk blocks in memory reduces the number of disk
reads and also provides a synchronization point for disk blocks used by
multiple processes.

Interface:
* To get a buffer for a particular disk block, call bread.
* After changing buffer data, call bwrite to write it to disk.
* When done with the buffer, call brelse.
* Do not use the buffer after calling brelse.
* Only one process at a time can use a buffer, so do not keep them longer
  than necessary.

bget, bread and bwrite may sleep -- for the buffer's sleep-lock, or for the
disk -- so they are generators: `b = yield from bread(dev, blockno)`.
"""

from ..dev.ide import iderw
from ..panic import panic
from ..param import NBUF
from ..sleeplock import acquiresleep, holdingsleep, releasesleep
from ..spinlock import Spinlock, acquire, release
from .buf import B_DIRTY, B_VALID, Buf

__all__ = ["Bcache", "binit", "bget", "bread", "bwrite", "brelse"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("bcache",)
bcache: "Bcache" = None


class Bcache:
    """NBUF buffers on a list ordered by use: head.next is most recent, head.prev least."""

    __slots__ = ("lock", "buf", "head")

    def __init__(self):
        self.lock = Spinlock("bcache")
        self.buf = [Buf() for _ in range(NBUF)]
        # Linked list of all buffers, through prev/next. head.next is most
        # recently used.
        self.head = Buf()
        for b in self.buf:
            b.next = self.head.next
            b.prev = self.head
            self.head.next.prev = b
            self.head.next = b


def binit() -> None:
    global bcache
    bcache = Bcache()


def bget(dev: int, blockno: int):
    """Look through buffer cache for block on device dev. If not found, allocate
    a buffer. In either case, return the buffer, locked (a generator)."""
    acquire(bcache.lock)
    head = bcache.head
    # Is the block already cached?
    b = head.next
    while b is not head:
        if b.dev == dev and b.blockno == blockno:
            b.refcnt += 1
            release(bcache.lock)
            yield from acquiresleep(b.lock)
            return b
        b = b.next
    # Not cached; recycle an unused buffer.
    # Even if refcnt==0, B_DIRTY indicates a buffer is in use
    # because log.py has modified it but not yet committed it.
    b = head.prev
    while b is not head:
        if b.refcnt == 0 and (b.flags & B_DIRTY) == 0:
            b.dev = dev
            b.blockno = blockno
            b.flags = 0
            b.refcnt = 1
            release(bcache.lock)
            yield from acquiresleep(b.lock)
            return b
        b = b.prev
    panic("bget: no buffers")


def bread(dev: int, blockno: int):
    """Return a locked buf with the contents of the indicated block (a generator)."""
    b = yield from bget(dev, blockno)
    if (b.flags & B_VALID) == 0:
        yield from iderw(b)
    return b


def bwrite(b):
    """Write b's contents to disk. Must be locked. A generator."""
    if not holdingsleep(b.lock):
        panic("bwrite")
    b.flags |= B_DIRTY
    yield from iderw(b)


def brelse(b) -> None:
    """Release a locked buffer. Move to the head of the MRU list."""
    if not holdingsleep(b.lock):
        panic("brelse")
    releasesleep(b.lock)
    acquire(bcache.lock)
    b.refcnt -= 1
    if b.refcnt == 0:
        # no one is waiting for it.
        b.next.prev = b.prev
        b.prev.next = b.next
        b.next = bcache.head.next
        b.prev = bcache.head
        bcache.head.next.prev = b
        bcache.head.next = b
    release(bcache.lock)
