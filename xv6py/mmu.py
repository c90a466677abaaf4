"""The x86 memory-management hardware: paging structures and segments (xv6's mmu.h).

A 32-bit virtual address is split in three by the two-level page table::

    +--------10--------+--------10--------+---------12----------+
    | Page Directory   |   Page Table     | Offset within Page  |
    |      Index       |      Index       |                     |
    +------------------+------------------+---------------------+
     \\--- PDX(va) ---/ \\--- PTX(va) ---/

    CR3 -> page directory (1024 PDEs) -> page table (1024 PTEs) -> 4 KiB frame

A PDE with PTE_PS set maps a whole 4 MiB page directly (no page table);
CR4.PSE must be on for the hardware to honour it.

PTEs and the PTE_* flags are plain ints. The PTE IntFlag names the same bits for
printing, but never compute with it: on Python >= 3.11 ``pte & ~PTE.U``
complements only the defined flags and DROPS THE FRAME ADDRESS
(``0x12345007 & ~PTE.U == 0x3``). Clear a bit with ``pte & ~PTE_U``.
"""

from enum import IntFlag

__all__ = [
    "PGSIZE", "PGSHIFT", "PTXSHIFT", "PDXSHIFT", "NPDENTRIES", "NPTENTRIES", "PGSIZE_4M",
    "PTE", "PTE_P", "PTE_W", "PTE_U", "PTE_PWT", "PTE_PCD", "PTE_A", "PTE_D", "PTE_PS",
    "PDX", "PTX", "PGADDR", "PTE_ADDR", "PTE_FLAGS", "PGROUNDUP", "PGROUNDDOWN",
    "CR0_PE", "CR0_MP", "CR0_WP", "CR0_PG", "CR4_PSE", "CR4_OSFXSR", "CR4_OSXMMEXCPT",
    "SEG_KCODE", "SEG_KDATA", "SEG_UCODE", "SEG_UDATA", "NSEGS", "DPL_USER", "FL_IF",
]

PGSIZE = 4096          # bytes mapped by a page
PGSHIFT = 12           # log2(PGSIZE)
PTXSHIFT = 12          # offset of PTX in a linear address
PDXSHIFT = 22          # offset of PDX in a linear address
NPDENTRIES = 1024      # directory entries per page directory
NPTENTRIES = 1024      # PTEs per page table
PGSIZE_4M = 1 << PDXSHIFT  # bytes mapped by one PDE with PTE_PS


# Page table/directory entry flags. Plain ints: an IntFlag in `pte & PTE_P` costs
# a trip through the enum machinery on every test of every entry.
PTE_P = 0x001    # Present: the entry maps something
PTE_W = 0x002    # Writeable (user writes need it; so do kernel writes when CR0.WP is on)
PTE_U = 0x004    # User: ring 3 may access it
PTE_PWT = 0x008  # Write-Through caching
PTE_PCD = 0x010  # Cache-Disable
PTE_A = 0x020    # Accessed: set by the MMU on any access
PTE_D = 0x040    # Dirty: set by the MMU on a write (PTEs only)
PTE_PS = 0x080   # Page Size: in a PDE, map a 4 MiB page directly


class PTE(IntFlag):
    """The same flags as an IntFlag, for printing: PTE(pte & 0xFFF) reads P|W|U."""

    P = PTE_P
    W = PTE_W
    U = PTE_U
    PWT = PTE_PWT
    PCD = PTE_PCD
    A = PTE_A
    D = PTE_D
    PS = PTE_PS


def PDX(va: int) -> int:
    """Page directory index of a virtual address."""
    return (va >> PDXSHIFT) & 0x3FF


def PTX(va: int) -> int:
    """Page table index of a virtual address."""
    return (va >> PTXSHIFT) & 0x3FF


def PGADDR(d: int, t: int, o: int) -> int:
    """Build a virtual address from directory index, table index and offset."""
    return (d << PDXSHIFT) | (t << PTXSHIFT) | o


def PTE_ADDR(pte: int) -> int:
    """Physical address held in a PTE or PDE (the upper 20 bits)."""
    return pte & ~0xFFF & 0xFFFFFFFF


def PTE_FLAGS(pte: int) -> int:
    """Flag bits of a PTE or PDE (the lower 12 bits)."""
    return pte & 0xFFF


def PGROUNDUP(sz: int) -> int:
    """Round up to a page boundary."""
    return (sz + PGSIZE - 1) & ~(PGSIZE - 1)


def PGROUNDDOWN(a: int) -> int:
    """Round down to a page boundary."""
    return a & ~(PGSIZE - 1)


# Control register bits.
CR0_PE = 0x00000001          # Protection Enable
CR0_MP = 0x00000002          # Monitor coProcessor
CR0_WP = 0x00010000          # Write Protect: ring 0 honours PTE_W too
CR0_PG = 0x80000000          # Paging
CR4_PSE = 0x00000010         # Page size extension: honour PTE_PS in PDEs
CR4_OSFXSR = 0x00000200      # OS saves SSE state with fxsave: SSE instructions allowed
CR4_OSXMMEXCPT = 0x00000400  # OS handles SSE exceptions

# Segment selectors: index in the GDT (the low 3 bits of a selector are RPL and TI).
SEG_KCODE = 1  # kernel code
SEG_KDATA = 2  # kernel data and stack
SEG_UCODE = 3  # user code
SEG_UDATA = 4  # user data and stack
NSEGS = 5      # null segment + the four above

DPL_USER = 0x3  # descriptor privilege level of user segments

FL_IF = 0x00000200  # EFLAGS: interrupt enable
