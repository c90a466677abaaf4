"""Paging (xv6py/mm/pgdir.py): page tables checked against hand-computed entries."""

import struct

import pytest

from xv6py.memlayout import KERNBASE, PHYSTOP
from xv6py.mm import kalloc as K
from xv6py.mm import pgdir as V
from xv6py.mmu import PDX, PGSIZE, PTE, PTE_A, PTE_ADDR, PTE_D, PTE_P, PTE_PS, PTE_U, PTE_W, PTX
from xv6py.panic import KernelPanic
from xv6py.testing.asserts import assert_frame_filled


def r32(m, pa):
    return struct.unpack_from("<I", m.x86.ram, pa)[0]


def test_address_split():
    va = 0x12345678
    assert (PDX(va), PTX(va), va & 0xFFF) == (0x048, 0x345, 0x678)
    assert PTE_ADDR(0x12345067) == 0x12345000


def test_intflag_trap_is_avoided():
    """On Python >= 3.11 complementing an IntFlag member drops the frame address;
    the PTE_* constants are plain ints so that `pte & ~PTE_U` is safe."""
    pte = 0x12345007
    assert pte & ~PTE.U == 0x3                   # the trap
    assert pte & ~PTE_U == 0x12345003            # what the kernel writes
    assert str(PTE(pte & 0xFFF)) in ("PTE.P|W|U", "PTE.P|PTE.W|PTE.U", "7")


def test_setupkvm_maps_kernel_half_with_4mib_supervisor_pages(kernel):
    d = V.setupkvm()
    for i in range(PDX(KERNBASE)):
        assert r32(kernel, d + 4 * i) == 0       # user half empty
    for i, pa in enumerate(range(0, PHYSTOP, 1 << 22)):
        pde = r32(kernel, d + 4 * (PDX(KERNBASE) + i))
        assert pde & ~(PTE_A | PTE_D) == pa | PTE_PS | PTE_W | PTE_P   # the MMU sets A and D
    assert r32(kernel, d + 4 * (PDX(KERNBASE) + PHYSTOP // (1 << 22))) == 0
    V.freevm(d)


def test_walkpgdir_without_alloc_finds_nothing(kernel):
    d = V.setupkvm()
    assert V.walkpgdir(d, 0x1000, False) is None
    n = K.kfreecount()
    pte = V.walkpgdir(d, 0x00403000, True)       # allocates one page table
    assert K.kfreecount() == n - 1
    pde = r32(kernel, d + 4 * 1)                 # PDX(0x00403000) == 1
    assert pde & 0xFFF == PTE_P | PTE_W | PTE_U
    assert pte == PTE_ADDR(pde) + 4 * 3          # PTX == 3
    assert_frame_filled(kernel, PTE_ADDR(pde), 0)
    V.freevm(d)


def test_mappages_writes_hand_computed_entries(kernel):
    d = V.setupkvm()
    pa = K.kalloc()
    pb = K.kalloc()
    assert V.mappages(d, 0x00403000, PGSIZE, pa, PTE_W | PTE_U) == 0
    assert V.mappages(d, 0x00404000, PGSIZE, pb, PTE_U) == 0
    pgtab = PTE_ADDR(r32(kernel, d + 4))
    assert r32(kernel, pgtab + 4 * 3) == pa | PTE_W | PTE_U | PTE_P
    assert r32(kernel, pgtab + 4 * 4) == pb | PTE_U | PTE_P
    assert V.walkpgdir(d, 0x00404FFF, False) == pgtab + 4 * 4   # same frame, any offset
    assert V.uva2ka(d, 0x00404ABC) == pb
    V.freevm(d)                                  # frees pa and pb too


def test_mappages_of_unaligned_range_covers_every_touched_page(kernel):
    d = V.setupkvm()
    a = K.kalloc()
    b = K.kalloc()                               # b == a - PGSIZE: a contiguous pair
    assert b + PGSIZE == a
    # [0x1ffc, 0x2004) touches pages 0x1000 and 0x2000
    assert V.mappages(d, 0x1FFC, 8, b, PTE_U) == 0
    assert V.uva2ka(d, 0x1000) == b and V.uva2ka(d, 0x2000) == a
    assert V.uva2ka(d, 0x3000) is None
    V.freevm(d)


def test_remap_panics(kernel):
    d = V.setupkvm()
    pa = K.kalloc()
    V.mappages(d, 0x1000, PGSIZE, pa, PTE_U)
    with pytest.raises(KernelPanic, match="remap"):
        V.mappages(d, 0x1000, PGSIZE, pa, PTE_U)
    V.freevm(d)


def test_allocuvm_zero_fills_and_deallocuvm_frees(kernel):
    d = V.setupkvm()
    n = K.kfreecount()
    assert V.allocuvm(d, 0, 3 * PGSIZE + 1) == 3 * PGSIZE + 1
    assert K.kfreecount() == n - 4 - 1           # 4 pages + 1 page table
    for va in range(0, 4 * PGSIZE, PGSIZE):
        pa = V.uva2ka(d, va)
        assert_frame_filled(kernel, pa, 0)
        assert r32(kernel, V.walkpgdir(d, va, False)) & 0xFFF == PTE_P | PTE_W | PTE_U
    assert V.allocuvm(d, 100, 50) == 100         # shrinking is deallocuvm's job
    assert V.deallocuvm(d, 3 * PGSIZE + 1, PGSIZE) == PGSIZE
    assert K.kfreecount() == n - 1 - 1           # one page left + the page table
    assert V.uva2ka(d, PGSIZE) is None
    V.freevm(d)
    assert K.kfreecount() == n + 1               # the directory itself, too


def test_allocuvm_refuses_kernbase(kernel):
    d = V.setupkvm()
    n = K.kfreecount()
    assert V.allocuvm(d, 0, KERNBASE) == 0
    assert V.allocuvm(d, KERNBASE - PGSIZE, KERNBASE + 1) == 0
    assert K.kfreecount() == n
    V.freevm(d)


def test_allocuvm_out_of_memory_frees_what_it_took():
    from xv6py.machine import Machine
    from xv6py.memlayout import KERNEND
    m = Machine(phystop=KERNEND + 20 * PGSIZE)
    m.activate()
    d = V.setupkvm()
    n = K.kfreecount()
    assert V.allocuvm(d, 0, 100 * PGSIZE) == 0
    assert K.kfreecount() == n
    V.freevm(d)


def test_clearpteu_keeps_the_frame(kernel):
    d = V.setupkvm()
    V.allocuvm(d, 0, 2 * PGSIZE)
    pa = V.uva2ka(d, 0)
    V.clearpteu(d, 0)
    assert r32(kernel, V.walkpgdir(d, 0, False)) == pa | PTE_P | PTE_W   # no PTE_U
    assert V.uva2ka(d, 0) is None                # not user accessible any more
    V.freevm(d)


def test_copyuvm_copies_contents_and_flags(kernel):
    d = V.setupkvm()
    V.allocuvm(d, 0, 3 * PGSIZE)
    V.clearpteu(d, PGSIZE)                       # a guard page in the middle
    V.copyout(d, 2 * PGSIZE + 10, b"hello")
    c = V.copyuvm(d, 3 * PGSIZE)
    assert V.copyin(c, 2 * PGSIZE + 10, 5) == b"hello"
    for va in range(0, 3 * PGSIZE, PGSIZE):
        a, b = r32(kernel, V.walkpgdir(d, va, False)), r32(kernel, V.walkpgdir(c, va, False))
        assert a & 0xFFF == b & 0xFFF and PTE_ADDR(a) != PTE_ADDR(b)
    V.freevm(c)
    V.freevm(d)


def test_copyuvm_out_of_memory_frees_everything():
    from xv6py.machine import Machine
    from xv6py.memlayout import KERNEND
    for spare in range(0, 8):
        m = Machine(phystop=KERNEND + 20 * PGSIZE)
        m.activate()
        d = V.setupkvm()
        V.allocuvm(d, 0, 4 * PGSIZE)
        hold = [K.kalloc() for _ in range(K.kfreecount() - spare)]
        n = K.kfreecount()
        c = V.copyuvm(d, 4 * PGSIZE)
        if c is None:
            assert K.kfreecount() == n           # nothing leaked half way
        else:
            V.freevm(c)
        for pa in hold:
            K.kfree(pa)
        V.freevm(d)


def test_copyout_copyin_cross_pages_and_check_permissions(kernel):
    d = V.setupkvm()
    V.allocuvm(d, 0, 3 * PGSIZE)
    V.clearpteu(d, 2 * PGSIZE)
    data = bytes(range(256)) * 20                # 5120 bytes: crosses a page
    assert V.copyout(d, 100, data) == 0
    assert V.copyin(d, 100, len(data)) == data
    assert V.copyout(d, 2 * PGSIZE - 2, b"abcd") == -1   # runs into the guard page
    assert V.copyin(d, 2 * PGSIZE - 2, 4) is None
    assert V.copyin(d, 3 * PGSIZE, 1) is None            # unmapped
    assert V.copyin(d, KERNBASE - 2, 4) is None          # into the kernel
    # a read-only user page: readable, not writable by copyout
    pte = V.walkpgdir(d, 0, False)
    kernel.x86.write32(pte, kernel.x86.read32(pte) & ~PTE_W)
    assert V.copyin(d, 0, 4) is not None
    assert V.copyout(d, 0, b"x") == -1
    V.freevm(d)


def test_copies_see_every_change_to_the_page_table_at_once(kernel):
    """uvmpa remembers its last walk; a copy must still see each change made
    since: a PTE cleared or pointed elsewhere, a PDE pointing at another page
    table, another page directory mapping the same page."""
    d = V.setupkvm()
    V.allocuvm(d, 0, PGSIZE)
    assert V.copyout(d, 8, b"one") == 0
    assert V.copyin(d, 8, 3) == b"one"
    pte = V.walkpgdir(d, 0, False)
    old = kernel.x86.read32(pte)
    kernel.x86.write32(pte, 0)                               # unmapped
    assert V.copyin(d, 8, 3) is None
    frame = K.kalloc()
    kernel.x86.ram[frame + 8:frame + 11] = b"two"
    kernel.x86.write32(pte, frame | PTE_P | PTE_W | PTE_U)   # another frame
    assert V.copyin(d, 8, 3) == b"two"
    table = K.kalloc()                                       # another page table...
    kernel.x86.ram[table:table + PGSIZE] = bytes(PGSIZE)
    kernel.x86.write32(table, old)                           # ...mapping the first frame
    pde = kernel.x86.read32(d)
    kernel.x86.write32(d, table | PTE_P | PTE_W | PTE_U)
    assert V.copyin(d, 8, 3) == b"one"
    e = V.setupkvm()                                         # another page directory
    V.allocuvm(e, 0, PGSIZE)
    assert V.copyin(e, 8, 3) == bytes(3)
    assert V.copyin(d, 8, 3) == b"one"
    kernel.x86.write32(d, pde)                               # put everything back
    kernel.x86.write32(pte, old)
    K.kfree(table)
    K.kfree(frame)
    V.freevm(e)
    V.freevm(d)


def test_freevm_returns_every_frame(kernel):
    n = K.kfreecount()
    d = V.setupkvm()
    V.allocuvm(d, 0, 5 * PGSIZE)
    V.allocuvm(d, 0x40000000, 0x40000000 + 2 * PGSIZE)   # a second page table
    V.freevm(d)
    assert K.kfreecount() == n
