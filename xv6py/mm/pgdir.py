"""Two-level x86 paging: page directories, page tables, user memory (xv6's vm.c).

A virtual address is split by the hardware into three fields::

    +--------10--------+--------10--------+---------12----------+
    |   PDX(va): index |   PTX(va): index |  offset in the page |
    |  in the page dir |  in a page table |                     |
    +------------------+------------------+---------------------+

    CR3 ──> page directory: 1024 PDEs ──> page table: 1024 PTEs ──> 4 KiB frame
            PDE = page table address | flags     PTE = frame address | flags

Page directories and page tables live in emulated physical memory in this exact
format: the emulated MMU walks them, and the functions here read and write them
as 32-bit little-endian words. A PDE or PTE is named by its physical address
(xv6 uses a C pointer, `pte_t *`); `x86.read32(pte)` is xv6's `*pte`.

The kernel half of every page directory (KERNBASE and up) maps all of physical
memory with 4 MiB pages, supervisor only. It is built once, in kvmalloc(), and
copied into each new directory: it has no page tables of its own to share or free.

walkpgdir, mappages and vmprint are also the reference of the page-table lab
(labs/pgtbl/): the code between `# [lab pgtbl] begin` and `# [lab pgtbl] end` is
what students write, and `xv6py lab init pgtbl DIR` hands them this file with
each region replaced by its stub (the commented lines after `# [lab pgtbl] stub:`).
"""

import struct

from ..dev.console import cprintf
from ..memlayout import KERNBASE, PHYSTOP, PhysAddr, VirtAddr
from ..mmu import (
    NPTENTRIES,
    PDX,
    PGADDR,
    PGROUNDDOWN,
    PGROUNDUP,
    PGSIZE,
    PGSIZE_4M,
    PTE_ADDR,
    PTE_FLAGS,
    PTE_P,
    PTE_PS,
    PTE_U,
    PTE_W,
    PTX,
    PTXSHIFT,
)
from ..panic import panic
from ..param import COST_FRAME, COST_PAGE, COST_WALK
from ..vtime import charge
from .kalloc import kalloc, kfree

__all__ = ["walkpgdir", "mappages", "setupkvm", "kvmalloc", "switchkvm", "switchuvm",
           "inituvm", "loaduvm", "allocuvm", "deallocuvm", "freevm", "clearpteu",
           "copyuvm", "missing_tables", "free_tables", "uva2ka", "copyout", "copyin", "uvmwalk",
           "uvmpage", "uvmpa", "uvmchunks", "vmprint", "kmap"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86", "kpgdir", "lastwalk")
x86 = None                   # the hardware
kpgdir: PhysAddr = None      # the kernel-only page directory, for when no process runs
lastwalk: tuple | None = None  # uvmpa's last walk: pgdir, page, PDE address, PDE value, PTE address

ZERO_PAGE = bytes(PGSIZE)

# The kernel's mappings, present in every page directory (xv6's kmap[]).
# Each row: (virtual start, physical start, physical end, permissions).
# xv6 has rows for I/O space, kernel text, kernel data and devices; the only x86
# structures xv6py's kernel has are the GDT and the iret stub at the bottom of
# physical memory, and the rest is frames for kalloc, so one row maps it all.
kmap = (
    (KERNBASE, 0, PHYSTOP, PTE_W),   # GDT, iret stub, then all frames: supervisor only
)


def walkpgdir(pgdir: PhysAddr, va: VirtAddr, alloc: bool) -> PhysAddr | None:
    """Return the address of the PTE in page table pgdir that corresponds to
    virtual address va. If alloc is true, create any required page table page.
    Returns None when the page table is missing (and not created) or memory ran out."""
    # [lab pgtbl] begin: find the PDE, make a zeroed page table if asked, return the PTE's address
    pde = pgdir + 4 * PDX(va)
    entry = x86.read32(pde)
    if entry & PTE_P:
        if entry & PTE_PS:
            panic(f"walkpgdir {va:#x}: 4 MiB page")   # only the kernel half uses them
        pgtab = PTE_ADDR(entry)
    else:
        if not alloc:
            return None
        pgtab = kalloc()
        if pgtab is None:
            return None
        # Make sure all those PTE_P bits are zero.
        x86.ram[pgtab:pgtab + PGSIZE] = ZERO_PAGE
        # The permissions here are overly generous, but they can be further
        # restricted by the permissions in the page table entries, if necessary.
        x86.write32(pde, pgtab | PTE_P | PTE_W | PTE_U)
    return pgtab + 4 * PTX(va)
    # [lab pgtbl] stub:
    # return None
    # [lab pgtbl] end


def mappages(pgdir: PhysAddr, va: VirtAddr, size: int, pa: PhysAddr, perm: int) -> int:
    """Create PTEs for virtual addresses starting at va that refer to physical
    addresses starting at pa. va and size might not be page-aligned.
    Returns 0, or -1 if a page table could not be allocated. Panics on a remap."""
    # [lab pgtbl] begin: one PTE per page of [va, va+size), refusing to remap
    a = PGROUNDDOWN(va)
    last = PGROUNDDOWN(va + size - 1)
    while True:
        pte = walkpgdir(pgdir, a, True)
        if pte is None:
            return -1
        if x86.read32(pte) & PTE_P:
            panic(f"remap {a:#x}")
        x86.write32(pte, pa | perm | PTE_P)
        if a == last:
            break
        a += PGSIZE
        pa += PGSIZE
    return 0
    # [lab pgtbl] stub:
    # return -1
    # [lab pgtbl] end


def setupkvm() -> PhysAddr | None:
    """Allocate a page directory holding only the kernel's mappings. Returns None
    when out of memory.

    xv6 maps every kmap row into each new directory with mappages(). The kernel
    half is identical in all of them, so here it is copied from kpgdir, which
    kvmalloc() built from kmap."""
    pgdir = kalloc()
    if pgdir is None:
        return None
    half = 4 * PDX(KERNBASE)
    charge(COST_FRAME + COST_PAGE)
    x86.ram[pgdir:pgdir + half] = ZERO_PAGE[:half]
    x86.ram[pgdir + half:pgdir + PGSIZE] = x86.ram[kpgdir + half:kpgdir + PGSIZE]
    return pgdir


def kvmalloc() -> None:
    """Build kpgdir, the page directory used when no process runs, from kmap, and
    switch to it. Each kmap row is mapped with 4 MiB pages (PDEs with PTE_PS)."""
    global kpgdir
    kpgdir = kalloc()
    x86.ram[kpgdir:kpgdir + PGSIZE] = ZERO_PAGE
    for virt, phys_start, phys_end, perm in kmap:
        for pa in range(phys_start & ~(PGSIZE_4M - 1), phys_end, PGSIZE_4M):
            pde = kpgdir + 4 * PDX(virt - phys_start + pa)
            x86.write32(pde, pa | perm | PTE_PS | PTE_P)
    switchkvm()


def switchkvm() -> None:
    """Switch the hardware page table register to the kernel-only page table,
    for when no process is running."""
    x86.lcr3(kpgdir)


def switchuvm(p) -> None:
    """Switch the CPU to process p: its registers and its page table.
    (xv6 also points the TSS at p's kernel stack; xv6py's kernel has no stacks.)"""
    if p.pgdir is None:
        panic("switchuvm: no pgdir")
    x86.load(p.tf)
    x86.lcr3(p.pgdir)     # loading CR3 also flushes the TLB


def inituvm(pgdir: PhysAddr, init: bytes) -> None:
    """Load the initcode into address 0 of pgdir. len(init) must be less than a page."""
    if len(init) >= PGSIZE:
        panic("inituvm: more than a page")
    mem = kalloc()
    charge(COST_FRAME + COST_PAGE)
    x86.ram[mem:mem + PGSIZE] = ZERO_PAGE
    mappages(pgdir, 0, PGSIZE, mem, PTE_W | PTE_U)
    x86.ram[mem:mem + len(init)] = init


def loaduvm(pgdir: PhysAddr, addr: VirtAddr, data: bytes | None, sz: int) -> int:
    """Load a program segment into pgdir: sz bytes of data, as exec read them from
    the file. addr must be page-aligned and the pages from addr to addr+sz must
    already be mapped. Returns 0, or -1 if data is None or shorter than sz (the
    file is shorter than promised, or the segment's offset lies past its end).
    (xv6's loaduvm(pgdir, addr, ip, offset, sz) reads the file itself; here the
    file system sits above mm/ and reading may sleep, so exec reads first.)"""
    if addr % PGSIZE:
        panic("loaduvm: addr must be page aligned")
    charge(PGROUNDUP(sz) // PGSIZE * COST_PAGE)
    for i in range(0, sz, PGSIZE):
        pte = walkpgdir(pgdir, addr + i, False)
        if pte is None:
            panic("loaduvm: address should exist")
        pa = PTE_ADDR(x86.read32(pte))
        n = min(sz - i, PGSIZE)
        page = data[i:i + n] if data is not None else None
        if page is None or len(page) != n:      # None: offset is past the end of the file
            return -1
        x86.ram[pa:pa + n] = page
        x86.written(pa)         # (a frame from kalloc holds no translated code: cheap)
    return 0


def allocuvm(pgdir: PhysAddr, oldsz: int, newsz: int) -> int:
    """Allocate page tables and zeroed physical memory to grow a process from oldsz
    to newsz, which need not be page aligned. Returns the new size, or 0 on error
    (newsz reaching KERNBASE, or out of memory: then nothing stays allocated)."""
    if newsz >= KERNBASE:
        return 0
    if newsz < oldsz:
        return oldsz
    a = start = PGROUNDUP(oldsz)
    tables = missing_tables(pgdir, a, newsz)
    while a < newsz:
        mem = kalloc()
        if mem is None:
            cprintf("allocuvm out of memory\n")
            break
        x86.ram[mem:mem + PGSIZE] = ZERO_PAGE
        if mappages(pgdir, a, PGSIZE, mem, PTE_W | PTE_U) < 0:
            cprintf("allocuvm out of memory (2)\n")
            kfree(mem)
            break
        a += PGSIZE
    charge((a - start) // PGSIZE * (COST_FRAME + COST_PAGE + COST_WALK))
    if a < newsz:
        _undo_allocuvm(pgdir, oldsz, newsz, tables)
        return 0
    return newsz


def missing_tables(pgdir: PhysAddr, start: int, end: int) -> list[int]:
    """Indexes of the page directory entries for [start, end) that have no page
    table yet: what free_tables() must free if mapping that range fails half-way."""
    missing = []
    if start < end:
        for i in range(PDX(start), PDX(end - 1) + 1):     # (a loop: a comprehension costs
            if not x86.read32(pgdir + 4 * i) & PTE_P:      # more than the usual one PDE)
                missing.append(i)
    return missing


def free_tables(pgdir: PhysAddr, tables: list[int]) -> None:
    """Undo the page tables a failed mapping created: free the table of each PDE
    index in `tables` (from missing_tables) and clear its PDE. Their PTEs must be
    clear already. (xv6 leaves such tables until freevm; a failed call should
    change nothing.)"""
    for i in tables:
        pde = x86.read32(pgdir + 4 * i)
        if pde & PTE_P:
            kfree(PTE_ADDR(pde))
            x86.write32(pgdir + 4 * i, 0)


def _undo_allocuvm(pgdir: PhysAddr, oldsz: int, newsz: int, tables: list[int]) -> None:
    """Free what a failed allocuvm took: the pages, and the page tables it created."""
    deallocuvm(pgdir, newsz, oldsz)
    free_tables(pgdir, tables)


def deallocuvm(pgdir: PhysAddr, oldsz: int, newsz: int) -> int:
    """Deallocate user pages to bring the process size from oldsz to newsz. oldsz
    and newsz need not be page-aligned, nor does newsz need to be less than oldsz.
    oldsz can be larger than the actual process size. Returns the new size."""
    if newsz >= oldsz:
        return oldsz
    a = PGROUNDUP(newsz)
    cost = 0
    while a < oldsz:
        cost += COST_WALK
        pte = walkpgdir(pgdir, a, False)
        if pte is None:
            a = PGADDR(PDX(a) + 1, 0, 0)        # no page table: skip its 4 MiB
            continue
        entry = x86.read32(pte)
        if entry & PTE_P:
            pa = PTE_ADDR(entry)
            if pa == 0:
                panic("kfree")
            kfree(pa)
            cost += COST_FRAME + COST_PAGE      # (kfree fills it with junk)
            x86.write32(pte, 0)
        a += PGSIZE
    charge(cost)
    return newsz


def freevm(pgdir: PhysAddr) -> None:
    """Free a page directory, the page tables of its user half and every user page
    they map.

    xv6 first calls deallocuvm(pgdir, KERNBASE, 0), one page-table walk per 4 MiB
    even where nothing is mapped; this reads each table once instead, which is the
    same work in one pass. The kernel half is skipped: it holds 4 MiB mappings,
    not page tables of this process."""
    if pgdir is None:
        panic("freevm: no pgdir")
    pdes = struct.unpack_from("<512I", x86.ram, pgdir)   # the user half: PDX < PDX(KERNBASE)
    frames = 1
    for pde in pdes:
        if pde & PTE_P:
            pgtab = PTE_ADDR(pde)
            for pte in struct.unpack_from("<1024I", x86.ram, pgtab):
                if pte & PTE_P:
                    kfree(PTE_ADDR(pte))
                    frames += 1
            kfree(pgtab)
            frames += 2                         # the table: read, then freed
    kfree(pgdir)
    charge(frames * (COST_FRAME + COST_PAGE))


def clearpteu(pgdir: PhysAddr, uva: VirtAddr) -> None:
    """Clear PTE_U on a page. Used to create an inaccessible page beneath the
    user stack (the guard page)."""
    pte = walkpgdir(pgdir, uva, False)
    if pte is None:
        panic("clearpteu")
    x86.write32(pte, x86.read32(pte) & ~PTE_U)


def copyuvm(pgdir: PhysAddr, sz: int) -> PhysAddr | None:
    """Given a parent process's page table, create a copy of it for a child: every
    page of [0, sz), with the same flags (so the guard page stays a guard page).
    Returns None when out of memory, with everything allocated so far freed."""
    d = setupkvm()
    if d is None:
        return None
    charge(PGROUNDUP(sz) // PGSIZE * (COST_FRAME + COST_PAGE + COST_WALK))
    for i in range(0, sz, PGSIZE):
        pte = walkpgdir(pgdir, i, False)
        if pte is None:
            panic("copyuvm: pte should exist")
        entry = x86.read32(pte)
        if not entry & PTE_P:
            panic("copyuvm: page not present")
        pa, flags = PTE_ADDR(entry), PTE_FLAGS(entry)
        mem = kalloc()
        if mem is None:
            freevm(d)
            return None
        x86.ram[mem:mem + PGSIZE] = x86.ram[pa:pa + PGSIZE]
        if mappages(d, i, PGSIZE, mem, flags) < 0:
            kfree(mem)
            freevm(d)
            return None
    return d


def uva2ka(pgdir: PhysAddr, uva: VirtAddr) -> PhysAddr | None:
    """Map a user virtual address to the physical address of its page, or None if
    the page is not present or not accessible to the user (PTE_U clear)."""
    pte = walkpgdir(pgdir, uva, False)
    if pte is None:
        return None
    entry = x86.read32(pte)
    if not entry & PTE_P or not entry & PTE_U:
        return None
    return PTE_ADDR(entry)


def copyout(pgdir: PhysAddr, va: VirtAddr, data: bytes) -> int:
    """Copy data to user address va in page table pgdir. Every page touched must
    be present, user-accessible and writable (xv6 checks only PTE_U: the kernel
    should not write where the user could not). Returns 0, or -1 with nothing
    copied."""
    n = len(data)
    if 0 < n <= PGSIZE - (va & (PGSIZE - 1)) and 0 <= va and va + n <= KERNBASE:
        pa = uvmpa(pgdir, va, PTE_P | PTE_U | PTE_W)    # one page: the usual small result
        if pa is None:
            return -1
        x86.ram[pa:pa + n] = data
        x86.written(pa)
        return 0
    chunks = uvmchunks(pgdir, va, n, PTE_P | PTE_U | PTE_W)
    if chunks is None:
        return -1
    done = 0
    for pa, n in chunks:
        x86.ram[pa:pa + n] = data[done:done + n]
        x86.written(pa)         # code translated from this page must not run again
        done += n
    return 0


def copyin(pgdir: PhysAddr, va: VirtAddr, n: int) -> bytes | None:
    """Copy n bytes from user address va in page table pgdir. Every page touched
    must be present and user-accessible. Returns the bytes, or None."""
    if 0 < n <= PGSIZE - (va & (PGSIZE - 1)) and 0 <= va and va + n <= KERNBASE:
        pa = uvmpa(pgdir, va, PTE_P | PTE_U)            # one page: the usual small argument
        return x86.ram[pa:pa + n] if pa is not None else None
    chunks = uvmchunks(pgdir, va, n, PTE_P | PTE_U)
    if chunks is None:
        return None
    return b"".join(x86.ram[pa:pa + k] for pa, k in chunks)


def uvmwalk(pgdir: PhysAddr, va: VirtAddr, n: int):
    """Walk the user range [va, va+n) page by page, as the MMU would: yield, for
    each page it touches, (va, pa, length, pte) -- the piece of the range in that
    page, where the piece would be in physical memory, and the PTE's value (0 when
    there is no page table: then pa is meaningless). The range must lie below
    KERNBASE; the caller checks. This walk (one uvmpage() a page) is behind
    copyin, copyout, argptr, fetchstr, shm's overlap check and the debugger."""
    end = va + n
    while va < end:
        pa, k, pte = uvmpage(pgdir, va, end)
        yield va, pa, k, pte
        va += k


def uvmpage(pgdir: PhysAddr, va: VirtAddr, end: int) -> tuple[int, int, int]:
    """One step of uvmwalk: for the page holding va, (pa, length, pte) of the piece
    of [va, end) in it."""
    va0 = PGROUNDDOWN(va)
    pte = walkpgdir(pgdir, va0, False)
    entry = x86.read32(pte) if pte is not None else 0
    return PTE_ADDR(entry) + (va - va0), min(va0 + PGSIZE, end) - va, entry


def uvmpa(pgdir: PhysAddr, va: VirtAddr, need: int) -> PhysAddr | None:
    """The physical address of user address va (below KERNBASE) in pgdir, or None
    if its page lacks one of the PTE bits in `need`. The one-page case of
    uvmchunks, for a range that does not cross a page -- most system call
    arguments -- written out: a page walk with no loop or list costs a third
    less, and a system call makes one or two. (A new walk still goes through
    walkpgdir.)

    The walk itself -- walkpgdir(pgdir, va, False) -- is remembered (lastwalk):
    a system call copies its arguments, then the struct they point to, from the
    same page (the user stack) one after the other. Where the PTE is depends
    only on pgdir, va's page and the value of its PDE; the answer is reused
    while all three are the same -- a PDE that changed since (a page table added
    or freed) means a new walk. So, unlike the CPU's TLB, nothing ever has to
    flush it; and the PTE itself is read anew at each use."""
    global lastwalk
    page = va >> PTXSHIFT
    walk = lastwalk
    if walk is not None and walk[0] == pgdir and walk[1] == page and x86.read32(walk[2]) == walk[3]:
        pte = walk[4]
    else:
        pte = walkpgdir(pgdir, page << PTXSHIFT, False)
        if pte is None:
            return None
        pde = pgdir + 4 * PDX(va)
        lastwalk = (pgdir, page, pde, x86.read32(pde), pte)
    entry = x86.read32(pte)
    if entry & need != need:
        return None
    return (entry & ~(PGSIZE - 1)) | (va & (PGSIZE - 1))


def uvmchunks(pgdir: PhysAddr, va: VirtAddr, n: int, need: int):
    """The physical pieces of the user range [va, va+n): a list of (pa, length),
    or None if the range leaves user space or any page it touches lacks one of
    the PTE bits in `need` (say PTE_P | PTE_U, and PTE_W to write). (The loop of
    uvmwalk, written out: every copyin and copyout comes here.)"""
    if n < 0 or va < 0 or va + n > KERNBASE:
        return None
    if 0 < n <= PGSIZE - (va & (PGSIZE - 1)):
        pa = uvmpa(pgdir, va, need)                     # one page: one walk, no loop
        return [(pa, n)] if pa is not None else None
    chunks = []
    end = va + n
    while va < end:
        pa, k, pte = uvmpage(pgdir, va, end)
        if pte & need != need:
            return None
        chunks.append((pa, k))
        va += k
    return chunks


def vmprint(pgdir: PhysAddr) -> None:
    """Print the user half of page directory pgdir on the console, the way the MMU
    walks it: a line for the directory, then for each present PDE a line with its
    page table, followed by a line for each present PTE of that table::

        page directory 0x0dfff000
         pde 0: page table 0x0dffe000 PWU
          pte 0: va 0x00000000 -> pa 0x0dffd000 PWU
          pte 1: va 0x00001000 -> pa 0x0dffc000 PW-

    Indexes are decimal, addresses 8 hex digits; the flags read P, W, U, with `-`
    for a clear W or U. The kernel half is left out: it is the same in every
    directory (4 MiB supervisor pages, see kvmalloc)."""
    # [lab pgtbl] begin: read the PDEs of the user half, then the PTEs of each page table
    cprintf("page directory %#010x\n", pgdir)
    for pdx in range(PDX(KERNBASE)):
        pde = x86.read32(pgdir + 4 * pdx)
        if not pde & PTE_P:
            continue
        cprintf(" pde %d: page table %#010x %s\n", pdx, PTE_ADDR(pde), _flagstr(pde))
        for ptx in range(NPTENTRIES):
            pte = x86.read32(PTE_ADDR(pde) + 4 * ptx)
            if pte & PTE_P:
                cprintf("  pte %d: va %#010x -> pa %#010x %s\n",
                        ptx, PGADDR(pdx, ptx, 0), PTE_ADDR(pte), _flagstr(pte))
    # [lab pgtbl] stub:
    # pass
    # [lab pgtbl] end


def _flagstr(entry: int) -> str:
    """The P, W and U bits of a PDE or PTE as three letters, `-` for a clear bit."""
    return "".join(c if entry & bit else "-" for c, bit in (("P", PTE_P), ("W", PTE_W), ("U", PTE_U)))
