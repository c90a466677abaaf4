"""The physical page allocator (xv6py/mm/kalloc.py)."""

import pytest
from helpers import script_of_many

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


def test_kalloc_many_is_kalloc_called_n_times_and_kfree_many_kfree_in_order():
    from xv6py.machine import Machine
    small = KERNEND + 16 * PGSIZE
    seen = script_of_many(Machine(phystop=small))
    m = Machine(phystop=small)
    m.activate()
    three = [K.kalloc() for _ in range(3)]
    assert seen[0] == three and seen[1] == 12    # the same frames, in the order kalloc hands them out
    assert seen[2:4] == [None, 15]
    assert seen[4][:15] == sorted(seen[4][:15], reverse=True) and seen[4][15:] == [None] * 5
    assert seen[5] == 0 and seen[6:8] == [None, 15]
    assert seen[8][0] == "panic" and "already free" in seen[8][1]
    assert seen[9] == 13                         # the two frames before the double free were freed
    assert seen[10:] == [[], 13, [], 13]
