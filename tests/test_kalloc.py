"""The physical page allocator (xv6py/mm/kalloc.py)."""

import pytest

from xv6py.memlayout import KERNEND, PHYSTOP
from xv6py.mm import kalloc as K
from xv6py.mmu import PGSIZE
from xv6py.panic import KernelPanic
from xv6py.testing.asserts import assert_frame_filled


def test_boot_leaves_all_frames_but_the_kernel_page_table(kernel):
    total = (PHYSTOP - KERNEND) // PGSIZE
    assert K.kfreecount() == total - 1           # kvmalloc took one frame for kpgdir


def test_highest_frame_first_and_lifo(kernel):
    a = K.kalloc()
    b = K.kalloc()
    assert a % PGSIZE == 0 and b == a - PGSIZE   # freerange pushed low to high
    K.kfree(a)
    assert K.kalloc() == a                       # the most recently freed comes back first
    K.kfree(a)
    K.kfree(b)


def test_free_count_follows_alloc_and_free(kernel):
    n = K.kfreecount()
    frames = [K.kalloc() for _ in range(10)]
    assert K.kfreecount() == n - 10
    for f in frames:
        K.kfree(f)
    assert K.kfreecount() == n


def test_freed_frame_is_junk_filled(kernel):
    pa = K.kalloc()
    kernel.x86.ram[pa:pa + PGSIZE] = b"\xaa" * PGSIZE
    K.kfree(pa)
    assert_frame_filled(kernel, pa, 1)
    assert K.isfree(pa)


def test_kfree_panics_on_bad_frames(kernel):
    pa = K.kalloc()
    with pytest.raises(KernelPanic, match="kfree"):
        K.kfree(pa + 8)                          # misaligned
    with pytest.raises(KernelPanic, match="kfree"):
        K.kfree(0)                               # the kernel's own memory
    with pytest.raises(KernelPanic, match="kfree"):
        K.kfree(PHYSTOP)                         # beyond physical memory
    K.kfree(pa)
    with pytest.raises(KernelPanic, match="already free"):
        K.kfree(pa)                              # double free


def test_exhaustion_returns_none():
    from xv6py.machine import Machine
    m = Machine(phystop=KERNEND + 16 * PGSIZE)
    m.activate()
    got = []
    while (pa := K.kalloc()) is not None:
        got.append(pa)
    assert len(got) == 15                        # 16 frames, one is kpgdir
    assert K.kalloc() is None
    for pa in got:
        K.kfree(pa)
    assert K.kfreecount() == 15
