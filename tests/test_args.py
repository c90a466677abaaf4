"""System call arguments (xv6py/syscalls/args.py): every fetch goes through the
caller's page table, so a pointer is good when every page it touches is present
and user-accessible (and writable, when the kernel writes through it).

The functions are called as a system call would call them: with the process
running and its argument words on its stack at %esp+4, %esp+8, ... (caller()).
The process is hello, just exec'd, then grown by two pages of heap:

    0x0000  program            0x3000  heap page 0
    0x1000  guard (no PTE_U)   0x4000  heap page 1
    0x2000  stack              0x5000  p->sz: nothing mapped above
"""

import struct
from contextlib import contextmanager

import pytest
from helpers import running

from xv6py.machine import Machine
from xv6py.memlayout import KERNBASE
from xv6py.mm import pgdir as V
from xv6py.mmu import PGSIZE, PTE_P, PTE_U, PTE_W
from xv6py.param import NOFILE
from xv6py.syscalls.args import argfd, argint, argptr, argstr, fdalloc, fetchint, fetchstr
from xv6py.testing.kcall import Syscaller

GUARD, STACK, HEAP, TOP = 0x1000, 0x2000, 0x3000, 0x5000


@pytest.fixture
def hp():
    m = Machine()
    m.activate()
    h = Syscaller(m)
    p = h.spawn()
    assert p.sz == HEAP and h.call(p, "sbrk", 2 * PGSIZE) == HEAP and p.sz == TOP
    e = V.walkpgdir(p.pgdir, GUARD, False)
    assert V.x86.read32(e) & (PTE_P | PTE_U) == PTE_P            # the guard page is what it says
    return h, p


@contextmanager
def caller(h, p, *words, esp=None):
    """p is running, in a system call whose argument words are `words`, put at
    esp+4, esp+8, ... (esp: p's own, or the one given)."""
    with running(h, p):
        saved = p.tf.esp
        try:
            if esp is not None:
                p.tf.esp = esp
            if words:
                packed = struct.pack(f"<{len(words)}I", *(w & 0xFFFFFFFF for w in words))
                assert h.poke(p, p.tf.esp + 4, packed)
            yield
        finally:
            p.tf.esp = saved


def set_pte_flags(p, va, clear):
    e = V.walkpgdir(p.pgdir, va, False)
    V.x86.write32(e, V.x86.read32(e) & ~clear)


# ---- argint ---------------------------------------------------------------------------------

def test_argint_reads_signed_words_above_the_return_address(hp):
    h, p = hp
    with caller(h, p, 5, -1, 0x7FFFFFFF, 0x80000000):
        assert h.poke(p, p.tf.esp, b"\xef\xbe\xad\xde")          # the return address: not an argument
        assert [argint(n) for n in range(4)] == [5, -1, 0x7FFFFFFF, -0x80000000]


def test_argint_across_a_page_boundary(hp):
    h, p = hp
    with caller(h, p, 0x11223344, esp=HEAP + PGSIZE - 6):        # argument 0 at HEAP + PGSIZE - 2
        assert argint(0) == 0x11223344


@pytest.mark.parametrize("esp", [
    TOP - 6,                  # argument 0 runs off the top of memory
    TOP,                      # entirely above it
    GUARD + 0x100,            # in the guard page: present but not the user's
    0x40000000,               # nothing mapped
    KERNBASE - 4,             # argument 0 at KERNBASE
    KERNBASE + 0x1000,        # the kernel's half
    0xFFFFFFF8, 0xFFFFFFFC,   # esp + 4 past 2^32 must not wrap around to the program at 0
])
def test_argint_where_the_stack_cannot_be_read_is_none(hp, esp):
    h, p = hp
    with caller(h, p, esp=esp):
        assert argint(0) is None


def test_fetchint_reads_any_user_word(hp):
    h, p = hp
    assert h.poke(p, HEAP + 8, struct.pack("<i", -12345))
    with caller(h, p):
        assert fetchint(HEAP + 8) == -12345
        assert fetchint(TOP - 4) == 0
        assert fetchint(TOP - 3) is None


# ---- argptr ---------------------------------------------------------------------------------

@pytest.mark.parametrize("ptr, size, writable", [
    (HEAP, 2 * PGSIZE, True),            # all of the heap
    (0, 16, False),                      # the program
    (STACK, PGSIZE, True),               # the stack page
    (TOP - 4, 4, True),                  # ends exactly at the top
    (HEAP + 100, 0, True),               # an empty block in user memory
])
def test_argptr_accepts_blocks_in_user_memory(hp, ptr, size, writable):
    h, p = hp
    with caller(h, p, ptr):
        assert argptr(0, size, writable) == ptr


@pytest.mark.parametrize("ptr, size", [
    (HEAP, -1),                          # a negative size
    (TOP - 10, 11),                      # one byte too many
    (TOP, 0),                            # an empty block must still start in user memory
    (GUARD, 1),                          # the guard page
    (GUARD - 4, 8),                      # from the program into the guard page
    (STACK - 1, 2),                      # from the guard page into the stack
    (0x40000000, 1),
    (KERNBASE - 4, 8),                   # across KERNBASE
    (KERNBASE, 0),
    (0xFFFFFFF0, 32),                    # wraps around to 0x10
])
def test_argptr_refuses_blocks_outside_user_memory(hp, ptr, size):
    h, p = hp
    with caller(h, p, ptr):
        assert argptr(0, size) is None
        assert argptr(0, size, writable=True) is None


def test_argptr_asked_for_writable_refuses_a_read_only_page(hp):
    h, p = hp
    set_pte_flags(p, HEAP + PGSIZE, PTE_W)
    with caller(h, p, HEAP + PGSIZE, HEAP + PGSIZE - 8):
        assert argptr(0, 16) == HEAP + PGSIZE                   # reading it is fine
        assert argptr(0, 16, writable=True) is None
        assert argptr(1, 8, writable=True) == HEAP + PGSIZE - 8  # ends just before it
        assert argptr(1, 9, writable=True) is None               # one byte in


def test_argptr_when_the_pointer_itself_cannot_be_read(hp):
    h, p = hp
    with caller(h, p, esp=KERNBASE - 4):
        assert argptr(0, 0) is None


# ---- argstr and fetchstr ---------------------------------------------------------------------

def test_argstr_fetches_the_string_without_its_nul(hp):
    h, p = hp
    assert h.poke(p, HEAP, b"hello\0world\0\0")
    with caller(h, p, HEAP, HEAP + 6, HEAP + 12):
        assert (argstr(0), argstr(1), argstr(2)) == (b"hello", b"world", b"")


def test_a_string_across_pages(hp):
    h, p = hp
    s = b"x" * 50 + b"y" * 50
    assert h.poke(p, HEAP + PGSIZE - 50, s + b"\0")
    with caller(h, p):
        assert fetchstr(HEAP + PGSIZE - 50) == s


def test_a_string_whose_nul_is_the_last_byte_of_memory(hp):
    h, p = hp
    assert h.poke(p, HEAP, b"z" * (2 * PGSIZE - 1) + b"\0")
    with caller(h, p):
        assert fetchstr(HEAP) == b"z" * (2 * PGSIZE - 1)
        assert fetchstr(TOP - 1) == b""


def test_an_unterminated_string_at_the_end_of_memory_is_none(hp):
    h, p = hp
    assert h.poke(p, HEAP, b"z" * (2 * PGSIZE))
    with caller(h, p):
        assert fetchstr(HEAP) is None
        assert fetchstr(TOP - 1) is None


def test_a_string_running_into_the_guard_page_is_none(hp):
    h, p = hp
    assert h.poke(p, GUARD - 16, b"A" * 16)                    # the end of the program's page
    with caller(h, p):
        assert fetchstr(GUARD - 16) is None


def test_a_string_in_a_read_only_page_is_fine(hp):
    h, p = hp
    assert h.poke(p, HEAP + PGSIZE, b"read only\0")
    set_pte_flags(p, HEAP + PGSIZE, PTE_W)
    with caller(h, p):
        assert fetchstr(HEAP + PGSIZE) == b"read only"


@pytest.mark.parametrize("addr", [GUARD, TOP, 0x40000000, KERNBASE - 1, KERNBASE,
                                  0xFFFFFFFF, -1])
def test_fetchstr_outside_user_memory_is_none(hp, addr):
    h, p = hp
    with caller(h, p):
        assert fetchstr(addr) is None


def test_argstr_of_a_pointer_into_the_kernel_is_none(hp):
    h, p = hp
    with caller(h, p, KERNBASE + 0x100000, 0xFFFFFFF0):
        assert argstr(0) is None and argstr(1) is None


def test_a_string_of_a_mebibyte_is_fetched_whole(hp):
    """256 pages: each searched once for its NUL (a quadratic fetch would take
    minutes here)."""
    h, p = hp
    n = 1 << 20
    base = h.call(p, "sbrk", n + PGSIZE)
    s = bytes(range(1, 256)) * (n // 255) + b"q" * (n % 255)
    assert len(s) == n
    assert h.poke(p, base + 3, s + b"\0")
    with caller(h, p, base + 3):
        assert argstr(0) == s


# ---- argfd and fdalloc -----------------------------------------------------------------------

def test_argfd_gives_open_descriptors_only(hp):
    h, p = hp
    for _ in range(3):
        h.call(p, "open", "hello", 0)
    h.call(p, "close", 1)
    with caller(h, p, 0, 2, 1, 3, -1, NOFILE, 0x7FFFFFFF, -0x80000000):
        assert argfd(0) == (0, p.ofile[0]) and argfd(1) == (2, p.ofile[2])
        assert [argfd(n) for n in range(2, 8)] == [None] * 6


def test_argfd_reaches_the_last_descriptor(hp):
    h, p = hp
    fds = [h.call(p, "open", "hello", 0) for _ in range(NOFILE)]
    assert fds == list(range(NOFILE))
    with caller(h, p, NOFILE - 1, NOFILE):
        assert argfd(0) == (NOFILE - 1, p.ofile[NOFILE - 1])
        assert argfd(1) is None


def test_fdalloc_gives_the_lowest_free_descriptor_and_minus_one_when_full(hp):
    h, p = hp
    for _ in range(5):
        h.call(p, "open", "hello", 0)
    f = p.ofile[4]
    h.call(p, "close", 3)
    h.call(p, "close", 1)
    with caller(h, p):
        assert fdalloc(f) == 1 and fdalloc(f) == 3 and fdalloc(f) == 5
        assert p.ofile[1] is p.ofile[3] is p.ofile[5] is f
        assert f.ref == 1                                         # fdalloc takes no reference
        for fd in range(6, NOFILE):
            assert fdalloc(f) == fd
        before = list(p.ofile)
        assert fdalloc(f) == -1 and p.ofile == before
