"""The file system through its system calls, from user programs: each test of
userprogs/fstests.c in a run of its own (and the concurrent ones under other
interleavings), then the disk checked -- clean by fsck, and free blocks, free
inodes, free frames and in-memory inodes all back where they started.
Also the small file programs (ls, mkdir, rm, ln) and a disk image that keeps
what they did from one run to the next (--disk).
"""

import pytest
from helpers import run

from xv6py import cli
from xv6py.fsck import fsck
from xv6py.fsimage import Image
from xv6py.machine import Machine
from xv6py.mkfs import DEFAULT_IMAGE

TESTS = ["createdelete", "linkrace", "fourwriters", "sharedfd", "bigwrite", "maxfile", "createunlink",
         "unlinkopen", "dots", "names14", "subdir", "linkunlink", "dirfile", "iref", "bigdir"]
CONCURRENT = ["createdelete", "linkrace", "fourwriters", "sharedfd"]


def check_run(m: Machine, r, name: str) -> None:
    assert r.output == f"{name}: ok\n", r.output
    assert r.status == "exit", r.reason
    assert r.free_frames_after == r.free_frames_before
    assert (r.free_blocks_after, r.free_inodes_after) == (r.free_blocks_before, r.free_inodes_before)
    assert r.inodes_in_use == 0                     # no in-memory inode leaked
    assert fsck(m.image()) == []


@pytest.mark.parametrize("name", TESTS)
def test_fstests(name):
    m = Machine()
    check_run(m, m.run("fstests", [name]), name)


@pytest.mark.parametrize("quantum, seed", [(2000, 1), (2000, 2), (30_000, 3)])
@pytest.mark.parametrize("name", CONCURRENT)
def test_concurrent_fstests_under_other_interleavings(name, quantum, seed):
    m = Machine(quantum=quantum, seed=seed)
    check_run(m, m.run("fstests", [name]), name)


def test_fstests_lists_its_tests_and_refuses_unknown_ones():
    r = run(Machine(), "fstests", ["list", "nosuch"])
    assert r.output.split("\n")[:len(TESTS)] == TESTS
    assert "fstests: no test nosuch" in r.output


def test_a_failing_check_says_which_and_where():
    """Run fstests on a disk with no room: its first create fails, and it says so."""
    from xv6py.mkfs import default_image_files, mkfs
    files = [(n, d) for n, d in default_image_files() if n in ("init", "fstests")]
    m = Machine(disk=mkfs(files, size=59 + 9 + len(files[1][1]) // 512 + 2, ninodes=8))
    r = m.run("fstests", ["createunlink"])
    assert r.output.startswith("createunlink: FAILED: ") and r.status == "exit"
    assert fsck(m.image()) == []


# ---- the file programs and a disk that persists ----------------------------------------------

def xv6py(capfd, *args) -> tuple[int, str, str]:
    """`xv6py run -q ARGS`: exit status, standard output, standard error."""
    code = cli.main(["run", "-q", "--stdin", "/dev/null", *args])
    out, err = capfd.readouterr()
    return code, out, err


def test_ls_mkdir_ln_rm_on_a_disk_that_keeps_their_work(tmp_path, capfd):
    img = tmp_path / "fs.img"
    img.write_bytes(DEFAULT_IMAGE.read_bytes())
    note = tmp_path / "note.txt"
    note.write_bytes(b"a note\n")
    assert xv6py(capfd, "--disk", str(img), "--file", f"{note}:note", "mkdir", "d")[0] == 0
    assert xv6py(capfd, "--disk", str(img), "ln", "note", "d/again")[0] == 0
    code, out, _ = xv6py(capfd, "--disk", str(img), "ls", "d")
    lines = out.splitlines()
    assert code == 0 and [line.split()[0] for line in lines] == [".", "..", "again"]
    assert lines[2].split()[1:] == ["2", str(Image.open(img).lookup("note")), "7"]   # type, inode, size
    assert xv6py(capfd, "--disk", str(img), "cat", "d/again")[1] == "a note\n"
    assert xv6py(capfd, "--disk", str(img), "rm", "d")[1] == "rm: d failed to delete\n"   # not empty
    assert xv6py(capfd, "--disk", str(img), "rm", "note", "d/again", "d")[1] == ""
    assert xv6py(capfd, "--disk", str(img), "ls", "d")[1] == "ls: cannot open d\n"
    assert fsck(Image.open(img)) == []
    assert Image.open(img).lookup("d") is None and Image.open(img).lookup("note") is None


def test_without_disk_every_run_starts_from_the_same_disk(capfd):
    assert xv6py(capfd, "mkdir", "d")[0] == 0
    assert xv6py(capfd, "ls", "d")[1] == "ls: cannot open d\n"   # the last run's directory is gone


def test_an_image_made_by_mkfs_runs_with_disk_and_passes_fsck(tmp_path, capfd):
    img = tmp_path / "made.img"
    (tmp_path / "data").write_bytes(b"from the host\n")
    assert cli.main(["mkfs", "--programs", str(img), str(tmp_path / "data")]) == 0
    capfd.readouterr()
    assert xv6py(capfd, "--disk", str(img), "fstests", "subdir")[1] == "subdir: ok\n"
    assert xv6py(capfd, "--disk", str(img), "cat", "data")[1] == "from the host\n"
    assert cli.main(["fsck", str(img)]) == 0
    assert "clean" in capfd.readouterr().out


def test_init_makes_the_console_when_the_image_has_none(tmp_path):
    from xv6py.mkfs import default_image_files, mkfs
    m = Machine(disk=mkfs(default_image_files()))    # no console node
    assert Image(m.disk_image()).lookup("console") is None
    r = run(m, "ls", ["console"])
    assert r.output.split()[:2] == ["console", "3"]  # made by init's mknod, a device
    assert fsck(m.image()) == []


def test_disk_options_errors(tmp_path, capfd):
    code, _, err = xv6py(capfd, "--disk", str(tmp_path / "none.img"), "hello")
    assert code == 2 and "no such image" in err
    (tmp_path / "bad.img").write_bytes(b"\0" * 4096)
    code, _, err = xv6py(capfd, "--disk", str(tmp_path / "bad.img"), "hello")
    assert code == 2 and "bad.img" in err and err.count("\n") == 1
    code, _, err = xv6py(capfd, "--file", str(tmp_path / "missing"), "hello")
    assert code == 2 and "missing" in err
