"""Shared-memory system calls: thin wrappers that fetch the arguments and call
the kernel half in mm/shm.py (as sysproc.c's wrappers call into proc.c)."""

from ..mm import shm
from ..mm.shm import shm_attach, shm_create, shm_destroy, shm_detach
from ..mm.vma import vma_overlaps
from ..mmu import PGSIZE
from ..param import SHM_N
from ..proc.proc import myproc
from .args import argint

__all__ = ["sys_shm_create", "sys_shm_attach", "sys_shm_detach", "sys_shm_destroy"]


def sys_shm_create() -> int:
    """shm_create(size): a new zero-filled segment; its id, or -1."""
    size = argint(0)
    if size is None:
        return -1
    return shm_create(size)


def sys_shm_attach() -> int:
    """shm_attach(id, addr): map segment id at addr in the caller; 0, or -1."""
    id, addr = argint(0), argint(1)
    if id is None or addr is None:
        return -1
    p = myproc()
    if _meets_area(p, id, addr):
        return -1
    return shm_attach(p, id, addr)


def _meets_area(p, id: int, addr: int) -> bool:
    """Would segment id at addr overlap an mmap area of p? (Checked here, not in
    mm/shm.py: that file is the lab's, which students replace.)"""
    if not 0 <= id < SHM_N:
        return False                # shm_attach refuses it
    npages = shm.shmtable.seg[id].npages
    return vma_overlaps(p, addr & 0xFFFFFFFF, (addr & 0xFFFFFFFF) + npages * PGSIZE)


def sys_shm_detach() -> int:
    """shm_detach(id): unmap segment id from the caller; 0, or -1."""
    id = argint(0)
    if id is None:
        return -1
    return shm_detach(myproc(), id)


def sys_shm_destroy() -> int:
    """shm_destroy(id): free segment id; 0, or -1 while it is attached anywhere."""
    id = argint(0)
    if id is None:
        return -1
    return shm_destroy(id)
