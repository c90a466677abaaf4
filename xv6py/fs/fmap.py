"""Files behind mappings: the file system's side of mmap (mm/vma.py holds the areas).

    obj = file_object(ip)          the object of a mapped file (one per inode)
    fillpage(p, va, v)             read a file page in, at a fault (may sleep)
    munmap_areas(p, gone)          write shared file pages back, drop the objects
    mmap_exit(p)                   exit and exec: every area goes
    mmap_reap(p)                   a machine torn down: areas go, nothing is written
    truncate(ip, length)           ftruncate of a regular file

A shared mapping of a file keeps its pages in the file's object (Linux's page
cache, kept only while the file is mapped): every MAP_SHARED area of the file,
in any process, maps the same frames. They reach the disk when an area is
unmapped (munmap, exit, exec): each page written through the area is written
back within the file's size, in log transactions as filewrite() makes them, so
a crash leaves the file as one of the states a program could have seen. Which
pages were written is the hardware's to say: the MMU sets the dirty bit
(PTE_D) of a PTE at the first write through it, and vma_remove() notes the
pages whose PTE has it in obj.dirty as it clears them. A page only read is not
written back. Writes of MAP_PRIVATE areas never reach the file.
"""

from ..memlayout import KERNBASE
from ..mm import vma
from ..mm.vma import (
    OBJ_FILE,
    MemObject,
    obj_new,
    obj_put,
    vma_install,
    vma_remove,
)
from ..mmu import PGROUNDDOWN, PGSIZE
from .bio import bread, brelse
from .file import MAXWRITE
from .fs import bfree, idrop, idup, ilock, iput, iunlock, iupdate, readi, writei
from .log import begin_op, end_op, log_write
from .ondisk import BSIZE, NDIRECT

__all__ = ["fmap_init", "file_object", "release", "fillpage", "munmap_areas", "mmap_exit",
           "mmap_reap", "truncate"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86", "file_objs")
x86 = None                  # the hardware
file_objs: dict = None      # (dev, inum) -> MemObject of a mapped file

def fmap_init() -> None:
    global file_objs
    file_objs = {}


def file_object(ip) -> MemObject:
    """The object of file ip, with a new reference (made, holding ip, if the
    file is not mapped yet). The caller holds ip (an open file)."""
    obj = file_objs.get((ip.dev, ip.inum))
    if obj is not None:
        obj.ref += 1
        return obj
    obj = obj_new(OBJ_FILE, f"inode {ip.inum}", ip.size)
    obj.ip = idup(ip)
    file_objs[ip.dev, ip.inum] = obj
    return obj


def release(obj: MemObject):
    """Drop a reference to obj (a generator: the last one of a file gives its
    inode back, in a transaction)."""
    ip = obj.ip
    if obj_put(obj) and ip is not None:
        del file_objs[ip.dev, ip.inum]
        yield from begin_op()
        yield from iput(ip)
        yield from end_op()


def fillpage(p, va: int, v):
    """Read the page of file area v holding va from the file and map it (a
    generator: the disk). Returns "" when mapped, else why the process must die."""
    obj = v.obj
    off = (v.pgoff + (PGROUNDDOWN(va) - v.start) // PGSIZE) * PGSIZE
    yield from ilock(obj.ip)
    size = obj.ip.size
    data = (yield from readi(obj.ip, off, min(PGSIZE, size - off))) if off < size else None
    iunlock(obj.ip)
    if data is None:
        return f"page at offset {off} is beyond the end of {obj.name} ({size} bytes)"
    if not vma_install(p, va, v, data):
        return "out of memory filling the page"
    return ""


def _writeback(v):
    """Write the pages of shared file area v that were written through it (in
    obj.dirty, noted by vma_remove) to the file, within its size."""
    obj = v.obj
    for idx in range(v.pgoff, v.pgoff + (v.end - v.start) // PGSIZE):
        pa = obj.frames.get(idx)
        off = idx * PGSIZE
        if idx not in obj.dirty:
            continue
        obj.dirty.discard(idx)
        if pa is None or off >= obj.ip.size:
            continue
        end = min(off + PGSIZE, obj.ip.size)
        while off < end:
            n = min(end - off, MAXWRITE)
            data = bytes(x86.ram[pa + off % PGSIZE:pa + off % PGSIZE + n])
            yield from begin_op()
            yield from ilock(obj.ip)
            if off < obj.ip.size:
                yield from writei(obj.ip, data[:max(0, min(n, obj.ip.size - off))], off)
            iunlock(obj.ip)
            yield from end_op()
            off += n
        vma.vmstats["writebacks"] += 1


def munmap_areas(p, gone):
    """After vma_remove(): write back the shared file areas in gone, then drop
    each area's object. A generator. Objects that are not files go first,
    before anything sleeps: while the disk works, every frame is still where
    the checker finds it (a file's object in file_objs), none only in gone."""
    for v in gone:
        if v.obj is not None and v.obj.kind != OBJ_FILE:
            obj_put(v.obj)
    for v in gone:
        if v.obj is not None and v.obj.kind == OBJ_FILE:
            if v.shared:
                yield from _writeback(v)
            yield from release(v.obj)


def mmap_exit(p):
    """Unmap every area of p (exit, and exec before the old image goes). A generator."""
    gone = vma_remove(p, 0, KERNBASE)
    yield from munmap_areas(p, gone)


def mmap_reap(p) -> None:
    """Drop every area of p with no disk I/O (a machine torn down mid-run)."""
    for v in vma_remove(p, 0, KERNBASE):
        if v.obj is not None:
            ip = v.obj.ip
            if obj_put(v.obj) and ip is not None:
                del file_objs[ip.dev, ip.inum]
                idrop(ip)


def truncate(ip, length: int):
    """Set the size of regular file ip to length (ftruncate), a generator: the
    blocks past the end freed in one transaction, or the file grown with zeros,
    a transaction for each MAXWRITE bytes. Returns 0, or -1 (disk full; what
    was written stays)."""
    if length <= ip.size:
        yield from begin_op()
        yield from ilock(ip)
        yield from _free_from(ip, (length + BSIZE - 1) // BSIZE)
        ip.size = length
        yield from iupdate(ip)
        iunlock(ip)
        yield from end_op()
        return 0
    while True:
        yield from begin_op()
        yield from ilock(ip)
        off = ip.size
        n = min(length - off, MAXWRITE)
        r = (yield from writei(ip, bytes(n), off)) if n > 0 else 0
        iunlock(ip)
        yield from end_op()
        if n <= 0:
            return 0
        if r != n:
            return -1


def _free_from(ip, first: int):
    """Free the blocks of ip from block index first on (ilock held, in a transaction)."""
    for i in range(first, NDIRECT):
        if ip.addrs[i]:
            yield from bfree(ip.dev, ip.addrs[i])
            ip.addrs[i] = 0
    ind = ip.addrs[NDIRECT]
    if not ind:
        return
    bp = yield from bread(ip.dev, ind)
    keep = max(first - NDIRECT, 0)
    for j in range(keep, BSIZE // 4):
        b = int.from_bytes(bp.data[4 * j:4 * j + 4], "little")
        if b:
            yield from bfree(ip.dev, b)
            bp.data[4 * j:4 * j + 4] = bytes(4)
    log_write(bp)
    brelse(bp)
    if keep == 0:
        yield from bfree(ip.dev, ind)
        ip.addrs[NDIRECT] = 0
