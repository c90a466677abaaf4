"""The kernel's invariants, checked after every trap (Machine(check=True),
`xv6py run --check`, the plugin's --xv6py-check): a kernel bug shows up at the
system call that made it, not thousands of instructions later as a strange
fault or a leak at the end of the run.

Checked, after every system call, fault and interrupt:

* every frame kalloc manages is exactly one of: free, a page directory or page
  table, held by a subsystem (its `frames owned`: the kernel's own directory,
  shared-memory segments, mmap's objects), or a private page that one process
  maps once;
* no user PTE points at a free frame, a page table, or memory kalloc does not
  manage; a frame a subsystem holds is mapped exactly as many times as the
  subsystem says (a segment's frames: once per attachment);
* no kernel mapping (KERNBASE and up) has PTE_U, in any page directory;
* each shared-memory segment's reference count equals its attachments; each
  mmap object's equals its areas, open files and name;
* mmap's areas are sorted, apart, page aligned, between the image and KERNBASE;
  a page mapped in one is writable only if the area is, a user page only if
  the area allows some access (PROT_NONE: present maybe, never PTE_U);
* every RUNNABLE process has a page directory and a trap frame of user mode;
* no spinlock is held between traps.

A violation panics: "check: <invariant>: <frame or address>".

A system call that sleeps keeps every frame it holds where the checker finds
it: exec's new image hangs from p.newpgdir while the file is read; munmap and
exit drop anonymous and shm objects before they sleep writing file pages back
(a file's object stays in fmap.file_objs). Only mmap objects' reference counts
are not compared while a process sleeps in a call (an area being unmapped is in
no table then, but still holds its reference).

Each subsystem that holds frames outside page tables says which, through one
function in FRAME_OWNERS: it yields (frame, mappings expected, what holds it).
A new subsystem that holds frames adds its function there.
"""

import struct

from . import timer
from .dev import console, ide
from .fs import bio, file, fmap, fs, log
from .ipc import msg, posixshm, sem
from .ipc import shm as sysvshm
from .memlayout import KERNBASE
from .mm import kalloc, pgdir, shm, vma
from .mmu import PDX, PGSIZE, PTE_ADDR, PTE_P, PTE_PS, PTE_U, PTE_W, SEG_UCODE, SEG_UDATA
from .panic import panic
from .proc import proc

__all__ = ["checkkernel", "FRAME_OWNERS", "locks"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("x86", "seen")
x86 = None                  # the hardware
seen: dict | None = None    # table frame -> (its bytes when last read, its present entries)

USER_CS = SEG_UCODE << 3 | 3     # 0x1b: user code, RPL 3
USER_SS = SEG_UDATA << 3 | 3     # 0x23: user data, RPL 3
KERNEL_PDES = PDX(KERNBASE)      # the first directory entry of the kernel half


# ---- what each subsystem owns --------------------------------------------------------------

def kernel_frames():
    """The kernel's own page directory (kpgdir), mapped by no process."""
    yield pgdir.kpgdir, 0, "the kernel page directory"


def lab_shm_frames():
    """The lab's segments (mm/shm.py): each frame mapped once per attachment,
    and the reference count equal to the attachments."""
    attached = [0] * len(shm.shmtable.seg)
    for p in proc.ptable.proc:
        if p.state is not proc.UNUSED:
            for id, _ in p.shm:
                if not 0 <= id < len(attached):
                    panic(f"check: pid {p.pid} is attached to shm id {id}, outside the table")
                attached[id] += 1
    for id, seg in enumerate(shm.shmtable.seg):
        if seg.refcount != attached[id]:
            panic(f"check: shm segment {id} has refcount {seg.refcount} but {attached[id]} attachments")
        for pa in seg.frames:
            yield pa, attached[id], f"shm segment {id}"


def sysv_shm_frames():
    """System V segments (ipc/shm.py): each frame mapped once per attachment."""
    live = {p.pid for p in proc.ptable.proc if p.state is not proc.UNUSED}
    for seg in sysvshm.shm_ids.live():
        for a in seg.attaches:
            if a.pid not in live:
                panic(f"check: System V segment {seg.slot} is attached by pid {a.pid}, which is gone")
        for pa in seg.frames:
            yield pa, len(seg.attaches), f"System V segment {seg.slot}"


def mmap_frames():
    """mmap's objects (mm/vma.py): each frame of an object mapped exactly by the
    PTEs of the shared areas that cover its page; each object's reference count
    equal to its areas, open files and name. The areas themselves: sorted, apart,
    page aligned, above the image and below KERNBASE; a present PTE in an area
    as its protection allows (a private page is then the process's own frame)."""
    objs, refs = {}, {}

    def holds(obj, n=1):
        objs[id(obj)] = obj
        refs[id(obj)] = refs.get(id(obj), 0) + n

    counts = {}                         # frame -> PTEs of shared areas at its page
    for p in proc.ptable.proc:
        if p.state is proc.UNUSED:
            continue
        _check_areas(p)
        for v in p.vmas:
            if v.obj is None:
                continue
            holds(v.obj)
            if v.shared and p.pgdir is not None:
                for va, pa, _ in vma.vma_resident(p.pgdir, v):
                    idx = v.pgoff + (va - v.start) // PGSIZE
                    if v.obj.frames.get(idx) != pa:
                        panic(f"check: pid {p.pid}'s shared page at {va:#x} maps frame {pa:#x}, "
                              f"not page {idx} of {v.obj.name!r}")
                    counts[pa] = counts.get(pa, 0) + 1
    for f in file.ftable.file:
        if f.ref and f.type == file.FD_SHM:
            holds(f.obj)
    for obj in posixshm.shm_names.values():
        holds(obj)
    for obj in fmap.file_objs.values():
        holds(obj, 0)
    for key, obj in objs.items():
        if obj.ref != refs[key] and not _inside_calls():
            panic(f"check: mmap object {obj.name!r} has ref {obj.ref} but {refs[key]} holders")
        for idx, pa in obj.frames.items():
            yield pa, counts.get(pa, 0), f"page {idx} of mmap object {obj.name!r}"


def _check_areas(p) -> None:
    """p's areas lie apart, in order, page aligned, between p.sz and KERNBASE;
    their present PTEs are user pages, writable only in a writable area."""
    lo = p.sz
    for v in p.vmas:
        if v.start % PGSIZE or v.end % PGSIZE or not lo <= v.start < v.end <= KERNBASE:
            panic(f"check: pid {p.pid}'s area {v.start:#x}-{v.end:#x} is out of order, "
                  f"unaligned or outside {lo:#x}-{KERNBASE:#x}")
        lo = v.end
        if p.pgdir is None:
            continue
        for va, _, flags in vma.vma_resident(p.pgdir, v):
            # (a PROT_NONE page may stay present, for its contents, but not PTE_U;
            # PROT_EXEC alone is a user page: 32-bit paging cannot run what it cannot read)
            if bool(flags & PTE_U) != bool(v.prot & (vma.PROT_READ | vma.PROT_WRITE | vma.PROT_EXEC)):
                panic(f"check: pid {p.pid}'s page at {va:#x} is mapped in an area of "
                      f"protection {vma.protname(v.prot)} (PTE flags {flags:#x})")
            if flags & PTE_W and not v.prot & vma.PROT_WRITE:
                panic(f"check: pid {p.pid}'s page at {va:#x} is writable in an area "
                      f"mapped {vma.protname(v.prot)}")


def _inside_calls() -> bool:
    """Is some process inside a system call that sleeps (its count of what it
    holds may be on its kernel side, not in any table)?"""
    return any(p.context is not None for p in proc.ptable.proc if p.state is not proc.UNUSED)


# Who holds frames outside page tables: each yields (frame, mappings expected, what
# holds it). A subsystem that holds frames adds its function here.
FRAME_OWNERS = (kernel_frames, lab_shm_frames, sysv_shm_frames, mmap_frames)


def locks():
    """Every spinlock of the kernel, with its holder's name for messages."""
    yield from (kalloc.kmem.lock, proc.ptable.lock, shm.shmtable.lock, ide.disk.lock,
                console.cons.lock, timer.tickslock, file.ftable.lock, log.log.lock,
                bio.bcache.lock, fs.icache.lock, sysvshm.shm_ids.lock, sem.sem_ids.lock,
                msg.msg_ids.lock)
    for f in file.ftable.file:
        if f.ref and f.pipe is not None:
            yield f.pipe.lock
    for b in bio.bcache.buf:
        yield b.lock.lk


# ---- the checks ----------------------------------------------------------------------------

def checkkernel(tf=None) -> None:
    """Check every invariant (the module docstring); panic on the first broken one."""
    for lk in locks():
        if lk.locked:
            panic(f"check: lock {lk.name} held between traps")
    tables, maps = _walk_processes()
    owned = {}
    for owner in FRAME_OWNERS:
        for pa, expected, what in owner():
            if pa in owned:
                panic(f"check: frame {pa:#x} held by both {owned[pa][1]} and {what}")
            owned[pa] = (expected, what)
    for pa, (expected, what) in owned.items():
        _frame_in_use(pa, what)
        if pa in tables:
            panic(f"check: frame {pa:#x} of {what} is also {tables[pa]}")
        if maps.get(pa, 0) != expected:
            panic(f"check: frame {pa:#x} of {what} is mapped {maps.get(pa, 0)} times, not {expected}")
    for pa, n in maps.items():
        if pa not in owned:
            _frame_in_use(pa, "a user page")
            if pa in tables:
                panic(f"check: a user PTE points at frame {pa:#x}, {tables[pa]}")
            if n != 1:
                panic(f"check: private frame {pa:#x} is mapped {n} times")
    _all_accounted(len(tables) + len(owned.keys() | maps.keys()), tables, owned, maps)


def _frame_in_use(pa: int, what: str) -> None:
    if not kalloc.kmem.start <= pa < kalloc.kmem.end:
        panic(f"check: {what} at {pa:#x} is memory kalloc does not manage")
    if kalloc.isfree(pa):
        panic(f"check: {what} at {pa:#x} is a free frame")


def _walk_processes() -> tuple[dict, dict]:
    """Walk every process's page directory: {table frame: what it is}, and
    {frame: times user PTEs map it}. Checks the kernel half and trap frames."""
    tables, maps = {}, {}
    for p in proc.ptable.proc:
        if p.state is proc.UNUSED:
            continue
        if p.state is proc.RUNNABLE:
            _check_runnable(p)
        if p.pgdir is not None:
            _walk_user(tables, maps, p.pgdir, p.pid, "")
        if p.newpgdir is not None:
            _walk_user(tables, maps, p.newpgdir, p.pid, "exec's new ")
    for pa, what in tables.items():
        _frame_in_use(pa, what)
    global seen
    if seen is not None and len(seen) > len(tables):    # forget tables no longer in use
        seen = {pa: seen[pa] for pa in tables if pa in seen}
    return tables, maps


def _walk_user(tables: dict, maps: dict, pd: int, pid: int, which: str) -> None:
    """Add directory pd of pid and its page tables to tables, its user PTEs to
    maps; its kernel half must not have PTE_U."""
    _table(tables, pd, f"{which}page directory of pid {pid}")
    for i, pde in _present(pd):
        if i >= KERNEL_PDES:
            if pde & PTE_U:
                panic(f"check: pid {pid}'s kernel mapping at {i << 22:#x} has PTE_U")
            continue
        if pde & PTE_PS:
            panic(f"check: pid {pid} has a 4 MiB page at {i << 22:#x} in user space")
        pgtab = PTE_ADDR(pde)
        _table(tables, pgtab, f"a page table of {which}pid {pid}")
        for _, pte in _present(pgtab):
            pa = PTE_ADDR(pte)
            maps[pa] = maps.get(pa, 0) + 1


def _present(table: int) -> list[tuple[int, int]]:
    """The present entries (index, entry) of a page table or directory. Most
    tables do not change from one trap to the next: what was found in one is
    kept with a copy of its bytes, and used again while they are the same."""
    global seen
    if seen is None:
        seen = {}
    raw = bytes(x86.ram[table:table + PGSIZE])
    hit = seen.get(table)
    if hit is not None and hit[0] == raw:
        return hit[1]
    entries = [(i, e) for i, e in enumerate(struct.unpack("<1024I", raw)) if e & PTE_P]
    seen[table] = (raw, entries)
    return entries


def _table(tables: dict, pa: int, what: str) -> None:
    if pa in tables:
        panic(f"check: frame {pa:#x} is both {tables[pa]} and {what}")
    tables[pa] = what


def _check_runnable(p) -> None:
    """A RUNNABLE process can be switched to: a directory, user-mode registers."""
    if p.pgdir is None or p.tf is None:
        panic(f"check: RUNNABLE pid {p.pid} has no {'page directory' if p.pgdir is None else 'trap frame'}")
    # (a selector is 16 bits; the register reads back with junk above them)
    if p.context is None and (p.tf.cs & 0xFFFF != USER_CS or p.tf.ss & 0xFFFF != USER_SS):
        panic(f"check: RUNNABLE pid {p.pid}'s trap frame is not user mode "
              f"(cs {p.tf.cs:#x}, ss {p.tf.ss:#x})")
    if p.sz > KERNBASE:
        panic(f"check: pid {p.pid}'s size {p.sz:#x} reaches into the kernel")


def _all_accounted(used: int, tables: dict, owned: dict, maps: dict) -> None:
    """Every managed frame is free or in use by someone: else name one lost."""
    k = kalloc.kmem
    total = len(k.free)
    if kalloc.kfreecount() + used == total:
        return
    known = tables.keys() | owned.keys() | maps.keys()
    for i in range(total):
        pa = k.start + i * PGSIZE
        if not k.free[i] and pa not in known:
            panic(f"check: frame {pa:#x} is neither free nor used by anyone (leaked)")
    panic(f"check: {kalloc.kfreecount()} free + {used} in use != {total} frames")
