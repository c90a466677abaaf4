"""Open files (xv6py/fs/file.py): the NFILE table, reference counts, and reads
and writes that respect readable/writable and share one offset among every
descriptor of the same open file (dup, fork); writes split into log-sized
transactions.

The table functions are called directly; what reaches an inode runs as a
process's kernel code (Syscaller.kernel), since it may sleep on the disk;
descriptors are exercised through real system calls (kcall.Syscaller).
"""

import pytest
from helpers import drain

from xv6py.dev import console, ide
from xv6py.fs import file as F
from xv6py.fs import fs
from xv6py.fs.pipe import pipealloc
from xv6py.machine import Machine
from xv6py.mmu import PGSIZE
from xv6py.panic import KernelPanic
from xv6py.param import NFILE
from xv6py.spinlock import release
from xv6py.testing.kcall import Syscaller

HELLO = None    # the bytes of /hello on the default image (read once)


@pytest.fixture
def h():
    m = Machine()
    m.activate()
    return Syscaller(m)


@pytest.fixture
def p(h):
    return h.spawn()


def hello_bytes(h) -> bytes:
    global HELLO
    if HELLO is None:
        HELLO = h.m.read_file("hello")
    return HELLO


def opened(h, p, name: str, readable=True, writable=False) -> F.File:
    """An open file of inode `name`, as sys_open leaves it (the inode valid, unlocked)."""
    f = F.filealloc()
    ip = h.kernel(p, fs.namei(name))

    def lock_unlock():
        yield from fs.ilock(ip)
        fs.iunlock(ip)

    h.kernel(p, lock_unlock())
    f.type, f.ip, f.readable, f.writable = F.FD_INODE, ip, readable, writable
    return f


# ---- the table ------------------------------------------------------------------------------

def test_filealloc_until_nfile_then_none(h):
    files = [F.filealloc() for _ in range(NFILE)]
    assert None not in files and len(set(map(id, files))) == NFILE
    assert all(f.ref == 1 and f.type == F.FD_NONE for f in files)
    assert F.filealloc() is None
    drain(F.fileclose(files[42]))
    assert F.filealloc() is files[42]                       # the freed one comes back
    assert F.filealloc() is None


def test_filedup_and_fileclose_count_references(h, p):
    f = opened(h, p, "hello")
    ip = f.ip
    assert F.filedup(f) is f and f.ref == 2
    h.kernel(p, F.fileclose(f))
    assert f.ref == 1 and f.type == F.FD_INODE and f.ip is ip   # still open
    refs = ip.ref
    h.kernel(p, F.fileclose(f))
    assert (f.ref, f.type, f.ip, f.off) == (0, F.FD_NONE, None, 0)   # closed: the slot is free
    assert ip.ref == refs - 1                               # and the inode reference dropped


def test_filedup_and_fileclose_of_a_closed_file_panic(h):
    f = F.filealloc()
    drain(F.fileclose(f))
    with pytest.raises(KernelPanic, match="^filedup$"):
        F.filedup(f)
    release(F.ftable.lock)                  # (the panic left the table locked, as xv6's would)
    with pytest.raises(KernelPanic, match="^fileclose$"):
        drain(F.fileclose(f))


def test_closing_the_last_reference_of_a_pipe_end_closes_that_end(h):
    rf, wf = pipealloc()
    F.filedup(wf)
    drain(F.fileclose(wf))
    assert wf.pipe.writeopen                                # one reference is left
    pipe = wf.pipe
    drain(F.fileclose(wf))
    assert not pipe.writeopen and pipe.readopen
    drain(F.fileclose(rf))
    assert not pipe.readopen


def test_filedrop_releases_without_touching_the_disk(h, p):
    f = opened(h, p, "hello")
    ip, refs, writes = f.ip, f.ip.ref, ide.disk.nwrite
    F.filedrop(f)
    assert f.ref == 0 and ip.ref == refs - 1 and ide.disk.nwrite == writes


# ---- reading and writing --------------------------------------------------------------------

def test_fileread_advances_the_offset_to_the_end(h, p):
    f = opened(h, p, "hello")
    data = hello_bytes(h)
    assert h.kernel(p, F.fileread(f, 4)) == b"\x7fELF" and f.off == 4
    rest = h.kernel(p, F.fileread(f, len(data)))
    assert rest == data[4:] and f.off == len(data)
    assert h.kernel(p, F.fileread(f, 10)) == b"" and f.off == len(data)


def test_an_unreadable_file_reads_none_and_an_unwritable_one_writes_minus_one(h, p):
    wo = opened(h, p, "console", readable=False, writable=True)
    assert h.kernel(p, F.fileread(wo, 10)) is None and wo.off == 0
    ro = opened(h, p, "hello", readable=True, writable=False)
    assert h.kernel(p, F.filewrite(ro, b"x")) == -1 and ro.off == 0
    rf, wf = pipealloc()
    assert drain(F.filewrite(rf, b"x")) == -1               # a pipe's read end
    assert drain(F.fileread(wf, 1)) is None                 # and its write end
    assert rf.pipe.nwrite == 0


def test_filewrite_to_a_file_writes_at_the_offset_and_moves_it(h, p):
    f = opened(h, p, "README", writable=True)
    old = h.m.read_file("README")
    f.off = 5
    assert h.kernel(p, F.filewrite(f, b"XYZ")) == 3 and f.off == 8
    assert h.m.read_file("README") == old[:5] + b"XYZ" + old[8:]


def test_filewrite_splits_a_big_write_into_log_sized_transactions(h, p, monkeypatch):
    from xv6py.fs import file as file_module
    sizes = []
    real = file_module.writei

    def spy(ip, data, off):
        sizes.append(len(data))
        return (yield from real(ip, data, off))

    monkeypatch.setattr(file_module, "writei", spy)
    f = opened(h, p, "README", writable=True)
    assert h.kernel(p, F.filewrite(f, bytes(range(256)) * 20)) == 5120
    assert sizes == [1536, 1536, 1536, 512]                 # ((MAXOPBLOCKS-1-1-2)/2) blocks each
    assert h.m.read_file("README")[:5120] == bytes(range(256)) * 20


def test_filewrite_to_the_console_writes_everything(h, p):
    f = opened(h, p, "console", writable=True)
    n = len(console.cons.out)
    assert h.kernel(p, F.filewrite(f, b"through a file\n")) == 15
    assert bytes(console.cons.out[n:]) == b"through a file\n"


def test_reading_or_writing_a_file_of_no_type_panics(h):
    f = F.filealloc()
    f.readable = f.writable = True
    with pytest.raises(KernelPanic, match="^fileread$"):
        drain(F.fileread(f, 1))
    with pytest.raises(KernelPanic, match="^filewrite$"):
        drain(F.filewrite(f, b"x"))


def test_filestat_of_an_inode_and_of_a_pipe(h, p):
    f = opened(h, p, "hello")
    st = h.kernel(p, F.filestat(f))
    assert st == fs.stati(f.ip) and len(st) == 20
    rf, _ = pipealloc()
    assert drain(F.filestat(rf)) is None


# ---- offsets shared through dup and fork ----------------------------------------------------

def reads(h, p, buf, *fds):
    """One 4-byte read on each fd in turn: what each returned."""
    out = []
    for fd in fds:
        assert h.call(p, "read", fd, buf, 4) == 4
        out.append(h.peek(p, buf, 4))
    return out


def test_dup_shares_the_offset(h, p):
    buf = h.call(p, "sbrk", PGSIZE)
    data = hello_bytes(h)
    fd = h.call(p, "open", "hello", 0)
    fd2 = h.call(p, "dup", fd)
    assert fd2 == fd + 1 and p.ofile[fd2] is p.ofile[fd]
    assert reads(h, p, buf, fd, fd2, fd) == [data[0:4], data[4:8], data[8:12]]


def test_fork_shares_the_offset(h, p):
    data = hello_bytes(h)
    buf = h.call(p, "sbrk", PGSIZE)
    fd = h.call(p, "open", "hello", 0)
    c = h.fork(p)
    assert reads(h, p, buf, fd) == [data[0:4]]
    assert reads(h, c, buf, fd) == [data[4:8]]              # the child goes on where the parent was
    assert reads(h, p, buf, fd) == [data[8:12]]


def test_two_opens_have_offsets_of_their_own(h, p):
    data = hello_bytes(h)
    buf = h.call(p, "sbrk", PGSIZE)
    a, b = h.call(p, "open", "hello", 0), h.call(p, "open", "hello", 0)
    assert p.ofile[a] is not p.ofile[b] and p.ofile[a].ip is p.ofile[b].ip   # one inode
    assert reads(h, p, buf, a, b, a) == [data[0:4], data[0:4], data[4:8]]


def test_closing_one_descriptor_keeps_the_open_file_for_the_other(h, p):
    buf = h.call(p, "sbrk", PGSIZE)
    fd = h.call(p, "open", "hello", 0)
    fd2 = h.call(p, "dup", fd)
    f = p.ofile[fd]
    assert h.call(p, "close", fd) == 0
    assert f.ref == 1 and p.ofile[fd] is None
    assert h.call(p, "read", fd2, buf, 4) == 4
    assert h.call(p, "close", fd2) == 0
    assert f.ref == 0 and f.type == F.FD_NONE
