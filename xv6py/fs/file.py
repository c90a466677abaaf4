"""Open files: the system-wide file table and operations on open files (xv6's file.c).

Everything here that may touch the disk or wait on a pipe may sleep, so it is a
generator (see sleep() in proc/proc.py): `n = yield from fileread(f, n)`,
`yield from fileclose(f)`. filealloc and filedup never sleep.

proc.py reaches the file system only through this module (proc <-> file <->
pipe is the one import cycle the kernel allows; fs.py imports proc.py for
sleep and the current directory): fork, exit and the first process use the
functions at the end.
"""

from ..mm.vma import obj_put
from ..panic import panic
from ..param import MAXOPBLOCKS, NFILE, ROOTDEV
from ..spinlock import Spinlock, acquire, release
from .fs import T_DEV, T_FILE, fsinit, idrop, idup, iget, ilock, iput, iunlock, readi, stati, writei
from .log import begin_op, end_op
from .ondisk import BSIZE, ROOTINO, STAT
from .pipe import pipeclose, piperead, pipewrite

__all__ = ["FD_NONE", "FD_PIPE", "FD_INODE", "FD_SHM", "File", "fileinit", "filealloc", "filedup",
           "fileclose", "filedrop", "filestat", "fileread", "filewrite", "rootdir", "cwddup",
           "cwdput", "cwddrop", "fsinit", "MAXWRITE"]

FD_NONE, FD_PIPE, FD_INODE, FD_SHM = 0, 1, 2, 3    # FD_SHM: a POSIX shm object (shm_open)

# The most bytes of a file that filewrite() writes in one log transaction (see
# there); fs/fmap.py writes mapped pages back in pieces of the same size.
MAXWRITE = ((MAXOPBLOCKS - 1 - 1 - 2) // 2) * BSIZE

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("ftable",)
ftable: "Ftable" = None   # the open-file table


class File:
    """An open file (xv6's struct file)."""

    __slots__ = ("type", "ref", "readable", "writable", "pipe", "ip", "off", "obj", "append")

    def __init__(self):
        self.type = FD_NONE
        self.ref = 0            # reference count
        self.readable = False
        self.writable = False
        self.pipe = None        # the pipe, for FD_PIPE
        self.ip = None          # the inode, for FD_INODE
        self.off = 0            # read offset, for FD_INODE
        self.obj = None         # the shared-memory object (mm/vma.py), for FD_SHM
        self.append = False     # O_APPEND (POSIX open): every write goes at the end

    def __repr__(self) -> str:
        kind = {FD_NONE: "none", FD_PIPE: "pipe", FD_INODE: "inode", FD_SHM: "shm"}[self.type]
        return f"<File {kind} ref {self.ref}>"


class Ftable:
    __slots__ = ("lock", "file")

    def __init__(self):
        self.lock = Spinlock("ftable")
        self.file = [File() for _ in range(NFILE)]


def fileinit() -> None:
    global ftable
    ftable = Ftable()


def filealloc() -> File | None:
    """Allocate a file structure, or None if all NFILE are open."""
    acquire(ftable.lock)
    for f in ftable.file:
        if f.ref == 0:
            f.ref = 1
            release(ftable.lock)
            return f
    release(ftable.lock)
    return None


def filedup(f: File) -> File:
    """Increment the reference count of f."""
    acquire(ftable.lock)
    if f.ref < 1:
        panic("filedup")
    f.ref += 1
    release(ftable.lock)
    return f


def _drop(f: File):
    """Drop a reference to f (ftable.lock held). Returns None if references remain,
    else what the last one held -- (type, pipe, writable, ip) -- with f now free."""
    if f.ref < 1:
        release(ftable.lock)
        panic("fileclose")
    f.ref -= 1
    if f.ref > 0:
        return None
    ff = (f.type, f.pipe, f.writable, f.obj if f.type == FD_SHM else f.ip)
    f.type, f.pipe, f.ip, f.off, f.obj, f.append = FD_NONE, None, None, 0, None, False
    return ff


def fileclose(f: File):
    """Close file f. (Decrement ref count, close when reaches 0.) A generator: the
    last close of a file whose inode has no links left frees it on the disk."""
    acquire(ftable.lock)
    ff = _drop(f)
    release(ftable.lock)
    if ff is None:
        return
    kind, pipe, writable, ip = ff
    if kind == FD_PIPE:
        pipeclose(pipe, writable)
    elif kind == FD_SHM:
        obj_put(ip)                     # (ip is the object: see _drop)
    elif kind == FD_INODE:
        yield from begin_op()
        yield from iput(ip)
        yield from end_op()


def filedrop(f: File) -> None:
    """Drop a reference to f with no disk I/O: for a machine torn down in the
    middle of a run (see idrop in fs.py). Pipes are closed as by fileclose."""
    acquire(ftable.lock)
    ff = _drop(f)
    release(ftable.lock)
    if ff is None:
        return
    kind, pipe, writable, ip = ff
    if kind == FD_PIPE:
        pipeclose(pipe, writable)
    elif kind == FD_SHM:
        obj_put(ip)
    elif kind == FD_INODE:
        idrop(ip)


def filestat(f: File):
    """The struct stat of an open inode (20 bytes), or None for a pipe. A generator."""
    if f.type == FD_INODE:
        yield from ilock(f.ip)
        st = stati(f.ip)
        iunlock(f.ip)
        return st
    if f.type == FD_SHM:
        # xv6's struct stat has no mode: a regular file of the object's size, ino 0
        return STAT.pack(T_FILE, 0, 0, 1, f.obj.size)
    return None


def fileread(f: File, n: int):
    """Read up to n bytes from f (a generator: it may sleep on a pipe or the disk).
    Returns the bytes, or None."""
    if not f.readable:
        return None
    if f.type == FD_PIPE:
        return (yield from piperead(f.pipe, n))
    if f.type == FD_INODE:
        if f.ip.type == T_DEV:
            # A device is read through devsw, with nothing of the inode to guard:
            # xv6 locks it only to read ip.major, which an open file keeps.
            data = yield from readi(f.ip, f.off, n)
            if data is not None:
                f.off += len(data)
            return data
        yield from ilock(f.ip)
        data = yield from readi(f.ip, f.off, n)
        if data is not None:
            f.off += len(data)
        iunlock(f.ip)
        return data
    if f.type == FD_SHM:
        return None             # an object is read through a mapping
    panic("fileread")


def filewrite(f: File, data: bytes):
    """Write data to f (a generator: it may sleep on a pipe or the disk). Returns
    len(data), or -1 if not all of it could be written (a full disk: what was
    written stays, and the offset moves past it, as in xv6-riscv)."""
    if not f.writable:
        return -1
    if f.type == FD_PIPE:
        return (yield from pipewrite(f.pipe, data))
    if f.type == FD_INODE:
        if f.ip.type == T_DEV:
            # A device changes no disk block: no transaction (see fileread).
            r = yield from writei(f.ip, data, f.off)
            if r > 0:
                f.off += r
            return r
        # write a few blocks at a time to avoid exceeding the maximum log
        # transaction size, including i-node, indirect block, allocation
        # blocks, and 2 blocks of slop for non-aligned writes. this really
        # belongs lower down, since writei() might be writing a device like
        # the console.
        n = len(data)
        i = 0
        while i < n:
            n1 = min(n - i, MAXWRITE)
            yield from begin_op()
            yield from ilock(f.ip)
            if f.append:
                f.off = f.ip.size       # at the end, as it is now (under the lock)
            r = yield from writei(f.ip, data[i:i + n1], f.off)
            if r > 0:
                f.off += r
            iunlock(f.ip)
            yield from end_op()
            if r != n1:
                break               # error from writei, or the disk is full
            i += r
        return n if i == n else -1
    if f.type == FD_SHM:
        return -1               # an object is written through a mapping
    panic("filewrite")


# ---- The file system as proc.py sees it -------------------------------------------------

def rootdir():
    """The root directory, referenced: the first process's current directory
    (xv6's userinit: namei("/"), which reads nothing from the disk)."""
    return iget(ROOTDEV, ROOTINO)


def cwddup(ip):
    """fork: the child shares the parent's current directory."""
    return idup(ip) if ip is not None else None


def cwdput(ip):
    """exit: drop the current directory, in a transaction (a generator)."""
    yield from begin_op()
    yield from iput(ip)
    yield from end_op()


def cwddrop(ip) -> None:
    """A process torn down with its machine: drop the current directory, no disk I/O."""
    idrop(ip)
