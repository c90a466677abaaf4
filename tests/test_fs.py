"""The root directory (xv6py/fs/fs.py): a read-only stand-in for xv6's file
system that keeps xv6's contracts -- namei's path rules, 14-byte names, the
16-byte dirent and 20-byte stat layouts, devsw for the console.

Called directly on a booted kernel (the `kernel` fixture).
"""

import struct

import pytest

from xv6py.dev import console
from xv6py.dev.console import consoleread, consolewrite
from xv6py.fs import fs
from xv6py.fs.fs import DIRSIZ, ROOTINO, T_DEV, T_DIR, T_FILE
from xv6py.machine import Machine
from xv6py.param import CONSOLE

STAT = struct.Struct("<hxxiIhxxI")          # type, dev, ino, nlink, size
DIRENT = struct.Struct("<H14s")             # inum, name


def dirents():
    data = fs.readi(fs.namei("/"), 0, 1 << 20)
    assert len(data) % DIRENT.size == 0
    return [DIRENT.unpack_from(data, i) for i in range(0, len(data), DIRENT.size)]


# ---- what boot puts in "/" ------------------------------------------------------------------

def test_boot_makes_the_console_node_and_the_programs(kernel):
    ip = fs.namei("console")
    assert (ip.type, ip.major, ip.minor, ip.nlink) == (T_DEV, CONSOLE, 1, 1)
    hello = fs.namei("hello")
    assert hello.type == T_FILE and hello.data[:4] == b"\x7fELF"
    assert fs.listdir()[0] == "console" and "hello" in fs.listdir()


# ---- addfile --------------------------------------------------------------------------------

def test_addfile_gives_new_inode_numbers_and_replacing_keeps_the_number(kernel):
    inums = {fs.namei(n).inum for n in fs.listdir()}
    assert len(inums) == len(fs.listdir()) and ROOTINO not in inums
    ip = fs.addfile("notes", b"one")
    assert ip.inum > max(inums) and ip.type == T_FILE
    assert fs.namei("notes") is ip
    again = fs.addfile("notes", b"two two")
    assert again.inum == ip.inum and fs.namei("notes") is again
    assert fs.readi(again, 0, 100) == b"two two"
    assert fs.listdir().count("notes") == 1


def test_addfile_cuts_names_to_dirsiz_bytes(kernel):
    ip = fs.addfile("abcdefghijklmnopq", b"x")             # 17 characters
    assert "abcdefghijklmn" in fs.listdir()
    assert fs.namei("abcdefghijklmn") is ip
    assert fs.namei("abcdefghijklmnXYZ") is ip            # xv6: the same first 14 bytes, the same name
    assert fs.namei("abcdefghijklm") is None              # 13 are not enough


@pytest.mark.parametrize("name", ["", "a/b", "/abs", ".", ".."])
def test_addfile_refuses_names_that_are_not_one_entry(kernel, name):
    before = fs.listdir()
    with pytest.raises(ValueError, match="bad file name"):
        fs.addfile(name, b"")
    assert fs.listdir() == before


def test_a_host_file_is_read_when_first_needed_and_then_kept(kernel, tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"version 1")
    ip = fs.addfile("data", path)
    path.write_bytes(b"version 2")                          # changed before any read
    assert fs.readi(ip, 0, 100) == b"version 2"
    path.write_bytes(b"version 3")                          # read once: a later change is not seen
    assert fs.readi(ip, 0, 100) == b"version 2"


# ---- namei ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "", ".", "..", "/..", "/.", "//", "/../..", "./."])
def test_namei_names_the_root_directory(kernel, path):
    ip = fs.namei(path)
    assert ip.type == T_DIR and ip.inum == ROOTINO


@pytest.mark.parametrize("path", ["hello", "/hello", "./hello", "../hello", "//hello", "hello/",
                                  "/../hello//"])
def test_namei_finds_a_file_by_any_spelling(kernel, path):
    assert fs.namei(path) is fs.namei("hello")


@pytest.mark.parametrize("path", ["missing", "hello/x", "hello/..", "console/x", "Hello", "hell"])
def test_namei_finds_nothing(kernel, path):
    assert fs.namei(path) is None


@pytest.mark.parametrize("path", ["hello/.", "console/.", "hello/./"])
def test_namei_of_dot_below_a_file_is_nothing(kernel, path):
    assert fs.namei(path) is None


# ---- readi and the directory's contents ------------------------------------------------------

def test_readi_reads_a_file_from_an_offset(kernel):
    ip = fs.addfile("ten", b"0123456789")
    assert fs.readi(ip, 0, 4) == b"0123"
    assert fs.readi(ip, 7, 100) == b"789"                   # cut at the end of the file
    assert fs.readi(ip, 10, 5) == b""                       # at the end: nothing, no error
    assert fs.readi(ip, 3, 0) == b""
    assert fs.readi(ip, 11, 1) is None                      # past the end: an error, as in xv6
    assert fs.readi(ip, -1, 1) is None
    assert fs.readi(ip, 0, -1) is None


def test_the_directory_reads_as_xv6_dirents(kernel):
    fs.addfile("fourteen-bytes", b"")                       # exactly DIRSIZ: no NUL after it
    ents = dirents()
    assert ents[0] == (ROOTINO, b".".ljust(DIRSIZ, b"\0"))
    assert ents[1] == (ROOTINO, b"..".ljust(DIRSIZ, b"\0"))
    names = [name.rstrip(b"\0").decode() for _, name in ents[2:]]
    assert names == fs.listdir()                            # in the order they were added
    for inum, name in ents[2:]:
        assert fs.namei(name.rstrip(b"\0").decode()).inum == inum
    assert ents[-1] == (fs.namei("fourteen-bytes").inum, b"fourteen-bytes")


def test_the_directory_grows_by_one_dirent_per_new_name(kernel):
    root = fs.namei("/")
    n = len(fs.readi(root, 0, 1 << 20))
    fs.addfile("new", b"")
    assert len(fs.readi(root, 0, 1 << 20)) == n + DIRENT.size
    fs.addfile("new", b"replaced")
    assert len(fs.readi(root, 0, 1 << 20)) == n + DIRENT.size
    assert fs.readi(root, DIRENT.size, DIRENT.size) == DIRENT.pack(ROOTINO, b"..")   # offsets work


def test_every_listed_name_can_be_looked_up_by_its_bytes(kernel):
    fs.addfile("héllo", b"h")
    fs.addfile("ééééééééééé", b"e")                         # 11 characters, 22 bytes
    for inum, name in dirents()[2:]:
        path = name.rstrip(b"\0").decode("latin-1")         # what sys_open makes of the bytes
        ip = fs.namei(path)
        assert ip is not None and ip.inum == inum, name


# ---- stati ----------------------------------------------------------------------------------

def test_stati_is_xv6s_20_byte_struct_stat(kernel):
    ip = fs.addfile("five", b"12345")
    st = fs.stati(ip)
    assert len(st) == 20
    assert STAT.unpack(st) == (T_FILE, 1, ip.inum, 1, 5)
    assert st[2:4] == st[14:16] == b"\0\0"                   # the padding after the shorts
    assert struct.unpack_from("<h", st, 0)[0] == T_FILE     # type at 0
    assert struct.unpack_from("<I", st, 8)[0] == ip.inum    # ino at 8
    assert struct.unpack_from("<I", st, 16)[0] == 5         # size at 16


def test_stati_of_the_directory_and_of_the_console(kernel):
    root = fs.namei("/")
    assert STAT.unpack(fs.stati(root)) == (T_DIR, 1, ROOTINO, 1, len(fs.readi(root, 0, 1 << 20)))
    cons = fs.namei("console")
    assert STAT.unpack(fs.stati(cons)) == (T_DEV, 1, cons.inum, 1, 0)


# ---- writei and devsw -----------------------------------------------------------------------

def test_writei_refuses_files_and_the_directory(kernel):
    ip = fs.addfile("ro", b"keep")
    assert fs.writei(ip, b"xx", 0) == -1
    assert fs.writei(fs.namei("/"), b"xx", 0) == -1
    assert fs.readi(ip, 0, 10) == b"keep"


def test_devsw_maps_the_console_major_to_its_read_and_write():
    assert dict(fs.devsw) == {CONSOLE: (consoleread, consolewrite)}
    with pytest.raises(TypeError):
        fs.devsw[2] = (None, None)                          # the table is fixed


def test_the_console_reads_and_writes_through_devsw():
    m = Machine(stdin=b"typed line\nmore\n")
    m.activate()
    cons = fs.namei("console")
    n = len(console.cons.out)
    assert fs.writei(cons, b"to the screen", 12345) == 13   # offsets mean nothing to a device
    assert bytes(console.cons.out[n:]) == b"to the screen"
    assert fs.readi(cons, 999, 100) == b"typed line\n"      # a line at a time


def test_a_device_without_a_driver_reads_none_and_writes_minus_one(kernel):
    ip = fs.addfile("nodrv", None, major=7, minor=0, type=T_DEV)
    assert fs.readi(ip, 0, 10) is None
    assert fs.writei(ip, b"x", 0) == -1
