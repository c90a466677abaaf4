"""Pipes (xv6py/fs/pipe.py): a 512-byte buffer; the writer sleeps while it is
full and the reader while it is empty; end of file once every write end is
closed; and, as in xv6, a write fails only when it needs room and no reader is
left.

Two processes share a pipe through fork (kcall.Syscaller); a call that sleeps
leaves its process asleep, helpers.finish() completes it once woken. The
buffer's own arithmetic (wraparound) is checked by calling pipewrite/piperead
directly.
"""

import struct

import pytest
from helpers import drain, finish

from xv6py.fs import file as F
from xv6py.fs.pipe import Pipe, pipealloc, piperead, pipewrite
from xv6py.machine import Machine
from xv6py.mmu import PGSIZE
from xv6py.param import NFILE, PIPESIZE
from xv6py.proc import proc as P
from xv6py.testing.kcall import Syscaller


@pytest.fixture
def pair():
    """(h, writer, reader, rfd, wfd, buf): the writer made the pipe and forked the
    reader; both hold both ends; each has a heap page at buf (2 pages)."""
    m = Machine()
    m.activate()
    h = Syscaller(m)
    w = h.spawn()
    buf = h.call(w, "sbrk", 2 * PGSIZE)
    assert h.call(w, "pipe", buf) == 0
    rfd, wfd = struct.unpack("<ii", h.peek(w, buf, 8))
    r = h.fork(w)
    return h, w, r, rfd, wfd, buf


def data(n, salt=0):
    return bytes((i * 7 + salt) % 251 for i in range(n))


def test_pipesize_is_512():
    assert PIPESIZE == 512 and len(Pipe().data) == 512


def test_a_write_that_fits_does_not_sleep(pair):
    h, w, r, rfd, wfd, buf = pair
    h.poke(w, buf, data(PIPESIZE))
    assert h.call(w, "write", wfd, buf, PIPESIZE) == PIPESIZE
    assert h.call(r, "read", rfd, buf, 2 * PIPESIZE) == PIPESIZE       # all there is
    assert h.peek(r, buf, PIPESIZE) == data(PIPESIZE)


def test_a_writer_sleeps_when_the_pipe_is_full(pair):
    h, w, r, rfd, wfd, buf = pair
    h.poke(w, buf, data(600))
    assert h.call(w, "write", wfd, buf, 600) is None                   # 512 in, 88 to go
    pipe = w.ofile[wfd].pipe
    assert w.state is P.SLEEPING and w.chan == (pipe, "nwrite")
    assert (pipe.nwrite, pipe.nread) == (PIPESIZE, 0)
    assert h.call(r, "read", rfd, buf, 1000) == PIPESIZE
    assert h.peek(r, buf, PIPESIZE) == data(600)[:PIPESIZE]
    assert w.state is P.RUNNABLE                                       # room again: woken
    assert finish(h, w) == 600
    assert h.call(r, "read", rfd, buf, 1000) == 88
    assert h.peek(r, buf, 88) == data(600)[PIPESIZE:]


def test_a_reader_sleeps_when_the_pipe_is_empty(pair):
    h, w, r, rfd, wfd, buf = pair
    assert h.call(r, "read", rfd, buf, 100) is None
    pipe = r.ofile[rfd].pipe
    assert r.state is P.SLEEPING and r.chan == (pipe, "nread")
    h.poke(w, buf, b"wake up")
    assert h.call(w, "write", wfd, buf, 7) == 7
    assert r.state is P.RUNNABLE
    assert finish(h, r) == 7
    assert h.peek(r, buf, 7) == b"wake up"


def test_end_of_file_once_every_write_end_is_closed(pair):
    h, w, r, rfd, wfd, buf = pair
    assert h.call(r, "close", wfd) == 0
    h.poke(w, buf, b"last words")
    assert h.call(w, "write", wfd, buf, 10) == 10
    assert h.call(w, "close", wfd) == 0
    assert h.call(r, "read", rfd, buf, 100) == 10                      # what was written comes first
    assert h.call(r, "read", rfd, buf, 100) == 0                       # then end of file
    assert h.call(r, "read", rfd, buf, 100) == 0


def test_closing_the_last_write_end_wakes_a_sleeping_reader(pair):
    h, w, r, rfd, wfd, buf = pair
    h.call(r, "close", wfd)
    assert h.call(r, "read", rfd, buf, 100) is None
    assert h.call(w, "close", wfd) == 0
    assert r.state is P.RUNNABLE and finish(h, r) == 0


def test_exit_of_the_last_writer_is_end_of_file(pair):
    h, w, r, rfd, wfd, buf = pair
    h.call(r, "close", wfd)
    assert h.call(r, "read", rfd, buf, 100) is None
    h.call(w, "exit")
    assert finish(h, r) == 0


def test_with_no_reader_a_write_fails_when_it_needs_room(pair):
    """xv6 checks for a reader only when the buffer is full: a write that fits
    succeeds, one that does not fill the rest and then gives -1."""
    h, w, r, rfd, wfd, buf = pair
    h.call(w, "close", rfd)
    h.call(r, "close", rfd)
    pipe = w.ofile[wfd].pipe
    assert not pipe.readopen
    assert h.call(w, "write", wfd, buf, 10) == 10
    assert h.call(w, "write", wfd, buf, PIPESIZE) == -1
    assert pipe.nwrite == PIPESIZE and w.state is P.RUNNABLE           # never slept


def test_closing_the_last_read_end_wakes_a_writer_which_fails(pair):
    h, w, r, rfd, wfd, buf = pair
    h.call(w, "close", rfd)
    assert h.call(w, "write", wfd, buf, PIPESIZE + 1) is None           # full, r may still read
    assert h.call(r, "close", rfd) == 0
    assert w.state is P.RUNNABLE and finish(h, w) == -1


def test_killed_while_asleep_on_a_pipe_exits(pair):
    h, w, r, rfd, wfd, buf = pair
    assert h.call(r, "read", rfd, buf, 1) is None
    assert h.call(w, "kill", r.pid) == 0
    assert finish(h, r) is None and r.state is P.ZOMBIE and r.status == "killed"
    h.poke(w, buf, b"x")
    assert h.call(w, "write", wfd, buf, 1) == 1                        # the pipe still works


def test_data_wraps_around_the_buffer_in_order(kernel):
    p = Pipe()
    first, second = data(300), data(400, salt=3)
    assert drain(pipewrite(p, first)) == 300
    assert drain(piperead(p, 300)) == first
    assert drain(pipewrite(p, second)) == 400                           # bytes 300..511, then 0..187
    assert p.data[300:] == second[:212] and p.data[:188] == second[212:]
    assert drain(piperead(p, 250)) + drain(piperead(p, 1000)) == second
    assert (p.nread, p.nwrite) == (700, 700)


def test_many_small_writes_and_reads_keep_every_byte(kernel):
    p = Pipe()
    sent, got = b"", b""
    for i in range(1, 60):                      # round the buffer several times, never full
        chunk = data(i * 37 % 97 + 1, salt=i)
        assert drain(pipewrite(p, chunk)) == len(chunk)
        sent += chunk
        got += drain(piperead(p, 1000 if i % 3 == 0 else 30))
    got += drain(piperead(p, PIPESIZE))
    assert got == sent and p.nwrite > 3 * PIPESIZE


def test_pipealloc_without_two_free_files_fails_and_leaks_nothing(kernel):
    held = [F.filealloc() for _ in range(NFILE - 1)]                    # one file left
    assert pipealloc() is None
    last = F.filealloc()
    assert last is not None and last.ref == 1                           # the one it took is free again
    drain(F.fileclose(last))
    drain(F.fileclose(held.pop()))
    rf, wf = pipealloc()
    assert (rf.readable, rf.writable, wf.readable, wf.writable) == (True, False, False, True)
    assert rf.pipe is wf.pipe and rf.type == wf.type == F.FD_PIPE
