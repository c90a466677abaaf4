"""The address-space policy: where things live, virtually and physically (xv6's memlayout.h).

Physical memory (one region the Python kernel reads and writes directly)::

    PHYSTOP  +----------------------+
             | frames for kalloc    |  user pages, page tables, page directories
    KERNEND  +----------------------+
             | the kernel's x86 page|  GDT, the iret stub, a stack for the iret frame
    0        +----------------------+

Virtual memory of every process::

    0xFFFFFFFF +----------------------+
               | kernel: physical     |  KERNBASE + pa -> pa, supervisor only
    KERNBASE   +----------------------+
               | user: text, data,    |  allocated by exec and sbrk
               | guard page, stack,   |
               | heap, shm segments   |
    0          +----------------------+

The kernel itself is Python and has no virtual addresses; the kernel half of each
page directory exists so that the CPU can reach the GDT and so that a user access
above KERNBASE faults as "present but not user" (error code 5), as on xv6.
"""

from typing import NewType

__all__ = ["PhysAddr", "VirtAddr", "KERNBASE", "PHYSTOP", "KERNEND", "GDT_PA", "IRET_PA",
           "KSTACK_TOP", "P2V", "V2P"]

PhysAddr = NewType("PhysAddr", int)   # an address in emulated physical memory
VirtAddr = NewType("VirtAddr", int)   # an address in a process's (or the kernel's) address space

KERNBASE = 0x80000000   # first kernel virtual address; user memory lies below
PHYSTOP = 0x0E000000    # top of physical memory: 224 MiB, as xv6
KERNEND = 0x00100000    # physical memory below this is the kernel's; kalloc hands out the rest

GDT_PA = 0x00000000     # the global descriptor table (NSEGS 8-byte descriptors)
IRET_PA = 0x00000100    # a single `iret` instruction: the one x86 instruction the kernel runs
KSTACK_TOP = 0x00001000  # stack of the iret frame (grows down from the end of the page)


def P2V(pa: int) -> int:
    """Kernel virtual address of a physical address."""
    return pa + KERNBASE


def V2P(va: int) -> int:
    """Physical address of a kernel virtual address."""
    return va - KERNBASE
