"""Page-table views (xv6py/debug/ptdata.py, render.py, commands.py): walks checked
against hand-computed entries and against the faults the emulated MMU raises,
labelled ranges, ptdiff, the kalloc diff, frames, shm, the fault explainer, and
their plain-text form."""

import io
import re
import struct

import pytest
from rich.console import Console

from xv6py.debug import commands, ptdata, render
from xv6py.machine import Machine
from xv6py.memlayout import KERNBASE, PHYSTOP
from xv6py.mm import kalloc as K
from xv6py.mm import pgdir as V
from xv6py.mmu import PDX, PGSIZE, PTE_P, PTE_U, PTE_W, PTX
from xv6py.testing.kcall import Syscaller

PWU = PTE_P | PTE_W | PTE_U


@pytest.fixture
def h():
    return Syscaller(Machine())


def r32(pa):
    return struct.unpack_from("<I", V.x86.ram, pa)[0]


def pte_addr(p, va):
    return V.walkpgdir(p.pgdir, va, False)


def guard_of(p):
    """exec's layout: the guard page is two pages below the size exec left."""
    return p.sz - 2 * PGSIZE


# ---- walk -----------------------------------------------------------------------------------

def test_walk_matches_a_hand_computed_one(h):
    """A segment at 0x12345000: PDX 0x48, PTX 0x345. The entry addresses and
    values are computed here from the page directory's raw words."""
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    assert h.call(p, "shm_attach", seg, 0x12345000) == 0
    va = 0x12345678
    pde_at = p.pgdir + 4 * 0x48
    pde = r32(pde_at)
    table = pde & 0xFFFFF000
    pte_at = table + 4 * 0x345
    pte = r32(pte_at)
    frame = h.m.shm_segments()[0]["frames"][0]
    w = ptdata.walk(h.m, p.pgdir, va, "write")
    assert [(s.level, s.index, s.table, s.addr, s.value) for s in w.steps] == [
        ("PDE", 0x48, p.pgdir, pde_at, pde), ("PTE", 0x345, table, pte_at, pte)]
    assert pte & 0xFFFFF000 == frame                    # the segment's own record agrees
    assert (w.ok, w.frame, w.pa, w.fault, w.large) == (True, frame, frame + 0x678, None, False)
    assert h.poke(p, va, b"seen by the kernel")         # copyout's walk lands on the same byte
    assert V.x86.ram[w.pa:w.pa + 18] == b"seen by the kernel"


def test_walk_fails_at_the_level_that_refuses(h):
    p = h.spawn()
    cases = {
        0x40000000: ("PDE", "PDE not present"),
        p.sz + 5 * PGSIZE: ("PTE", "PTE not present"),
        guard_of(p) + 16: ("PTE", "PTE_U clear: user access to a supervisor page"),
        KERNBASE: ("PDE", "PTE_U clear: user access to a supervisor page"),
    }
    for va, (level, why) in cases.items():
        w = ptdata.walk(h.m, p.pgdir, va, "read")
        assert not w.ok and w.pa is None and w.failed == level and w.fault.startswith(why), hex(va)
        assert len(w.steps) == (1 if level == "PDE" else 2)
        assert w.present == ("not present" not in why)


def test_walk_write_needs_pte_w_and_read_does_not(h):
    p = h.spawn()
    at = pte_addr(p, 0x0)
    V.x86.write32(at, r32(at) & ~PTE_W)
    assert ptdata.walk(h.m, p.pgdir, 0x10, "write").fault == "PTE_W clear: write to a read-only page"
    assert ptdata.walk(h.m, p.pgdir, 0x10, "read").ok
    assert ptdata.walk(h.m, p.pgdir, 0x10, "fetch").ok         # no execute bit in 32-bit paging


def test_walk_of_the_kernel_half_is_one_level_of_4mib_pages(h):
    p = h.spawn()
    w = ptdata.walk(h.m, p.pgdir, KERNBASE + 0x00812345, "write", user=False)
    assert w.ok and w.large and len(w.steps) == 1
    assert w.steps[0].addr == p.pgdir + 4 * (PDX(KERNBASE) + 2)
    assert (w.frame, w.pa) == (0x00800000, 0x00812345)    # KERNBASE + pa -> pa
    assert not ptdata.walk(h.m, p.pgdir, KERNBASE + PHYSTOP, "read", user=False).ok


def test_walk_refuses_bad_arguments(h):
    p = h.spawn()
    with pytest.raises(ValueError):
        ptdata.walk(h.m, p.pgdir, 1 << 32)
    with pytest.raises(ValueError):
        ptdata.walk(h.m, p.pgdir, 0, "execute")


def test_walk_renders_every_level_in_plain_text(h):
    p = h.spawn()
    va = guard_of(p) + 0x10
    out = render.text(render.render_walk(ptdata.walk(h.m, p.pgdir, va, "write")))
    pde, pte = r32(p.pgdir), r32(pte_addr(p, va))
    assert f"PDX {PDX(va)} | PTX {PTX(va)} | offset 0x010" in out
    assert f"PDE[0] at pgdir {p.pgdir:#010x} + 4*0 = {p.pgdir:#010x} holds {pde:#010x}" in out
    assert f"holds {pte:#010x}" in out and "P=1 W=1 U=0" in out
    assert "fault at the PTE: PTE_U clear" in out
    assert "\x1b" not in out


# ---- ranges and labels ----------------------------------------------------------------------

def test_mappings_label_exec_layout_heap_and_segment(h):
    p = h.spawn()
    image, guard = 0, guard_of(p)
    assert h.call(p, "sbrk", 3 * PGSIZE) >= 0
    seg = h.call(p, "shm_create", 2 * PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    ranges = ptdata.mappings(h.m, p.pgdir, p.sz, ptdata.shm_of(h.m, p))
    got = [(r.start, r.end, r.label, r.flags) for r in ranges]
    assert got == [(image, guard, "text/data", PWU), (guard, guard + PGSIZE, "guard", PTE_P | PTE_W),
                   (guard + PGSIZE, guard + 2 * PGSIZE, "stack", PWU),
                   (guard + 2 * PGSIZE, p.sz, "heap", PWU),
                   (0x10000000, 0x10002000, "shm 0", PWU)]


def test_mappings_frames_are_the_page_tables_frames(h):
    p = h.spawn()
    for r in ptdata.mappings(h.m, p.pgdir):
        for i, f in enumerate(r.frames):
            assert r32(pte_addr(p, r.start + i * PGSIZE)) & 0xFFFFF000 == f


def test_without_sz_the_guard_still_comes_from_the_page_table(h):
    p = h.spawn()
    labels = [r.label for r in ptdata.mappings(h.m, p.pgdir)]
    assert labels == ["text/data", "guard", "stack"]


def test_a_page_above_sz_that_no_segment_explains(h):
    p = h.spawn()
    pa = K.kalloc()
    V.mappages(p.pgdir, 0x20000000, PGSIZE, pa, PTE_W | PTE_U)
    (r,) = [r for r in ptdata.mappings(h.m, p.pgdir, p.sz, []) if r.start == 0x20000000]
    assert r.label == "beyond sz" and r.frames == (pa,)


def test_pt_splits_ranges_at_page_directory_entries(h):
    """A 2-page segment at 0x3ff000 straddles PDE 0 and PDE 1: one range, two rows."""
    p = h.spawn()
    seg = h.call(p, "shm_create", 2 * PGSIZE)
    assert h.call(p, "shm_attach", seg, 0x3FF000) == 0
    (whole,) = [r for r in ptdata.mappings(h.m, p.pgdir, p.sz, ptdata.shm_of(h.m, p)) if r.label == "shm 0"]
    assert (whole.start, whole.end) == (0x3FF000, 0x401000)
    pd = ptdata.pt(h.m, p.pid)
    assert [d.index for d in pd.pdes] == [0, 1]
    assert [(r.start, r.end) for r in pd.pdes[0].ranges if r.label == "shm 0"] == [(0x3FF000, 0x400000)]
    assert [(r.start, r.end, r.frames) for r in pd.pdes[1].ranges] == [(0x400000, 0x401000, whole.frames[1:])]


def test_render_pt_plain_text(h):
    p = h.spawn()
    h.call(p, "sbrk", 3 * PGSIZE)
    pd = ptdata.pt(h.m, p.pid)
    out = render.text(render.render_pt(pd))
    assert f"pid {p.pid} hello page directory {p.pgdir:#010x}" in out
    assert f"PDE 0 at {p.pgdir:#010x}: 0x00000000-0x003fffff" in out
    pde = r32(p.pgdir)
    assert f"page table {pde & 0xFFFFF000:#010x}" in out
    guard = guard_of(p) - 3 * PGSIZE
    assert re.search(rf"{guard:#010x}-{guard + PGSIZE - 1:#010x} +1 +P W - +guard", out)
    heap = [r for r in pd.pdes[0].ranges if r.label == "heap"][0]
    assert re.search(rf"3 +P W U +heap +{heap.frames[0]:#010x}", out)
    assert "0x80000000-0xffffffff: kernel, 56 x 4 MiB pages" in out and "supervisor only" in out
    assert "\x1b" not in out


def test_frame_lists_are_written_as_runs():
    down = [0x5000, 0x4000, 0x3000]
    assert render.frames_text(down) == "0x00005000..0x00003000 (3)"
    assert render.frames_text([0x9000] + down + [0x7000, 0x8000]) == \
        "0x00009000, 0x00005000..0x00003000 (3), 0x00007000..0x00008000 (2)"
    assert render.frames_text([0x1000 * i for i in range(1, 20, 2)]) == \
        "0x00001000, 0x00003000, 0x00005000, + 7 more"


def test_colours_only_on_a_terminal(h, monkeypatch):
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(var, raising=False)
    pd = ptdata.pt(h.m, h.spawn().pid)
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, color_system="standard").print(render.render_pt(pd))
    assert "\x1b[" in buf.getvalue()
    buf = io.StringIO()
    Console(file=buf).print(render.render_pt(pd))                    # a pipe, not a terminal
    assert "\x1b[" not in buf.getvalue() and "guard" in buf.getvalue()


# ---- changes between stops ------------------------------------------------------------------

def test_ptdiff_after_shm_attach_is_exactly_the_new_range(h):
    p = h.spawn()
    seg = h.call(p, "shm_create", 3 * PGSIZE)
    before = ptdata.snapshot(h.m)
    assert h.call(p, "shm_attach", seg, 0x10000000) == 0
    after = ptdata.snapshot(h.m)
    frames = tuple(h.m.shm_segments()[0]["frames"])
    assert ptdata.ptdiff(before, after) == [
        ptdata.Change(p.pid, "added", None, ptdata.Range(0x10000000, 0x10003000, frames, PWU, "shm 0"))]
    # The attach took one frame: the page table for 0x10000000.
    d = ptdata.kalloc_diff(before, after)
    table = r32(p.pgdir + 4 * PDX(0x10000000)) & 0xFFFFF000
    assert (d.allocated, d.freed, d.free_before - d.free_after) == ((table,), (), 1)
    assert ptdata.owners(h.m)[table] == f"pid {p.pid} page table 0x10000000-0x103fffff"


def test_ptdiff_of_detach_sbrk_and_fork(h):
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    s0 = ptdata.snapshot(h.m)
    h.call(p, "shm_detach", seg)
    old = h.call(p, "sbrk", 2 * PGSIZE)
    c = h.fork(p)
    changes = ptdata.ptdiff(s0, ptdata.snapshot(h.m))
    mine = [(ch.kind, ch.old and ch.old.start, ch.new and ch.new.start, (ch.new or ch.old).label)
            for ch in changes if ch.pid == p.pid]
    assert mine == [("added", None, old, "heap"), ("removed", 0x10000000, None, "shm 0")]
    child = [ch for ch in changes if ch.pid == c.pid]
    assert {ch.kind for ch in child} == {"added"}
    assert sum(ch.new.npages for ch in child) == p.sz // PGSIZE


def test_ptdiff_changed_rights_and_frames(h):
    p = h.spawn()
    s0 = ptdata.snapshot(h.m)
    V.clearpteu(p.pgdir, 0x0)
    (ch,) = ptdata.ptdiff(s0, ptdata.snapshot(h.m))
    assert (ch.kind, ch.old.start, ch.old.end, ch.old.flags, ch.new.flags) == \
        ("changed", 0x0, 0x1000, PWU, PTE_P | PTE_W)
    # exec of the same program: same pages, every one on a new frame.
    s1 = ptdata.snapshot(h.m)
    assert h.call(p, "exec", "/hello", ["hello"]) == 0
    changes = ptdata.ptdiff(s1, ptdata.snapshot(h.m))
    assert {c.kind for c in changes} == {"changed"}
    assert all(set(c.old.frames).isdisjoint(c.new.frames) for c in changes)
    out = render.text(render.render_ptdiff(changes))
    assert "changed" in out and "P W - -> P W U" in out


def test_kalloc_diff_of_sbrk_up_and_down(h):
    p = h.spawn()
    s0 = ptdata.snapshot(h.m)
    h.call(p, "sbrk", 3 * PGSIZE)
    s1 = ptdata.snapshot(h.m)
    up = ptdata.kalloc_diff(s0, s1)
    heap = [r for r in ptdata.mappings(h.m, p.pgdir, p.sz) if r.label == "heap"][0]
    assert sorted(heap.frames) == list(up.allocated) and up.freed == ()
    h.call(p, "sbrk", -3 * PGSIZE)
    down = ptdata.kalloc_diff(s1, ptdata.snapshot(h.m))
    assert down.freed == up.allocated and down.allocated == ()
    assert ptdata.kalloc_diff(s0, ptdata.snapshot(h.m)) == ptdata.KallocDiff((), (), up.free_before,
                                                                           up.free_before)
    out = render.text(render.render_kalloc(up, ptdata.owners(h.m)))
    assert f"free frames: {up.free_after} (was {up.free_before}); 3 allocated, 0 freed" in out


# ---- frames and segments --------------------------------------------------------------------

def test_frames_shared_by_fork_through_a_segment(h):
    p = h.spawn()
    seg = h.call(p, "shm_create", 2 * PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    c = h.fork(p)
    spare = h.call(p, "shm_create", PGSIZE)              # created, attached nowhere
    segs = {s["id"]: s["frames"] for s in h.m.shm_segments()}
    fs = {f.pa: f for f in ptdata.frames(h.m)}
    shared = [f for f in fs.values() if f.shared]
    assert [f.pa for f in shared] == sorted(segs[seg])
    for f in shared:
        off = segs[seg].index(f.pa) * PGSIZE
        assert f.maps == ((p.pid, 0x10000000 + off, PWU), (c.pid, 0x10000000 + off, PWU)) and f.shm == seg
    assert fs[segs[spare][0]].maps == () and fs[segs[spare][0]].shm == spare
    out = render.text(render.render_frames(list(fs.values()), shared_only=True))
    assert out.count("shared") == 2 and f"{p.pid}: 0x10001000 P W U, {c.pid}: 0x10001000 P W U" in out


def test_shm_view_checks_attachments_against_page_tables(h):
    p = h.spawn()
    seg = h.call(p, "shm_create", 2 * PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    c = h.fork(p)
    (s,) = ptdata.shm_view(h.m)
    assert (s.id, s.npages, s.refcount) == (seg, 2, 2)
    assert [(a.pid, a.addr, a.mapped) for a in s.attached] == [(p.pid, 0x10000000, True),
                                                              (c.pid, 0x10000000, True)]
    V.x86.write32(pte_addr(c, 0x10001000), 0)              # a broken detach, say
    from xv6py.mm import shm
    shm.shmtable.seg[seg].refcount = 3                     # and a count off by one
    out = render.text(render.render_shm(ptdata.shm_view(h.m)))
    assert f"{c.pid} hello @ 0x10000000 NOT MAPPED THERE" in out
    assert f"{p.pid} hello @ 0x10000000\n" in out or f"{p.pid} hello @ 0x10000000 " in out
    assert "3 (but 2 attached)" in out


# ---- the fault explainer --------------------------------------------------------------------

def test_decode_err():
    assert ptdata.decode_err(4) == "page not present, read, user mode"
    assert ptdata.decode_err(7) == "protection violation, write, user mode"
    assert ptdata.decode_err(2) == "page not present, write, kernel mode"


KILL = re.compile(r"trap 14 err (\d+) on cpu 0 eip 0x([0-9a-f]+) addr 0x([0-9a-f]+)--kill proc")
PAGE_FAULTS = {
    "read-unmapped": "PDE not present",
    "write-unmapped": "PDE not present",
    "exec-unmapped": "PDE not present",
    "kernel-read": "PTE_U clear",
    "kernel-write": "PTE_U clear",
    "guard": "PTE_U clear",
    "stack-overflow": "PTE_U clear",
    "ret-main": "PDE not present",
}


@pytest.mark.parametrize("kind", PAGE_FAULTS)
def test_explainer_agrees_with_the_mmu(kind):
    """Each page fault of `faults KIND`, raised by the emulated MMU, explained on a
    fresh process of the same program (same layout): the walk fails for the reason
    the error code gives, and finds no disagreement with the page table."""
    r = Machine().run("faults", [kind])
    err, eip, addr = (int(x, 16) if i else int(x) for i, x in enumerate(KILL.search(r.output).groups()))
    h = Syscaller(Machine())
    p = h.spawn("faults")
    out = commands.explain_fault(h.m, p.pgdir, addr, err, eip, p.sz, [])
    assert PAGE_FAULTS[kind] in out and "note:" not in out, out
    assert ("protection violation" in out) == (PAGE_FAULTS[kind] == "PTE_U clear")
    if kind in ("guard", "stack-overflow"):
        assert f"{addr:#010x} is in guard" in out
    if kind == "exec-unmapped":
        assert "(user fetch)" in out


def test_explainer_names_pte_u_and_not_present(h):
    p = h.spawn()
    kernel = commands.explain_fault(h.m, p.pgdir, KERNBASE + 0x10, 5, 0x40)
    assert "protection violation, read, user mode" in kernel
    assert "fault at the PDE: PTE_U clear: user access to a supervisor page" in kernel
    missing = commands.explain_fault(h.m, p.pgdir, p.sz + PGSIZE, 6, 0x40)
    assert "page not present, write" in missing and "PTE not present" in missing


def test_explainer_notices_a_stale_translation(h):
    """The page table allows what faulted: the CPU used an older translation."""
    p = h.spawn()
    out = commands.explain_fault(h.m, p.pgdir, 0x10, 4, 0x40)
    assert "note: the page table allows this access now" in out


# ---- the commands ---------------------------------------------------------------------------

def test_commands(h):
    p = h.spawn()
    since = ptdata.snapshot(h.m)
    seg = h.call(p, "shm_create", PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    run = lambda line: render.text(commands.command(h.m, line, since))   # noqa: E731
    assert "PTE_U clear" in run(f"walk {guard_of(p):#x} write {p.pid}")
    assert "pa " in run("walk 0x10000004")
    assert f"pid {p.pid} hello" in run(f"pt {p.pid}")
    assert "added" in run("ptdiff") and "shm 0" in run("ptdiff")
    assert "2 allocated" in run("kalloc")                  # the segment's frame and its page table
    assert "shm 0" in run("frames") and "refs" in run("shm")
    assert "no earlier stop" in render.text(commands.command(h.m, "ptdiff"))
    for bad in ("", "nosuch", "walk", "walk zz", "pt 999"):
        with pytest.raises(ValueError):
            commands.command(h.m, bad, since)


def test_views_read_the_machine_they_are_given(h):
    """Another machine booted since (and so installed) does not leak into the views."""
    p = h.spawn()
    seg = h.call(p, "shm_create", PGSIZE)
    h.call(p, "shm_attach", seg, 0x10000000)
    expected = render.text(render.render_pt(ptdata.pt(h.m, p.pid)))
    owned = ptdata.owners(h.m)
    Syscaller(Machine()).spawn("shmtest")
    assert ptdata.owners(h.m) == owned
    assert render.text(render.render_pt(ptdata.pt(h.m, p.pid))) == expected


def test_a_page_directory_outside_memory_is_refused(h):
    with pytest.raises(ValueError):
        ptdata.walk(h.m, PHYSTOP, 0)
    assert ptdata.mappings(h.m, PHYSTOP + PGSIZE) == []


def test_data_functions_read_the_machine_they_are_given():
    """Two machines, a page directory at the same physical address in each, other
    mappings behind it. Asked about the first machine after the second one ran,
    every data function answers from the first one's memory and tables: a page
    directory only means something in the RAM it lives in."""
    h1 = Syscaller(Machine())
    p1 = h1.spawn()
    seg = h1.call(p1, "shm_create", 2 * PGSIZE)
    assert h1.call(p1, "shm_attach", seg, 0x10000000) == 0
    frames1 = tuple(h1.m.shm_segments()[0]["frames"])
    h2 = Syscaller(Machine())
    p2 = h2.spawn("faults")                                # used last: its state is installed
    assert p2.pgdir == p1.pgdir and p2.sz != p1.sz
    w = ptdata.walk(h1.m, p1.pgdir, 0x10000004, "write")
    assert (w.ok, w.frame, w.pa) == (True, frames1[0], frames1[0] + 4)
    assert not ptdata.walk(h2.m, p2.pgdir, 0x10000004).ok
    labels = [(r.label, r.frames) for r in ptdata.mappings(h1.m, p1.pgdir, p1.sz, [(seg, 0x10000000, 2)])]
    assert labels[-1] == ("shm 0", frames1)
    assert ("shm 0", frames1) not in [(r.label, r.frames) for r in ptdata.mappings(h2.m, p2.pgdir, p2.sz)]
    assert [d.index for d in ptdata.pagedir(h1.m, p1.pgdir, p1.sz).pdes] == [0, PDX(0x10000000)]
    assert "is in shm 0" in commands.explain_fault(h1.m, p1.pgdir, 0x10000004, 6, 0x40, p1.sz,
                                                   [(seg, 0x10000000, 2)])
    h2.m.activate()
    pd = ptdata.pt(h1.m, p1.pid)
    assert (pd.pgdir, pd.sz, pd.pdes[-1].ranges[0].frames) == (p1.pgdir, p1.sz, frames1)
    h2.m.activate()
    assert ptdata.snapshot(h1.m).procs[p1.pid].ranges[-1].frames == frames1
    h2.m.activate()
    segframes = [(f.pa, f.shm) for f in ptdata.frames(h1.m) if f.shm is not None]
    assert segframes == [(f, seg) for f in sorted(frames1)]
    h2.m.activate()
    assert [(s.id, s.frames) for s in ptdata.shm_view(h1.m)] == [(seg, frames1)]
