"""Memory areas of a process: what mmap() made, and the objects behind them
(Linux's vm_area_struct and the mmap lab of newer xv6 courses).

    p.vmas                 the process's areas, sorted by address, never overlapping
    Vma(start, end, ...)   one area: [start, end) page aligned, its protection,
                           its flags, the object behind it and the page offset in it
    MemObject              what shared pages belong to: an anonymous shared area,
                           a POSIX shared-memory object (ipc/posixshm.py) or a
                           file (fs/fmap.py); it holds its frames, by page index

Pages are mapped lazily: mmap only records an area, and the first access to a
page faults; vma_fault() then finds the area, checks the access against its
protection and maps the page -- a zeroed frame, the object's frame for that
page (made zero-filled if it has none yet), or, for a file, a frame the
caller fills from the file (the file system sleeps, which this layer may not).

Who owns a frame, so that every frame has exactly one owner to free it:

* a page of a MAP_SHARED area (and every page of a shared object) belongs to
  the object, in obj.frames; page tables only point at it. The object is freed
  with its frames when its last reference goes (obj.ref counts areas, open
  files, and its name while it has one);
* a page of a MAP_PRIVATE area belongs to the process: the frame in its PTE.
  fork copies such pages at once (no copy-on-write: the copy is the simple
  thing to read, and the lazy fill already keeps untouched pages free).
  A private mapping of an object copies the object's page at the first touch
  (Linux copies on the first write; here a private page never changes after
  it is copied, whatever other processes write to the object later).

Nothing here sleeps or touches the disk: fs/fmap.py reads file pages in and
writes shared file pages back.
"""

import struct

from ..memlayout import KERNBASE
from ..mmu import PDX, PGADDR, PGROUNDDOWN, PGROUNDUP, PGSIZE, PTE_ADDR, PTE_D, PTE_FLAGS, PTE_P, PTE_U, PTE_W
from ..panic import panic
from ..param import COST_FRAME, COST_PAGE, COST_VMA, COST_WALK
from ..vtime import charge
from .kalloc import kalloc, kfree
from .pgdir import ZERO_PAGE, copyin, copyout, free_tables, mappages, missing_tables

__all__ = ["PROT_NONE", "PROT_READ", "PROT_WRITE", "PROT_EXEC", "MAP_SHARED", "MAP_PRIVATE",
           "MAP_FIXED", "MAP_ANONYMOUS", "MMAP_BASE", "OBJ_ANON", "OBJ_SHM", "OBJ_FILE",
           "FAULT_FILLED", "FAULT_READ", "FAULT_SEGV", "FAULT_BUS", "MemObject", "Vma",
           "vma_find", "vma_overlaps", "vma_space", "vma_insert", "vma_remove", "vma_protect",
           "vma_fault", "vma_install", "vma_fork", "vma_free", "vma_fixed_ok", "obj_new", "obj_get",
           "obj_put", "obj_truncate", "vma_resident", "vma_allows", "vma_prefault",
           "vma_copyin", "vma_copyout", "vma_dirty",
           "vma_label", "protname", "vmstats", "vmstats_init"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86", "vmstats")
x86 = None                  # the hardware
vmstats: dict = None        # counters: lazy fills, objects alive, file pieces written
#                             back (tests and views read them)

# Protection (Linux's values, as <sys/mman.h> has them)
PROT_NONE = 0x0             # no access: every touch faults
PROT_READ = 0x1
PROT_WRITE = 0x2
PROT_EXEC = 0x4             # every readable user page is executable (32-bit paging has no NX)
# What lets a user read a page: 32-bit paging has only U and W, so a page the
# user may write or run is a page the user may read (Linux on such x86 alike).
PROT_READABLE = PROT_READ | PROT_WRITE | PROT_EXEC

# Flags (Linux's values)
MAP_SHARED = 0x01           # writes go to the object, seen by every mapping of it
MAP_PRIVATE = 0x02          # writes stay in this process
MAP_FIXED = 0x10            # exactly at addr, replacing areas there
MAP_ANONYMOUS = 0x20        # no file: zero-filled pages

# Where the kernel places a mapping it chooses: top down from here, far above the
# heap (which grows up from p.sz) and below where System V's shmat(0) starts (KERNBASE).
MMAP_BASE = 0x60000000

# Kinds of objects
OBJ_ANON = "anon"           # the pages of a MAP_SHARED|MAP_ANONYMOUS area
OBJ_SHM = "shm"             # a POSIX shared-memory object (shm_open)
OBJ_FILE = "file"           # a regular file (its inode in obj.ip)

# What vma_fault() found
FAULT_FILLED = 0            # the page is mapped now: run the instruction again
FAULT_READ = 1              # the page is a file's: read it, then vma_install()
FAULT_SEGV = 2              # no area allows the access: kill (SIGSEGV)
FAULT_BUS = 3               # beyond the end of the object: kill (SIGBUS)


class MemObject:
    """Pages that several areas share (Linux: a file's page cache, a shmem inode)."""

    __slots__ = ("kind", "name", "size", "frames", "ref", "ip", "mode", "uid", "gid", "dirty")

    def __init__(self, kind: str, name: str, size: int):
        self.kind = kind            # OBJ_ANON, OBJ_SHM or OBJ_FILE
        self.name = name            # for views: the shm name or the file's path
        self.size = size            # bytes; pages at or past PGROUNDUP(size) fault (SIGBUS)
        self.frames: dict[int, int] = {}   # page index -> frame, the pages made so far
        self.ref = 0                # areas + open files (+1 while an shm object has its name)
        self.ip = None              # the inode, for OBJ_FILE
        self.mode, self.uid, self.gid = 0o600, 0, 0   # owner and permissions (OBJ_SHM)
        self.dirty: set[int] = set()    # pages written through a mapping since unmapped
        #                                 (OBJ_FILE: the pages fs/fmap.py must write back)

    def __repr__(self) -> str:
        return f"<MemObject {self.kind} {self.name!r} {self.size} bytes ref {self.ref}>"


class Vma:
    """One memory area of a process (Linux's vm_area_struct)."""

    __slots__ = ("start", "end", "prot", "flags", "obj", "pgoff", "maywrite")

    def __init__(self, start: int, end: int, prot: int, flags: int, obj: MemObject | None, pgoff: int,
                 maywrite: bool = True):
        self.start, self.end = start, end   # [start, end), page aligned
        self.prot = prot                    # PROT_* bits
        self.flags = flags                  # MAP_SHARED or MAP_PRIVATE (| MAP_ANONYMOUS)
        self.obj = obj                      # None: private anonymous memory
        self.pgoff = pgoff                  # the object's page at start
        self.maywrite = maywrite            # may mprotect add PROT_WRITE? (a shared mapping
        #                                     of a descriptor opened read-only may not)

    @property
    def shared(self) -> bool:
        return bool(self.flags & MAP_SHARED)

    def __repr__(self) -> str:
        return f"<Vma {self.start:#x}-{self.end:#x} prot {self.prot} flags {self.flags:#x} {self.obj!r}>"


def obj_new(kind: str, name: str, size: int) -> MemObject:
    """A new object with one reference (the caller's), no frames yet."""
    obj = MemObject(kind, name, size)
    obj.ref = 1
    vmstats["objects"] += 1
    return obj


def obj_get(obj: MemObject) -> MemObject:
    """Take a reference to obj."""
    obj.ref += 1
    return obj


def obj_put(obj: MemObject) -> bool:
    """Drop a reference to obj; with the last one, free its frames. True if it
    was freed (a file's object must then give back its inode: fs/fmap.py)."""
    if obj.ref < 1:
        panic("obj_put")
    obj.ref -= 1
    if obj.ref > 0:
        return False
    for pa in obj.frames.values():
        kfree(pa)
    charge(len(obj.frames) * COST_FRAME)
    obj.frames = {}
    vmstats["objects"] -= 1
    return True


def vma_find(p, va: int) -> Vma | None:
    """The area of p holding address va, or None."""
    for v in p.vmas:
        if v.start <= va < v.end:
            return v
    return None


def vma_overlaps(p, lo: int, hi: int) -> bool:
    """Does [lo, hi) meet an area of p? (sbrk, shmat and shm_attach must not)"""
    return any(v.start < hi and lo < v.end for v in p.vmas)


def _present(pgdir: int, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """The present PTEs of [lo, hi) (page aligned) in pgdir: (va, PTE address,
    PTE), in order. Reads each page table's slice at once and skips a whole
    4 MiB where the directory has no table."""
    out = []
    va = lo
    while va < hi:
        nxt = min(PGADDR(PDX(va) + 1, 0, 0), hi)
        pde = x86.read32(pgdir + 4 * PDX(va))
        if pde & PTE_P:
            first = PTE_ADDR(pde) + 4 * ((va >> 12) & 0x3FF)
            n = (nxt - va) // PGSIZE
            for i, entry in enumerate(struct.unpack_from(f"<{n}I", x86.ram, first)):
                if entry & PTE_P:
                    out.append((va + i * PGSIZE, first + 4 * i, entry))
        va = nxt
    return out


def _mapped_below(pgdir: int, lo: int, hi: int) -> int | None:
    """The highest page of [lo, hi) that is mapped in pgdir, or None."""
    present = _present(pgdir, lo, hi)
    return present[-1][0] if present else None


def vma_free(p, lo: int, hi: int) -> bool:
    """Is [lo, hi) free for a new area: above the process image (p.sz), below
    KERNBASE, no area, no mapped page (segments of either shm kind)?"""
    return (p.sz <= lo < hi <= KERNBASE and not vma_overlaps(p, lo, hi)
            and _mapped_below(p.pgdir, lo, hi) is None)


def vma_fixed_ok(p, lo: int, hi: int) -> bool:
    """May MAP_FIXED put an area at [lo, hi)? Above the process image, below
    KERNBASE, and every page mapped there an area's (which the new one replaces),
    none a segment's."""
    if not p.sz <= lo < hi <= KERNBASE:
        return False
    return all(vma_find(p, va) is not None for va, _, _ in _present(p.pgdir, lo, hi))


def vma_space(p, length: int) -> int | None:
    """A free range of length bytes (page multiple) for the kernel to choose:
    the highest below MMAP_BASE, else the highest below KERNBASE. None if none."""
    for top in (MMAP_BASE, KERNBASE):
        while top - length >= max(p.sz, PGSIZE):
            lo = top - length
            v = max((v for v in p.vmas if v.start < top and lo < v.end), key=lambda v: v.start, default=None)
            if v is not None:
                top = v.start
                continue
            used = _mapped_below(p.pgdir, lo, top)
            if used is None:
                return lo
            top = used
    return None


def vma_insert(p, v: Vma) -> None:
    """Add area v to p (the range must be free), keeping p.vmas sorted."""
    if vma_overlaps(p, v.start, v.end):
        panic("vma_insert: overlap")
    p.vmas.append(v)
    p.vmas.sort(key=lambda a: a.start)


def _split(p, v: Vma, at: int) -> Vma:
    """Split area v at address at (page aligned, inside it): v keeps [start, at),
    the returned new area [at, end) is added to p. The object gains a reference."""
    w = Vma(at, v.end, v.prot, v.flags, v.obj, v.pgoff + (at - v.start) // PGSIZE, v.maywrite)
    if v.obj is not None:
        obj_get(v.obj)
    v.end = at
    p.vmas.append(w)
    p.vmas.sort(key=lambda a: a.start)
    return w


def _pieces(p, lo: int, hi: int) -> list[Vma]:
    """Split p's areas at lo and hi; return the areas that lie inside [lo, hi)."""
    for v in list(p.vmas):
        if v.start < lo < v.end:
            _split(p, v, lo)
    for v in list(p.vmas):
        if v.start < hi < v.end:
            _split(p, v, hi)
    return [v for v in p.vmas if lo <= v.start and v.end <= hi]


def vma_remove(p, lo: int, hi: int) -> list[Vma]:
    """Unmap [lo, hi) (page aligned) from p: split the areas it cuts, clear the
    PTEs of the pages inside, free the private ones. Returns the removed areas,
    each still holding its object's reference: the caller writes shared file
    pages back (fs/fmap.py) and then drops it. The caller flushes the TLB."""
    gone = _pieces(p, lo, hi)
    for v in gone:
        p.vmas.remove(v)
        _unmap_pages(p.pgdir, v)
    return gone


def _unmap_pages(pgdir: int, v: Vma) -> None:
    """Clear the present PTEs of area v; free the frames the process owns
    (private). A shared file page whose PTE is dirty is noted in its object
    (obj.dirty), for the write-back that follows (fs/fmap.py)."""
    present = _present(pgdir, v.start, v.end)
    for va, pte, entry in present:
        if not v.shared:
            kfree(PTE_ADDR(entry))
        elif entry & PTE_D and v.obj.kind == OBJ_FILE:
            # The MMU sets PTE_D in the entry at the first write through it
            # (tests/test_unicorn_facts.py pins it); nothing else sets it here.
            v.obj.dirty.add(v.pgoff + (va - v.start) // PGSIZE)
        x86.write32(pte, 0)
    charge(COST_VMA + len(present) * (COST_WALK + (0 if v.shared else COST_FRAME)))


def _perm(prot: int) -> int:
    """The PTE bits for an area's protection. A PROT_NONE page that is resident
    stays mapped without PTE_U: the MMU refuses every user access to it (a
    protection fault, err 5 or 7), and the frame keeps its contents for a later
    mprotect, as Linux keeps them. (32-bit paging has no "no access" bit other
    than U; the kernel's own copies check PTE_U too, so a system call's buffer
    there fails with EFAULT, as on Linux.)"""
    if not prot & PROT_READABLE:
        return 0
    return PTE_U | (PTE_W if prot & PROT_WRITE else 0)


def vma_protect(p, lo: int, hi: int, prot: int) -> None:
    """Set the protection of [lo, hi) (every page in an area: the caller checks),
    splitting areas; present pages get the new PTE bits, keeping their frames
    and the dirty bit the MMU set (a shared file page written before the change
    is still written back). The caller flushes the TLB."""
    for v in _pieces(p, lo, hi):
        v.prot = prot
        present = _present(p.pgdir, v.start, v.end)
        for _, pte, entry in present:
            x86.write32(pte, PTE_ADDR(entry) | _perm(prot) | PTE_P | (entry & PTE_D))
        charge(COST_VMA + len(present) * COST_WALK)


def vma_allows(p, va: int, err: int) -> bool:
    """Would vma_fault() fill the page for this fault (no side effects)? For
    views: a debugger does not stop at a lazy fill, the fault explainer says so."""
    v = vma_find(p, va)
    write = bool(err & 2)
    if v is None or err & 1 or not v.prot & (PROT_WRITE if write else PROT_READABLE):
        return False
    idx = v.pgoff + (PGROUNDDOWN(va) - v.start) // PGSIZE
    return v.obj is None or idx * PGSIZE < v.obj.size


def vma_label(v: Vma) -> str:
    """How views name an area: "mmap shared /name", "mmap private anonymous"."""
    what = v.obj.name if v.obj is not None else "anonymous"
    return f"mmap {'shared' if v.shared else 'private'} {what}"


def vma_fault(p, va: int, err: int) -> tuple[int, str, Vma | None]:
    """A page fault at va (error code err: bit 0 present, bit 1 write) in p.
    Returns (what, reason, area): FAULT_FILLED with the page now mapped;
    FAULT_READ, for a file page: read it and call vma_install(); FAULT_SEGV or
    FAULT_BUS with the reason to print when the process is killed."""
    v = vma_find(p, va)
    if v is None:
        return FAULT_SEGV, "no mapped area holds the address", None
    write = bool(err & 2)
    if err & 1 or not v.prot & (PROT_WRITE if write else PROT_READABLE):
        return FAULT_SEGV, f"{'write to' if write else 'read from'} an area mapped {protname(v.prot)}", v
    idx = v.pgoff + (PGROUNDDOWN(va) - v.start) // PGSIZE
    if v.obj is not None and v.obj.kind == OBJ_FILE and idx not in v.obj.frames:
        return FAULT_READ, "", v        # (fmap.fillpage checks the file's size, as it is now)
    if v.obj is not None and idx * PGSIZE >= v.obj.size:
        return FAULT_BUS, f"page {idx} is beyond the end of {v.obj.name!r} ({v.obj.size} bytes)", v
    pa = _page_for(v, idx)
    if pa is None or _map_one(p.pgdir, PGROUNDDOWN(va), pa, v.prot) < 0:
        if pa is not None and not v.shared:
            kfree(pa)
        return FAULT_SEGV, "out of memory filling the page", v
    vmstats["fills"] += 1
    return FAULT_FILLED, "", v


def vma_prefault(p, va: int, n: int, write: bool) -> tuple[int, int, Vma | None]:
    """Fill the pages of [va, va+n) that areas of p hold and have not faulted in
    yet, as the MMU's faults would (a system call's buffer: the kernel copies
    through the page table, where a missing page is no fault). File pages are
    not read here (that sleeps). Returns (FAULT_FILLED, 0, None) when every
    page is present now; else what vma_fault() said of the first page that is
    not, with that page and its area (FAULT_READ: a file page to read in)."""
    end = min(va + max(n, 1), KERNBASE)
    present = {a for a, _, _ in _present(p.pgdir, PGROUNDDOWN(va), PGROUNDUP(end))}
    for page in range(PGROUNDDOWN(va), end, PGSIZE):
        if page not in present:
            what, _, v = vma_fault(p, page, 4 | (2 if write else 0))
            if what != FAULT_FILLED:
                return what, page, v
    return FAULT_FILLED, 0, None


def vma_copyin(p, va: int, n: int) -> bytes | None:
    """copyin() from p's memory, where a page of p's areas not faulted in yet is
    filled first, as the MMU's fault would fill it had p touched it (Linux's
    copy_from_user takes that fault). A file page not read in yet is not read
    here (that sleeps): the copy fails, as for any page p may not read."""
    data = copyin(p.pgdir, va, n)
    if data is None and p.vmas and vma_prefault(p, va, n, False)[0] == FAULT_FILLED:
        data = copyin(p.pgdir, va, n)
    return data


def vma_copyout(p, va: int, data: bytes) -> int:
    """copyout() into p's memory, filling p's area pages not faulted in yet as
    vma_copyin() does, and marking what it wrote dirty (vma_dirty). 0, or -1."""
    r = copyout(p.pgdir, va, data)
    if r < 0 and p.vmas and vma_prefault(p, va, len(data), True)[0] == FAULT_FILLED:
        r = copyout(p.pgdir, va, data)
    if r == 0 and p.vmas:
        vma_dirty(p, va, len(data))
    return r


def vma_dirty(p, va: int, n: int) -> None:
    """The kernel is about to write [va, va+n) of p (a system call's buffer):
    set PTE_D on the present pages there, as the MMU does on a write through
    them. The kernel writes through the frames, not through the user's
    addresses, so the MMU cannot see it; a shared file page read() into must
    be written back all the same."""
    end = min(va + max(n, 1), KERNBASE)
    for _, pte, entry in _present(p.pgdir, PGROUNDDOWN(va), PGROUNDUP(end)):
        if not entry & PTE_D:
            x86.write32(pte, entry | PTE_D)


def _page_for(v: Vma, idx: int) -> int | None:
    """The frame to map for page idx of area v: the object's (made, zeroed, if
    missing) for a shared area; a new private frame, zeroed or a copy of the
    object's page, otherwise. None if out of memory."""
    obj = v.obj
    if v.shared and idx in obj.frames:
        return obj.frames[idx]
    pa = kalloc()
    if pa is None:
        return None
    charge(COST_FRAME + COST_PAGE)
    src = obj.frames.get(idx) if obj is not None else None
    x86.ram[pa:pa + PGSIZE] = ZERO_PAGE if src is None else x86.ram[src:src + PGSIZE]
    x86.written(pa)
    if v.shared:
        obj.frames[idx] = pa
    return pa


def vma_install(p, va: int, v: Vma, data: bytes) -> bool:
    """Map the page of file area v holding va, filled with data (at most a page;
    the rest reads as zeros). A shared page joins the file's object. False if
    out of memory (nothing changed)."""
    idx = v.pgoff + (PGROUNDDOWN(va) - v.start) // PGSIZE
    if v.shared and idx in v.obj.frames:       # filled by another process meanwhile
        pa = v.obj.frames[idx]
    else:
        pa = kalloc()
        if pa is None:
            return False
        charge(COST_FRAME + COST_PAGE)
        x86.ram[pa:pa + PGSIZE] = data + ZERO_PAGE[len(data):]
        x86.written(pa)
    if _map_one(p.pgdir, PGROUNDDOWN(va), pa, v.prot) < 0:
        if not (v.shared and v.obj.frames.get(idx) == pa):
            kfree(pa)
        return False
    if v.shared:
        v.obj.frames[idx] = pa
    vmstats["fills"] += 1
    return True


def _map_one(pgdir: int, va: int, pa: int, prot: int) -> int:
    """Map one page; 0, or -1 (no page table; none was left allocated)."""
    tables = missing_tables(pgdir, va, va + PGSIZE)
    charge(COST_WALK)
    if mappages(pgdir, va, PGSIZE, pa, _perm(prot)) < 0:
        free_tables(pgdir, tables)
        return -1
    return 0


def vma_fork(parent, child) -> int:
    """Give child copies of parent's areas: shared ones refer to the same objects
    (their pages fault in again in the child, from the object's frames); private
    pages are copied now (no copy on write). 0, or -1 when out of memory: then
    the caller drops the areas the child has so far (vma_remove), which frees
    the pages copied and the objects' references."""
    for v in parent.vmas:
        w = Vma(v.start, v.end, v.prot, v.flags, v.obj, v.pgoff, v.maywrite)
        if v.obj is not None:
            obj_get(v.obj)
        child.vmas.append(w)
        if not v.shared and _copy_private(parent.pgdir, child.pgdir, v) < 0:
            return -1
    return 0


def _copy_private(src: int, dst: int, v: Vma) -> int:
    """Copy the present pages of private area v from page table src to dst."""
    for va, pa, flags in vma_resident(src, v):
        mem = kalloc()
        if mem is None:
            return -1
        charge(COST_FRAME + COST_PAGE + COST_WALK)
        x86.ram[mem:mem + PGSIZE] = x86.ram[pa:pa + PGSIZE]
        if mappages(dst, va, PGSIZE, mem, flags) < 0:
            kfree(mem)
            return -1
    return 0


def vma_resident(pgdir: int, v: Vma) -> list[tuple[int, int, int]]:
    """The pages of area v present in pgdir: (va, frame, PTE flags), in order."""
    return [(va, PTE_ADDR(e), PTE_FLAGS(e)) for va, _, e in _present(pgdir, v.start, v.end)]


def obj_truncate(obj: MemObject, size: int, procs) -> None:
    """Set obj's size; pages at or past the new end are unmapped from every
    process in procs that maps them, and their frames freed."""
    npages = (size + PGSIZE - 1) // PGSIZE
    gone = [i for i in obj.frames if i >= npages]
    if gone:
        for p in procs:
            for v in p.vmas:
                if v.obj is obj and v.shared:
                    _unmap_from(p.pgdir, v, npages)
        for i in gone:
            kfree(obj.frames.pop(i))
        charge(len(gone) * COST_FRAME)
    if size < obj.size and size % PGSIZE and npages - 1 in obj.frames:
        # the new last page's tail must read as zeros if the object grows again
        pa = obj.frames[npages - 1]
        x86.ram[pa + size % PGSIZE:pa + PGSIZE] = ZERO_PAGE[size % PGSIZE:]
    obj.size = size


def _unmap_from(pgdir: int, v: Vma, npages: int) -> None:
    """Clear the PTEs of shared area v for the object's pages from npages on."""
    for va, pte, _ in _present(pgdir, v.start, v.end):
        if v.pgoff + (va - v.start) // PGSIZE >= npages:
            x86.write32(pte, 0)


def protname(prot: int) -> str:
    """PROT bits as Linux's /proc/PID/maps writes them: "rw-", "r--", "---"."""
    return "".join(c if prot & b else "-" for c, b in (("r", PROT_READ), ("w", PROT_WRITE), ("x", PROT_EXEC)))


def vmstats_init() -> None:
    global vmstats
    vmstats = {"fills": 0, "objects": 0, "writebacks": 0}
