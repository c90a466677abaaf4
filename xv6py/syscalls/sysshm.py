"""Shared-memory system calls: thin wrappers that fetch the arguments and call
the kernel half in mm/shm.py (as sysproc.c's wrappers call into proc.c)."""

from ..mm.shm import shm_attach, shm_create, shm_destroy, shm_detach
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
    return shm_attach(myproc(), id, addr)


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
