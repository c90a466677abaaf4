"""The grader of the shared-memory lab.

Each test checks one part of the contract of labs/shm/README.md, through user
programs (what a process sees) or through the kernel's state after system calls
made from Python (the segment table, page tables, the free-frame count). When a
test fails, its message says what the kernel did, and which part of the
contract that breaks.

The tests make no assumption the handout does not make: shm_create may take any
free slot, p.shm may list attachments in any order.

Run it on your workspace with `xv6py lab grade DIR`.
"""

import itertools

import pytest

from xv6py.grading.checks import call, crash_message, kernel, spawn
from xv6py.memlayout import KERNBASE, KERNEND
from xv6py.mmu import PGSIZE, PTE_ADDR, PTE_P, PTE_U, PTE_W
from xv6py.param import SHM_MAX, SHM_N
from xv6py.testing import asserts as A
from xv6py.testing.kcall import syscaller

A0 = 0x10000000         # where the tests attach segments
A1 = 0x20000000
MIB4 = 0x400000         # what one page table maps
SMALL = KERNEND + 32 * PGSIZE   # phystop of a machine with 32 frames: memory runs out quickly

# Ids that name no segment: -1 and SHM_N, and those a Python list would still
# accept as an index (-2 .. -SHM_N count from the end), or not (1000, the extremes of an int).
BAD_IDS = (-1, -2, -SHM_N, -SHM_N - 1, SHM_N, SHM_N + 1, 1000, 0x7FFFFFFF, -0x80000000)


# ---- helpers --------------------------------------------------------------------------------

def seg(h, id: int) -> dict:
    """Row id of the segment table (npages, frames, refcount, free, attached)."""
    assert isinstance(id, int) and 0 <= id < SHM_N, f"{id!r} is not a segment id (ids are 0..{SHM_N - 1})"
    return A.shm_entry(h.m, id)


def create(h, p, size: int) -> int:
    """A segment that must be created."""
    id = call(h, p, "shm_create", size)
    assert id is not None and 0 <= id < SHM_N, \
        f"shm_create({size}) returned {id}: it must return the id of a new segment, 0..{SHM_N - 1}"
    return id


def attach(h, p, id: int, va: int) -> None:
    """An attach that must succeed."""
    r = call(h, p, "shm_attach", id, va)
    assert r == 0, f"shm_attach({id}, {va:#x}) returned {r}: attaching a segment at a free, " \
                   "page-aligned address must succeed"


def entry(h, p, va: int) -> int:
    """The PTE of va in p's page table (0 if there is no page table)."""
    return A.pte(h.m, p.pid, va) or 0


def attachments(h, pid: int) -> list[tuple[int, int]]:
    """What process pid's p.shm lists, as (id, addr) pairs."""
    row = A.proc_by_pid(h.m, pid)
    return [tuple(a) for a in row["shm"]] if row is not None else []


def snapshot(h, p, vas=(A0, A0 + PGSIZE)) -> dict:
    """What a refused call must leave as it was: free frames, the segment table,
    p's size and attachments, p's PTEs at vas."""
    rows, free, segments, *ptes = A.at_once(h.m, ("processes",), ("free_frames",), ("shm_segments",),
                                            *(("pte", p.pid, va) for va in vas))
    row = next((r for r in rows if r["pid"] == p.pid), None)
    return {"free frames": free, "segments": segments, "p.sz": row["sz"],
            "p.shm": [tuple(a) for a in row["shm"]], "vas": tuple(vas),
            **{f"PTE of {va:#x}": e or 0 for va, e in zip(vas, ptes, strict=True)}}


def assert_unchanged(h, p, before: dict, what: str) -> None:
    """p and the kernel are as in `before`; else say what changed."""
    after = snapshot(h, p, before["vas"])
    if after == before:
        return
    seen = [f"{k} {before[k]} -> {after[k]}" for k in before if k not in ("segments", "vas")
            and before[k] != after[k]]
    rows = {r["id"]: r for r in before["segments"]}, {r["id"]: r for r in after["segments"]}
    for id in sorted(set(rows[0]) | set(rows[1])):
        b, a = rows[0].get(id), rows[1].get(id)
        if b is None or a is None:
            seen.append(f"segment {id} {'appeared' if b is None else 'was freed'}")
        elif b != a:
            seen.append(f"segment {id}: " + ", ".join(f"{k} {b[k]} -> {a[k]}" for k in b if b[k] != a[k]))
    pytest.fail(f"{what} changed the kernel's state: {'; '.join(seen)}", pytrace=False)


def frees(m, frames) -> list[bool]:
    """Is each frame on the free list? (One look for all of them.)"""
    return A.at_once(m, *(("isfree", pa) for pa in frames))


def hold_frames(m, leave: int = 0) -> list[int]:
    """Allocate every free frame but `leave` (give them back with release)."""
    return m.kernel("kalloc_many", m.free_frames - leave)


def release(m, frames) -> None:
    m.kernel("kfree_many", list(frames))


def fill_the_table(h, p) -> tuple[list[int], int]:
    """Create one-page segments until the table is full, then destroy one: the
    ids in use, and the free one. Every negative id from -1 to -SHM_N then names
    a used slot, as a Python list index counts from the end."""
    ids = [create(h, p, 1) for _ in range(SHM_N)]
    assert sorted(ids) == list(range(SHM_N)), f"{SHM_N} creates returned ids {ids}: each must take a " \
                                              "different free slot"
    free = next(i for i in ids if i not in (0, SHM_N - 1, SHM_N - 2))
    assert call(h, p, "shm_destroy", free) == 0, f"shm_destroy({free}) of an unattached segment failed"
    ids.remove(free)
    return ids, free


def no_such(bad: int, free: int) -> str:
    return f"slot {bad} is free" if bad == free else \
        f"there is no segment {bad} (ids are 0..{SHM_N - 1})"


def from_the_end(bad: int, id: int) -> str:
    """Why a call with the bad id reached segment id, when a list index explains it."""
    if bad < 0 and id == bad % SHM_N and bad >= -SHM_N:
        return f" (slot {id} is where a Python list index {bad} lands: count from the end)"
    return ""


def no_wrong(r, prog: str) -> None:
    """A run of a program of the lab reported no line "<-- WRONG"."""
    wrong = [line for line in r.output.splitlines() if "<-- WRONG" in line]
    assert not wrong, f"{prog} saw the kernel get it wrong:\n" + "\n".join(wrong)


def call_reap(h) -> None:
    """Free the zombies, as their parent's wait() would."""
    kernel(h.reap, what="freeing an exited process crashed the kernel")


# ---- shm_create -----------------------------------------------------------------------------

@pytest.mark.points(2)
def test_create_returns_a_new_segment(h, p):
    """shm_create returns the id of a used slot of the table; two calls, two ids."""
    a = create(h, p, PGSIZE)
    b = create(h, p, PGSIZE)
    assert a != b, f"two calls of shm_create returned the same id {a}: each must take a free slot"
    for id in (a, b):
        row = seg(h, id)
        assert not row["free"], f"shm_create returned {id}, but slot {id} of the table is still " \
                                "free (its page count is 0)"
        assert row["refcount"] == 0, f"a new segment has reference count {row['refcount']}, not 0: " \
                                     "nothing is attached yet"


@pytest.mark.points(2)
def test_create_rounds_up_to_whole_pages(h, p):
    """The size is rounded up to pages; each page takes one frame."""
    before = A.free_frames(h.m)
    sizes = ((1, 1), (PGSIZE + 1, 2), (3 * PGSIZE - 100, 3), (2 * PGSIZE, 2), (SHM_MAX * PGSIZE - 1, SHM_MAX))
    for size, want in sizes:
        row = seg(h, create(h, p, size))
        n = row["npages"]
        assert n == want, f"shm_create({size}) made a segment of {n} pages, expected {want}: the size " + \
            ("was not rounded up to whole pages" if n < want else "was rounded up past the page it ends in")
        assert len(row["frames"]) == want, \
            f"shm_create({size}) made a segment of {want} pages with {len(row['frames'])} frame(s): " \
            "each page needs a frame of its own"
    used = before - A.free_frames(h.m)
    total = sum(want for _, want in sizes)
    assert used == total, f"segments of {'+'.join(str(w) for _, w in sizes)} pages took {used} frames, " \
                          f"expected {total}"


@pytest.mark.points(3)
def test_create_zero_fills_its_frames(h, p):
    """Every byte of a new segment is 0 (frames come from kalloc full of junk)."""
    row = seg(h, create(h, p, 3 * PGSIZE))
    for pa in row["frames"]:
        A.assert_frame_filled(h.m, pa, 0, what="the segment's frames were not zero-filled "
                                               "(kalloc hands out frames full of junk)")


@pytest.mark.points(2)
def test_create_refuses_bad_sizes(h, p):
    """Sizes <= 0 or above SHM_MAX pages get -1 and change nothing."""
    id = create(h, p, SHM_MAX * PGSIZE)
    assert seg(h, id)["npages"] == SHM_MAX, f"shm_create of SHM_MAX ({SHM_MAX}) pages made " \
                                            f"{seg(h, id)['npages']} pages"
    before = snapshot(h, p)
    for size in (0, -1, -PGSIZE, SHM_MAX * PGSIZE + 1, (SHM_MAX + 1) * PGSIZE, 0x7FFFFFFF, -0x80000000):
        r = call(h, p, "shm_create", size)
        assert r == -1, f"shm_create({size}) returned {r}: sizes <= 0 and above SHM_MAX pages " \
                        f"({SHM_MAX * PGSIZE} bytes) must be refused with -1"
        assert_unchanged(h, p, before, f"the refused shm_create({size})")


@pytest.mark.points(2)
def test_create_until_the_table_is_full(h, p):
    """SHM_N segments fit; the next create gets -1; a destroyed slot is used again."""
    ids = [create(h, p, 1) for _ in range(SHM_N)]
    assert sorted(ids) == list(range(SHM_N)), f"{SHM_N} creates returned ids {ids}: each must take " \
                                              "a different free slot"
    before = A.free_frames(h.m)
    r = call(h, p, "shm_create", 1)
    assert r == -1, f"shm_create returned {r} with all {SHM_N} slots in use: a full table means -1"
    assert A.free_frames(h.m) == before, "shm_create with a full table took frames and kept them"
    assert call(h, p, "shm_destroy", ids[5]) == 0, "shm_destroy of an unattached segment failed"
    r = create(h, p, 1)
    assert r == ids[5], f"with only slot {ids[5]} free, shm_create returned {r}"


@pytest.mark.points(2)
def test_create_out_of_memory_leaks_nothing(xv6_make):
    """When frames run out half-way, shm_create returns -1 and gives back what it took."""
    h = syscaller(xv6_make(phystop=SMALL))
    p = spawn(h)
    hold = hold_frames(h.m, leave=4)
    r = call(h, p, "shm_create", SHM_MAX * PGSIZE)
    assert r == -1, f"shm_create of {SHM_MAX} pages returned {r} with only 4 frames free: " \
                    "running out of memory must return -1"
    free = h.m.free_frames
    assert free == 4, f"shm_create ran out of frames half-way and kept {4 - free} of them: free the " \
                      "frames you took before returning -1" if free < 4 else \
                      f"shm_create ran out of frames and then {free} frames were free, not the 4 it found"
    assert h.m.shm_segments() == [], "a failed shm_create left a used slot in the segment table"
    release(h.m, hold)
    create(h, p, SHM_MAX * PGSIZE)


# ---- shm_attach -----------------------------------------------------------------------------

@pytest.mark.points(3)
def test_attach_maps_the_frames_user_writable(h, p):
    """Each page of the segment is mapped present, writable and user, onto its frame."""
    id = create(h, p, 2 * PGSIZE)
    attach(h, p, id, A0)
    for i, pa in enumerate(seg(h, id)["frames"]):
        va = A0 + i * PGSIZE
        e = entry(h, p, va)
        assert e & PTE_P, f"after shm_attach, page {i} of the segment is not mapped at {va:#x}"
        assert PTE_ADDR(e) == pa, f"{va:#x} maps frame {PTE_ADDR(e):#x}, not the segment's frame {pa:#x}"
        assert e & PTE_U, f"the segment's pages were mapped without PTE_U: user code cannot touch " \
                          f"them (PTE of {va:#x}: {A.describe_pte(e)})"
        assert e & PTE_W, f"the segment's pages were mapped without PTE_W: user code cannot write " \
                          f"them (PTE of {va:#x}: {A.describe_pte(e)})"
    assert not entry(h, p, A0 + 2 * PGSIZE) & PTE_P, "shm_attach mapped a page past the end of the segment"


@pytest.mark.points(2)
@pytest.mark.budget(1_000_000)
def test_a_program_uses_its_segment(xv6_run):
    """User code reads and writes each page of an attached segment."""
    r = xv6_run("shmcheck", "user")
    no_wrong(r, "shmcheck user")
    assert r.status == "exit", f"shmcheck user was {r.status}: {r.reason} (the segment's pages must " \
                               "be present, user-accessible and writable)"
    assert "sum of the words written on its three pages = 6" in r.output, \
        "shmcheck user exited without printing the sum of the words it wrote on its three pages; it " \
        f"printed:\n{r.output}"


@pytest.mark.points(2)
def test_attach_takes_a_reference(h, p):
    """Each attachment counts: the reference count is the number of attachments."""
    id = create(h, p, PGSIZE)
    attach(h, p, id, A0)
    row = seg(h, id)
    assert row["refcount"] == 1, f"one process attached the segment, its reference count is " \
                                 f"{row['refcount']}: shm_attach must take a reference"
    assert (id, A0) in p.shm, "shm_attach did not record (id, addr) in the process's p.shm"
    q = spawn(h)
    attach(h, q, id, A1)
    assert seg(h, id)["refcount"] == 2, "two processes attached the segment, its reference count " \
                                        f"is {seg(h, id)['refcount']}"


@pytest.mark.points(2)
def test_two_processes_share_the_frames(h, p):
    """A write through one process's attachment is read through another's."""
    id = create(h, p, PGSIZE)
    q = spawn(h)
    attach(h, p, id, A0)
    attach(h, q, id, A1)
    assert h.poke(p, A0 + 100, b"through the segment"), f"pid {p.pid} cannot write at {A0 + 100:#x}"
    got = h.peek(q, A1 + 100, 19)
    assert got == b"through the segment", f"pid {p.pid} wrote at {A0:#x}, pid {q.pid} read {got!r} " \
                                          f"at {A1:#x}: both must map the segment's own frames"


@pytest.mark.points(2)
def test_attach_refuses_bad_ids(h, p):
    """An id out of range (negative ones too: they are no list index) or of a free
    slot gets -1 and changes nothing, with every other slot in use."""
    ids, free = fill_the_table(h, p)
    before = snapshot(h, p)
    for bad in BAD_IDS + (free,):
        r = call(h, p, "shm_attach", bad, A0)
        if r != -1:
            took = [row["id"] for row in h.m.shm_segments() if row["refcount"]]
            reached = "".join(f"; it took a reference on segment {id}{from_the_end(bad, id)}"
                              for id in took[:1])
            pytest.fail(f"shm_attach({bad}, {A0:#x}) returned {r}: {no_such(bad, free)}{reached}",
                        pytrace=False)
        assert_unchanged(h, p, before, f"the refused shm_attach({bad}, {A0:#x})")
    attach(h, p, ids[0], A0)


@pytest.mark.points(3)
def test_attach_refuses_bad_addresses(h, p):
    """Unaligned, null, or not wholly below KERNBASE: -1, nothing mapped. Ending
    exactly at KERNBASE is fine."""
    id = create(h, p, 2 * PGSIZE)
    before = snapshot(h, p, (A0, KERNBASE - 2 * PGSIZE, KERNBASE - PGSIZE))
    for va, why in ((A0 + 4, "is not page aligned"), (A0 + PGSIZE - 1, "is not page aligned"),
                    (0, "is address 0"), (KERNBASE, "is KERNBASE, kernel memory"),
                    (KERNBASE - PGSIZE, "puts the segment's second page at KERNBASE"),
                    (0xFFFFF000, "is kernel memory"), (-PGSIZE, "is kernel memory")):
        shown = va & 0xFFFFFFFF
        r = call(h, p, "shm_attach", id, va, hint=f"the address {why}: refuse it with -1")
        assert r == -1, f"shm_attach({id}, {shown:#x}) returned {r}, but the address {why}"
        assert_unchanged(h, p, before, f"the refused shm_attach at {shown:#x}")
    attach(h, p, id, KERNBASE - 2 * PGSIZE)


def overlap_hint(what: str) -> dict:
    """For a refused attach that panicked in mappages: what that means."""
    return {"remap": f"(attaching over {what}) the overlap was not checked: shm_attach must return -1 "
                     "unless every page of the range is unmapped"}


@pytest.mark.points(3)
def test_attach_refuses_pages_already_mapped(h, p):
    """Over the guard page, the stack, the heap or another segment (its first,
    last or only page, wherever it falls in the new range): -1."""
    stack = p.sz - PGSIZE
    other = create(h, p, 2 * PGSIZE)
    attach(h, p, other, A1)
    lone = create(h, p, PGSIZE)
    attach(h, p, lone, A1 + 5 * PGSIZE)
    heap = call(h, p, "sbrk", PGSIZE)
    id = create(h, p, 3 * PGSIZE)
    before = snapshot(h, p, (A1 + 3 * PGSIZE, A1 + 4 * PGSIZE, A1 + 6 * PGSIZE))
    for va, what in ((stack - PGSIZE, "the guard page and the stack"), (stack, "the stack and the heap"),
                     (heap, "the heap"), (A1 + PGSIZE, "another segment's second page"),
                     (A1 - 2 * PGSIZE, "another segment's first page"),
                     (A1 + 4 * PGSIZE, "a one-page segment, the middle page of the range")):
        r = call(h, p, "shm_attach", id, va, hint=overlap_hint(what))
        assert r == -1, f"shm_attach({id}, {va:#x}) over {what} returned {r}: the overlap was not " \
                        "checked (every page of the range must be unmapped)"
        assert_unchanged(h, p, before, f"the refused shm_attach over {what}")
    attach(h, p, id, A0)


@pytest.mark.points(2)
def test_attach_right_next_to_another_segment(h, p):
    """A segment may end where another begins, or begin where one ends: no page
    in common, so the attach succeeds. One page in common: -1."""
    middle = create(h, p, 2 * PGSIZE)
    attach(h, p, middle, A1)
    for va, where in ((A1 + 2 * PGSIZE, "right after"), (A1 - 2 * PGSIZE, "right before")):
        id = create(h, p, 2 * PGSIZE)
        r = call(h, p, "shm_attach", id, va)
        assert r == 0, f"shm_attach({id}, {va:#x}) returned {r}: that puts the segment {where} segment " \
                       f"{middle} (at [{A1:#x}, {A1 + 2 * PGSIZE:#x})), with no page in common; every " \
                       "page of the range was unmapped, so the attach must succeed"
    last = create(h, p, 2 * PGSIZE)
    before = snapshot(h, p, (A1 - 3 * PGSIZE, A1 + 4 * PGSIZE))
    for va, page in ((A1 + 3 * PGSIZE, "its first page is the last page"),
                     (A1 - 3 * PGSIZE, "its last page is the first page")):
        r = call(h, p, "shm_attach", last, va, hint=overlap_hint("one page of another segment"))
        assert r == -1, f"shm_attach({last}, {va:#x}) returned {r}, but {page} of a segment attached there"
        assert_unchanged(h, p, before, f"the refused shm_attach({last}, {va:#x})")
    for i, pa in enumerate(seg(h, middle)["frames"]):
        e = entry(h, p, A1 + i * PGSIZE)
        assert e & PTE_P and PTE_ADDR(e) == pa, \
            f"after the segments around it were attached, page {i} of segment {middle} is " \
            f"{A.describe_pte(e)}, not its frame {pa:#x}"


@pytest.mark.points(1)
def test_attach_twice_is_refused(h, p):
    """A process attaches a segment once: a second attach elsewhere gets -1."""
    id = create(h, p, PGSIZE)
    attach(h, p, id, A0)
    r = call(h, p, "shm_attach", id, A1)
    assert r == -1, f"a second shm_attach of segment {id} by the same process returned {r}, not -1"
    n, e = seg(h, id)["refcount"], entry(h, p, A1)
    assert n == 1 and not e & PTE_P, f"the refused second attach left the reference count at {n} and " \
                                     f"{A1:#x} {A.describe_pte(e)}"


@pytest.mark.points(2)
def test_attach_out_of_memory_changes_nothing(xv6_make):
    """A segment across a 4 MiB boundary needs two page tables. With no frame:
    -1. With one frame, the first table is made and the second is not: -1, and
    the call undoes all of it (no PTE, no page table, no reference)."""
    h = syscaller(xv6_make(phystop=SMALL))
    p = spawn(h)
    id = create(h, p, 2 * PGSIZE)
    va = A0 + MIB4 - PGSIZE             # its second page is in the next 4 MiB
    hold = hold_frames(h.m)
    for free in (0, 1):
        r = call(h, p, "shm_attach", id, va)
        assert r == -1, f"shm_attach({id}, {va:#x}) returned {r} with {free} frame(s) free: its two " \
                        "pages need two page tables, and running out of memory must return -1"
        row, left = seg(h, id), h.m.free_frames
        assert row["refcount"] == 0 and p.shm == [], \
            f"a failed shm_attach (out of memory) left reference count {row['refcount']}, p.shm {p.shm}"
        for page in (va, va + PGSIZE):
            e = A.pte(h.m, p.pid, page)
            assert not (e or 0) & PTE_P, f"a failed shm_attach (out of memory for its second page table) " \
                                         f"left {page:#x} mapped: {A.describe_pte(e)}"
        assert left == free, f"a failed shm_attach (out of memory) kept {free - left} frame(s): the page " \
                             f"table it made for {va:#x} was not freed" if left < free else \
                             f"a failed shm_attach left {left} frames free, not the {free} it found"
        h.m.kernel("kfree", hold.pop())
    release(h.m, hold)
    attach(h, p, id, va)


# ---- shm_detach -----------------------------------------------------------------------------

@pytest.mark.points(3)
def test_detach_unmaps_and_drops_the_reference(h, p):
    """After detach: no PTE, reference gone, frames still the segment's."""
    id = create(h, p, 2 * PGSIZE)
    attach(h, p, id, A0)
    r = call(h, p, "shm_detach", id)
    assert r == 0, f"shm_detach({id}) of an attached segment returned {r}"
    for va in (A0, A0 + PGSIZE):
        assert not entry(h, p, va) & PTE_P, f"after shm_detach, {va:#x} is still mapped"
    row = seg(h, id)
    assert row["refcount"] == 0, f"after the only attachment was detached, the reference count is " \
                                 f"{row['refcount']}: shm_detach must drop the reference"
    assert p.shm == [], f"after shm_detach, p.shm still lists {p.shm}"
    assert not row["free"] and not any(frees(h.m, row["frames"])), \
        "shm_detach freed the segment's frames: they belong to the segment until shm_destroy"


@pytest.mark.points(3)
@pytest.mark.budget(1_000_000)
def test_detach_flushes_the_tlb(h, xv6_run):
    """A load right after detach faults: the kernel reloaded CR3, so the CPU
    forgot the old translation."""
    p = spawn(h)                  # first, in the page table alone: does detach clear the PTE?
    id = create(h, p, PGSIZE)
    attach(h, p, id, A0)
    assert call(h, p, "shm_detach", id) == 0, f"shm_detach({id}) of an attached segment failed"
    cleared = not entry(h, p, A0) & PTE_P
    r = xv6_run("shmcheck", "tlb")
    if "child wrote 7 through the segment" not in r.output:
        pytest.fail("the child of shmcheck tlb could not use the segment it attached, so the detach was "
                    f"never tried ({r.status}); it printed:\n{r.output}", pytrace=False)
    if "after detach: the old mapping still worked" in r.output:
        assert not cleared, "shm_detach cleared the PTE (the grader read it) but did not flush the TLB: " \
                            "the child's load right after shm_detach still used the old translation " \
                            "(clearing the PTE is not enough while the CPU holds it; reload CR3)"
        pytest.fail("the child's load right after shm_detach still worked: shm_detach left the PTE of "
                    f"{A0:#x} present", pytrace=False)
    no_wrong(r, "shmcheck tlb")
    assert "trap 14 err 4" in r.output and "addr 0x10000000--kill proc" in r.output, \
        f"the child's load after shm_detach should fault on 0x10000000 (not present); it printed:\n{r.output}"
    assert "destroy after the child = 0" in r.output, "shm_destroy failed after the child died:\n" + r.output
    A.assert_no_leak(r)


@pytest.mark.points(1)
def test_detach_refuses_what_is_not_attached(h, p):
    """Detaching a segment the process has not attached, a free slot or a bad id:
    -1, and every attachment stays."""
    ids, free = fill_the_table(h, p)
    mine = [i for i in ids if i in (0, SHM_N - 2, SHM_N - 1)]
    for k, id in enumerate(mine):
        attach(h, p, id, A0 + k * PGSIZE)
    other = next(i for i in ids if i not in mine)
    before = snapshot(h, p, (A0, A0 + PGSIZE, A0 + 2 * PGSIZE))
    for bad in (other, free) + BAD_IDS:
        r = call(h, p, "shm_detach", bad)
        why = f"the process has not attached segment {bad}" if bad == other else no_such(bad, free)
        assert r == -1, f"shm_detach({bad}) returned {r}: {why}"
        assert_unchanged(h, p, before, f"the refused shm_detach({bad})")
    assert call(h, p, "shm_detach", mine[0]) == 0, "shm_detach of an attached segment failed"
    assert call(h, p, "shm_detach", mine[0]) == -1, "a second shm_detach of the same segment must return -1"


@pytest.mark.points(3)
def test_several_segments_in_one_process(h, p):
    """Three segments attached, in an order where no id equals its place in p.shm:
    detaching the middle one leaves the others as they were; exit detaches all."""
    ids = [create(h, p, PGSIZE) for _ in range(4)]
    order = next(o for o in itertools.permutations(ids, 3) if all(o[k] != k for k in range(3)))
    where = dict(zip(order, (A0, A0 + 2 * PGSIZE, A1), strict=True))
    c = spawn(h)
    for id in order:
        attach(h, c, id, where[id])
    mid = order[1]
    assert call(h, c, "shm_detach", mid) == 0, f"shm_detach({mid}) of the second of three attached " \
                                               f"segments (p.shm {list(where.items())}) failed"
    listed = sorted(c.shm)
    want = sorted((id, va) for id, va in where.items() if id != mid)
    assert listed == want, f"p.shm was {list(where.items())}; after shm_detach({mid}) it is {c.shm}, " \
        f"not {want}" + (": a different entry was removed" if len(listed) == len(want) else "")
    for id, va in where.items():
        e, row = entry(h, c, va), seg(h, id)
        if id == mid:
            assert not e & PTE_P and row["refcount"] == 0, \
                f"after shm_detach({mid}), {va:#x} is {A.describe_pte(e)} and the count is {row['refcount']}"
        else:
            assert e & PTE_P and PTE_ADDR(e) == row["frames"][0] and row["refcount"] == 1, \
                f"shm_detach({mid}) changed segment {id}, which stays attached at {va:#x}: its PTE is " \
                f"{A.describe_pte(e)}, its reference count {row['refcount']}"
    fourth = next(i for i in ids if i not in order)
    where[fourth] = A1 + 2 * PGSIZE
    attach(h, c, fourth, where[fourth])
    call(h, c, "exit")
    left = {id: seg(h, id)["refcount"] for id in where if id != mid}
    kept = attachments(h, c.pid)
    assert not any(left.values()) and not kept, \
        f"exit with three segments attached left segment(s) {[id for id in left if left[id]]} " \
        f"attached: reference counts {left}, the exited process's p.shm {kept}"
    call_reap(h)
    assert not any(frees(h.m, [pa for id in where for pa in seg(h, id)["frames"]])), \
        "the segments' frames were freed with the exited process's memory"


# ---- shm_destroy ----------------------------------------------------------------------------

@pytest.mark.points(3)
def test_destroy_frees_the_frames_and_the_slot(h, p):
    """Destroy gives every frame back to kalloc and frees the slot."""
    id = create(h, p, 3 * PGSIZE)
    frames = seg(h, id)["frames"]
    before = A.free_frames(h.m)
    r = call(h, p, "shm_destroy", id)
    assert r == 0, f"shm_destroy({id}) of an unattached segment returned {r}"
    freed = A.free_frames(h.m) - before
    assert freed >= 3, f"shm_destroy did not free the segment's frames: {3 - freed} of its 3 frames were " \
                       "not given back to kalloc"
    assert all(frees(h.m, frames)), "the segment's frames are not all free after shm_destroy"
    assert freed == 3, f"shm_destroy of a 3-page segment freed {freed} frames"
    assert seg(h, id)["free"], f"slot {id} is still in use after shm_destroy (set its page count to 0)"


@pytest.mark.points(3)
def test_destroy_is_refused_while_attached(h, p):
    """While any process has the segment attached, destroy returns -1 and frees nothing."""
    id = create(h, p, PGSIZE)
    q = spawn(h)
    attach(h, p, id, A0)
    attach(h, q, id, A1)
    frames = seg(h, id)["frames"]
    for holders, leaving in (("two processes", p), ("one process", q)):
        r = call(h, p, "shm_destroy", id)
        assert r == -1, f"shm_destroy succeeded while {holders} still had the segment attached: it " \
                        "must return -1 while the reference count is not 0"
        assert not any(frees(h.m, frames)), \
            "shm_destroy freed the frames of a segment that is still attached"
        assert call(h, leaving, "shm_detach", id) == 0, "shm_detach of an attached segment failed"
    assert call(h, p, "shm_destroy", id) == 0, "shm_destroy failed after every process detached"


@pytest.mark.points(1)
def test_destroy_refuses_bad_ids(h, p):
    """A bad id, a free slot, or a segment destroyed already: -1, nothing freed."""
    ids, free = fill_the_table(h, p)
    before = snapshot(h, p)
    for bad in BAD_IDS + (free,):
        r = call(h, p, "shm_destroy", bad)
        if r != -1:
            gone = [id for id in ids if seg(h, id)["free"]]
            reached = "".join(f"; segment {id} is gone{from_the_end(bad, id)}" for id in gone[:1])
            pytest.fail(f"shm_destroy({bad}) returned {r}: {no_such(bad, free)}{reached}", pytrace=False)
        assert_unchanged(h, p, before, f"the refused shm_destroy({bad})")
    assert call(h, p, "shm_destroy", ids[0]) == 0, "shm_destroy of an unattached segment failed"
    assert call(h, p, "shm_destroy", ids[0]) == -1, "a second shm_destroy of the same segment must return -1"


@pytest.mark.points(2)
@pytest.mark.budget(1_000_000)
def test_a_new_segment_on_reused_frames_reads_zero(xv6_run):
    """A program dirties a segment, destroys it, creates another: it reads zeros."""
    r = xv6_run("shmcheck", "zero")
    assert "non-zero words in a new segment = " in r.output, \
        f"shmcheck zero did not get to count the words of its second segment ({r.status}); it " \
        f"printed:\n{r.output}"
    assert "non-zero words in a new segment = 0\n" in r.output, \
        "the segment's frames were not zero-filled: a new segment showed what the previous one " \
        f"held:\n{r.output}"
    A.assert_no_leak(r)


# ---- the lock -------------------------------------------------------------------------------

@pytest.mark.points(3)
def test_a_refused_call_releases_the_lock(xv6_make):
    """After each kind of refused call (bad size, full table, no memory, bad id,
    bad address, overlap, attached twice, not attached, still attached), a call
    that takes shmtable.lock still can: every error path released it."""
    h = syscaller(xv6_make(phystop=SMALL))
    p = spawn(h)
    spare = create(h, p, PGSIZE)
    spare = lock_probe(h, p, spare, None)
    stack = p.sz - PGSIZE
    for size in (0, -1, SHM_MAX * PGSIZE + 1):
        spare = refused(h, p, spare, "shm_create", size)
    fillers = [create(h, p, PGSIZE) for _ in range(SHM_N - 1)]
    spare = refused(h, p, spare, "shm_create", PGSIZE)            # the table is full
    for id in fillers[:-3]:
        assert call(h, p, "shm_destroy", id) == 0, f"shm_destroy({id}) of an unattached segment failed"
    s, t, gone = fillers[-3:]
    assert call(h, p, "shm_destroy", gone) == 0, f"shm_destroy({gone}) of an unattached segment failed"
    for bad in (-2, SHM_N, 1000, gone):
        spare = refused(h, p, spare, "shm_attach", bad, A0)
    for va in (A0 + 4, 0, KERNBASE, stack):
        spare = refused(h, p, spare, "shm_attach", s, va)
    attach(h, p, s, A0)
    spare = refused(h, p, spare, "shm_attach", s, A1)              # attached already
    spare = refused(h, p, spare, "shm_detach", t)                  # not attached
    spare = refused(h, p, spare, "shm_detach", -2)
    for bad in (s, -2, SHM_N, gone):                              # s: still attached
        spare = refused(h, p, spare, "shm_destroy", bad)
    held = hold_frames(h.m, leave=1)                                # out of memory half-way
    spare = refused(h, p, spare, "shm_create", 2 * PGSIZE, then=lambda: release(h.m, held))
    held = hold_frames(h.m)                                         # no frame for a page table
    spare = refused(h, p, spare, "shm_attach", t, A1, then=lambda: release(h.m, held))


def refused(h, p, spare: int, name: str, *args, then=None) -> int:
    """A call that must be refused, then (after `then()`, if given) lock_probe."""
    r = call(h, p, name, *args)
    shown = f"{name}({', '.join(hex(a) if abs(a) > 0xFFFF else str(a) for a in args)})"
    assert r == -1, f"{shown} returned {r}; this test needs it refused (-1), to check the lock after it"
    if then is not None:
        then()
    return lock_probe(h, p, spare, f"{shown}, refused with -1,")


def lock_probe(h, p, spare: int, after: str | None) -> int:
    """Destroy the spare segment and make it again: two calls that take
    shmtable.lock (and need no free frame). Returns the new spare's id."""
    for name, arg in (("shm_destroy", spare), ("shm_create", PGSIZE)):
        shown = f"{name}({arg})"
        try:
            r = h.call(p, name, arg)
        except Exception as e:          # noqa: BLE001 -- a panic, or any error in the student's code
            error = crash_message(e)
        else:
            assert r == 0 if name == "shm_destroy" else 0 <= r < SHM_N, \
                f"{shown} returned {r}" + (f" after {after}" if after else "")
            spare = r if name == "shm_create" else spare
            continue
        if after is None:
            pytest.fail(f"{shown} crashed the kernel: {error}", pytrace=False)
        if error.startswith("panic: acquire"):
            pytest.fail(f"after {after} {shown} panicked ({error}): shmtable.lock was still held, though "
                        "the same calls had worked just before it: the refused call returned without "
                        "releasing the lock", pytrace=False)
        pytest.fail(f"after {after} {shown} crashed the kernel: {error}", pytrace=False)
    return spare


# ---- sizes that are not a multiple of a page ------------------------------------------------

@pytest.mark.points(2)
def test_a_segment_that_ends_in_a_partial_page(h, p):
    """A segment of PGSIZE + 100 bytes has two whole pages in every path: attach maps
    both (its last byte too), not past KERNBASE; fork shares both; exit and detach
    unmap both; destroy frees both frames."""
    size = PGSIZE + 100
    id = create(h, p, size)
    frames = seg(h, id)["frames"]
    assert len(frames) == 2, f"shm_create({size}) made a segment of {seg(h, id)['npages']} pages with " \
                             f"{len(frames)} frame(s), expected 2 (its second page holds only 100 bytes, " \
                             "but it is a whole page)"
    r = call(h, p, "shm_attach", id, KERNBASE - PGSIZE)
    assert r == -1, f"shm_attach({id}, {KERNBASE - PGSIZE:#x}) of a {size}-byte segment returned {r}: its " \
                    "second page would be at KERNBASE"

    def mapped(who, pid):
        for i, pa in enumerate(frames):
            e = A.pte(h.m, pid, A0 + i * PGSIZE) or 0
            assert e & PTE_P and PTE_ADDR(e) == pa, \
                f"{who} a segment of {size} bytes, page {i} at {A0 + i * PGSIZE:#x} is " \
                f"{A.describe_pte(e)}, not the segment's frame {pa:#x}"
    attach(h, p, id, A0)
    mapped("after shm_attach of", p.pid)
    last = A0 + 2 * PGSIZE - 4
    assert h.poke(p, last, b"end!"), f"the last 4 bytes of the segment's second page ({last:#x}) are not " \
                                     "writable by the process"
    c = kernel(h.fork, p, what="fork of a process with a segment attached crashed the kernel")
    mapped("in the child forked from a process with", c.pid)
    assert seg(h, id)["refcount"] == 2, f"after fork the count is {seg(h, id)['refcount']}, not 2"
    call(h, c, "exit")
    assert seg(h, id)["refcount"] == 1, f"after the child exited the count is {seg(h, id)['refcount']}, not 1"
    call_reap(h)
    assert not any(frees(h.m, frames)), \
        f"when the child exited, the frames of its {size}-byte segment were freed with its memory"
    assert call(h, p, "shm_detach", id) == 0, f"shm_detach({id}) failed"
    for i in range(2):
        e = entry(h, p, A0 + i * PGSIZE)
        assert not e & PTE_P, f"after shm_detach of a {size}-byte segment, page {i} is still mapped"
    before = A.free_frames(h.m)
    assert call(h, p, "shm_destroy", id) == 0, f"shm_destroy({id}) failed"
    assert A.free_frames(h.m) - before == 2 and all(frees(h.m, frames)), \
        f"shm_destroy of a {size}-byte segment freed {A.free_frames(h.m) - before} frames, not its 2"


# ---- fork, exit, exec, kill, sbrk -----------------------------------------------------------

@pytest.mark.points(3)
def test_fork_shares_the_attachment(h, p):
    """The child maps the same frames at the same address; the count includes it."""
    id = create(h, p, 2 * PGSIZE)
    attach(h, p, id, A0)
    c = kernel(h.fork, p, what="fork of a process with a segment attached crashed the kernel")
    for i in range(2):
        va = A0 + i * PGSIZE
        ce, pe = entry(h, c, va), entry(h, p, va)
        assert ce & PTE_P, f"after fork, the child does not have the segment mapped at {va:#x}"
        assert PTE_ADDR(ce) == PTE_ADDR(pe), \
            f"the child's {va:#x} maps frame {PTE_ADDR(ce):#x}, the parent's {PTE_ADDR(pe):#x}: fork " \
            "must share the segment's frames, not copy them"
        assert ce & (PTE_U | PTE_W) == PTE_U | PTE_W, f"the child's mapping of {va:#x} is not user-writable"
    assert (id, A0) in c.shm, "the child's p.shm does not list the segment it inherited"
    row = seg(h, id)
    assert row["refcount"] == 2, \
        f"after fork the segment's reference count is {row['refcount']} with 2 processes attached: " \
        "the reference count was not taken on fork (the child's attachment must count)"


@pytest.mark.points(2)
@pytest.mark.budget(1_000_000)
def test_fork_program(xv6_run):
    """A child reads and writes its parent's segment; destroy waits for the last detach."""
    r = xv6_run("shmcheck", "fork")
    no_wrong(r, "shmcheck fork")
    assert "child reads 1 through the inherited attachment" in r.output, \
        f"the child of shmcheck fork did not report reading its parent's segment ({r.status}); it " \
        f"printed:\n{r.output}"
    assert "destroy = 0" in r.output, f"shmcheck fork did not get to its last destroy:\n{r.output}"
    A.assert_no_leak(r)


@pytest.mark.points(2)
def test_fork_out_of_memory_takes_nothing(xv6_make):
    """A parent with two segments, each in a 4 MiB of its own (a page table each in
    the child), forks with 0, 1, 2, ... free frames until fork succeeds. Each
    failed fork returns -1 and leaves everything as it was: frames, reference
    counts, the parent's mappings, the process table."""
    h = syscaller(xv6_make(phystop=SMALL))
    p = spawn(h)
    where = {create(h, p, PGSIZE): A0, create(h, p, PGSIZE): A1}
    for id, va in where.items():
        attach(h, p, id, va)
    frames = {id: seg(h, id)["frames"] for id in where}
    procs = sorted((row["pid"], row["state"]) for row in h.m.processes())
    held, free = hold_frames(h.m), 0
    while (pid := call(h, p, "fork")) == -1:
        left, counts = h.m.free_frames, {id: seg(h, id)["refcount"] for id in where}
        lost = [id for id in where if any(frees(h.m, frames[id]))]
        assert not lost, f"a fork that failed (-1, out of memory with {free} free frames) freed the frames " \
                         f"of segment {lost[0]}, which the parent still has attached (fork frees the " \
                         "child's page table and every frame it maps: shm_fork must unmap what it " \
                         "mapped before returning -1)"
        assert all(n == 1 for n in counts.values()), \
            f"a fork that failed (-1, out of memory with {free} free frames) took a reference: the " \
            f"reference counts are {counts}, with only the parent attached"
        assert left == free, \
            f"a fork that failed (-1, out of memory) kept {free - left} of the {free} free frames" \
            if left < free else f"a failed fork left {left} frames free, not {free}"
        now = sorted((row["pid"], row["state"]) for row in h.m.processes())
        assert now == procs, f"a fork that failed (-1) left the process table {now}, not {procs}"
        for id, va in where.items():
            e = entry(h, p, va)
            assert e & PTE_P and PTE_ADDR(e) == frames[id][0], \
                f"a failed fork changed the parent's mapping of segment {id}: {A.describe_pte(e)}"
        if not held:
            pytest.fail("fork returned -1 with every frame free again", pytrace=False)
        h.m.kernel("kfree", held.pop())
        free += 1
    assert pid is not None and pid > 0, f"fork returned {pid} with {free} free frames"
    child = sorted(tuple(a) for a in A.proc_by_pid(h.m, pid)["shm"])
    assert child == sorted(where.items()), f"a child forked with two segments attached has p.shm {child}"


@pytest.mark.points(3)
def test_exit_detaches(h, p):
    """A process that exits with a segment attached loses the attachment; the
    frames stay with the segment."""
    id = create(h, p, PGSIZE)
    c = spawn(h)
    attach(h, c, id, A0)
    frames = seg(h, id)["frames"]
    call(h, c, "exit")
    row = seg(h, id)
    if row["refcount"] != 0:
        e = entry(h, c, A0)
        pytest.fail(f"exit did not detach the segment completely: after the only process that attached "
                    f"it exited, its reference count is {row['refcount']}, the exited process's p.shm "
                    f"{attachments(h, c.pid)}, and {A0:#x} is {A.describe_pte(e)} in its page table",
                    pytrace=False)
    call_reap(h)
    assert not any(frees(h.m, frames)), \
        "the segment's frames were freed with the exiting process's memory: exit must unmap them " \
        "first (they belong to the segment)"
    assert call(h, p, "shm_destroy", id) == 0, "shm_destroy failed after the attached process exited"


@pytest.mark.points(2)
@pytest.mark.budget(1_000_000)
def test_exit_program(xv6_run):
    """A child attaches and exits without detaching; the parent destroys the segment."""
    r = xv6_run("shmcheck", "exit")
    no_wrong(r, "shmcheck exit")
    assert "destroy after the attached child exited = 0" in r.output, \
        f"shmcheck exit did not get to its destroy ({r.status}); it printed:\n{r.output}"
    A.assert_no_leak(r)


@pytest.mark.points(1)
def test_kill_detaches(h, p):
    """A killed process detaches as it exits."""
    id = create(h, p, PGSIZE)
    victim = spawn(h)
    attach(h, victim, id, A0)
    assert call(h, p, "kill", victim.pid) == 0, f"kill({victim.pid}) of a live process failed"
    call(h, victim, "getpid")             # it exits on its way back to user mode
    n = seg(h, id)["refcount"]
    assert n == 0, f"a killed process did not detach its segment as it exited: the count is {n}"
    assert call(h, p, "shm_destroy", id) == 0, "shm_destroy failed after the attached process was killed"


@pytest.mark.points(2)
def test_exec_detaches(h, p):
    """exec gives the process a new address space: its segments, all of them, are detached."""
    ids = [create(h, p, PGSIZE) for _ in range(3)]
    for k, id in enumerate(ids):
        attach(h, p, id, A0 + k * PGSIZE)
    r = call(h, p, "exec", "/hello", ["hello"])
    assert r == 0, f"exec returned {r}"
    left = {id: seg(h, id)["refcount"] for id in ids}
    assert not any(left.values()) and p.shm == [], \
        f"exec did not detach every segment: reference counts {left}, p.shm {p.shm}"
    assert not any(frees(h.m, [pa for id in ids for pa in seg(h, id)["frames"]])), \
        "exec freed the segments' frames with the old address space: detach them first"


@pytest.mark.points(2)
@pytest.mark.budget(1_000_000)
def test_a_run_stopped_at_its_budget_detaches_everything(xv6_machine):
    """shmcall stopped by its instruction budget while both of its processes have
    the segment attached: the machine tears them down (shm_exit for each, running
    or not), so the count drops to 0 and the frames stay with the segment."""
    r = kernel(xv6_machine.run, "shmcall",
               what="the run of shmcall (stopped at its budget, then its processes torn down) crashed the "
                    "kernel",
               hint={"already free": "a frame was freed twice as the processes left were torn down: the "
                                     "segment's frames were still mapped when their memory was freed "
                                     "(shm_exit, called for each process left, must detach first)"})
    assert r.status == "budget" and "square(1) = 1" in r.output, \
        f"shmcall was to be stopped by its budget of 1,000,000 instructions after its first calls; it " \
        f"ended {r.status} ({r.reason}), printing:\n{r.output[-300:]}"
    rows = xv6_machine.shm_segments()
    assert len(rows) == 1, f"shmcall had one segment; after the teardown the table holds {rows}"
    row = rows[0]
    assert row["refcount"] == 0, \
        f"the run stopped with two processes attached to segment {row['id']}; after their teardown " \
        f"(shm_exit, then their memory freed) its reference count is {row['refcount']}, not 0"
    freed = [pa for pa, free in zip(row["frames"], frees(xv6_machine, row["frames"]), strict=True) if free]
    assert not freed, f"the teardown freed segment {row['id']}'s frames with the processes' memory: " \
                      "shm_exit must unmap them first"
    lost = r.free_frames_before - r.free_frames_after
    assert lost == row["pages"], f"after the teardown {lost} frames are missing; the segment that " \
                                 f"is left holds {row['pages']}"


@pytest.mark.points(2)
def test_sbrk_never_grows_into_a_segment(h, p):
    """sbrk refuses to grow over an attached segment (shm_overlaps): into it,
    across all of it, or from a break that is not page aligned onto its first
    page; it grows up to its first byte."""
    id = create(h, p, PGSIZE)
    sz = p.sz
    top = sz + 2 * PGSIZE
    attach(h, p, id, top)
    cases = ((5 * PGSIZE, f"across the whole segment ([{sz:#x}, {sz + 5 * PGSIZE:#x}) contains it)"),
             (3 * PGSIZE, f"into the segment at {top:#x}"),
             (100, None),
             (2 * PGSIZE, f"from a break that is not page aligned ({sz + 100:#x}) onto the segment's "
                          "first page"),
             (2 * PGSIZE - 100, None),
             (1, f"one byte into the segment (the break is {top:#x}, its first byte)"))
    for n, over in cases:
        before = (A.free_frames(h.m), p.sz)
        hint = {"remap": f"sbrk({n}) went on to map pages {over}, so shm_overlaps(p, lo, hi) had said "
                         "that [lo, hi) meets no attached segment"} if over else ""
        r = call(h, p, "sbrk", n, hint=hint)
        if over is None:
            assert r == before[1], f"sbrk({n}) from {before[1]:#x} returned {r}: it ends at or below the " \
                                   f"segment's first byte ({top:#x}), so it must grow the heap"
            continue
        assert r == -1, f"sbrk({n}) grew the heap {over}: shm_overlaps must report the overlap"
        assert (A.free_frames(h.m), p.sz) == before, f"the refused sbrk({n}) changed the process's memory"
    assert p.sz == top, f"after growing up to the segment the break is {p.sz:#x}, not {top:#x}"


# ---- the lab's programs ---------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.budget(5_000_000)
def test_shmtest(xv6_run):
    """Two processes meet in a segment (userprogs/shmtest.c)."""
    r = xv6_run("shmtest")
    last = r.output.splitlines()[-1] if r.output else ""
    assert last.startswith("parent: child exited; detached and destroyed segment "), \
        f"shmtest did not finish its handshake:\n{r.output}"
    A.assert_no_leak(r)


@pytest.mark.points(2)
@pytest.mark.budget(20_000_000)
def test_shmcall(xv6_run):
    """Twenty calls answered through a segment (userprogs/shmcall.c)."""
    r = xv6_run("shmcall")
    assert "shmcall: all answers correct\nshmcall: server answered 20 calls\n" in r.output, \
        f"shmcall's calls through the segment did not all come back right:\n{r.output[-400:]}"
    A.assert_no_leak(r)


@pytest.mark.points(1)
@pytest.mark.budget(5_000_000)
def test_shmglobal(xv6_run):
    """The handshake through a global variable fails; the one through the segment works."""
    r = xv6_run("shmglobal")
    assert "parent: timed out: the child stored to its global" in r.output, \
        f"shmglobal did not get to its conclusion ({r.status}; it needs a working segment); it " \
        f"printed:\n{r.output}"
    A.assert_no_leak(r)


@pytest.mark.points(2)
@pytest.mark.budget(5_000_000)
def test_shmerrors(xv6_run):
    """Every misuse of the four calls from a program (userprogs/shmerrors.c): a
    line per case, "<-- WRONG" on a wrong answer."""
    r = xv6_run("shmerrors")
    no_wrong(r, "shmerrors")
    assert r.output.endswith("shmerrors: all cases as expected\n"), \
        f"shmerrors did not get to its end ({r.status}); it printed:\n{r.output[-400:]}"
    A.assert_no_leak(r)


# What badargs's shared-memory lines must say (userprogs/badargs.c); all others: -1.
BADARGS_OK = {"shm_create 2 pages": "an id", "shm_attach good": "0", "shm_detach good": "0",
              "shm_destroy good": "0"}


@pytest.mark.points(1)
@pytest.mark.budget(5_000_000)
def test_badargs(xv6_make):
    """badargs makes every system call with bad arguments (userprogs/badargs.c):
    each shared-memory case gets -1 but the good ones, and the program's own
    checks afterwards all pass. (Little memory: sbrk(0x7fff0000) fails fast.)"""
    m = xv6_make(phystop=KERNEND + 256 * PGSIZE)
    r = m.run("badargs")
    wrong = []
    for line in r.output.splitlines():
        case, eq, got = line.removeprefix("badargs: ").rpartition(" = ")
        if not line.startswith("badargs: shm_") or not eq:
            continue
        want = BADARGS_OK.get(case, "-1")
        ok = (got.isdigit() and int(got) < SHM_N) if want == "an id" else got == want
        if not ok:
            wrong.append(f"{line}  (expected {want})")
    assert not wrong, "badargs's shared-memory calls got wrong answers:\n" + "\n".join(wrong)
    fails = [line for line in r.output.splitlines() if "FAIL" in line]
    assert r.status == "exit" and r.output.endswith("badargs: done\n"), \
        f"badargs did not finish ({r.status}: {r.reason}):\n" + "\n".join(fails or r.output.splitlines()[-5:])
    A.assert_no_leak(r)
