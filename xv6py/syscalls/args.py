"""Fetching system call arguments from user memory (the first half of xv6's syscall.c).

The user stub leaves the arguments on the user stack: argument n is the 32-bit
word at %esp + 4 + 4*n (the +4 skips the return address of the call to the stub).

Every fetch goes through the caller's page table: a user pointer is valid when
every page it touches is present and user-accessible (and writable, when the
kernel will write through it). xv6 instead checks pointers against the process
size p->sz; that would reject pointers into a shared-memory segment, which lies
above p->sz, and accept pointers into the guard page, which lies below it.
"""

import struct

from ..errno import EMFILE, ENFILE
from ..fs.file import filealloc
from ..memlayout import KERNBASE
from ..mm.pgdir import copyin, uvmchunks, uvmpa, uvmwalk
from ..mm.vma import FAULT_FILLED, FAULT_READ, vma_dirty, vma_prefault
from ..mmu import PGSIZE, PTE_P, PTE_U, PTE_W
from ..param import NOFILE
from ..proc.proc import myproc
from ..vtime import charge_range

__all__ = ["fetchint", "fetchstr", "argint", "argints", "argptr", "argstr", "argfd", "fdalloc", "newfile",
           "takefill"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86", "fillwant")
x86 = None   # the hardware
fillwant = None   # (addr, size, writable, call number): a buffer argptr refused because file pages of
#                   an mmap area under it are not read in yet (trap.py reads them and
#                   runs the system call again: takefill)

_INT = struct.Struct("<i")
# The argument words of a call with n arguments, for n up to 6 (mmap's).
_WORDS = tuple(struct.Struct(f"<{n}i") for n in range(7))


def fetchint(addr: int) -> int | None:
    """Fetch the signed 32-bit int at addr from the current process, or None."""
    data = copyin(myproc().pgdir, addr, 4)
    return _INT.unpack(data)[0] if data is not None else None


def fetchstr(addr: int) -> bytes | None:
    """Fetch the NUL-terminated string at addr, without the NUL, or None if some
    page before the NUL is not user memory. Each page is searched once: the cost
    grows with the string's length, not with its square, and is charged so."""
    if not 0 <= addr < KERNBASE:
        return None
    pieces = []
    scanned = 0
    for _, pa, k, pte in uvmwalk(myproc().pgdir, addr, KERNBASE - addr):
        if pte & (PTE_P | PTE_U) != PTE_P | PTE_U:
            charge_range(scanned)
            return None
        end = x86.ram.find(b"\0", pa, pa + k)
        if end >= 0:
            pieces.append(x86.ram[pa:end])
            charge_range(scanned + end - pa)
            return b"".join(pieces)
        pieces.append(x86.ram[pa:pa + k])
        scanned += k
    return None


def argint(n: int) -> int | None:
    """Fetch the nth 32-bit system call argument, or None."""
    return fetchint(myproc().tf.esp + 4 + 4 * n)


def argints(n: int) -> tuple[int, ...] | None:
    """The first n arguments (signed words), or None if one cannot be read (the
    stack is bad). One copy of all n words: what n argint() calls would read,
    at a quarter of the cost for four arguments (each walks the page table)."""
    p = myproc()
    va = p.tf.esp + 4
    if (va & (PGSIZE - 1)) <= PGSIZE - 4 * n:
        # In one page, the usual case: copyin's one-page walk, and no copy of the bytes.
        pa = uvmpa(p.pgdir, va, PTE_P | PTE_U) if va < KERNBASE else None
        return None if pa is None else _WORDS[n].unpack_from(x86.ram, pa)
    raw = copyin(p.pgdir, va, 4 * n)
    return None if raw is None else _WORDS[n].unpack(raw)


def argptr(n: int, size: int, writable: bool = False) -> int | None:
    """Fetch the nth argument as a pointer to a block of size bytes, and check that
    the block lies in user memory (writable too if asked). A zero-size block must
    still start in user memory. Returns the pointer, or None."""
    addr = argint(n)
    if addr is None or size < 0:
        return None
    addr &= 0xFFFFFFFF
    need = PTE_P | PTE_U | (PTE_W if writable else 0)
    p = myproc()
    chunks = uvmchunks(p.pgdir, addr, max(size, 1), need)
    if chunks is None and p.vmas:
        chunks = _prefault(p, addr, size, writable, need)
    if chunks is None:
        return None
    if writable and p.vmas:
        vma_dirty(p, addr, size)    # (a shared file page written by the kernel is written back)
    charge_range(size)          # the block was walked, and the call will copy it
    return addr


def _prefault(p, addr: int, size: int, writable: bool, need: int):
    """A buffer with pages of mmap areas not faulted in yet: fill them as the
    CPU's faults would (anonymous and object pages, at once) and walk it again.
    File pages must be read from the disk, which sleeps: argptr refuses the
    buffer and leaves fillwant for trap.py, which reads them in and runs the
    call again. (So argptr must come before the call changes anything -- which
    every sys_* does, checking its arguments first.)"""
    global fillwant
    what, _, _ = vma_prefault(p, addr, size, writable)
    if what == FAULT_FILLED:
        return uvmchunks(p.pgdir, addr, max(size, 1), need)
    if what == FAULT_READ:
        fillwant = (addr, size, writable, p.tf.eax)   # (%eax: the call's number, still)
    return None


def takefill():
    """The buffer the system call just made could not use for want of file pages
    (addr, size, writable, the call's number), or None; either way, none is pending after."""
    global fillwant
    want, fillwant = fillwant, None
    return want


def argstr(n: int) -> bytes | None:
    """Fetch the nth argument as a pointer to a NUL-terminated string, or None."""
    addr = argint(n)
    if addr is None:
        return None
    return fetchstr(addr & 0xFFFFFFFF)


def argfd(n: int):
    """Fetch the nth argument as a file descriptor. Returns (fd, file), or None
    if it is not an open descriptor of the current process."""
    fd = argint(n)
    if fd is None or not 0 <= fd < NOFILE:
        return None
    f = myproc().ofile[fd]
    if f is None:
        return None
    return fd, f


def fdalloc(f) -> int:
    """Give f the lowest free descriptor of the current process; -1 if none."""
    ofile = myproc().ofile
    for fd, g in enumerate(ofile):
        if g is None:
            ofile[fd] = f
            return fd
    return -1


def newfile():
    """The start of a call that opens something onto a new descriptor: a fresh
    open file (its fdalloc() will succeed), or -EMFILE (no free descriptor;
    checked first, so nothing is taken) or -ENFILE (the file table is full).
    The caller gives the file back with filedrop() if it fails later."""
    if None not in myproc().ofile:
        return -EMFILE
    f = filealloc()
    return -ENFILE if f is None else f

