"""Pipes: a 512-byte buffer between a writing and a reading file (xv6's pipe.c).

piperead and pipewrite are generators: where xv6 calls sleep(), they do
`yield from sleep(...)`, and the process sleeps until the other end wakes it.
A channel (pipe, "nread") stands for xv6's &p->nread.
"""

from ..param import PIPESIZE
from ..proc.proc import myproc, sleep, wakeup
from ..spinlock import Spinlock, acquire, release

__all__ = ["Pipe", "pipealloc", "pipeclose", "piperead", "pipewrite"]


class Pipe:
    """xv6's struct pipe."""

    __slots__ = ("lock", "data", "nread", "nwrite", "readopen", "writeopen")

    def __init__(self):
        self.lock = Spinlock("pipe")
        self.data = bytearray(PIPESIZE)
        self.nread = 0          # number of bytes read
        self.nwrite = 0         # number of bytes written
        self.readopen = True    # read fd is still open
        self.writeopen = True   # write fd is still open

    def __repr__(self) -> str:      # as a sleep channel in a process listing: no host address
        return f"pipe(nread {self.nread}, nwrite {self.nwrite})"


def pipealloc():
    """Two files, reading and writing end of a new pipe, or None if no file is free."""
    from .file import FD_PIPE, filealloc, filedrop  # file.py imports this module
    f0 = filealloc()
    f1 = filealloc() if f0 is not None else None
    if f1 is None:
        if f0 is not None:
            filedrop(f0)    # (xv6: fileclose; f0 holds nothing yet, so no disk is involved)
        return None
    p = Pipe()
    f0.type, f0.readable, f0.writable, f0.pipe = FD_PIPE, True, False, p
    f1.type, f1.readable, f1.writable, f1.pipe = FD_PIPE, False, True, p
    return f0, f1


def pipeclose(p: Pipe, writable: bool) -> None:
    """One end closed: wake whoever waits on the other."""
    acquire(p.lock)
    if writable:
        p.writeopen = False
        wakeup((p, "nread"))
    else:
        p.readopen = False
        wakeup((p, "nwrite"))
    release(p.lock)


def pipewrite(p: Pipe, data: bytes):
    """Write all of data, sleeping while the pipe is full. Returns len(data), or -1
    if the reader has gone or the writer was killed."""
    acquire(p.lock)
    i = 0
    while i < len(data):
        while p.nwrite == p.nread + PIPESIZE:       # pipe is full
            if not p.readopen or myproc().killed:
                release(p.lock)
                return -1
            wakeup((p, "nread"))
            yield from sleep((p, "nwrite"), p.lock)
        # Copy as much as fits before the buffer wraps or fills.
        start = p.nwrite % PIPESIZE
        k = min(len(data) - i, PIPESIZE - (p.nwrite - p.nread), PIPESIZE - start)
        p.data[start:start + k] = data[i:i + k]
        p.nwrite += k
        i += k
    wakeup((p, "nread"))
    release(p.lock)
    return len(data)


def piperead(p: Pipe, n: int):
    """Read up to n bytes, sleeping while the pipe is empty and a writer remains.
    Returns the bytes (empty at end of file), or None if the reader was killed."""
    acquire(p.lock)
    while p.nread == p.nwrite and p.writeopen:       # pipe is empty
        if myproc().killed:
            release(p.lock)
            return None
        yield from sleep((p, "nread"), p.lock)
    out = bytearray()
    while len(out) < n and p.nread != p.nwrite:
        start = p.nread % PIPESIZE
        k = min(n - len(out), p.nwrite - p.nread, PIPESIZE - start)
        out += p.data[start:start + k]
        p.nread += k
    wakeup((p, "nwrite"))
    release(p.lock)
    return bytes(out)
