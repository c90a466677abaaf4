"""Open files: the system-wide file table and operations on open files (xv6's file.c).

fileread and filewrite are generators, because reading an empty pipe or writing a
full one puts the process to sleep (see sleep() in proc/proc.py): callers write
`n = yield from fileread(f, n)`.
"""

from ..panic import panic
from ..param import NFILE
from ..spinlock import Spinlock, acquire, release
from .fs import readi, stati, writei
from .pipe import pipeclose, piperead, pipewrite

__all__ = ["FD_NONE", "FD_PIPE", "FD_INODE", "File", "fileinit", "filealloc", "filedup",
           "fileclose", "filestat", "fileread", "filewrite"]

FD_NONE, FD_PIPE, FD_INODE = 0, 1, 2

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("ftable",)
ftable: "Ftable" = None   # the open-file table


class File:
    """An open file (xv6's struct file)."""

    __slots__ = ("type", "ref", "readable", "writable", "pipe", "ip", "off")

    def __init__(self):
        self.type = FD_NONE
        self.ref = 0            # reference count
        self.readable = False
        self.writable = False
        self.pipe = None        # the pipe, for FD_PIPE
        self.ip = None          # the inode, for FD_INODE
        self.off = 0            # read offset, for FD_INODE

    def __repr__(self) -> str:
        kind = {FD_NONE: "none", FD_PIPE: "pipe", FD_INODE: "inode"}[self.type]
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


def fileclose(f: File) -> None:
    """Drop a reference to f; close it when none are left."""
    acquire(ftable.lock)
    if f.ref < 1:
        panic("fileclose")
    f.ref -= 1
    if f.ref > 0:
        release(ftable.lock)
        return
    kind, pipe, writable = f.type, f.pipe, f.writable
    f.type, f.pipe, f.ip, f.off = FD_NONE, None, None, 0
    release(ftable.lock)
    if kind == FD_PIPE:
        pipeclose(pipe, writable)


def filestat(f: File) -> bytes | None:
    """The struct stat of an open inode, or None for a pipe."""
    if f.type == FD_INODE:
        return stati(f.ip)
    return None


def fileread(f: File, n: int):
    """Read up to n bytes (a generator: it may sleep on a pipe). Returns the bytes, or None."""
    if not f.readable:
        return None
    if f.type == FD_PIPE:
        return (yield from piperead(f.pipe, n))
    if f.type == FD_INODE:
        data = readi(f.ip, f.off, n)
        if data is not None:
            f.off += len(data)
        return data
    panic("fileread")


def filewrite(f: File, data: bytes):
    """Write data (a generator: it may sleep on a full pipe). Returns the count written, or -1."""
    if not f.writable:
        return -1
    if f.type == FD_PIPE:
        return (yield from pipewrite(f.pipe, data))
    if f.type == FD_INODE:
        r = writei(f.ip, data, f.off)
        if r > 0:
            f.off += r
        return r
    panic("filewrite")
