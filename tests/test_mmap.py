"""mmap, munmap, mprotect and POSIX shared memory (mm/vma.py, ipc/posixshm.py,
fs/fmap.py, syscalls/sysmman.py): the conformance program posix/mmaptest.c, one
test a run, with the kernel checked after each -- no frame, object, name or area
left -- and shm-posix, the lab's Linux program, giving the same output on the
host and on xv6py."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
from helpers import run
from hostc import host_output

from xv6py.cli import main as cli
from xv6py.debug import repl
from xv6py.debug.trace import Trace
from xv6py.machine import Machine

TESTS = ("zero", "shared", "private", "partial", "mprotect", "lazy", "file", "fileshared",
         "unlink", "excl", "errors", "buffer", "filebuffer", "dirty", "ipcbuffer")

SHM_POSIX = """\
parent: made /shm-posix, 8192 bytes
child: mapped /shm-posix at 0x20000000
parent: mapped /shm-posix at 0x10000000; the child says 1
child: the parent answered 2
parent: the child exited with status 0; /shm-posix removed
"""


def check_clean(m):
    """Nothing of mmap outlives the program: objects, names, mapped files, areas."""
    s = m.mmap_state()
    assert (s["objects"], s["names"], s["files"], s["areas"]) == (0, [], 0, {}), s


@pytest.mark.parametrize("test", TESTS)
def test_mmaptest(machine, test):
    r = run(machine, "mmaptest", [test])
    assert r.status == "exit", r.output
    assert f"ok {test}\n" in r.output
    assert "FAIL" not in r.output
    check_clean(machine)


def test_a_touched_page_of_a_1mib_mapping_is_the_only_one_filled(machine):
    r = run(machine, "mmaptest", ["lazy"])
    assert "ok lazy" in r.output
    assert machine.mmap_state()["fills"] == 1


def test_each_page_is_filled_once(machine):
    """zero reads every byte of three pages, then writes to the first: three
    fills, the write finding its page present."""
    r = run(machine, "mmaptest", ["zero"])
    assert machine.mmap_state()["fills"] == 3
    assert r.free_frames_after == r.free_frames_before


def test_only_pages_written_through_a_shared_mapping_are_written_back(machine):
    """dirty reads three pages of a shared file mapping and writes one: the
    MMU's dirty bit says which (one page written back, not four)."""
    r = run(machine, "mmaptest", ["dirty"])
    assert "ok dirty" in r.output
    assert machine.mmap_state()["writebacks"] == 1


def test_a_buffer_in_untouched_file_pages_is_read_in_for_the_call(machine):
    """write(1, p, 10) from file pages never touched prints them; read() into a
    fresh MAP_SHARED file mapping lands in the file (the kernel's write marks
    the pages dirty)."""
    r = run(machine, "mmaptest", ["filebuffer"])
    assert "ok filebuffer" in r.output, r.output
    assert "jklmnopqrs\n" in r.output          # bytes 4091..4100 of the a-z file


def test_shared_file_writes_reach_the_disk_and_private_ones_do_not(machine):
    run(machine, "mmaptest", ["fileshared"])
    data = machine.read_file("persist")
    assert len(data) == 6000
    assert data[100:106] == b"SHARED"
    assert data[4096 + 10:4096 + 15] == b"PAGE2"
    assert b"PRIVATE" not in data
    assert data[0:26] == b"abcdefghijklmnopqrstuvwxyz"


def test_faults_in_areas_say_why(machine):
    r = run(machine, "mmaptest", ["mprotect", "file"])
    assert "mmap: write to an area mapped r--" in r.output
    assert "mmap: read from an area mapped ---" in r.output
    assert "is beyond the end of" in r.output


def test_shm_posix_prints_the_handshake(machine):
    r = run(machine, "shm-posix")
    assert r.status == "exit"
    assert r.output == SHM_POSIX
    check_clean(machine)


def test_shm_posix_prints_the_same_on_the_host(tmp_path):
    assert host_output("shm-posix", [], tmp_path) == SHM_POSIX


# ---- looking inside ------------------------------------------------------------------------

def test_trace_faults_shows_each_lazy_fill(machine):
    lines = []
    Trace(machine, ["faults"], lines.append)
    run(machine, "mmaptest", ["lazy"])
    fills = [ln for ln in lines if "lazy fill" in ln]
    assert len(fills) == 1, lines
    assert "write at 0x" in fills[0] and "mmap private anonymous" in fills[0] and "rw-" in fills[0]


def test_debugger_views_name_the_areas_and_what_is_not_faulted_in(capsys):
    status = repl.main(Machine(), "shm-posix", [], script=io.StringIO(
        "b munmap\nc\npt\nframes\nwalk 0x10001000\nq\n"))
    out = capsys.readouterr().out
    assert status == 0
    assert "mmap shared /shm-posix" in out                      # pt's label of the present page
    assert re.search(r"0x10000000-0x10001fff +2 +rw- +mmap shared /shm-posix +1 of 2", out), out
    # frames: the object's frame, mapped by both processes at their own addresses
    assert re.search(r"shared +\d+: 0x10000000 P W U, \d+: 0x20000000 P W U +mmap /shm-posix page 0", out)


def test_the_picture_lists_the_areas(tmp_path):
    svg = tmp_path / "p.svg"
    assert cli(["pt", "--svg", str(svg), "--at", "munmap", "shm-posix"]) == 0
    texts = ["".join(t.itertext()) for t in ET.parse(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert any("mmap shared /shm-posix 0x10000000-0x10001fff rw-: 1 of 2 pages faulted in" in t
               for t in texts), texts
    assert "mmap /shm-posix: pids 2, 3" in texts


def test_the_fault_explainer_places_an_unfaulted_page_in_its_area(machine):
    lines = []
    Trace(machine, ["faults"], lines.append)
    run(machine, "mmaptest", ["mprotect"])
    text = "\n".join(lines)
    assert "is in mmap private anonymous" in text
    assert "a lazy fill, not an error" in text


def test_a_process_killed_while_its_fault_reads_a_file_page_exits_once():
    """A file page that cannot be filled (out of memory) kills the process from
    inside the fault's kernel code, whose exit sleeps writing the shared file pages
    back; the trap must not start a second exit over it (the first one's areas were
    gone, their object still held: a leaked reference, a transaction left open)."""
    m = Machine(check=True)
    m.fail = ("kalloc", 10**9)
    m.run("mmaptest", ["fileshared"])
    seen = 0
    for n in range(1, m.failed.seen + 1):
        m.fail = ("kalloc", n)
        r = m.run("mmaptest", ["fileshared"])
        assert r.status != "panic", f"kalloc:{n}: {r.reason}"
        if "out of memory filling the page" in r.output:
            seen += 1
            assert r.free_frames_after == r.free_frames_before and not r.inodes_in_use
            check_clean(m)
    assert seen
    m.fail = None
    assert "ok fileshared" in m.run("mmaptest", ["fileshared"]).output
