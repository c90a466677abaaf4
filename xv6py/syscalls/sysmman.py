"""Memory-mapping and POSIX shared-memory system calls (Linux's mm/mmap.c,
mm/mprotect.c, and the shm_open of its C library, here in the kernel).

    mmap(addr, length, prot, flags, fd, offset)   a new area: its address
    munmap(addr, length)                          unmap whole areas or parts of them
    mprotect(addr, length, prot)                  change the protection of mapped pages
    shm_open(name, oflag, mode)                   an fd of a shared-memory object
    shm_unlink(name)                              take its name away
    ftruncate(fd, length)                         resize an object or a regular file

They fail with a negated error number (errno.py), as Linux's do. The areas
themselves are in mm/vma.py, the names in ipc/posixshm.py, files behind
mappings in fs/fmap.py; a page is mapped only when first touched (trap.py).
"""

from ..errno import EACCES, EBADF, EFAULT, EFBIG, EINVAL, ENODEV, ENOMEM, ENOSPC
from ..fs import fmap
from ..fs.file import FD_INODE, FD_SHM, filedrop
from ..fs.fmap import file_object, munmap_areas, release, truncate
from ..fs.fs import T_FILE
from ..fs.ondisk import BSIZE, MAXFILE
from ..ipc.posixshm import O_ACCMODE, O_RDWR, shm_obtain, shm_remove
from ..memlayout import KERNBASE
from ..mm.pgdir import switchuvm
from ..mm.vma import (
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_PRIVATE,
    MAP_SHARED,
    OBJ_ANON,
    PROT_EXEC,
    PROT_READ,
    PROT_WRITE,
    Vma,
    obj_new,
    obj_truncate,
    vma_find,
    vma_fixed_ok,
    vma_free,
    vma_insert,
    vma_protect,
    vma_remove,
    vma_space,
)
from ..mmu import PGROUNDUP, PGSIZE
from ..param import COST_VMA
from ..proc import proc
from ..proc.proc import myproc
from ..vtime import charge
from .args import argfd, argint, argints, argstr, fdalloc, newfile

__all__ = ["sys_mmap", "sys_munmap", "sys_mprotect", "sys_shm_open", "sys_shm_unlink",
           "sys_ftruncate", "SHM_SIZE_MAX"]

U32 = 0xFFFFFFFF
PROT_ALL = PROT_READ | PROT_WRITE | PROT_EXEC
MAP_KNOWN = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS
SHM_SIZE_MAX = 64 << 20     # ftruncate of a shared-memory object: at most this many bytes


def sys_mmap():
    """mmap(addr, length, prot, flags, fd, offset): the new area's address, or
    -EINVAL, -EBADF, -EACCES, -ENODEV, -ENOMEM. A generator: MAP_FIXED over
    areas unmaps them, which may write file pages back."""
    a = argints(6)
    if a is None:
        return -EFAULT
    addr, length, prot, flags, fd, offset = a
    addr &= U32
    kind = flags & (MAP_SHARED | MAP_PRIVATE)
    if (length <= 0 or offset < 0 or offset % PGSIZE or prot & ~PROT_ALL or flags & ~MAP_KNOWN
            or kind not in (MAP_SHARED, MAP_PRIVATE) or flags & MAP_FIXED and addr % PGSIZE):
        return -EINVAL
    length = PGROUNDUP(length)
    if length >= KERNBASE:
        return -ENOMEM
    obj, maywrite = None, True
    if not flags & MAP_ANONYMOUS:
        obj = _object(fd, prot, kind)
        if isinstance(obj, int):
            return obj
        maywrite = kind == MAP_PRIVATE or myproc().ofile[fd].writable
    p = myproc()
    start = yield from _place(p, addr, length, flags)
    if start < 0:
        if obj is not None:
            yield from release(obj)
        return start
    if flags & MAP_ANONYMOUS:
        obj = obj_new(OBJ_ANON, "anonymous", length) if kind == MAP_SHARED else None
        offset = 0
    charge(COST_VMA)
    vma_insert(p, Vma(start, start + length, prot, flags & ~MAP_FIXED, obj, offset // PGSIZE, maywrite))
    return start


def _object(fd: int, prot: int, kind: int):
    """The object behind fd, with a reference for the new area, or -EBADF,
    -ENODEV (not a regular file or an object), -EACCES (fd not open for it)."""
    if not 0 <= fd < len(myproc().ofile) or myproc().ofile[fd] is None:
        return -EBADF
    f = myproc().ofile[fd]
    if f.type == FD_INODE and f.ip.type == T_FILE:
        pass
    elif f.type != FD_SHM:
        return -ENODEV
    if not f.readable or kind == MAP_SHARED and prot & PROT_WRITE and not f.writable:
        return -EACCES
    if f.type == FD_SHM:
        f.obj.ref += 1
        return f.obj
    obj = file_object(f.ip)
    obj.size = f.ip.size        # (the file may have changed since it was mapped before)
    return obj


def _place(p, addr: int, length: int, flags: int):
    """Where the new area goes: addr with MAP_FIXED (areas there unmapped first;
    -EINVAL if the program image or a segment is there, -ENOMEM past KERNBASE),
    else addr if it is free, else where vma_space() finds room (-ENOMEM: none).
    A generator."""
    if flags & MAP_FIXED:
        if addr + length > KERNBASE:
            return -ENOMEM
        if addr == 0 or not vma_fixed_ok(p, addr, addr + length):
            return -EINVAL              # the program image, or a System V or lab segment
        gone = vma_remove(p, addr, addr + length)
        if gone:
            switchuvm(p)
            yield from munmap_areas(p, gone)
        return addr
    if addr % PGSIZE == 0 and addr and vma_free(p, addr, addr + length):
        return addr
    start = vma_space(p, length)
    return -ENOMEM if start is None else start


def sys_munmap():
    """munmap(addr, length): unmap every page of [addr, addr+length) that an area
    holds (none need be); 0, or -EINVAL. A generator: shared file pages are
    written back."""
    a = argints(2)
    if a is None:
        return -EFAULT
    addr, length = a[0] & U32, a[1]
    if addr % PGSIZE or length <= 0 or addr + PGROUNDUP(length) > KERNBASE:
        return -EINVAL
    p = myproc()
    gone = vma_remove(p, addr, addr + PGROUNDUP(length))
    charge(COST_VMA)
    if gone:
        switchuvm(p)                    # flush the TLB: the pages must fault from now on
        yield from munmap_areas(p, gone)
    return 0


def sys_mprotect() -> int:
    """mprotect(addr, length, prot): 0, or -EINVAL (addr, prot), -ENOMEM (a page
    of the range is in no area), -EACCES (write to a shared file or object
    opened read-only)."""
    a = argints(3)
    if a is None:
        return -EFAULT
    addr, length, prot = a[0] & U32, a[1], a[2]
    if addr % PGSIZE or length < 0 or prot & ~PROT_ALL:
        return -EINVAL
    p = myproc()
    hi = addr + PGROUNDUP(length)
    if hi > KERNBASE:
        return -ENOMEM
    areas = [vma_find(p, va) for va in range(addr, hi, PGSIZE)]
    if None in areas:
        return -ENOMEM
    if prot & PROT_WRITE and not all(v.maywrite for v in areas):
        return -EACCES
    charge(COST_VMA)
    if hi > addr:
        vma_protect(p, addr, hi, prot)
        switchuvm(p)
    return 0


def sys_shm_open() -> int:
    """shm_open(name, oflag, mode): the lowest free descriptor, open on the
    object; or -EFAULT, -EMFILE, -ENFILE and shm_obtain()'s errors."""
    name, oflag, mode = argstr(0), argint(1), argint(2)
    if name is None or oflag is None or mode is None:
        return -EFAULT
    f = newfile()
    if isinstance(f, int):
        return f
    obj = shm_obtain(myproc(), name, oflag, mode, proc.ptable.proc)
    if isinstance(obj, int):
        filedrop(f)
        return obj
    f.type, f.obj = FD_SHM, obj
    f.readable, f.writable = True, oflag & O_ACCMODE == O_RDWR
    return fdalloc(f)


def sys_shm_unlink() -> int:
    """shm_unlink(name): 0, or shm_remove()'s errors."""
    name = argstr(0)
    if name is None:
        return -EFAULT
    return shm_remove(myproc(), name)


def sys_ftruncate():
    """ftruncate(fd, length): 0, or -EBADF, -EINVAL (negative length, fd not
    open for writing, not a regular file or object), -EFBIG, -ENOSPC. A
    generator: a file's blocks change."""
    a = argfd(0)
    length = argint(1)
    if a is None:
        return -EBADF
    f = a[1]
    if length is None or length < 0 or not f.writable:
        return -EINVAL
    if f.type == FD_SHM:
        if length > SHM_SIZE_MAX:
            return -EFBIG
        obj_truncate(f.obj, length, proc.ptable.proc)
        return 0
    if f.type != FD_INODE or f.ip.type != T_FILE:
        return -EINVAL
    if length > MAXFILE * BSIZE:
        return -EFBIG
    if (yield from truncate(f.ip, length)) < 0:
        return -ENOSPC
    obj = fmap.file_objs.get((f.ip.dev, f.ip.inum))
    if obj is not None:                 # mapped: pages past the new end must go
        obj_truncate(obj, length, proc.ptable.proc)
    return 0
