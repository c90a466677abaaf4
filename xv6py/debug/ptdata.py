"""Page-table data: what the MMU sees in a machine's memory, as plain frozen dataclasses.

    walk(m, pgdir, va, access, user) -> Walk        one translation, level by level
    mappings(m, pgdir, sz, shm)      -> [Range]     the user half, coalesced and labelled
    pagedir(m, pgdir, sz, shm)       -> PageDir     the same, under each page directory entry
    snapshot(m)                      -> Snapshot    every live process's mappings + free frames
    ptdiff(old, new)                 -> [Change]    mappings added, removed or changed
    kalloc_diff(old, new)            -> KallocDiff  frames allocated and freed
    frames(m)                        -> [Frame]     which processes map which frame
    owners(m)                        -> {pa: str}   what each frame in use holds, in words
    shm_view(m)                      -> [ShmView]   segments, counts, who maps them where
    sysv_name(seg)                   -> str         "shm key 0x0000002a id 0": a System V segment
    pt(m, pid), walk_va(m, va, pid)                 the same for a process picked by pid

m is the Machine to look at, and the only one looked at: a page directory is
a physical address, and only means something in the memory it lives in, so
every function that reads memory takes m and reads m.x86's RAM (never that of
whichever machine ran last). The tables the kernel keeps in module globals (processes,
shm segments, the allocator's free map) are read in one helper each, below,
with m's kernel state installed.

Labels come from the page table itself plus p.sz and p.shm: exec leaves
text/data from 0, then one page that is present but not PTE_U (the guard),
then the stack page; sbrk's heap lies above the stack up to sz; shm segments
are attached wherever the program asked, usually above sz. The lab's segments
are named by their id ("shm 0"), System V segments (xv6py/ipc/shm.py) by key
and id ("shm key 0x0000002a id 32768"), wherever segments are shown; mmap
areas by what is behind them ("mmap shared /shm-posix", "mmap private
anonymous", "mmap shared inode 12"), their pages only once faulted in: pt lists
every area with how many of its pages are (areas_of).

render.py turns this data into text; commands.py holds the debugger's commands
and the page-fault explainer.
"""

import struct
from dataclasses import dataclass

from ..ipc import shm as _sysv
from ..machine import Machine
from ..memlayout import KERNBASE
from ..mm import kalloc as _kalloc
from ..mm import shm as _shm
from ..mm import vma as _vma
from ..mmu import (
    NPDENTRIES,
    PDX,
    PDXSHIFT,
    PGADDR,
    PGSIZE,
    PGSIZE_4M,
    PTE_ADDR,
    PTE_P,
    PTE_PS,
    PTE_U,
    PTE_W,
    PTX,
)
from ..proc import proc as _proc

__all__ = [
    "Step", "Walk", "Range", "Pde", "KernelHalf", "PageDir", "ProcMaps", "Snapshot", "Change",
    "KallocDiff", "Frame", "ShmAttach", "ShmView", "ACCESSES",
    "walk", "mappings", "pagedir", "snapshot", "ptdiff", "kalloc_diff", "frames",
    "owners", "shm_of", "shm_view", "sysv_name", "AreaView", "areas_of", "decode_err", "live_procs",
    "find_proc", "pt",
    "walk_va",
]


# The bits that say what a mapping allows. The MMU sets A and D as it goes: they
# are shown in a walk, but left out of ranges, or every access would split one.
PERM = PTE_P | PTE_W | PTE_U
ACCESSES = ("read", "write", "fetch")
USER_HALF = PDX(KERNBASE)          # PDEs below this index map user space


# ---- the kernel's tables, one helper each ----------------------------------------------------
# The kernel keeps these in module globals, one set per machine: enter m, then
# read. Nothing else in this module reads a kernel global.

def _ptable(m: Machine) -> tuple[list[_proc.Proc], _proc.Proc | None]:
    """m's process table (every slot) and the process on its CPU (or None)."""
    with m.entered():
        return _proc.ptable.proc, _proc.mycpu().proc


def _shmtable(m: Machine) -> list:
    """m's shm segment table, every slot (a free one has no pages)."""
    with m.entered():
        return _shm.shmtable.seg


def _sysvtable(m: Machine) -> list:
    """m's System V segments in use, in slot order."""
    with m.entered():
        return _sysv.shm_ids.live()


def _mmap_objects(m: Machine) -> list:
    """m's mmap objects that hold frames: every object an area of a live process
    refers to, and every named POSIX shm object, each once."""
    from ..ipc import posixshm
    with m.entered():
        objs = {id(v.obj): v.obj for p in _proc.ptable.proc if p.state is not _proc.UNUSED
                for v in p.vmas if v.obj is not None}
        objs |= {id(o): o for o in posixshm.shm_objects()}
        return list(objs.values())


@dataclass(frozen=True)
class AreaView:
    """An mmap area of a process, as views show it: its range, protection, name
    (vma_label), and how many of its pages are faulted in so far."""

    start: int
    end: int
    prot: str
    label: str
    resident: int

    @property
    def npages(self) -> int:
        return (self.end - self.start) // PGSIZE


def areas_of(m: Machine, p: _proc.Proc) -> tuple[AreaView, ...]:
    """The mmap areas of p, a process of m, in address order."""
    with m.entered():
        return tuple(AreaView(v.start, v.end, _vma.protname(v.prot), _vma.vma_label(v),
                              len(_vma.vma_resident(p.pgdir, v))) for v in p.vmas)


def sysv_name(seg) -> str:
    """How views name a System V segment: by key and id."""
    return f"shm key {seg.perm.key:#010x} id {_sysv.Ids.id_of(seg)}"


def _kmem(m: Machine) -> tuple[bytes, int]:
    """A copy of m's free-frame map (1: the frame is free) and the address of its first frame."""
    with m.entered():
        return bytes(_kalloc.kmem.free), _kalloc.kmem.start


# ---- reading entries ------------------------------------------------------------------------

def _entries(m: Machine, pa: int) -> tuple[int, ...] | None:
    """The 1024 entries of the page directory or page table at pa in m's RAM, or
    None if pa does not lie in physical memory (a corrupt entry points anywhere)."""
    ram = m.x86.ram
    if pa % PGSIZE or not 0 <= pa <= len(ram) - PGSIZE:
        return None
    return struct.unpack_from("<1024I", ram, pa)


# ---- one translation ------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One level of a walk: the entry the MMU read."""

    level: str          # "PDE" or "PTE"
    index: int          # PDX(va) or PTX(va)
    table: int          # physical address of the page directory or page table
    addr: int           # physical address of the entry: table + 4 * index
    value: int          # the entry's contents


@dataclass(frozen=True)
class Walk:
    """A translation of va in the page directory at pgdir, as the MMU does it for
    an access of kind `access` ("read", "write", "fetch") in user or kernel mode.
    Either pa is set (the access is allowed) or fault says why it is not, and
    failed names the level ("PDE" or "PTE") whose entry refused it."""

    pgdir: int
    va: int
    access: str
    user: bool
    steps: tuple[Step, ...]
    pa: int | None = None
    frame: int | None = None        # the 4 KiB frame, or the 4 MiB page, holding pa
    large: bool = False             # mapped by a 4 MiB page (PDE with PTE_PS)
    fault: str | None = None
    failed: str | None = None
    present: bool = True            # False when an entry on the way has P clear

    @property
    def ok(self) -> bool:
        return self.pa is not None


def walk(m: Machine, pgdir: int, va: int, access: str = "read", user: bool = True) -> Walk:
    """Translate va through the page directory at physical address pgdir of m, checking
    what the MMU checks: first that both levels are present, then the rights of
    both (PTE_U for a user access, PTE_W for a write; the kernel runs with CR0.WP,
    so its writes need PTE_W too). A fetch needs what a read needs: a 32-bit page
    table has no execute bit. A 4 MiB page (PTE_PS in the PDE) ends the walk at
    the first level. Raises ValueError for a va outside 32 bits, an unknown access,
    or a pgdir that is not a page in physical memory."""
    if not 0 <= va <= 0xFFFFFFFF or access not in ACCESSES or _entries(m, pgdir) is None:
        raise ValueError(f"walk: bad va {va:#x}, access {access!r} or page directory {pgdir:#x}")
    pde = Step("PDE", PDX(va), pgdir, pgdir + 4 * PDX(va), m.x86.read32(pgdir + 4 * PDX(va)))
    base = Walk(pgdir, va, access, user, (pde,))
    if not pde.value & PTE_P:
        return _fail(base, "PDE", "PDE not present: no page table covers "
                     f"{va & ~(PGSIZE_4M - 1):#010x}-{(va | (PGSIZE_4M - 1)):#010x}", present=False)
    if pde.value & PTE_PS:
        frame = pde.value & ~(PGSIZE_4M - 1) & 0xFFFFFFFF
        return _finish(base, [pde], frame, frame | (va & (PGSIZE_4M - 1)), large=True)
    table = PTE_ADDR(pde.value)
    if _entries(m, table) is None:
        return _fail(base, "PDE", f"PDE points at {table:#010x}, outside physical memory")
    pte = Step("PTE", PTX(va), table, table + 4 * PTX(va), m.x86.read32(table + 4 * PTX(va)))
    base = Walk(pgdir, va, access, user, (pde, pte))
    if not pte.value & PTE_P:
        return _fail(base, "PTE", "PTE not present: page not mapped", present=False)
    frame = PTE_ADDR(pte.value)
    return _finish(base, [pde, pte], frame, frame | (va & (PGSIZE - 1)))


def _finish(w: Walk, steps: list[Step], frame: int, pa: int, large: bool = False) -> Walk:
    """Check the rights of every level of a present mapping; the first level that
    refuses the access is the one named."""
    for step in steps:
        why = _refusal(step, w.access, w.user)
        if why is not None:
            return _fail(w, step.level, why)
    return Walk(w.pgdir, w.va, w.access, w.user, w.steps, pa, frame, large)


def _refusal(step: Step, access: str, user: bool) -> str | None:
    """Why this present entry refuses the access, or None."""
    e = step.value
    if user and not e & PTE_U:
        return "PTE_U clear: user access to a supervisor page"
    if access == "write" and not e & PTE_W:
        return "PTE_W clear: write to a read-only page"
    return None


def _fail(w: Walk, level: str, why: str, present: bool = True) -> Walk:
    return Walk(w.pgdir, w.va, w.access, w.user, w.steps, fault=why, failed=level, present=present)


# ---- the user half: pages, labels, ranges --------------------------------------------------

@dataclass(frozen=True)
class Range:
    """Consecutive pages [start, end) with the same rights and label, and the frame
    behind each page (in page order). flags holds only P, W and U."""

    start: int
    end: int
    frames: tuple[int, ...]
    flags: int
    label: str

    @property
    def npages(self) -> int:
        return (self.end - self.start) // PGSIZE


def _user_pages(m: Machine, pgdir: int) -> list[tuple[int, int, int]]:
    """(va, frame, flags) of every present page of the user half, in va order.
    Page tables that lie outside physical memory are skipped."""
    pages: list[tuple[int, int, int]] = []
    for d, pde in enumerate((_entries(m, pgdir) or ())[:USER_HALF]):
        if not pde & PTE_P or pde & PTE_PS:
            continue
        table = _entries(m, PTE_ADDR(pde))
        if table is None:
            continue
        pages += [(PGADDR(d, t, 0), PTE_ADDR(pte), pte & PERM)
                  for t, pte in enumerate(table) if pte & PTE_P]
    return pages


def _labeller(pages, sz: int | None, shm):
    """A function va -> label for the pages of one address space.

    shm: (id, addr, npages) of each attached segment. The guard is the highest
    present page without PTE_U below sz (exec's _setup_stack clears PTE_U on the
    lower of the two pages it adds); the stack is the page above it; text/data
    lies below it, the heap above the stack up to sz. Without a guard (initcode)
    everything below sz is text/data; a page above sz that no segment explains
    is "beyond sz" (a mapping the kernel does not account for)."""
    top = KERNBASE if sz is None else sz
    guards = [va for va, _, fl in pages if va < top and not fl & PTE_U]
    guard = guards[-1] if guards else None
    segs = [(addr, addr + n * PGSIZE, id if isinstance(id, str) else f"shm {id}")
            for id, addr, n in (shm or ())]

    def label(va: int) -> str:
        for lo, hi, name in segs:
            if lo <= va < hi:
                return name
        if va >= top:
            return "beyond sz"
        if guard is None or va < guard:
            return "text/data"
        return "guard" if va == guard else "stack" if va == guard + PGSIZE else "heap"
    return label


def _coalesce(pages, label) -> list[Range]:
    """Merge (va, frame, flags) pages, in va order, into ranges of consecutive pages
    with the same flags and label."""
    ranges: list[Range] = []
    for va, frame, fl in pages:
        name = label(va)
        last = ranges[-1] if ranges else None
        if last is not None and last.end == va and last.flags == fl and last.label == name:
            ranges[-1] = Range(last.start, va + PGSIZE, last.frames + (frame,), fl, name)
        else:
            ranges.append(Range(va, va + PGSIZE, (frame,), fl, name))
    return ranges


def mappings(m: Machine, pgdir: int, sz: int | None = None, shm=None) -> list[Range]:
    """The present pages of the user half of the page directory at pgdir of m, coalesced
    into labelled ranges in va order. sz: the process size (p.sz), if known; shm:
    (id, addr, npages) of each segment it has attached (p.shm plus each segment's
    size), if known. Both only improve the labels."""
    pages = _user_pages(m, pgdir)
    return _coalesce(pages, _labeller(pages, sz, shm))


@dataclass(frozen=True)
class Pde:
    """A present entry of the user half of a page directory, with the ranges its
    page table maps (empty for a 4 MiB page or a table outside memory)."""

    index: int
    addr: int
    value: int
    ranges: tuple[Range, ...]


@dataclass(frozen=True)
class KernelHalf:
    """A summary of the PDEs from KERNBASE up."""

    present: int        # present entries
    large: int          # of which 4 MiB pages
    user: int           # of which reachable from user mode (PTE_U): should be 0
    end: int            # end of the highest mapped 4 MiB (KERNBASE if none)


@dataclass(frozen=True)
class PageDir:
    """A page directory: where it is, its present user-half entries, the kernel half."""

    pgdir: int
    pdes: tuple[Pde, ...]
    kernel: KernelHalf
    pid: int | None = None
    name: str = ""
    sz: int | None = None
    areas: tuple = ()           # AreaView of each mmap area, faulted in or not (if known)


def pagedir(m: Machine, pgdir: int, sz: int | None = None, shm=None, pid=None, name: str = "",
            areas: tuple = ()) -> PageDir:
    """The page directory at pgdir of m as a PageDir: the user-half PDEs, each with its
    ranges (labelled as by mappings()), and the kernel half summarised."""
    pdes = _entries(m, pgdir)
    ranges = mappings(m, pgdir, sz, shm)
    user = tuple(
        Pde(d, pgdir + 4 * d, e, tuple(_clip(ranges, d)))
        for d, e in enumerate(pdes[:USER_HALF]) if e & PTE_P)
    kern = [e for e in pdes[USER_HALF:] if e & PTE_P]
    last = max((d for d in range(USER_HALF, NPDENTRIES) if pdes[d] & PTE_P), default=None)
    half = KernelHalf(len(kern), sum(1 for e in kern if e & PTE_PS), sum(1 for e in kern if e & PTE_U),
                      KERNBASE if last is None else (last + 1) << PDXSHIFT)
    return PageDir(pgdir, user, half, pid, name, sz, areas)


def _clip(ranges: list[Range], d: int):
    """The parts of ranges that lie in the 4 MiB of page directory entry d."""
    lo, hi = d << PDXSHIFT, (d + 1) << PDXSHIFT
    for r in ranges:
        a, b = max(r.start, lo), min(r.end, hi)
        if a < b:
            first = (a - r.start) // PGSIZE
            yield Range(a, b, r.frames[first:first + (b - a) // PGSIZE], r.flags, r.label)


# ---- processes of a machine -----------------------------------------------------------------

def live_procs(m: Machine) -> list[_proc.Proc]:
    """The processes of m that have an address space (zombies included: theirs
    lives until the parent's wait), in pid order."""
    return _live(_ptable(m)[0])


def _live(procs) -> list[_proc.Proc]:
    return sorted((p for p in procs if p.state is not _proc.UNUSED and p.pgdir is not None),
                  key=lambda p: p.pid)


def find_proc(m: Machine, pid: int | None = None) -> _proc.Proc:
    """The live process of m with this pid; with pid None, the one on the CPU,
    else the newest. Raises ValueError if there is no such process."""
    table, cur = _ptable(m)
    procs = _live(table)
    if pid is None:
        if cur is not None and cur.pgdir is not None:
            return cur
        if procs:
            return procs[-1]
    for p in procs:
        if p.pid == pid:
            return p
    raise ValueError(f"no process with pid {pid}" if pid is not None else "no live process")


def shm_of(m: Machine, p: _proc.Proc) -> list[tuple[int | str, int, int]]:
    """(id, addr, npages) of each segment p, a process of m, has attached: the
    lab's by their id, then System V's by their name (sysv_name), then its mmap
    areas by theirs (vma_label: "mmap shared /name")."""
    segs = _shmtable(m)
    sysv = [(sysv_name(seg), a.addr, seg.npages) for seg in _sysvtable(m)
            for a in seg.attaches if a.pid == p.pid]
    areas = [(a.label, a.start, a.npages) for a in areas_of(m, p)]
    return [(id, addr, segs[id].npages) for id, addr in p.shm] + sysv + areas


def pt(m: Machine, pid: int | None = None) -> PageDir:
    """The page directory of process pid of m (default: see find_proc)."""
    p = find_proc(m, pid)
    return pagedir(m, p.pgdir, p.sz, shm_of(m, p), p.pid, p.name, areas_of(m, p))


def walk_va(m: Machine, va: int, pid: int | None = None, access: str = "read", user: bool = True) -> Walk:
    """walk() of va in the page directory of process pid of m (default: see find_proc)."""
    return walk(m, find_proc(m, pid).pgdir, va, access, user)


# ---- changes between two stops -------------------------------------------------------------

@dataclass(frozen=True)
class ProcMaps:
    """One process's mappings at a snapshot."""

    pid: int
    name: str
    state: str
    sz: int
    pgdir: int
    ranges: tuple[Range, ...]


@dataclass(frozen=True)
class Snapshot:
    """Every live process's mappings and the allocator's free map, at one moment.
    free[i] is 1 when frame base + i*PGSIZE is free (kalloc's own map, copied)."""

    procs: dict[int, ProcMaps]
    free: bytes
    base: int


def snapshot(m: Machine) -> Snapshot:
    """The mappings of every live process of m and its free frames, now."""
    procs = {p.pid: ProcMaps(p.pid, p.name, p.state.value, p.sz, p.pgdir,
                             tuple(mappings(m, p.pgdir, p.sz, shm_of(m, p))))
             for p in live_procs(m)}
    return Snapshot(procs, *_kmem(m))


@dataclass(frozen=True)
class Change:
    """Pages of one process mapped differently in two snapshots. kind is "added"
    (only new is set), "removed" (only old) or "changed" (both: same pages,
    other frames or rights)."""

    pid: int
    kind: str
    old: Range | None
    new: Range | None


def _pages(ranges) -> dict[int, tuple[int, int, str]]:
    """va -> (frame, flags, label) of every page of ranges."""
    return {r.start + i * PGSIZE: (f, r.flags, r.label) for r in ranges for i, f in enumerate(r.frames)}


def _ranges_of(pages: dict, vas) -> list[Range]:
    """The pages at vas (in va order), coalesced."""
    return _coalesce([(va, pages[va][0], pages[va][1]) for va in vas], lambda va: pages[va][2])


def ptdiff(old: Snapshot, new: Snapshot) -> list[Change]:
    """Mappings added, removed or changed from old to new, per process in pid
    order, coalesced into ranges. A process that appeared has all its ranges
    added; one that went away, all removed. A page whose label alone changed
    (p.sz moved) is not a change of the page table and is not listed."""
    out: list[Change] = []
    for pid in sorted(old.procs.keys() | new.procs.keys()):
        a = _pages(old.procs[pid].ranges) if pid in old.procs else {}
        b = _pages(new.procs[pid].ranges) if pid in new.procs else {}
        out += [Change(pid, "added", None, r) for r in _ranges_of(b, sorted(b.keys() - a.keys()))]
        out += [Change(pid, "removed", r, None) for r in _ranges_of(a, sorted(a.keys() - b.keys()))]
        moved = sorted(va for va in a.keys() & b.keys() if a[va][:2] != b[va][:2])
        out += _changed(pid, a, b, moved)
    return out


def _changed(pid: int, a: dict, b: dict, vas: list[int]) -> list[Change]:
    """Pair the old and new ranges of pages present in both snapshots: the pages
    are grouped so that each group is one range before and one range after."""
    keyed = {va: (a[va][1:], b[va][1:]) for va in vas}
    groups = _coalesce([(va, 0, 0) for va in vas], lambda va: keyed[va])
    return [Change(pid, "changed", _ranges_of(a, range(g.start, g.end, PGSIZE))[0],
                   _ranges_of(b, range(g.start, g.end, PGSIZE))[0]) for g in groups]


@dataclass(frozen=True)
class KallocDiff:
    """Frames the allocator handed out and took back between two snapshots."""

    allocated: tuple[int, ...]
    freed: tuple[int, ...]
    free_before: int
    free_after: int


def kalloc_diff(old: Snapshot, new: Snapshot) -> KallocDiff:
    """Frames allocated (free in old, not in new) and freed (the reverse), in
    address order. A frame allocated and freed again in between is in neither."""
    if old.free == new.free:
        n = old.free.count(1)
        return KallocDiff((), (), n, n)
    pairs = [(i, x) for i, (x, y) in enumerate(zip(old.free, new.free, strict=True)) if x != y]
    alloc = tuple(new.base + i * PGSIZE for i, x in pairs if x)
    freed = tuple(new.base + i * PGSIZE for i, x in pairs if not x)
    return KallocDiff(alloc, freed, old.free.count(1), new.free.count(1))


# ---- frames and segments --------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """A frame that user pages map: who maps it ((pid, va, flags) each) and the
    shm segment it belongs to, if any: the lab's id, or a System V segment's
    "key 0x... id N"."""

    pa: int
    maps: tuple[tuple[int, int, int], ...]
    shm: int | str | None = None

    @property
    def shared(self) -> bool:
        """Mapped by more than one page (of one or several processes)?"""
        return len(self.maps) > 1


def frames(m: Machine) -> list[Frame]:
    """Every frame mapped in the user half of a live process of m, and every frame
    of a shm segment (attached or not), in address order."""
    maps: dict[int, list] = {}
    for p in live_procs(m):
        for r in mappings(m, p.pgdir, p.sz, shm_of(m, p)):
            for i, f in enumerate(r.frames):
                maps.setdefault(f, []).append((p.pid, r.start + i * PGSIZE, r.flags))
    seg_of = {f: id for id, s in enumerate(_shmtable(m)) for f in s.frames}
    seg_of |= {f: sysv_name(seg).removeprefix("shm ") for seg in _sysvtable(m) for f in seg.frames}
    seg_of |= {f: f"mmap {o.name} page {i}" for o in _mmap_objects(m) for i, f in o.frames.items()}
    return [Frame(f, tuple(maps.get(f, ())), seg_of.get(f)) for f in sorted(maps.keys() | seg_of.keys())]


def owners(m: Machine) -> dict[int, str]:
    """What each frame of m in use by a process or a segment holds, in words: a
    page directory, a page table, a user page (with its label), a segment's page."""
    procs = live_procs(m)
    out: dict[int, str] = {}
    for id, s in enumerate(_shmtable(m)):
        out.update({f: f"shm {id} page {i}" for i, f in enumerate(s.frames)})
    for seg in _sysvtable(m):
        out.update({f: f"{sysv_name(seg)} page {i}" for i, f in enumerate(seg.frames)})
    for o in _mmap_objects(m):
        out.update({f: f"mmap {o.kind} {o.name} page {i}" for i, f in o.frames.items()})
    for p in procs:
        out[p.pgdir] = f"pid {p.pid} page directory"
        for d in pagedir(m, p.pgdir, p.sz, shm_of(m, p)).pdes:
            if not d.value & PTE_PS:
                lo = d.index << PDXSHIFT
                out[PTE_ADDR(d.value)] = f"pid {p.pid} page table {lo:#010x}-{lo + PGSIZE_4M - 1:#010x}"
            for r in d.ranges:
                out.update({f: out.get(f, f"pid {p.pid} {r.start + i * PGSIZE:#010x} {r.label}")
                            for i, f in enumerate(r.frames)})
    return out


@dataclass(frozen=True)
class ShmAttach:
    """One attachment of a segment: whether p's page table really maps the
    segment's frames, user-writable, at addr."""

    pid: int
    name: str
    addr: int
    mapped: bool


@dataclass(frozen=True)
class ShmView:
    id: int | str           # the lab's id, or a System V segment's "key 0x... id N"
    npages: int
    frames: tuple[int, ...]
    refcount: int
    attached: tuple[ShmAttach, ...]


def shm_view(m: Machine) -> list[ShmView]:
    """The used slots of m's segment table, with each attachment checked against
    the attaching process's page table."""
    procs = {p.pid: p for p in live_procs(m)}
    out = []
    for s in m.shm_segments():
        att = tuple(ShmAttach(pid, procs[pid].name, addr, _maps_at(m, procs[pid].pgdir, addr, s["frames"]))
                    for pid, addr in s["attached"] if pid in procs)
        out.append(ShmView(s["id"], s["pages"], tuple(s["frames"]), s["refcount"], att))
    for seg in _sysvtable(m):               # System V: the count is nattch
        att = tuple(ShmAttach(a.pid, procs[a.pid].name, a.addr,
                              _maps_at(m, procs[a.pid].pgdir, a.addr, seg.frames, not a.rdonly))
                    for a in seg.attaches if a.pid in procs)
        out.append(ShmView(sysv_name(seg).removeprefix("shm "), seg.npages, tuple(seg.frames),
                           seg.nattch, att))
    return out


def _maps_at(m: Machine, pgdir: int, addr: int, seg_frames, writable: bool = True) -> bool:
    """Does pgdir map seg_frames, user-accessible (and writable, if asked), at
    consecutive pages from addr?"""
    for i, f in enumerate(seg_frames):
        w = walk(m, pgdir, addr + i * PGSIZE, "write" if writable else "read")
        if not w.ok or w.frame != f:
            return False
    return True


# ---- the page-fault error code ---------------------------------------------------------------

# The page-fault error code the CPU pushes (Intel SDM vol. 3, "Page-Fault Error Code").
FEC_P = 0x01     # 0: the page was not present; 1: a protection violation
FEC_W = 0x02     # the access was a write
FEC_U = 0x04     # the access came from user mode
FEC_RSVD = 0x08  # a reserved bit was set in an entry
FEC_I = 0x10     # an instruction fetch (reported only with NX enabled)


def decode_err(err: int) -> str:
    """The page-fault error code in words, e.g. 'protection violation, read, user mode'."""
    words = ["protection violation" if err & FEC_P else "page not present",
             "write" if err & FEC_W else "read", "user mode" if err & FEC_U else "kernel mode"]
    if err & FEC_RSVD:
        words.append("reserved bit set")
    if err & FEC_I:
        words.append("instruction fetch")
    return ", ".join(words)
