"""The grader of the page-table lab.

walkpgdir and mappages are checked against a walk of the tables done here, in
the grader, by reading emulated RAM; then user programs run on them; vmprint's
output is compared line by line with the format of labs/pgtbl/README.md. When a
test fails, its message names the mistake it found.

Run it on your workspace with `xv6py lab grade DIR`.
"""

import pytest

from xv6py.grading import checks
from xv6py.grading.checks import spawn
from xv6py.memlayout import KERNBASE, KERNEND
from xv6py.mmu import PDX, PGSIZE, PTE_ADDR, PTE_P, PTE_PS, PTE_U, PTE_W, PTX
from xv6py.panic import KernelPanic
from xv6py.testing import asserts as A

FAR = 0x10000000            # a 4 MiB region no process uses: no page table there
MIB4 = 0x400000             # what one page table maps
PA = 0x00200000             # frames the tests map (mappages does not care whose they are)


def kernel(m, name, *args, what: str = ""):
    """The kernel function `name`(*args) on machine m; a panic or an exception
    fails the test clearly."""
    return checks.kernel(m.kernel, name, *args, what=f"{what or name} crashed the kernel")


def pte_address(m, pgdir: int, va: int) -> int | None:
    """Where the PTE of va is, by the grader's own walk (None: no page table)."""
    pde = m.read32(pgdir + 4 * PDX(va))
    return PTE_ADDR(pde) + 4 * PTX(va) if pde & PTE_P else None


def walk(m, pgdir, va, alloc):
    return kernel(m, "walkpgdir", pgdir, va, alloc, what=f"walkpgdir(pgdir, {va:#x}, {int(alloc)})")


def dirty_free_frames(m) -> None:
    """Make the next frames kalloc hands out junk-filled ones (kfree fills a
    frame with junk; frames never used since boot are still zero)."""
    frames = m.kernel("kalloc_many", 16)
    m.kernel("kfree_many", frames[::-1])


def new_pgdir(m) -> int:
    d = m.kernel("setupkvm")
    assert d is not None
    return d


def hold_every_frame(m) -> list[int]:
    """Allocate every free frame (give them back with release)."""
    return m.kernel("kalloc_many", m.kernel("kfreecount"))


def release(m, frames) -> None:
    m.kernel("kfree_many", list(frames))


# ---- walkpgdir ------------------------------------------------------------------------------

@pytest.mark.points(3)
def test_walkpgdir_finds_the_pte(h):
    """For every page of a process, walkpgdir(alloc=0) returns the address of
    its PTE: the page table's address from the PDE plus 4 * PTX(va)."""
    m = h.m
    p = spawn(h)
    pgdir, sz = p.pgdir, p.sz
    for va in range(0, sz, PGSIZE):
        got, want = walk(m, pgdir, va, False), pte_address(m, pgdir, va)
        table = PTE_ADDR(m.read32(pgdir + 4 * PDX(va)))
        assert got == want, f"walkpgdir(pgdir, {va:#x}, 0) returned {got!r}, but the PTE of {va:#x} is at " \
                            f"{want:#x} (page table {table:#x} + 4 * PTX(va))"
        assert m.read32(got) & PTE_P, f"the entry walkpgdir found for {va:#x} is not present"
    va = sz + 5 * PGSIZE                         # same page table, an entry not in use
    assert walk(m, pgdir, va, False) == pte_address(m, pgdir, va), \
        f"walkpgdir(pgdir, {va:#x}, 0) must return the address of the (empty) PTE: the page table exists"


@pytest.mark.points(2)
def test_walkpgdir_without_alloc_creates_nothing(h):
    """Where there is no page table, walkpgdir(alloc=0) returns None and allocates nothing."""
    m = h.m
    pgdir = spawn(h).pgdir
    assert walk(m, pgdir, 0, False) == pte_address(m, pgdir, 0), "walkpgdir did not find the PTE of address 0"
    free = m.kernel("kfreecount")
    got = walk(m, pgdir, FAR, False)
    assert got is None, f"walkpgdir(pgdir, {FAR:#x}, 0) returned {got!r} where there is no page table: " \
                        "it must return None"
    assert m.kernel("kfreecount") == free and m.read32(pgdir + 4 * PDX(FAR)) == 0, \
        "walkpgdir with alloc=0 allocated a page table"


@pytest.mark.points(3)
def test_walkpgdir_allocates_a_zeroed_page_table(k):
    """With alloc=1, a missing page table is allocated, zeroed, and entered in the
    PDE present, writable and user; a second walk finds the same PTE."""
    d = new_pgdir(k)
    dirty_free_frames(k)
    free = k.kernel("kfreecount")
    got = walk(k, d, FAR + 3 * PGSIZE, True)
    assert isinstance(got, int), f"walkpgdir(pgdir, {FAR + 3 * PGSIZE:#x}, 1) returned {got!r}, " \
                                 "not the address of a PTE"
    assert k.kernel("kfreecount") == free - 1, \
        f"walkpgdir took {free - k.kernel('kfreecount')} frames for one page table"
    pde = k.read32(d + 4 * PDX(FAR))
    assert pde & PTE_P, "walkpgdir allocated a page table but the PDE is not present"
    table = PTE_ADDR(pde)
    assert got == table + 4 * PTX(FAR + 3 * PGSIZE), \
        f"walkpgdir returned {got:#x}, but the PTE is at {table:#x} + 4 * {PTX(FAR + 3 * PGSIZE)}"
    A.assert_frame_filled(k, table, 0, what="a new page table was not zeroed: its entries hold junk "
                                            "from kalloc, and junk looks present")
    assert pde & PTE_U, "the page directory entry lacks PTE_U: no user access gets past it"
    assert pde & PTE_W, "the page directory entry lacks PTE_W: no user write gets past it"
    assert walk(k, d, FAR + 7 * PGSIZE, True) == table + 4 * 7 and k.kernel("kfreecount") == free - 1, \
        "a second walk in the same 4 MiB region must use the page table that exists"


def small_machine(xv6_make):
    """A machine with 64 frames: running out of memory is quick to arrange."""
    return xv6_make(phystop=KERNEND + 64 * PGSIZE)


@pytest.mark.points(1)
def test_walkpgdir_out_of_memory_returns_none(xv6_make):
    """No frame for a page table: None, and the PDE stays empty."""
    m = small_machine(xv6_make)
    d = new_pgdir(m)
    assert isinstance(walk(m, d, FAR, True), int), "walkpgdir(alloc=1) did not make a page table"
    hold = hold_every_frame(m)
    got = walk(m, d, FAR + (4 << 20), True)
    release(m, hold)
    assert got is None, f"walkpgdir(alloc=1) with no free frame returned {got!r}, not None"
    assert m.read32(d + 4 * PDX(FAR + (4 << 20))) == 0, "walkpgdir out of memory left a PDE behind"


@pytest.mark.points(1)
def test_walkpgdir_panics_on_a_4mib_page(k):
    """A present PDE with PTE_PS in the user half maps a 4 MiB page, not a page
    table: walkpgdir must panic (with alloc 0 or 1), not read the page as a table.
    The directory here is the kernel half of a real one, seen from its middle:
    its entry 0 is a 4 MiB page, and walkpgdir reads it at pgdir + 4 * PDX(va)."""
    d = new_pgdir(k)
    pgdir = d + 4 * PDX(KERNBASE)
    pde = k.read32(pgdir)
    assert pde & PTE_P and pde & PTE_PS, f"the kernel half of a new directory starts with {pde:#x}"
    va = 0x3000
    for alloc in (False, True):
        free = k.kernel("kfreecount")
        try:
            got = k.kernel("walkpgdir", pgdir, va, alloc)
        except KernelPanic:
            got = None
        except Exception as e:      # noqa: BLE001 -- any error in the student's code
            pytest.fail(f"walkpgdir(pgdir, {va:#x}, {int(alloc)}) where the PDE is a 4 MiB page raised "
                        f"{checks.crash_message(e)}: it must panic", pytrace=False)
        else:
            pytest.fail(f"walkpgdir(pgdir, {va:#x}, {int(alloc)}) returned {got!r} where the PDE is a 4 MiB "
                        f"page ({pde:#010x}, PTE_PS): a present PDE with PTE_PS in the user half is a kernel "
                        "bug, and walkpgdir must panic rather than read the page as a page table",
                        pytrace=False)
        assert k.read32(pgdir) == pde and k.kernel("kfreecount") == free, \
            "walkpgdir changed the PDE of a 4 MiB page, or took a frame, before it panicked"


# ---- mappages -------------------------------------------------------------------------------

@pytest.mark.points(3)
def test_mappages_maps_every_page_of_the_range(k):
    """va and size need not be aligned: every page from PGROUNDDOWN(va) to
    PGROUNDDOWN(va + size - 1) is mapped, onto consecutive frames, with perm | PTE_P."""
    d = new_pgdir(k)
    pa = 0x00200000
    r = kernel(k, "mappages", d, FAR + 0x800, 0x2000, pa, PTE_W | PTE_U,
               what="mappages(pgdir, 0x10000800, 0x2000, ...)")
    assert r == 0, f"mappages(pgdir, {FAR + 0x800:#x}, 0x2000, {pa:#x}, PTE_W|PTE_U) returned {r!r}, not 0"
    mapped = [va for va in range(FAR - PGSIZE, FAR + 5 * PGSIZE, PGSIZE)
              if pte_address(k, d, va) is not None and k.read32(pte_address(k, d, va)) & PTE_P]
    want = [FAR, FAR + PGSIZE, FAR + 2 * PGSIZE]
    assert mapped == want, \
        f"mappages(pgdir, 0x10000800, 0x2000, ...) mapped {len(mapped)} pages " \
        f"({', '.join(hex(v) for v in mapped) or 'none'}), expected 3: the range runs from " \
        "PGROUNDDOWN(va) to PGROUNDDOWN(va + size - 1), both included"
    for i, va in enumerate(want):
        e = k.read32(pte_address(k, d, va))
        assert PTE_ADDR(e) == pa + i * PGSIZE, f"{va:#x} maps {PTE_ADDR(e):#x}, expected {pa + i * PGSIZE:#x}"
        assert e & 0xFFF == PTE_P | PTE_W | PTE_U, f"the PTE of {va:#x} has flags {e & 0xFFF:#x}, " \
                                                   "expected perm | PTE_P (0x7)"


@pytest.mark.points(2)
def test_mappages_across_a_4mib_boundary(k):
    """Two pages, the last of one 4 MiB region and the first of the next: each PTE
    is in the page table of its own region (two tables, one entry each)."""
    d = new_pgdir(k)
    va = FAR + MIB4 - PGSIZE
    free = k.kernel("kfreecount")
    shown = f"mappages(pgdir, {va:#x}, 0x2000, {PA:#x}, PTE_W|PTE_U)"
    r = kernel(k, "mappages", d, va, 2 * PGSIZE, PA, PTE_W | PTE_U, what=shown)
    assert r == 0, f"{shown} returned {r!r}, not 0"
    for i, page in enumerate((va, va + PGSIZE)):
        where = pte_address(k, d, page)
        assert where is not None, \
            f"{shown} made no page table for {page:#x} (PDE {PDX(page)}): each page's PTE is in the " \
            "table of its own 4 MiB, found by walkpgdir of that page's address"
        e = k.read32(where)
        assert e & PTE_P and PTE_ADDR(e) == PA + i * PGSIZE, \
            f"after {shown}, the PTE of {page:#x} (in the table of PDE {PDX(page)}) is {e:#010x}, not " \
            f"{PA + i * PGSIZE:#x} | flags"
    used = free - k.kernel("kfreecount")
    assert used == 2, f"mappages of two pages in two 4 MiB regions took {used} frames, not 2 (a page " \
                      "table each)"
    for pdx in (PDX(va), PDX(va + PGSIZE)):
        table = k.read_phys(PTE_ADDR(k.read32(d + 4 * pdx)), PGSIZE)
        present = sum(1 for i in range(0, PGSIZE, 4) if table[i] & PTE_P)
        assert present == 1, f"the page table of PDE {pdx} has {present} present entries after mappages " \
                             "put one page in it"


@pytest.mark.points(1)
def test_mappages_sets_the_permissions_it_is_given(k):
    """Each PTE is pa | perm | PTE_P: exactly the bits asked for (a kernel page has
    no PTE_U, a read-only page no PTE_W)."""
    d = new_pgdir(k)
    for i, perm in enumerate((0, PTE_U, PTE_W, PTE_W | PTE_U)):
        va = FAR + i * PGSIZE
        r = kernel(k, "mappages", d, va, PGSIZE, PA + i * PGSIZE, perm, what=f"mappages(..., perm={perm:#x})")
        assert r == 0, f"mappages(pgdir, {va:#x}, 0x1000, ..., perm={perm:#x}) returned {r!r}, not 0"
        e = k.read32(pte_address(k, d, va))
        assert e == PA + i * PGSIZE | perm | PTE_P, \
            f"mappages(pgdir, {va:#x}, 0x1000, {PA + i * PGSIZE:#x}, perm={perm:#x}) wrote the PTE " \
            f"{e:#010x}, with flags {e & 0xFFF:#x}: expected pa | perm | PTE_P, flags {perm | PTE_P:#x}"


@pytest.mark.points(2)
def test_mappages_refuses_to_remap(k):
    """Mapping a page that is already present is a kernel bug: panic("remap") --
    onto another frame, onto the same frame, or on the middle page of a range."""
    d = new_pgdir(k)
    assert kernel(k, "mappages", d, FAR, PGSIZE, PA, PTE_W | PTE_U) == 0, "mappages of one page failed"
    for va, size, pa, what in ((FAR, PGSIZE, 0x00300000, "onto another frame"),
                               (FAR, PGSIZE, PA, "onto the same frame again"),
                               (FAR - PGSIZE, 3 * PGSIZE, 0x00300000, "as the middle page of a range")):
        with pytest.raises(KernelPanic) as e:
            k.kernel("mappages", d, va, size, pa, PTE_W | PTE_U)
            pytest.fail(f"mappages remapped a present page without panicking ({FAR:#x}, {what}): a "
                        "PTE that is already present means the kernel lost track of its memory "
                        "(panic(\"remap\"))", pytrace=False)
        assert "remap" in str(e.value), f"mappages panicked with {e.value!r}; xv6's message is \"remap\""
        assert PTE_ADDR(k.read32(pte_address(k, d, FAR))) == PA, "the first mapping must stay as it was"


@pytest.mark.points(1)
def test_mappages_maps_a_frame_at_two_addresses(k):
    """One frame may be mapped at several addresses (shared memory does it): what
    must be unmapped is the PTE, not the frame."""
    d = new_pgdir(k)
    vas = (FAR, FAR + 5 * PGSIZE, FAR + MIB4)
    for va in vas:
        r = kernel(k, "mappages", d, va, PGSIZE, PA, PTE_W | PTE_U,
                   what=f"mappages(pgdir, {va:#x}, 0x1000, {PA:#x}, ...) of a frame mapped elsewhere already")
        assert r == 0, f"mappages(pgdir, {va:#x}, 0x1000, {PA:#x}, ...) returned {r!r}: the frame is " \
                       "mapped at another address, which is allowed"
    for va in vas:
        e = k.read32(pte_address(k, d, va))
        assert e & PTE_P and PTE_ADDR(e) == PA, f"the PTE of {va:#x} is {e:#010x}, not {PA:#x} | flags"


@pytest.mark.points(1)
def test_mappages_out_of_memory_returns_minus_one(xv6_make):
    """No frame for a page table: -1."""
    m = small_machine(xv6_make)
    d = new_pgdir(m)
    assert kernel(m, "mappages", d, FAR, PGSIZE, 0x00200000, PTE_W) == 0, "mappages of one page failed"
    hold = hold_every_frame(m)
    r = kernel(m, "mappages", d, FAR + (4 << 20), PGSIZE, 0x00200000, PTE_W)
    assert r == -1, f"mappages with no frame for a page table returned {r!r}, not -1"
    m.kernel("kfree", hold.pop())                   # one frame: the first of two tables, not the second
    va = FAR + 3 * MIB4 - PGSIZE
    r = kernel(m, "mappages", d, va, 2 * PGSIZE, 0x00200000, PTE_W)
    release(m, hold)
    assert r == -1, f"mappages(pgdir, {va:#x}, 0x2000, ...) across a 4 MiB boundary, with one free frame " \
                    f"(for the first page table, not the second), returned {r!r}, not -1"


# ---- programs on the student's paging -------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.budget(1_000_000)
def test_programs_run(xv6_run):
    """hello and a tree of forks run, and every frame comes back."""
    r = xv6_run("hello")
    assert r.output == "hello, world\n" and r.status == "exit", \
        f"hello did not run: {r.status} ({r.reason}); it printed {r.output!r}"
    r = xv6_run("forktree", "3")
    assert r.status == "exit" and r.output.count("leave") == 15, \
        f"forktree 3 did not run to the end: {r.status} ({r.reason})"
    assert r.free_frames_after == r.free_frames_before, \
        f"forktree lost {r.free_frames_before - r.free_frames_after} frames"


@pytest.mark.points(2)
@pytest.mark.budget(1_000_000)
def test_faults_have_the_right_error_codes(xv6_run):
    """The MMU faults where the tables say: an unmapped page (err 4/6), kernel
    memory (err 5/7), the guard page (err 7)."""
    r = xv6_run("faults")
    want = {"read-unmapped": "err 4", "write-unmapped": "err 6", "kernel-read": "err 5",
            "kernel-write": "err 7", "guard": "err 7"}
    out = r.output.splitlines()
    for case, err in want.items():
        i = out.index(f"faults: {case}") if f"faults: {case}" in out else None
        assert i is not None and i + 1 < len(out), f"faults did not get to case {case}:\n{r.output[-400:]}"
        assert f"trap 14 {err} " in out[i + 1], f"faults {case}: expected a page fault with {err}, got " \
                                                f"{out[i + 1]!r}"


@pytest.mark.points(1)
@pytest.mark.budget(5_000_000)
def test_shared_memory_on_your_tables(xv6_run):
    """shmtest: attach maps pages with mappages at addresses far above the program."""
    r = xv6_run("shmtest")
    assert r.output.endswith("destroyed segment 0\n") and r.status == "exit", \
        f"shmtest did not finish: {r.status} ({r.reason})\n{r.output[-300:]}"


# ---- vmprint --------------------------------------------------------------------------------

def expected_vmprint(m, pgdir: int) -> list[str]:
    """The lines vmprint must print for pgdir (the format of the handout)."""
    def flags(e):
        return "".join(c if e & b else "-" for c, b in (("P", PTE_P), ("W", PTE_W), ("U", PTE_U)))
    out = [f"page directory {pgdir:#010x}"]
    pdes = m.read_phys(pgdir, PGSIZE)
    for pdx in range(PDX(KERNBASE)):
        pde = int.from_bytes(pdes[4 * pdx:4 * pdx + 4], "little")
        if pde & PTE_P:
            out.append(f" pde {pdx}: page table {PTE_ADDR(pde):#010x} {flags(pde)}")
            ptes = m.read_phys(PTE_ADDR(pde), PGSIZE)
            for ptx in range(1024):
                e = int.from_bytes(ptes[4 * ptx:4 * ptx + 4], "little")
                if e & PTE_P:
                    va = (pdx << 22) | (ptx << 12)
                    out.append(f"  pte {ptx}: va {va:#010x} -> pa {PTE_ADDR(e):#010x} {flags(e)}")
    return out


def vmprint_lines(m, pgdir: int) -> list[str]:
    n = len(m.console_output())
    kernel(m, "vmprint", pgdir, what="vmprint(pgdir)")
    return m.console_output()[n:].decode("latin-1").splitlines()


def compare(got: list[str], want: list[str]) -> None:
    for i, (g, w) in enumerate(zip(got, want, strict=False)):
        assert g == w, f"line {i + 1} of vmprint's output is {g!r}, expected {w!r}"
    assert len(got) == len(want), \
        f"vmprint printed {len(got)} lines, expected {len(want)}" + \
        (f"; the first extra line: {got[len(want)]!r}" if len(got) > len(want) else
         f"; the first missing line: {want[len(got)]!r}")


@pytest.mark.points(2)
def test_vmprint_prints_a_process(h):
    """hello's page directory: one page table; text, guard page (PW-) and stack."""
    pgdir = spawn(h).pgdir
    got = vmprint_lines(h.m, pgdir)
    assert got, "vmprint printed nothing"
    assert got[0] == f"page directory {pgdir:#010x}", \
        f"vmprint's first line is {got[0]!r}, expected 'page directory {pgdir:#010x}'"
    compare(got, expected_vmprint(h.m, pgdir))


@pytest.mark.points(2)
def test_vmprint_shows_every_page_table(h):
    """With a heap and a segment far above it, and an empty page table: three page
    tables, each with its pages; the kernel half is not printed."""
    p = spawn(h)
    assert checks.call(h, p, "sbrk", 2 * PGSIZE) >= 0, "sbrk(0x2000) failed: allocuvm maps with mappages"
    seg = checks.call(h, p, "shm_create", 2 * PGSIZE)
    assert checks.call(h, p, "shm_attach", seg, FAR + 0x3000) == 0, \
        f"shm_attach({seg}, {FAR + 0x3000:#x}) failed: it maps the segment with mappages"
    table = walk(h.m, p.pgdir, FAR + MIB4, True)            # a page table with no page in it
    assert isinstance(table, int), f"walkpgdir(pgdir, {FAR + MIB4:#x}, 1) returned {table!r}"
    got = vmprint_lines(h.m, p.pgdir)
    kernel_lines = [g for g in got if g.startswith(" pde ") and g.split()[1].rstrip(":").isdigit()
                    and int(g.split()[1].rstrip(":")) >= PDX(KERNBASE)]
    assert not kernel_lines, f"vmprint printed the kernel half (PDEs {PDX(KERNBASE)} and up): " \
                             f"{kernel_lines[0]!r}"
    compare(got, expected_vmprint(h.m, p.pgdir))


@pytest.mark.points(1)
def test_vmprint_reaches_the_top_of_user_space(h):
    """A page in the last 4 MiB below KERNBASE (PDE 511), read-only: printed, P-U."""
    pgdir = spawn(h).pgdir
    kernel(h.m, "mappages", pgdir, KERNBASE - PGSIZE, PGSIZE, KERNEND, PTE_U)
    got = vmprint_lines(h.m, pgdir)
    assert any(line.startswith(" pde 511:") for line in got), \
        f"vmprint left out PDE 511, the last one of user space: it printed no line for it, and a page " \
        f"is mapped there at {KERNBASE - PGSIZE:#x}"
    compare(got, expected_vmprint(h.m, pgdir))
