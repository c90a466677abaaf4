"""The disk driver (xv6's ide.c): a queue of requests to a disk of 512-byte
sectors, one block = one sector.

The disk is the image a Machine boots with, held in memory (a bytearray): the
driver is the only code that reads or writes it, and the Machine copies it to
the host file only when asked to (`xv6py run --disk IMG`). No other host file
is ever touched by the file system.

As on xv6, a request takes time: iderw() queues a buffer and sleeps until the
disk has read or written it. The disk finishes the request at the head of the
queue DISK_LATENCY instructions of virtual time after starting it, and says so
with an interrupt: the scheduler calls ideintr() at that virtual time, as it
delivers the timer's interrupts (proc/scheduler.py). ideintr() moves the data,
wakes the sleeper and starts the next request. So runs that use the disk are as
deterministic as any other, and a machine stopped at instruction N has exactly
the writes finished before N on its disk -- what the crash tests rely on.

iderw() may sleep, so it is a generator: `yield from iderw(b)`.
"""

from ..fs.buf import B_DIRTY, B_VALID
from ..fs.ondisk import BSIZE
from ..panic import panic
from ..param import COST_BLOCK, DISK_LATENCY
from ..proc.proc import sleep, wakeup
from ..sleeplock import holdingsleep
from ..spinlock import Spinlock, acquire, release
from ..vtime import charge

__all__ = ["Disk", "ideinit", "iderw", "ideintr", "idedue"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("disk",)
disk: "Disk" = None


class Disk:
    """The disk and its driver's state (xv6's idelock and idequeue)."""

    __slots__ = ("image", "nsectors", "lock", "queue", "due", "nread", "nwrite")

    def __init__(self, image: bytearray):
        self.image = image                  # the disk's contents
        self.nsectors = len(image) // BSIZE
        self.lock = Spinlock("ide")         # idelock: guards the queue
        self.queue: list = []               # idequeue: buffers waiting, the first one started
        self.due: int | None = None         # virtual time the started request finishes at
        self.nread = 0                      # sectors read
        self.nwrite = 0                     # sectors written


def ideinit(image: bytearray) -> None:
    global disk
    disk = Disk(image)


def idestart(b) -> None:
    """Start the request for b. Its end is timed by idedue(), from the virtual time
    the scheduler next looks at: the time the slice that issued it ended (the
    process that issued it went to sleep at once), or now, from ideintr()."""
    if b.blockno >= disk.nsectors:
        panic("incorrect blockno")
    disk.due = None


def ideintr() -> None:
    """Interrupt handler: the request at the head of the queue is done."""
    acquire(disk.lock)
    if not disk.queue:
        release(disk.lock)
        return
    b = disk.queue.pop(0)
    off = b.blockno * BSIZE
    # Read data if needed; write it if dirty.
    if b.flags & B_DIRTY:
        disk.image[off:off + BSIZE] = b.data
        disk.nwrite += 1
    else:
        b.data[:] = disk.image[off:off + BSIZE]
        disk.nread += 1
    # Wake process waiting for this buf.
    b.flags |= B_VALID
    b.flags &= ~B_DIRTY
    wakeup(b)
    # Start disk on next buf in queue.
    if disk.queue:
        idestart(disk.queue[0])
    release(disk.lock)


def iderw(b):
    """Sync buf with disk: if B_DIRTY is set, write buf to disk and clear it; else
    if B_VALID is not set, read buf from disk and set it. A generator: it sleeps
    until the disk is done. The caller holds b's sleep-lock."""
    if not holdingsleep(b.lock):
        panic("iderw: buf not locked")
    if (b.flags & (B_VALID | B_DIRTY)) == B_VALID:
        panic("iderw: nothing to do")
    # Charged here, in the process that asks, not in ideintr(): the interrupt comes
    # between time slices, where a charge would fall on no one in particular.
    charge(COST_BLOCK)
    acquire(disk.lock)
    # Append b to idequeue; start disk if necessary.
    disk.queue.append(b)
    if disk.queue[0] is b:
        idestart(b)
    # Wait for request to finish.
    while (b.flags & (B_VALID | B_DIRTY)) != B_VALID:
        yield from sleep(b, disk.lock)
    release(disk.lock)


def idedue(now: int) -> int | None:
    """The virtual time of the disk's next interrupt, or None if it is idle."""
    if not disk.queue:
        return None
    if disk.due is None:
        disk.due = now + DISK_LATENCY
    return disk.due
