"""System V shared memory: shmget, shmat, shmdt, shmctl (Linux's ipc/shm.c).

    id = shmget(p, key, size, flag)     find or make a segment of size bytes (ipc.py's rule)
    va = shmat(p, id, addr, flag)       map it in p: at addr, or where the kernel finds room
    shmdt(p, va)                        unmap the segment attached at va
    shmctl(p, id, cmd, buf)             IPC_STAT, IPC_SET, IPC_RMID, SHM_LOCK, ... and the
                                        IPC_INFO, SHM_INFO, SHM_STAT index calls of ipcs

A segment takes its frames when it is made, all zero-filled (the tail of its
last page too: a program may read past its size up to the page's end). Each
attachment is a row (pid, va, read-only) of the segment, so that nattch is the
number of rows by construction; fork copies a parent's rows to the child (same
frames, same addresses), and exit and exec drop a process's rows. IPC_RMID on an
attached segment only marks it (SHM_DEST in its mode, key set to IPC_PRIVATE so
that no shmget finds it again); the last detach frees it. An attachment may
not overlap anything mapped, and sbrk may not grow into one (attached_in).

The lab's segments (mm/shm.py: shm_create, shm_attach, ...) keep their own
table beside this one, on purpose: that module is the students' code, which a
lab replaces by their own, and its ids, sizes and errors are the lab's (a
plain -1). The two kinds never share a segment; views show both (debug/).

Only the calls that find an error return it, negated (errno.py); copying a
struct to or from the caller goes through its page table, EFAULT on failure.
"""

import struct
from dataclasses import dataclass

from ..errno import EACCES, EFAULT, EINVAL, ENOMEM, ENOSPC
from ..memlayout import KERNBASE
from ..mm.kalloc import kalloc, kfree
from ..mm.pgdir import ZERO_PAGE, free_tables, mappages, missing_tables, switchuvm, walkpgdir
from ..mm.vma import vma_copyout, vma_overlaps
from ..mmu import PDX, PGROUNDUP, PGSIZE, PGSIZE_4M, PTE_P, PTE_U, PTE_W
from ..panic import panic
from .ipc import (
    IPC_INFO,
    IPC_RMID,
    IPC_SET,
    IPC_STAT,
    S_IRUGO,
    S_IWUGO,
    Ids,
    ipc_obtain,
    ipc_setperm,
    ipc_stat,
    ipc_time,
    ipcget,
    ipcperms,
    newperm,
)
from .limits import SHMALL, SHMLBA, SHMMAX, SHMMIN, SHMMNI, SHMSEG

__all__ = ["SHM_RDONLY", "SHM_RND", "SHM_REMAP", "SHM_EXEC", "SHM_DEST", "SHM_LOCKED",
           "SHM_LOCK", "SHM_UNLOCK", "SHM_STAT", "SHM_INFO", "SHM_STAT_ANY", "Attach", "Segment",
           "shm_init", "shmget", "shmat", "shmdt", "shmctl", "fork_shm", "exit_shm", "attached_in",
           "segments"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86", "shm_ids", "shm_tot")
x86 = None                  # the hardware
shm_ids: Ids = None         # the segment table
shm_tot = 0                 # pages of all segments together (at most SHMALL)

# shmat flags
SHM_RDONLY = 0o10000        # map without PTE_W: a write faults
SHM_RND = 0o20000           # round an unaligned address down to SHMLBA
SHM_REMAP = 0o40000         # replace what is mapped there: not supported here (EINVAL)
SHM_EXEC = 0o100000         # executable: every user page is (32-bit paging has no NX bit)

# Bits in a segment's mode, above the rwx bits
SHM_DEST = 0o1000           # IPC_RMID done: freed at the last detach
SHM_LOCKED = 0o2000         # SHM_LOCK done (nothing is ever swapped here: a flag only)

# shmctl commands (with ipc.py's IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO)
SHM_LOCK = 11
SHM_UNLOCK = 12
SHM_STAT = 13               # IPC_STAT of the segment in slot shmid; returns its id
SHM_INFO = 14               # fill struct shm_info (usage); returns the highest slot in use
SHM_STAT_ANY = 15           # SHM_STAT without the read permission check

# i386 glibc's layouts. struct shmid_ds, 84 bytes: shm_perm; shm_segsz; shm_atime,
# shm_dtime, shm_ctime (each followed by a reserved high word); shm_cpid, shm_lpid;
# shm_nattch; two reserved words.
SHMID_DS = struct.Struct("<36sIiIiIiIiiIII")
SHMINFO = struct.Struct("<9I")        # shmmax, shmmin, shmmni, shmseg, shmall, 4 reserved
SHM_INFO_S = struct.Struct("<iIIIII")  # used_ids, shm_tot, shm_rss, shm_swp, 2 unused


@dataclass(slots=True)
class Attach:
    """One attachment of a segment. (A slotted class: a NamedTuple row cost
    shmat 0.3 us more to make.)"""

    pid: int
    addr: int
    rdonly: bool


class Segment:
    """One System V shared-memory segment (Linux's struct shmid_kernel)."""

    __slots__ = ("slot", "perm", "segsz", "frames", "npages", "cpid", "lpid", "atime", "dtime",
                 "ctime", "attaches")

    def __init__(self, segsz: int, frames: list[int], cpid: int):
        self.slot, self.perm = 0, None          # set by Ids.add
        self.segsz = segsz                      # bytes, as asked (the frames cover whole pages)
        self.frames = frames                    # physical frames, in page order
        self.npages = len(frames)               # (a segment never grows or shrinks)
        self.cpid, self.lpid = cpid, 0          # creator; last process to attach or detach
        self.atime, self.dtime = 0, 0           # last attach, last detach (0: never)
        self.ctime = ipc_time()                 # creation, last IPC_SET
        self.attaches: list[Attach] = []

    @property
    def nattch(self) -> int:
        return len(self.attaches)


def shm_init() -> None:
    global shm_ids, shm_tot
    shm_ids = Ids("shm ids", SHMMNI)
    shm_tot = 0


# ---- shmget ----------------------------------------------------------------------------------

def shmget(p, key: int, size: int, flag: int) -> int:
    """The id of the segment of key (or a new one of size bytes), as ipcget() says.
    -EINVAL for a size out of SHMMIN..SHMMAX, or larger than the found segment's."""
    def more_checks(seg):
        return -EINVAL if seg.segsz < size else 0
    return ipcget(shm_ids, p, key, flag, lambda: _newseg(p, key, size, flag), more_checks)


def _newseg(p, key: int, size: int, flag: int) -> int:
    """Make a zero-filled segment: its id, or -EINVAL (size), -ENOSPC (a table or
    SHMALL full), -ENOMEM (no frames; nothing stays allocated)."""
    global shm_tot
    if not SHMMIN <= size <= SHMMAX:
        return -EINVAL
    npages = PGROUNDUP(size) // PGSIZE
    if shm_tot + npages > SHMALL or shm_ids.in_use() == SHMMNI:
        return -ENOSPC
    frames = []
    for _ in range(npages):
        pa = kalloc()
        if pa is None:
            for f in frames:
                kfree(f)
            return -ENOMEM
        x86.ram[pa:pa + PGSIZE] = ZERO_PAGE
        frames.append(pa)
    seg = Segment(size, frames, p.pid)
    shm_tot += npages
    return shm_ids.add(seg, key, *newperm(p, flag))


def _destroy(seg: Segment) -> None:
    """Free a segment nobody has attached: its frames, its slot."""
    global shm_tot
    if seg.attaches:
        panic("shm destroy: attached")
    for pa in seg.frames:
        kfree(pa)
    shm_tot -= seg.npages
    shm_ids.remove(seg)


# ---- shmat, shmdt ----------------------------------------------------------------------------

def shmat(p, shmid: int, addr: int, flag: int) -> int:
    """Attach segment shmid to p at addr (a multiple of SHMLBA, or any address with
    SHM_RND, which rounds it down), or, when addr is 0, at the highest free range
    below KERNBASE. Read-only with SHM_RDONLY. Returns the address, or -EINVAL
    (bad id or address, overlap), -EACCES, -ENOMEM (no room, no memory)."""
    if shmid < 0 or flag & SHM_REMAP:
        return -EINVAL
    fixed = addr != 0
    if addr % SHMLBA:
        if not flag & SHM_RND:
            return -EINVAL
        addr -= addr % SHMLBA
    seg = shm_ids.lookup(shmid)
    if seg is None:
        return -EINVAL
    rdonly = bool(flag & SHM_RDONLY)
    if ipcperms(p, seg.perm, S_IRUGO if rdonly else S_IRUGO | S_IWUGO) < 0:
        return -EACCES
    size = seg.npages * PGSIZE
    if not fixed:
        addr = _find_space(p, seg.npages)
        if addr is None:
            return -ENOMEM
    else:
        below = max(0, min(size, KERNBASE - addr)) // PGSIZE    # the pages in user space
        if (addr + size > 1 << 32 or _highest_mapped(p.pgdir, addr, addr + below * PGSIZE) is not None
                or vma_overlaps(p, addr, addr + size)):
            return -EINVAL                  # wraps around, or overlaps a mapping
        if addr + size > KERNBASE:
            return -ENOMEM                  # as Linux: beyond the user's address space
    if _map(p.pgdir, addr, seg, rdonly) < 0:
        return -ENOMEM
    seg.attaches.append(Attach(p.pid, addr, rdonly))
    seg.atime, seg.lpid = ipc_time(), p.pid
    return addr


def shmdt(p, addr: int) -> int:
    """Detach from p the segment attached at addr: 0, or -EINVAL (no segment
    starts there). Frees a removed segment nobody has attached any more."""
    if addr % PGSIZE:
        return -EINVAL
    for seg in shm_ids.entries:         # (the slots themselves: no list of the live ones per call)
        if seg is not None:
            for a in seg.attaches:
                if a.pid == p.pid and a.addr == addr:
                    _detach(p, seg, a)
                    switchuvm(p)        # flush the TLB: the pages must fault from now on
                    return 0
    return -EINVAL


def _detach(p, seg: Segment, a: Attach) -> None:
    """Unmap attachment a of seg from p's page table; drop the row; free seg if
    it was removed and this was its last attachment."""
    _unmap(p.pgdir, a.addr, seg.npages)
    seg.attaches.remove(a)
    seg.dtime, seg.lpid = ipc_time(), p.pid
    if not seg.attaches and seg.perm.mode & SHM_DEST:
        _destroy(seg)


# ---- fork, exit, exec, sbrk ------------------------------------------------------------------

def fork_shm(parent, child) -> int:
    """Give child the parent's attachments: the same frames at the same addresses.
    0, or -1 if a page table could not be allocated (then the child has none)."""
    done = []
    for seg in shm_ids.live():
        for a in [a for a in seg.attaches if a.pid == parent.pid]:
            if _map(child.pgdir, a.addr, seg, a.rdonly) < 0:
                for seg2, a2 in done:
                    _unmap(child.pgdir, a2.addr, seg2.npages)
                    seg2.attaches.remove(a2)
                return -1
            mine = Attach(child.pid, a.addr, a.rdonly)
            seg.attaches.append(mine)
            seg.atime, seg.lpid = ipc_time(), parent.pid     # Linux's shm_open, in the parent
            done.append((seg, mine))
    return 0


def exit_shm(p) -> None:
    """Detach every segment p has attached, in p's page table as it is now (exit,
    exec before it drops the old image, and tearing down a run)."""
    mine = [(seg, a) for seg in shm_ids.live() for a in seg.attaches if a.pid == p.pid]
    for seg, a in mine:
        _detach(p, seg, a)
    if mine and x86.loaded is p.tf:
        switchuvm(p)                    # p is running: flush the TLB


def attached_in(p, lo: int, hi: int) -> bool:
    """Does [lo, hi) meet a segment p has attached? (sbrk must not grow into one)"""
    return any(a.pid == p.pid and a.addr < hi and lo < a.addr + seg.npages * PGSIZE
               for seg in shm_ids.live() for a in seg.attaches)


def segments(p) -> list[tuple[Segment, Attach]]:
    """Every segment p has attached, with its row, in address order (for views)."""
    return sorted(((seg, a) for seg in shm_ids.live() for a in seg.attaches if a.pid == p.pid),
                  key=lambda sa: sa[1].addr)


# ---- page tables -----------------------------------------------------------------------------

def _highest_mapped(pgdir: int, lo: int, hi: int) -> int | None:
    """The highest page of [lo, hi) (page aligned) that is mapped in pgdir, or
    None. One walk per page table the range meets: the PTEs of one table are
    adjacent words, so the pages below va in its table are read at pte - 4,
    pte - 8, ... without walking again; a missing table skips its 4 MiB."""
    va = hi - PGSIZE
    while va >= lo:
        bottom = va & ~(PGSIZE_4M - 1)              # the lowest page of va's table...
        if bottom < lo:
            bottom = lo                             # ...in the range
        pte = walkpgdir(pgdir, va, False)
        if pte is not None:
            for i in range((va - bottom) // PGSIZE + 1):
                if x86.read32(pte - 4 * i) & PTE_P:
                    return va - i * PGSIZE
        va = bottom - PGSIZE
    return None


def _area_start(p, lo: int, hi: int) -> int | None:
    """The highest start of an mmap area of p that meets [lo, hi), or None."""
    start = None
    for v in p.vmas:
        if v.start < hi and lo < v.end and (start is None or v.start > start):
            start = v.start
    return start


def _find_space(p, npages: int) -> int | None:
    """The highest address below KERNBASE with npages unmapped pages from it and
    no mmap area, or None. Top down, as Linux places mappings: far from the heap,
    which grows up."""
    size = npages * PGSIZE
    top = KERNBASE
    while top - size >= PGSIZE:
        lo = top - size
        area = _area_start(p, lo, top) if p.vmas else None     # (most processes have no areas)
        if area is not None:
            top = area                  # try below the area
            continue
        used = _highest_mapped(p.pgdir, lo, top)
        if used is None:
            return lo
        top = used                      # try below the mapped page
    return None


def _map(pgdir: int, addr: int, seg: Segment, rdonly: bool) -> int:
    """Map the segment's frames at addr, user-accessible, writable unless rdonly.
    0, or -1 if a page table could not be allocated (nothing stays mapped).
    (mm/shm.py maps the lab's segments the same way; that copy is the lab's
    solution, which students replace, so System V's cannot call it.)"""
    end = addr + seg.npages * PGSIZE
    # mappages fails only where it cannot allocate a page table, before it maps the
    # first page that needs it. In a range inside one table that is the range's
    # first page: nothing mapped, no table made, nothing to undo. So only a range
    # over several tables needs to know which of them are new.
    tables = missing_tables(pgdir, addr, end) if PDX(addr) != PDX(end - 1) else []
    perm = PTE_U if rdonly else PTE_U | PTE_W
    for i, pa in enumerate(seg.frames):
        if mappages(pgdir, addr + i * PGSIZE, PGSIZE, pa, perm) < 0:
            _unmap(pgdir, addr, i)
            free_tables(pgdir, tables)
            return -1
    return 0


def _unmap(pgdir: int, addr: int, npages: int) -> None:
    """Clear the PTEs of npages pages at addr; the frames stay with the segment."""
    for va in range(addr, addr + npages * PGSIZE, PGSIZE):
        pte = walkpgdir(pgdir, va, False)
        if pte is None or not x86.read32(pte) & PTE_P:
            panic("shmdt: segment page not mapped")
        x86.write32(pte, 0)


# ---- shmctl ----------------------------------------------------------------------------------

def shmctl(p, shmid: int, cmd: int, buf: int) -> int:
    """The shmctl commands. buf is the caller's struct (shmid_ds, shminfo or
    shm_info). Returns 0, an id or index (the *_STAT and *_INFO commands), or
    -EINVAL (bad id or command), -EACCES, -EPERM (not the owner), -EFAULT."""
    if cmd < 0 or shmid < 0:
        return -EINVAL
    if cmd in (IPC_INFO, SHM_INFO):
        return _info(p, cmd, buf)
    if cmd in (IPC_STAT, SHM_STAT, SHM_STAT_ANY):
        return ipc_stat(p, shm_ids, shmid, cmd, buf, SHM_STAT_ANY, _shmid_ds)
    if cmd not in (IPC_SET, IPC_RMID, SHM_LOCK, SHM_UNLOCK):
        return -EINVAL
    err, seg, raw = ipc_obtain(p, shm_ids, shmid, cmd, buf, SHMID_DS.size)
    if err:
        return err
    if cmd == IPC_SET:
        ipc_setperm(seg.perm, raw)
        seg.ctime = ipc_time()
    elif cmd == IPC_RMID:
        seg.perm.mode |= SHM_DEST
        seg.perm.key = 0                # IPC_PRIVATE: no shmget finds it any more
        if not seg.attaches:
            _destroy(seg)
    elif cmd == SHM_LOCK:
        seg.perm.mode |= SHM_LOCKED
    else:
        seg.perm.mode &= ~SHM_LOCKED
    return 0


def _shmid_ds(seg: Segment) -> bytes:
    """The segment's struct shmid_ds (IPC_STAT, SHM_STAT, SHM_STAT_ANY)."""
    return SHMID_DS.pack(seg.perm.pack(), seg.segsz, seg.atime, 0, seg.dtime, 0, seg.ctime, 0,
                         seg.cpid, seg.lpid, seg.nattch, 0, 0)


def _info(p, cmd: int, buf: int) -> int:
    """IPC_INFO (the limits) and SHM_INFO (what is in use); the highest slot in use."""
    if cmd == IPC_INFO:
        raw = SHMINFO.pack(SHMMAX, SHMMIN, SHMMNI, SHMSEG, SHMALL, 0, 0, 0, 0)
    else:
        raw = SHM_INFO_S.pack(shm_ids.in_use(), shm_tot, shm_tot, 0, 0, 0)
    if vma_copyout(p, buf, raw) < 0:
        return -EFAULT
    return shm_ids.max_index()

