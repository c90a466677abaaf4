"""A block of the disk in memory (xv6's buf.h): what the buffer cache (bio.py)
hands out and the disk driver (dev/ide.py) reads and writes."""

from ..sleeplock import Sleeplock
from .ondisk import BSIZE

__all__ = ["Buf", "B_VALID", "B_DIRTY"]

B_VALID = 0x2   # buffer has been read from disk
B_DIRTY = 0x4   # buffer needs to be written to disk


class Buf:
    """xv6's struct buf. The cache keeps its buffers on a doubly-linked list,
    most recently used first (prev/next); the driver keeps its own queue."""

    __slots__ = ("flags", "dev", "blockno", "lock", "refcnt", "prev", "next", "data")

    def __init__(self):
        self.flags = 0
        self.dev = 0
        self.blockno = 0
        self.lock = Sleeplock("buffer")
        self.refcnt = 0
        self.prev: Buf = self        # LRU cache list
        self.next: Buf = self
        self.data = bytearray(BSIZE)

    def __repr__(self) -> str:    # as a sleep channel: the disk request of a block
        return f"buf {self.blockno}"
