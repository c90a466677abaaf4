"""mmap, munmap, mprotect and POSIX shared memory (mm/vma.py, ipc/posixshm.py,
fs/fmap.py, syscalls/sysmman.py): the conformance program posix/mmaptest.c, one
test a run, with the kernel checked after each -- no frame, object, name or area
left -- and shm-posix, the lab's Linux program, giving the same output on the
host and on xv6py."""

import pytest
from helpers import run
from hostc import host_output

TESTS = ("zero", "shared", "private", "partial", "mprotect", "lazy", "file", "fileshared",
         "unlink", "excl", "errors")

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
