"""exec with bad input: malformed ELF files, too many or too long arguments, things
that are not programs, and running out of memory half-way.

Every exec here is made by userprogs/exectest, a running program. A failed exec
must return -1 and leave the caller exactly as it was: exectest then prints

    exectest: exec NAME returned -1
    exectest: image intact

after checking its data, stack, heap, break, pid and file descriptors. A
successful exec prints nothing of exectest's: the new program's output follows.
The ELF files are made by tests/elfgen.py. After every run no frame may be
missing and the kernel must not have panicked.
"""

import random
import re

import pytest
from elfgen import (
    PT_GNU_STACK,
    PT_NOTE,
    PT_NULL,
    Elf,
    Segment,
    SYS_exit,
    SYS_write,
    program,
    syscall,
    write_exit,
)
from elftools.elf.elffile import ELFFile
from helpers import run

from xv6py.machine import Machine
from xv6py.programs import program_path

PGSIZE = 4096
KERNBASE = 0x80000000
KERNEND = 0x100000          # physical memory below this is not for kalloc

HELLO = b"hand-made\n"
CODE = write_exit(HELLO)    # write(1, "hand-made\n", 10); exit()
GOOD = program(CODE)


def refused(name: str) -> str:
    """exectest's output when exec(name) returned -1 and nothing changed."""
    return f"exectest: exec {name} returned -1\nexectest: image intact\n"


def exectest(m: Machine, name: str, elf: bytes | Elf | None = None, *opts: str):
    """Put elf (if given) in "/" as name, then run exectest OPTS... name."""
    if elf is not None:
        m.add_program(name, elf.to_bytes() if isinstance(elf, Elf) else elf)
    return run(m, "exectest", [*opts, name])


# ---- the generator itself -------------------------------------------------------------------

def test_hand_made_elf_runs(machine):
    """elfgen's output is a real program: run directly, and exec'd by another."""
    machine.add_program("handmade", GOOD.to_bytes())
    r = run(machine, "handmade")
    assert (r.status, r.output) == ("exit", "hand-made\n")
    r = exectest(machine, "handmade")
    assert (r.status, r.output) == ("exit", "hand-made\n")


def test_hand_made_elf_parses_as_elf(tmp_path):
    path = tmp_path / "good"
    path.write_bytes(GOOD.to_bytes())
    with open(path, "rb") as f:
        elf = ELFFile(f)
        assert (elf.elfclass, elf["e_machine"], elf["e_type"], elf["e_entry"]) == (32, "EM_386", "ET_EXEC", 0)
        (seg,) = elf.iter_segments()
        assert seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] == 0
        assert seg.data() == CODE


# ---- malformed files: exec returns -1, the caller goes on ----------------------------------

N = len(CODE)

MALFORMED = {
    "badmagic": program(CODE, magic=b"\x7fELG"),
    "zeromagic": program(CODE, magic=bytes(4)),
    "empty": b"",
    "halfheader": GOOD.to_bytes()[:40],
    "headeronly": GOOD.to_bytes()[:52],                     # phnum 1, no table
    "halfphdr": GOOD.to_bytes()[:52 + 16],                  # the table cut in its middle
    "phoutside": program(CODE, phoff=0x10000),              # the table beyond the file
    # The first entry loads (an empty page), the second is cut by the end of the file.
    "phcut": Elf(segments=[Segment(memsz=PGSIZE), Segment(data=CODE)]).to_bytes()[:52 + 32 + 16],
    "phoffwrap": program(CODE, phoff=0xFFFFFFF0),
    "phnummax": program(CODE, phnum=0xFFFF),                # the table runs off the file
    "memszsmall": GOOD.with_segment(memsz=N - 1),           # memsz < filesz
    "kernbase": GOOD.with_segment(vaddr=KERNBASE - PGSIZE, memsz=PGSIZE),  # ends at KERNBASE
    "inkernel": GOOD.with_segment(vaddr=KERNBASE),
    "vaddrwrap": GOOD.with_segment(vaddr=0xFFFFF000, memsz=0x2000),   # vaddr+memsz > 2^32
    "memszwrap": GOOD.with_segment(vaddr=PGSIZE, memsz=0xFFFFFFFF),
    "unaligned": GOOD.with_segment(vaddr=0x10),
    "shortfile": GOOD.with_segment(filesz=N + 5000, memsz=N + 5000),  # file ends early
    "offpast": GOOD.with_segment(offset=100_000),           # p_offset beyond the file
    "offwrap": GOOD.with_segment(offset=0xFFFFFF00),
    "emptyseg": GOOD.with_segment(filesz=0, memsz=0),       # image of size 0: as xv6, -1
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_elf_is_refused(machine, name):
    r = exectest(machine, name, MALFORMED[name])
    assert (r.status, r.output) == ("exit", refused(name))


def test_segment_bigger_than_memory_is_refused():
    """A segment that fits below KERNBASE but not in memory: allocuvm runs out,
    gives back all it took, and exec fails."""
    m = Machine(phystop=KERNEND + 300 * PGSIZE)
    r = exectest(m, "huge", GOOD.with_segment(memsz=KERNBASE - 2 * PGSIZE))
    assert (r.status, r.output) == ("exit", "allocuvm out of memory\n" + refused("huge"))


# ---- odd but loadable files ------------------------------------------------------------------

def _message_in_last_of(nsegs: int, msg: bytes = b"last segment\n"):
    """nsegs one-page PT_LOAD segments; the code in the first writes the message
    that only the last one holds."""
    last = (nsegs - 1) * PGSIZE
    code = syscall(SYS_write, 1, last, len(msg)) + syscall(SYS_exit)
    segs = [Segment(data=code)]
    segs += [Segment(data=bytes([i]) * 16, vaddr=i * PGSIZE, memsz=PGSIZE) for i in range(1, nsegs - 1)]
    segs.append(Segment(data=msg, vaddr=last))
    return segs


def _with_junk_headers(segs):
    """Headers that are not PT_LOAD are skipped, whatever they say."""
    junk = [Segment(type=PT_NULL, vaddr=KERNBASE, memsz=0xFFFFFFFF, offset=0xFFFFFFFF),
            Segment(type=PT_GNU_STACK, vaddr=0x13, filesz=0x7FFFFFFF, memsz=1),
            Segment(type=PT_NOTE, data=b"note", vaddr=0xFFFFF000, memsz=0x10000)]
    return segs[:1] + junk + segs[1:]


def _bss_program():
    """Code that writes the 7 bytes right after itself, where the file holds
    "SECRET!" but filesz stops: they must read as zeros (bss)."""
    n = len(syscall(SYS_write, 0, 0, 0) + syscall(SYS_exit))
    code = syscall(SYS_write, 1, n, 7) + syscall(SYS_exit)
    return Elf(segments=[Segment(data=code + b"SECRET!", filesz=n, memsz=n + 7 + 3 * PGSIZE)])


LOADABLE = {
    # Only the magic is checked (as xv6): class, machine and type are not.
    "elf64class": (program(CODE, elfclass=2, machine=62, type=3), "hand-made\n"),
    "manysegs": (Elf(segments=_message_in_last_of(64)), "last segment\n"),
    "reversed": (Elf(segments=_message_in_last_of(8)[::-1]), "last segment\n"),
    "junkhdrs": (Elf(segments=_with_junk_headers(_message_in_last_of(3))), "last segment\n"),
    "overlap": (Elf(segments=[Segment(data=b"\xcc" * 64), Segment(data=CODE)]), "hand-made\n"),
    # Bytes past filesz are not loaded: memory there is zero-filled (bss), even
    # in the page the file's bytes share.
    "bss": (_bss_program(), "\0" * 7),
}


@pytest.mark.parametrize("name", LOADABLE)
def test_odd_but_valid_elf_runs(machine, name):
    elf, out = LOADABLE[name]
    r = exectest(machine, name, elf)
    assert (r.status, r.output) == ("exit", out)


@pytest.mark.parametrize("name, elf, eip", [
    # No PT_LOAD at all: the image is empty, the guard page is at 0, and the
    # entry point 0 is in it (present, not user: err 5).
    ("noload", Elf(segments=[Segment(data=CODE, type=PT_NOTE)]), 0),
    ("entryout", program(CODE, entry=0x12345), 0x12345),     # nothing mapped: err 4
    ("entrykern", program(CODE, entry=KERNBASE), KERNBASE),  # kernel page: err 5
])
def test_exec_succeeds_and_the_program_faults_at_its_entry(machine, name, elf, eip):
    """exec commits (the kill line names the new program, with the caller's pid 2);
    the first instruction fetch kills it."""
    err = 4 if name == "entryout" else 5
    r = exectest(machine, name, elf)
    line = f"pid 2 {name}: trap 14 err {err} on cpu 0 eip {eip:#x} addr {eip:#x}--kill proc"
    assert (r.status, r.output, r.reason) == ("killed", line + "\n", line)


# ---- not programs ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", ".", "..", "", "/."])
def test_exec_of_a_directory_is_refused(machine, path):
    r = exectest(machine, path)
    assert (r.status, r.output) == ("exit", refused(path))


def test_exec_of_the_console_is_refused_and_leaves_its_input():
    m = Machine(stdin=b"typed before\n")
    r = exectest(m, "console")
    assert (r.status, r.output) == ("exit", refused("console"))
    r = run(m, "cat")                       # the line is still there to be read
    assert r.output == "typed before\n"


def test_exec_of_a_missing_file(machine):
    r = exectest(machine, "nosuch")
    assert (r.status, r.output) == ("exit", "exec: fail\n" + refused("nosuch"))


# ---- arguments -------------------------------------------------------------------------------

def _argtest_output(argv):
    return (f"argc={len(argv)}\n" + "".join(f"argv[{i}]={a}\n" for i, a in enumerate(argv))
            + "argtest: ok\n")


def test_31_arguments_run(machine):
    """MAXARG 32 slots hold at most 31 pointers and the terminating 0."""
    r = exectest(machine, "argtest", None, "-n", "31")
    assert r.status == "exit"
    assert r.output == _argtest_output(["argtest"] + [f"a{i:02d}" for i in range(1, 31)])


@pytest.mark.parametrize("argc", [32, 33, 40])
def test_more_than_31_arguments_are_refused(machine, argc):
    r = exectest(machine, "argtest", None, "-n", str(argc))
    assert (r.status, r.output) == ("exit", refused("argtest"))


def _stack_page_bottom(name: str) -> int:
    """Where exec puts the stack page of a built program: above its image and the guard."""
    with open(program_path(name), "rb") as f:
        (seg,) = [s for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD"]
        end = seg["p_vaddr"] + seg["p_memsz"]
    return -(-end // PGSIZE) * PGSIZE + PGSIZE


# The stack page holds argv[0] "argtest" (8 bytes, at 4088), then the long string
# at (4088 - (LEN + 1)) & ~3, then 3 + argc + 1 = 6 words (24 bytes). With
# LEN = 4063 that ends exactly at the bottom of the page.
ARG_FITS = 4063


def test_arguments_that_fill_the_stack_page_exactly(machine):
    """exec succeeds with no stack left: argtest's first push hits the guard page
    below (present, not user, write: err 7)."""
    r = exectest(machine, "argtest", None, "-s", str(ARG_FITS))
    guard_top = _stack_page_bottom("argtest") - 4
    assert r.status == "killed"
    assert re.fullmatch(rf"pid 2 argtest: trap 14 err 7 on cpu 0 eip 0x[0-9a-f]+ "
                        rf"addr {guard_top:#x}--kill proc\n", r.output), r.output


@pytest.mark.parametrize("length", [ARG_FITS + 1, 4096, 10_000])
def test_arguments_too_big_for_the_stack_page_are_refused(machine, length):
    r = exectest(machine, "argtest", None, "-s", str(length))
    assert (r.status, r.output) == ("exit", refused("argtest"))


def test_long_argument_that_fits_runs(machine):
    r = exectest(machine, "argtest", None, "-s", "3000")
    assert (r.status, r.output) == ("exit", _argtest_output(["argtest", "s" * 3000]))


def test_arguments_below_address_zero_are_refused(machine):
    """An image of size 0 puts the stack page at 0x1000: 9000 bytes of arguments
    would start below address 0."""
    noload = Elf(segments=[Segment(data=CODE, type=PT_NOTE)])
    r = exectest(machine, "noload", noload, "-s", "9000")
    assert (r.status, r.output) == ("exit", refused("noload"))


# ---- out of memory in the middle of exec -----------------------------------------------------

BIG_PAGES = 31                                    # code + 30 pages of bss
BIG = program(write_exit(b"big ran\n"), bss=(BIG_PAGES - 1) * PGSIZE)
# What exec of BIG allocates, in order: the page directory, the image's pages
# (the first one's page table right after it), the guard page and the stack page.
BIG_EXEC_FRAMES = 1 + BIG_PAGES + 1 + 2
GROW = 8                                          # exectest -g: pages taken just before exec


def test_exec_runs_out_of_memory_at_every_point():
    """On machines one frame apart, exec finds 0, 1, 2, ... frames free, so it runs
    out at each of its allocations in turn. exectest first grows by GROW pages:
    on the smallest machine where that works, exec starts with no frame free.

    Expected, from small to big machines: the run cannot get as far as the exec
    (init or exectest out of memory), then exactly BIG_EXEC_FRAMES machines on
    which exec returns -1 with the caller intact, then BIG runs. The first three
    failures show on the console as: setupkvm fails (no message), then the first
    page of the image, then its page table (mappages)."""
    outcomes, failures = [], []
    for frames in range(12, 12 + 60):
        m = Machine(phystop=KERNEND + frames * PGSIZE)
        m.add_program("big", BIG.to_bytes())
        r = run(m, "exectest", ["-g", str(GROW), "big"])
        assert r.status in ("exit", "not started"), r.summary()
        if r.output == "big ran\n":
            outcomes.append("ran")
            if outcomes.count("ran") == 3:
                break
        elif r.output.endswith(refused("big")):
            outcomes.append("-1")
            failures.append(r.output)
        else:
            assert "exectest: exec" not in r.output, r.output
            outcomes.append("setup")
    first = outcomes.index("-1")
    assert outcomes == ["setup"] * first + ["-1"] * BIG_EXEC_FRAMES + ["ran"] * 3, outcomes
    assert failures[:3] == [refused("big"),
                            "allocuvm out of memory\n" + refused("big"),
                            "allocuvm out of memory (2)\n" + refused("big")]


# ---- random damage -------------------------------------------------------------------------

def _damaged(rng, good: bytes) -> bytes:
    """good with 1-4 random changes in the ELF header or the first two program
    headers: a random byte, or a word set to a value near a boundary."""
    words = [0, 1, 0xFFF, 0x1000, 0x7FFFF000, 0x7FFFFFFF, 0x80000000, 0xFFFFF000, 0xFFFFFFFF]
    data = bytearray(good)
    for _ in range(rng.randint(1, 4)):
        pos = rng.randrange(52 + 64)
        if rng.random() < 0.5:
            data[pos] = rng.randrange(256)
        else:
            pos &= ~3
            data[pos:pos + 4] = rng.choice(words).to_bytes(4, "little")
    return bytes(data)


def test_randomly_damaged_headers_never_hurt_the_kernel():
    """Whatever the header says, exec fails cleanly or runs something: never a
    panic, never a lost frame. (Seeded: a failure names its case.)"""
    rng = random.Random(6)
    good = Elf(segments=[Segment(data=CODE), Segment(data=b"x" * 100, vaddr=PGSIZE, memsz=3 * PGSIZE)])
    m = Machine(phystop=KERNEND + 1000 * PGSIZE)
    for case in range(100):
        data = _damaged(rng, good.to_bytes())
        m.add_program("damaged", data)
        r = m.run("exectest", ["damaged"], max_instructions=200_000)
        assert r.status in ("exit", "killed", "budget"), (case, data[:116].hex(), r.reason)
        assert r.free_frames_after == r.free_frames_before, (case, data[:116].hex())
