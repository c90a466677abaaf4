"""The log (xv6's log.c): simple logging that allows concurrent FS system calls.

A log transaction contains the updates of multiple FS system calls. The
logging system only commits when there are no FS system calls active. Thus
there is never any reasoning required about whether a commit might write an
uncommitted system call's updates to disk.

A system call should call begin_op()/end_op() to mark its start and end.
Usually begin_op() just increments the count of in-progress FS system calls
and returns. But if it thinks the log is close to running out, it sleeps until
the last outstanding end_op() commits.

The log is a physical re-do log containing disk blocks. The on-disk log
format:
  header block, containing block #s for block A, B, C, ...
  block A
  block B
  block C
  ...
Log appends are synchronous.

A machine stopped at any instruction leaves either no trace of a transaction
on disk, or a committed header (the commit point is write_head() in commit());
recover_from_log() at the next boot installs a committed one. So every system
call's changes reach the disk all together or not at all.

begin_op, end_op and everything that writes to the disk may sleep, so they are
generators (`yield from begin_op()`); log_write() only records a block.
"""

from ..panic import panic
from ..param import LOGSIZE, MAXOPBLOCKS
from ..proc.proc import sleep, wakeup
from ..spinlock import Spinlock, acquire, release
from .bio import bread, brelse, bwrite
from .buf import B_DIRTY
from .ondisk import LOGHEADER

__all__ = ["Log", "initlog", "begin_op", "end_op", "log_write"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("log",)
log: "Log" = None


class Logheader:
    """Contents of the header block, used for both the on-disk header block and to
    keep track in memory of logged block# before commit."""

    __slots__ = ("n", "block")

    def __init__(self):
        self.n = 0
        self.block = [0] * LOGSIZE


class Log:
    __slots__ = ("lock", "start", "size", "outstanding", "committing", "dev", "lh")

    def __init__(self, dev: int, start: int, size: int):
        self.lock = Spinlock("log")
        self.start = start
        self.size = size
        self.outstanding = 0    # how many FS sys calls are executing.
        self.committing = False  # in commit(), please wait.
        self.dev = dev
        self.lh = Logheader()

    def __repr__(self) -> str:   # as a sleep channel
        return "log"


def initlog(dev: int, sb):
    """Set up the log described by the super block, and recover a committed
    transaction left by a machine that stopped (a generator)."""
    global log
    log = Log(dev, sb.logstart, sb.nlog)
    yield from recover_from_log()


def install_trans():
    """Copy committed blocks from log to their home location."""
    for tail in range(log.lh.n):
        lbuf = yield from bread(log.dev, log.start + tail + 1)   # read log block
        dbuf = yield from bread(log.dev, log.lh.block[tail])     # read dst
        dbuf.data[:] = lbuf.data                                 # copy block to dst
        yield from bwrite(dbuf)                                  # write dst to disk
        brelse(lbuf)
        brelse(dbuf)


def read_head():
    """Read the log header from disk into the in-memory log header."""
    buf = yield from bread(log.dev, log.start)
    n, *blocks = LOGHEADER.unpack_from(buf.data)
    brelse(buf)
    if not 0 <= n <= min(LOGSIZE, log.size - 1):
        panic("read_head: bad log header")   # (the Machine checks the image before boot)
    log.lh.n = n
    log.lh.block[:] = blocks


def write_head():
    """Write in-memory log header to disk. This is the true point at which the
    current transaction commits."""
    buf = yield from bread(log.dev, log.start)
    LOGHEADER.pack_into(buf.data, 0, log.lh.n, *log.lh.block)
    yield from bwrite(buf)
    brelse(buf)


def recover_from_log():
    yield from read_head()
    yield from install_trans()   # if committed, copy from log to disk
    log.lh.n = 0
    yield from write_head()      # clear the log


def begin_op():
    """Called at the start of each FS system call (a generator: it may wait for
    a commit, or for room in the log)."""
    acquire(log.lock)
    while True:
        if log.committing:
            yield from sleep(log, log.lock)
        elif log.lh.n + (log.outstanding + 1) * MAXOPBLOCKS > LOGSIZE:
            # this op might exhaust log space; wait for commit.
            yield from sleep(log, log.lock)
        else:
            log.outstanding += 1
            release(log.lock)
            break


def end_op():
    """Called at the end of each FS system call. Commits if this was the last
    outstanding operation (a generator: committing writes to the disk)."""
    do_commit = False
    acquire(log.lock)
    log.outstanding -= 1
    if log.committing:
        panic("log.committing")
    if log.outstanding == 0:
        do_commit = True
        log.committing = True
    else:
        # begin_op() may be waiting for log space, and decrementing
        # log.outstanding has decreased the amount of reserved space.
        wakeup(log)
    release(log.lock)

    if do_commit:
        # call commit w/o holding locks, since not allowed to sleep with locks.
        yield from commit()
        acquire(log.lock)
        log.committing = False
        wakeup(log)
        release(log.lock)


def write_log():
    """Copy modified blocks from cache to log."""
    for tail in range(log.lh.n):
        to = yield from bread(log.dev, log.start + tail + 1)    # log block
        from_ = yield from bread(log.dev, log.lh.block[tail])   # cache block
        to.data[:] = from_.data
        yield from bwrite(to)                                   # write the log
        brelse(from_)
        brelse(to)


def commit():
    if log.lh.n > 0:
        yield from write_log()      # Write modified blocks from cache to log
        yield from write_head()     # Write header to disk -- the real commit
        yield from install_trans()  # Now install writes to home locations
        log.lh.n = 0
        yield from write_head()     # Erase the transaction from the log


def log_write(b) -> None:
    """Caller has modified b.data and is done with the buffer. Record the block
    number and pin in the cache with B_DIRTY. commit()/write_log() will do the
    disk write.

    log_write() replaces bwrite(); a typical use is:
      bp = yield from bread(...)
      modify bp.data[]
      log_write(bp)
      brelse(bp)
    """
    if log.lh.n >= LOGSIZE or log.lh.n >= log.size - 1:
        panic("too big a transaction")
    if log.outstanding < 1:
        panic("log_write outside of trans")
    acquire(log.lock)
    i = 0
    while i < log.lh.n:
        if log.lh.block[i] == b.blockno:   # log absorbtion
            break
        i += 1
    log.lh.block[i] = b.blockno
    if i == log.lh.n:
        log.lh.n += 1
    b.flags |= B_DIRTY   # prevent eviction
    release(log.lock)
