"""Disk images on the host: the format helper (xv6py/fsimage.py), mkfs and fsck.

Images are checked against xv6's geometry as XV6-ABI.md gives it, against an
image laid out by hand (tests/handmade.py), and fsck against one corruption
of each kind it must find.
"""

import struct

import pytest
from handmade import handmade_image

from xv6py import cli, programs
from xv6py.fs.ondisk import BSIZE, DIRENT, LOGHEADER, MAXFILE, NDIRECT, T_DEV, T_DIR, T_FILE
from xv6py.fsck import fsck
from xv6py.fsimage import Image, ImageError, format_image, layout
from xv6py.mkfs import DEFAULT_IMAGE, image_name, loadable, make_default_image, mkfs


def image(*files, **kw) -> Image:
    return Image(mkfs(list(files), **kw))


# ---- geometry and layout ------------------------------------------------------------------

def test_the_geometry_is_xv6s():
    assert tuple(layout(1000, 200)) == (1000, 941, 200, 30, 2, 32, 58)
    img = image(("a", b"x"))
    assert tuple(img.sb) == (1000, 941, 200, 30, 2, 32, 58)
    assert len(img.data) == 1000 * BSIZE and img.datastart() == 59
    assert img.data[BSIZE:BSIZE + 28] == struct.pack("<7I", 1000, 941, 200, 30, 2, 32, 58)


def test_size_changes_the_bitmap_and_data_blocks():
    img = image(size=10000)
    assert img.sb.size == 10000 and img.sb.bmapstart == 58
    assert img.datastart() == 58 + 3                    # 10000 bits: three bit map blocks
    assert img.sb.nblocks == 10000 - (2 + 30 + 26 + 3)
    assert fsck(img) == []


def test_root_is_inode_1_with_dot_and_dotdot_then_the_files_in_order():
    img = image(("first", b"1"), ("second", b"22"))
    root = img.dinode(1)
    assert (root.type, root.nlink) == (T_DIR, 1)
    assert img.entries(1) == [(1, b"."), (1, b".."), (2, b"first"), (3, b"second")]
    assert img.read_file("/second") == b"22" and img.read_file("first") == b"1"
    assert img.dinode(3)[:5] == (T_FILE, 0, 0, 1, 2)


def test_names_drop_one_leading_underscore_and_are_cut_to_14_bytes(tmp_path):
    assert image_name(tmp_path / "_cat") == "cat" and image_name("__x") == "_x"
    img = image(("fifteen-chars-x", b""))
    assert img.entries(1)[2][1] == b"fifteen-chars-"
    assert img.lookup("fifteen-chars-and-more") == 2       # compared on 14 bytes, like namei


def test_the_first_data_blocks_go_to_root_then_each_file_in_turn():
    img = Image(mkfs([("a", b"A" * 600), ("b", b"B")]))
    assert img.dinode(1).addrs[0] == 59                    # "/" made first
    assert img.dinode(2).addrs[:2] == (60, 61) and img.dinode(3).addrs[0] == 62
    assert [img.allocated(b) for b in (58, 59, 62, 63)] == [True, True, True, False]


def test_a_maxfile_file_uses_the_indirect_block():
    data = bytes(range(256)) * (MAXFILE * BSIZE // 256)
    img = image(("big", data))
    d = img.dinode(2)
    assert d.size == MAXFILE * BSIZE and all(d.addrs)
    blocks, ind = img.blocks_of(2)
    assert ind == d.addrs[NDIRECT] and len([b for b in blocks if b]) == MAXFILE
    assert img.read(2) == data
    assert fsck(img) == []
    with pytest.raises(ImageError, match="MAXFILE"):
        image(("too-big", data + b"!"))


def test_running_out_of_blocks_or_inodes_is_a_value_error():
    with pytest.raises(ValueError, match="out of blocks"):
        image(*[(f"f{i}", b"x" * 60_000) for i in range(10)])
    with pytest.raises(ValueError, match="out of inodes"):
        image(*[(f"f{i}", b"") for i in range(200)])


def test_add_file_replaces_contents_and_mkdir_links_as_the_kernel_does():
    img = format_image(1000, 200)
    inum = img.add_file("notes", b"one" * 300)
    free = img.free_blocks()
    assert img.add_file("notes", b"two") == inum and img.read(inum) == b"two"
    assert img.free_blocks() == free + 1                   # the old blocks were freed
    d = img.mkdir("sub")
    assert img.dinode(1).nlink == 2 and img.dinode(d).nlink == 1
    assert img.entries(d) == [(d, b"."), (1, b"..")]
    img.add_file("inner", b"in", dir=d)
    assert img.read_file("/sub/inner") == b"in" and img.lookup("/notes/x") is None
    assert [e[0] for e in img.listdir("/sub")] == [".", "..", "inner"]
    assert fsck(img) == []
    with pytest.raises(ValueError, match="bad file name"):
        img.add_file("a/b", b"")
    with pytest.raises(ValueError, match="another kind"):
        img.add_file("sub", b"")


# ---- an image laid out by hand ------------------------------------------------------------

def test_an_image_laid_out_by_hand_as_xv6s_mkfs_does_reads_back_and_is_clean():
    data = handmade_image([(b"README", b"hello, xv6\n"), (b"two-blocks", b"x" * 700)])
    img = Image(data)
    assert img.read_file("README") == b"hello, xv6\n"
    assert img.read_file("two-blocks") == b"x" * 700
    assert img.dinode(1).size == BSIZE                     # xv6's mkfs rounds "/" up to a block
    assert fsck(img) == []
    # and mkfs makes the same blocks, bit map and inodes, up to the root's size
    ours = Image(mkfs([("README", b"hello, xv6\n"), ("two-blocks", b"x" * 700)]))
    for b in [58, 60, 61, 62]:
        assert ours.block(b) == img.block(b), b
    assert [ours.dinode(i) for i in (2, 3)] == [img.dinode(i) for i in (2, 3)]


# ---- the log ------------------------------------------------------------------------------

def test_recovered_installs_a_committed_log():
    img = image(("f", b"old"))
    target = img.dinode(2).addrs[0]
    img.write_block(3, b"new")                             # the logged copy
    img.write_block(2, LOGHEADER.pack(1, target, *[0] * 29))
    assert img.read_file("f") == b"old"
    rec = img.recovered()
    assert rec.read_file("f") == b"new" and rec.log_header()[0] == 0
    assert fsck(img) == []                                 # checked as installed


# ---- fsck finds what is wrong ---------------------------------------------------------------

def corrupt(fn):
    img = format_image(1000, 200)
    img.add_file("file", b"f" * 1000)
    d = img.mkdir("dir")
    img.add_file("inner", b"i", dir=d)
    assert fsck(img) == []
    fn(img)
    return fsck(img)


def poke_inode(img, inum, **fields):
    img.write_dinode(inum, img.dinode(inum)._replace(**fields))


CORRUPTIONS = {
    "truncated": (lambda img: img.data.__delitem__(slice(500 * BSIZE, None)), "truncated"),
    "overlap": (lambda img: struct.pack_into("<I", img.data, BSIZE + 24, 40), "overlaps the inodes"),
    "no data": (lambda img: struct.pack_into("<I", img.data, BSIZE, 59), "no data blocks"),
    "log header": (lambda img: struct.pack_into("<i", img.data, 2 * BSIZE, 31), "log header"),
    "bad type": (lambda img: poke_inode(img, 2, type=9), "bad type 9"),
    "too big": (lambda img: poke_inode(img, 2, size=MAXFILE * BSIZE + 1), "MAXFILE"),
    "outside": (lambda img: poke_inode(img, 2, addrs=(5000,) + img.dinode(2).addrs[1:]),
                "outside the data blocks"),
    "twice": (lambda img: poke_inode(img, 4, addrs=img.dinode(2).addrs), "used twice"),
    "marked free": (lambda img: img.mark(img.dinode(2).addrs[0], False), "is marked free"),
    "leaked": (lambda img: img.mark(900, True), "block 900 is marked in use"),
    "meta free": (lambda img: img.mark(40, False), "block 40 (metadata)"),
    "hole": (lambda img: poke_inode(img, 2, size=5000), "no block 2"),
    "past size": (lambda img: poke_inode(img, 2, size=10), "past its size"),
    "nlink": (lambda img: poke_inode(img, 2, nlink=2), "inode 2: nlink 2, but 1"),
    "dir nlink": (lambda img: poke_inode(img, 1, nlink=1), "inode 1: nlink 1, but 2"),
    "orphan": (lambda img: img.ialloc(T_FILE), "allocated but in no directory"),
    "free entry": (lambda img: img.dirlink(1, b"ghost", 150), "which is not allocated"),
    "dotdot": (lambda img: img.write(3, DIRENT.pack(3, b".") + DIRENT.pack(3, b"..")
                                     + img.read(3)[32:]), "does not start with"),
    "loop": (lambda img: img.dirlink(3, b"up", 1), "already in the tree"),
    "dir size": (lambda img: poke_inode(img, 3, size=40), "whole number of entries"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_fsck_finds(kind):
    fn, words = CORRUPTIONS[kind]
    problems = corrupt(fn)
    assert problems and any(words in p for p in problems), problems


def test_fsck_of_a_device_node_and_the_default_image():
    img = format_image(1000, 200)
    img.add_file("console", b"", type=T_DEV, major=1, minor=1)
    assert fsck(img) == []
    assert fsck(Image(programs.BINDIR.joinpath(programs.IMAGE).read_bytes())) == []


# ---- the default image and the commands ---------------------------------------------------

def test_the_committed_default_image_is_made_from_the_committed_programs():
    assert DEFAULT_IMAGE.read_bytes() == make_default_image(), (
        "userprogs/bin/fs.img is stale: run `xv6py build` (or python -m xv6py.build) and commit it")
    img = Image(DEFAULT_IMAGE.read_bytes())
    names = {e[0] for e in img.listdir("/")}
    assert {"README", "console", "init", "hello"} <= names
    assert set(programs.program_names()) <= names


def test_loadable_keeps_what_exec_reads():
    elf = programs.program_path("hello").read_bytes()
    cut = loadable(elf)
    assert len(cut) < len(elf) // 2 and cut[:32] == elf[:32]
    phoff, = struct.unpack_from("<I", elf, 28)
    off, filesz = struct.unpack_from("<I8xI", elf, phoff + 4)
    assert cut[off:off + filesz] == elf[off:off + filesz]
    assert loadable(b"plain text") == b"plain text"


def test_mkfs_and_fsck_commands(tmp_path, capsys):
    (tmp_path / "_prog").write_bytes(b"\x7fELF program")
    (tmp_path / "notes.txt").write_bytes(b"some notes\n")
    img = tmp_path / "fs.img"
    assert cli.main(["mkfs", str(img), str(tmp_path / "_prog"), str(tmp_path / "notes.txt")]) == 0
    assert "fs.img: 1000 blocks (941 data), 2 files" in capsys.readouterr().out
    assert Image.open(img).read_file("prog") == b"\x7fELF program"
    assert cli.main(["fsck", str(img)]) == 0
    assert "fs.img: clean" in capsys.readouterr().out
    data = bytearray(img.read_bytes())
    struct.pack_into("<h", data, 32 * BSIZE + 2 * 64 + 6, 5)       # nlink of inode 2
    img.write_bytes(data)
    assert cli.main(["fsck", str(img)]) == 1
    out = capsys.readouterr().out
    assert "inode 2: nlink 5, but 1 links to it" in out and "1 problem" in out
    assert cli.main(["mkfs", "--size", "100", str(img), str(tmp_path / "notes.txt")]) == 0
    assert Image.open(img).sb.size == 100
    assert cli.main(["fsck", str(tmp_path / "missing.img")]) == 2
    assert cli.main(["mkfs", "--size", "59", str(img)]) == 1     # no room for data


# ---- xv6's format both ways, with the kernel --------------------------------------------------

def test_the_kernel_boots_from_an_image_laid_out_by_hand_and_reads_its_files():
    from handmade import handmade_image

    from xv6py.machine import Machine
    files = [(b"init", loadable(programs.program_path("init").read_bytes())),
             (b"cat", loadable(programs.program_path("cat").read_bytes())),
             (b"README", b"made by hand, as xv6's mkfs lays it out\n")]
    m = Machine(disk=handmade_image(files))
    r = m.run("cat", ["README"])
    assert r.status == "exit" and r.output == "made by hand, as xv6's mkfs lays it out\n"
    img = m.image()                                 # init made the console node on it
    assert img.dinode(img.lookup("console")).type == T_DEV and fsck(img) == []


def test_what_the_kernel_writes_reads_back_the_way_xv6_reads_it():
    from handmade import xv6_read

    from xv6py.machine import Machine
    m = Machine(disk=DEFAULT_IMAGE.read_bytes())
    m.run("fscrash", ["bigwrite"])
    data = Machine(disk=m.disk_image())
    data.run("fscrash", ["tree"])
    disk = data.disk_image()
    assert xv6_read(disk, "cw") == bytes(ord("a") + i % 26 for i in range(20000))   # indirect block
    assert xv6_read(disk, "t/2/0/0/f") == b"t/2/0/0"
    assert xv6_read(disk, "README") == Image(disk).read_file("README")
    assert xv6_read(disk, "t/9") is None
