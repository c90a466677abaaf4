"""Open files (xv6py/fs/file.py): the NFILE table, reference counts, and reads
and writes that respect readable/writable and share one offset among every
descriptor of the same open file (dup, fork).

The table functions are called directly (the `kernel` fixture); descriptors are
exercised through real system calls (kcall.Syscaller).
"""

import pytest
from helpers import drain

from xv6py.dev import console
from xv6py.fs import file as F
from xv6py.fs import fs
from xv6py.fs.pipe import pipealloc
from xv6py.machine import Machine
from xv6py.mmu import PGSIZE
from xv6py.panic import KernelPanic
from xv6py.param import NFILE
from xv6py.spinlock import release
from xv6py.testing.kcall import Syscaller


def inode_file(name: str, readable=True, writable=False) -> F.File:
    f = F.filealloc()
    f.type, f.ip, f.readable, f.writable = F.FD_INODE, fs.namei(name), readable, writable
    return f


# ---- the table ------------------------------------------------------------------------------

def test_filealloc_until_nfile_then_none(kernel):
    files = [F.filealloc() for _ in range(NFILE)]
    assert None not in files and len(set(map(id, files))) == NFILE
    assert all(f.ref == 1 and f.type == F.FD_NONE for f in files)
    assert F.filealloc() is None
    F.fileclose(files[42])
    assert F.filealloc() is files[42]                       # the freed one comes back
    assert F.filealloc() is None


def test_filedup_and_fileclose_count_references(kernel):
    f = inode_file("hello")
    assert F.filedup(f) is f and f.ref == 2
    F.fileclose(f)
    assert f.ref == 1 and f.type == F.FD_INODE and f.ip is not None   # still open
    F.fileclose(f)
    assert (f.ref, f.type, f.ip, f.off) == (0, F.FD_NONE, None, 0)   # closed: the slot is free


def test_filedup_and_fileclose_of_a_closed_file_panic(kernel):
    f = F.filealloc()
    F.fileclose(f)
    with pytest.raises(KernelPanic, match="^filedup$"):
        F.filedup(f)
    release(F.ftable.lock)                  # (the panic left the table locked, as xv6's would)
    with pytest.raises(KernelPanic, match="^fileclose$"):
        F.fileclose(f)


def test_closing_the_last_reference_of_a_pipe_end_closes_that_end(kernel):
    rf, wf = pipealloc()
    F.filedup(wf)
    F.fileclose(wf)
    assert wf.pipe.writeopen                                # one reference is left
    pipe = wf.pipe
    F.fileclose(wf)
    assert not pipe.writeopen and pipe.readopen
    F.fileclose(rf)
    assert not pipe.readopen


# ---- reading and writing --------------------------------------------------------------------

def test_fileread_advances_the_offset_to_the_end(kernel):
    f = inode_file("hello")
    data = fs.namei("hello").data
    assert drain(F.fileread(f, 4)) == b"\x7fELF" and f.off == 4
    rest = drain(F.fileread(f, len(data)))
    assert rest == data[4:] and f.off == len(data)
    assert drain(F.fileread(f, 10)) == b"" and f.off == len(data)


def test_an_unreadable_file_reads_none_and_an_unwritable_one_writes_minus_one(kernel):
    wo = inode_file("console", readable=False, writable=True)
    assert drain(F.fileread(wo, 10)) is None and wo.off == 0
    ro = inode_file("hello", readable=True, writable=False)
    assert drain(F.filewrite(ro, b"x")) == -1 and ro.off == 0
    rf, wf = pipealloc()
    assert drain(F.filewrite(rf, b"x")) == -1               # a pipe's read end
    assert drain(F.fileread(wf, 1)) is None                 # and its write end
    assert rf.pipe.nwrite == 0


def test_filewrite_to_a_regular_file_fails_and_keeps_the_offset(kernel):
    f = inode_file("hello", writable=True)
    assert drain(F.filewrite(f, b"data")) == -1 and f.off == 0


def test_filewrite_to_the_console_writes_everything(kernel):
    f = inode_file("console", writable=True)
    n = len(console.cons.out)
    assert drain(F.filewrite(f, b"through a file\n")) == 15
    assert bytes(console.cons.out[n:]) == b"through a file\n"


def test_reading_or_writing_a_file_of_no_type_panics(kernel):
    f = F.filealloc()
    f.readable = f.writable = True
    with pytest.raises(KernelPanic, match="^fileread$"):
        drain(F.fileread(f, 1))
    with pytest.raises(KernelPanic, match="^filewrite$"):
        drain(F.filewrite(f, b"x"))


def test_filestat_of_an_inode_and_of_a_pipe(kernel):
    f = inode_file("hello")
    assert F.filestat(f) == fs.stati(fs.namei("hello"))
    rf, _ = pipealloc()
    assert F.filestat(rf) is None


# ---- offsets shared through dup and fork ----------------------------------------------------

@pytest.fixture
def h():
    m = Machine()
    m.activate()
    return Syscaller(m)


def reads(h, p, buf, *fds):
    """One 4-byte read on each fd in turn: what each returned."""
    out = []
    for fd in fds:
        assert h.call(p, "read", fd, buf, 4) == 4
        out.append(h.peek(p, buf, 4))
    return out


def test_dup_shares_the_offset(h):
    p = h.spawn()
    buf = h.call(p, "sbrk", PGSIZE)
    data = fs.namei("hello").data
    fd = h.call(p, "open", "hello", 0)
    fd2 = h.call(p, "dup", fd)
    assert fd2 == fd + 1 and p.ofile[fd2] is p.ofile[fd]
    assert reads(h, p, buf, fd, fd2, fd) == [data[0:4], data[4:8], data[8:12]]


def test_fork_shares_the_offset(h):
    p = h.spawn()
    data = fs.namei("hello").data
    buf = h.call(p, "sbrk", PGSIZE)
    fd = h.call(p, "open", "hello", 0)
    c = h.fork(p)
    assert reads(h, p, buf, fd) == [data[0:4]]
    assert reads(h, c, buf, fd) == [data[4:8]]              # the child goes on where the parent was
    assert reads(h, p, buf, fd) == [data[8:12]]


def test_two_opens_have_offsets_of_their_own(h):
    p = h.spawn()
    data = fs.namei("hello").data
    buf = h.call(p, "sbrk", PGSIZE)
    a, b = h.call(p, "open", "hello", 0), h.call(p, "open", "hello", 0)
    assert p.ofile[a] is not p.ofile[b]
    assert reads(h, p, buf, a, b, a) == [data[0:4], data[0:4], data[4:8]]


def test_closing_one_descriptor_keeps_the_open_file_for_the_other(h):
    p = h.spawn()
    buf = h.call(p, "sbrk", PGSIZE)
    fd = h.call(p, "open", "hello", 0)
    fd2 = h.call(p, "dup", fd)
    f = p.ofile[fd]
    assert h.call(p, "close", fd) == 0
    assert f.ref == 1 and p.ofile[fd] is None
    assert h.call(p, "read", fd2, buf, 4) == 4
    assert h.call(p, "close", fd2) == 0
    assert f.ref == 0 and f.type == F.FD_NONE
