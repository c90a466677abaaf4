"""The file system's inode, directory and path layers (xv6py/fs/fs.py), with the
buffer cache (bio.py), the log (log.py) and the disk driver (dev/ide.py) under
them, called directly as a process's kernel code (Syscaller.kernel: the disk
works while the code waits), on the default image or on images made here.

Each test looks at one contract of xv6's fs.c: namei's path rules, 14-byte
names, the 16-byte dirent and 20-byte stat layouts, devsw, readi/writei at
every edge, the indirect block, running out of blocks, inodes and in-memory
inodes, damaged inodes, the log's recovery, the cache.
"""

import struct

import pytest

from xv6py.dev import console, ide
from xv6py.fs import bio, fs, log
from xv6py.fs.ondisk import BSIZE, DIRENT, LOGHEADER, MAXFILE, NDIRECT, STAT
from xv6py.fsck import fsck
from xv6py.fsimage import Image
from xv6py.machine import Machine
from xv6py.mkfs import DEFAULT_IMAGE, loadable, mkfs
from xv6py.param import CONSOLE, NBUF, NINODE
from xv6py.programs import program_path
from xv6py.syscalls.sysfile import O_CREATE, O_RDWR
from xv6py.testing.kcall import Syscaller

ROOTDEV, ROOTINO, T_DIR, T_FILE, T_DEV = fs.ROOTDEV, fs.ROOTINO, fs.T_DIR, fs.T_FILE, fs.T_DEV


def machine(disk=None) -> tuple[Syscaller, object]:
    """A machine (on disk, if given: with /hello added) and a process that ran hello's exec."""
    m = Machine(disk=disk)
    if disk is not None:
        m.add_program("hello", loadable(program_path("hello").read_bytes()))
    m.activate()
    h = Syscaller(m)
    return h, h.spawn()


@pytest.fixture
def hp():
    return machine()


def put(h, p, path: str, data: bytes) -> int:
    """Create (or open) path and write data to it, through the system calls."""
    fd = h.call(p, "open", path, O_CREATE | O_RDWR)
    assert fd >= 0, path
    buf = h.call(p, "sbrk", len(data) + 1)
    assert h.poke(p, buf, data)
    n = h.call(p, "write", fd, buf, len(data))
    assert h.call(p, "close", fd) == 0
    return n


def lookup(h, p, path):
    """namei(path), then the inode locked and unlocked (read from the disk): or None."""
    def go():
        ip = yield from fs.namei(path)
        if ip is not None:
            if (yield from fs.ilock(ip)) < 0:
                return "damaged"
            fs.iunlock(ip)
        return ip
    return h.kernel(p, go())


def read(h, p, ip, off, n):
    def go():
        yield from fs.ilock(ip)
        data = yield from fs.readi(ip, off, n)
        fs.iunlock(ip)
        return data
    return h.kernel(p, go())


def write(h, p, ip, data, off):
    def go():
        yield from log.begin_op()
        yield from fs.ilock(ip)
        r = yield from fs.writei(ip, data, off)
        fs.iunlock(ip)
        yield from log.end_op()
        return r
    return h.kernel(p, go())


# ---- namei ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "", ".", "..", "/..", "/.", "//", "/../..", "./."])
def test_namei_names_the_root_directory(hp, path):
    ip = lookup(*hp, path)
    assert ip.type == T_DIR and ip.inum == ROOTINO


@pytest.mark.parametrize("path", ["hello", "/hello", "./hello", "../hello", "//hello", "hello/",
                                  "/../hello//"])
def test_namei_finds_a_file_by_any_spelling(hp, path):
    assert lookup(*hp, path) is lookup(*hp, "hello")


@pytest.mark.parametrize("path", ["missing", "hello/x", "hello/..", "console/x", "Hello", "hell",
                                  "hello/.", "console/.", "hello/./"])
def test_namei_finds_nothing(hp, path):
    assert lookup(*hp, path) is None


def test_skipelem_is_xv6s():
    assert fs.skipelem("a/bb/c") == ("a", "bb/c")
    assert fs.skipelem("///a//bb") == ("a", "bb")
    assert fs.skipelem("a") == ("a", "")
    assert fs.skipelem("") is None and fs.skipelem("////") is None
    assert fs.skipelem("fifteen-chars-x/y") == ("fifteen-chars-", "y")


def test_nameiparent_stops_one_level_early(hp):
    h, p = hp
    assert h.call(p, "mkdir", "d") == 0
    dp, name = h.kernel(p, fs.nameiparent("/d/new"))
    assert dp is lookup(h, p, "d") and name == "new"
    assert h.kernel(p, fs.nameiparent("/")) is None
    assert h.kernel(p, fs.nameiparent("hello/x")) is None      # a file is no directory


# ---- names of 14 bytes ----------------------------------------------------------------------

def test_names_are_cut_to_dirsiz_bytes_and_compared_on_them(hp):
    h, p = hp
    put(h, p, "abcdefghijklmnopq", b"x")                     # 17 characters
    assert "abcdefghijklmn" in [e[0] for e in h.m.image().listdir("/")]
    ip = lookup(h, p, "abcdefghijklmn")
    assert ip is not None and lookup(h, p, "abcdefghijklmnXYZ") is ip
    assert lookup(h, p, "abcdefghijklm") is None              # 13 are not enough


def test_the_directory_reads_as_xv6_dirents(hp):
    h, p = hp
    put(h, p, "fourteen-bytes", b"")                          # exactly DIRSIZ: no NUL after it
    root = lookup(h, p, "/")
    raw = read(h, p, root, 0, root.size)
    ents = [DIRENT.unpack_from(raw, i) for i in range(0, len(raw), DIRENT.size)]
    assert ents[0] == (ROOTINO, b".".ljust(14, b"\0")) and ents[1] == (ROOTINO, b"..".ljust(14, b"\0"))
    assert ents[-1] == (lookup(h, p, "fourteen-bytes").inum, b"fourteen-bytes")
    for inum, name in ents[2:]:
        ip = lookup(h, p, name.rstrip(b"\0").decode("latin-1"))
        assert ip is not None and ip.inum == inum, name
        fs.idrop(ip)            # the in-memory inode table holds NINODE: give each back


# ---- readi, writei, stati, devsw ------------------------------------------------------------

def test_readi_reads_a_file_from_an_offset(hp):
    h, p = hp
    put(h, p, "ten", b"0123456789")
    ip = lookup(h, p, "ten")
    assert read(h, p, ip, 0, 4) == b"0123"
    assert read(h, p, ip, 7, 100) == b"789"                  # cut at the end of the file
    assert read(h, p, ip, 10, 5) == b""                      # at the end: nothing, no error
    assert read(h, p, ip, 3, 0) == b""
    assert read(h, p, ip, 11, 1) is None                     # past the end: an error, as in xv6
    assert read(h, p, ip, -1, 1) is None
    assert read(h, p, ip, 0, -1) is None


def test_writei_extends_and_overwrites_but_not_past_the_end(hp):
    h, p = hp
    put(h, p, "f", b"hello")
    ip = lookup(h, p, "f")
    assert write(h, p, ip, b" world", 5) == 6 and ip.size == 11
    assert write(h, p, ip, b"J", 0) == 1
    assert read(h, p, ip, 0, 100) == b"Jello world"
    assert write(h, p, ip, b"x", 12) == -1                   # a hole: refused, as in xv6
    assert ip.size == 11


def test_a_maxfile_file_goes_through_the_indirect_block(hp):
    h, p = hp
    data = bytes(range(251)) * (MAXFILE * BSIZE // 251) + bytes(MAXFILE * BSIZE % 251)
    assert len(data) == MAXFILE * BSIZE
    put(h, p, "big", b"")
    ip = lookup(h, p, "big")
    for off in range(0, len(data), 1536):                     # as filewrite splits it
        assert write(h, p, ip, data[off:off + 1536], off) == len(data[off:off + 1536])
    assert ip.size == MAXFILE * BSIZE and ip.addrs[NDIRECT] != 0
    assert write(h, p, ip, b"!", ip.size) == -1              # MAXFILE: no further
    assert read(h, p, ip, 70_000, 2000) == data[70_000:71_680]
    assert h.m.read_file("big") == data
    assert fsck(h.m.image()) == []


def test_stati_is_xv6s_20_byte_struct_stat(hp):
    h, p = hp
    put(h, p, "five", b"12345")
    ip = lookup(h, p, "five")
    st = fs.stati(ip)
    assert len(st) == 20 and STAT.unpack(st) == (T_FILE, ROOTDEV, ip.inum, 1, 5)
    assert st[2:4] == st[14:16] == b"\0\0"                   # the padding after the shorts
    cons = lookup(h, p, "console")
    assert STAT.unpack(fs.stati(cons)) == (T_DEV, ROOTDEV, cons.inum, 1, 0)


def test_devsw_maps_the_console_major_to_its_read_and_write():
    from xv6py.dev import kbd  # (which reads as console.consoleread outside a session)
    assert dict(fs.devsw) == {CONSOLE: (kbd.consoleread, console.consolewrite)}
    with pytest.raises(TypeError):
        fs.devsw[2] = (None, None)                           # the table is fixed


def test_the_console_reads_and_writes_through_devsw():
    m = Machine(stdin=b"typed line\nmore\n")
    m.activate()
    h = Syscaller(m)
    p = h.spawn()
    cons = lookup(h, p, "console")
    n = len(console.cons.out)
    assert write(h, p, cons, b"to the screen", 12345) == 13   # offsets mean nothing to a device
    assert bytes(console.cons.out[n:]) == b"to the screen"
    assert read(h, p, cons, 999, 100) == b"typed line\n"      # a line at a time


def test_a_device_without_a_driver_reads_none_and_writes_minus_one(hp):
    h, p = hp
    assert h.call(p, "mknod", "nodrv", 7, 0) == 0
    ip = lookup(h, p, "nodrv")
    assert (ip.type, ip.major, ip.minor) == (T_DEV, 7, 0)
    assert read(h, p, ip, 0, 10) is None
    assert write(h, p, ip, b"x", 0) == -1


# ---- running out ----------------------------------------------------------------------------

def test_out_of_blocks_writes_what_fits_and_returns_short():
    h, p = machine(mkfs([], size=100))                       # 41 data blocks: "/", hello, the rest
    put(h, p, "fill", b"")
    ip = lookup(h, p, "fill")
    free = h.m.image().free_blocks()
    written = 0
    for off in range(0, 30 * 1536, 1536):
        r = write(h, p, ip, b"z" * 1536, off)
        written += r
        if r < 1536:
            break
    assert written == ip.size and 0 < written < 30 * 1536
    used = (written + BSIZE - 1) // BSIZE
    assert used == free - 1 and h.m.image().free_blocks() == 0   # all of them, and the indirect block
    assert h.call(p, "mkdir", "nospace") == -1                # no block for its "." and ".."
    assert lookup(h, p, "nospace") is None
    assert fsck(h.m.image()) == []


def test_out_of_inodes_open_create_returns_minus_one():
    h, p = machine(mkfs([], ninodes=8))                      # inodes 1..7 (one block of 8)
    made = [name for name in "abcdefgh" if h.call(p, "open", name, O_CREATE) >= 0]
    assert made == list("abcde")                             # 3..7: "/" is 1, hello 2
    assert h.call(p, "mkdir", "more") == -1 and h.call(p, "mknod", "more", 1, 1) == -1
    assert fsck(h.m.image()) == []


def test_iget_returns_none_when_every_in_memory_inode_is_in_use(hp):
    h, p = hp
    held = [fs.iget(ROOTDEV, i) for i in range(100, 100 + NINODE)]
    used = fs.inodes_in_use()
    assert used == NINODE and None not in held[:NINODE - 3]
    assert fs.iget(ROOTDEV, 199) is None or fs.inodes_in_use() == NINODE
    free = [ip for ip in held if ip is not None]
    assert lookup(h, p, "hello") is None                      # namei needs one more: -1, no panic
    for ip in free:
        fs.idrop(ip)


# ---- damaged disks --------------------------------------------------------------------------

def damaged(fn) -> tuple[Syscaller, object]:
    img = Image(mkfs([("good", b"fine"), ("bad", b"data" * 200)], console=True))
    fn(img)
    return machine(bytes(img.data))


@pytest.mark.parametrize("how", ["type", "size", "addr"])
def test_a_damaged_inode_makes_the_call_that_meets_it_fail(how):
    def spoil(img):
        inum = img.lookup("bad")
        d = img.dinode(inum)
        img.write_dinode(inum, {"type": d._replace(type=7), "size": d._replace(size=MAXFILE * BSIZE + 1),
                                "addr": d._replace(addrs=(99999,) + d.addrs[1:])}[how])
    h, p = damaged(spoil)
    assert lookup(h, p, "bad") == "damaged"
    assert h.call(p, "open", "bad", 0) == -1
    assert h.call(p, "link", "bad", "other") == -1
    assert h.call(p, "open", "good", 0) >= 0                 # the rest works
    assert h.call(p, "exec", "bad", ["bad"]) == -1


def test_a_damaged_indirect_block_fails_the_read():
    def spoil(img):
        inum = img.lookup("big")
        ind = img.dinode(inum).addrs[NDIRECT]
        img.write_block(ind, struct.pack("<I", 77777))
    img = Image(mkfs([("big", b"b" * (NDIRECT + 1) * BSIZE)]))
    spoil(img)
    h, p = machine(bytes(img.data))
    ip = lookup(h, p, "big")
    assert read(h, p, ip, 0, BSIZE) == b"b" * BSIZE
    assert read(h, p, ip, NDIRECT * BSIZE, BSIZE) is None


def test_a_directory_entry_naming_an_inode_past_ninodes_is_not_found():
    h, p = damaged(lambda img: img.dirlink(1, b"ghost", 5000))
    assert lookup(h, p, "ghost") == "damaged" and h.call(p, "open", "ghost", 0) == -1


@pytest.mark.parametrize("spoil, words", [
    (lambda d: d.__delitem__(slice(600 * BSIZE, None)), "truncated"),
    (lambda d: struct.pack_into("<I", d, BSIZE + 24, 3), "overlaps the inodes"),
    (lambda d: struct.pack_into("<i", d, 2 * BSIZE, 99), "log header"),
])
def test_a_bad_super_block_or_log_header_is_a_one_line_error_at_boot(spoil, words):
    data = bytearray(mkfs([]))
    spoil(data)
    with pytest.raises(ValueError, match=words) as e:
        Machine(disk=bytes(data))
    assert "\n" not in str(e.value)


# ---- the log --------------------------------------------------------------------------------

def test_a_committed_log_is_installed_at_boot():
    img = Image(DEFAULT_IMAGE.read_bytes())
    img.add_file("f", b"old contents")
    block = img.dinode(img.lookup("f")).addrs[0]
    img.write_block(3, b"new contents")                      # logged copy, then the header: committed
    img.write_block(2, LOGHEADER.pack(1, block, *[0] * 29))
    m = Machine(disk=bytes(img.data))
    r = m.run("cat", ["f"])
    assert r.output == "new contents" and r.status == "exit"
    assert Image(m.disk_image()).log_header()[0] == 0        # and the log is empty again


def test_a_transaction_commits_through_the_log_then_installs(hp):
    h, p = hp
    writes = []
    real = ide.ideintr

    def spy():
        if ide.disk.queue and ide.disk.queue[0].flags & 0x4:
            writes.append(ide.disk.queue[0].blockno)
        real()

    import xv6py.proc.scheduler as S
    orig = S.ideintr
    S.ideintr = spy
    try:
        assert h.call(p, "mkdir", "d") == 0
    finally:
        S.ideintr = orig
    n = len(writes) // 2 - 1                                 # n logged, header, n home, header
    assert writes[:n] == list(range(3, 3 + n)) and writes[n] == 2 and writes[-1] == 2
    assert sorted(writes[n + 1:-1]) == sorted(set(writes[n + 1:-1])) and 3 <= n <= 10
    assert log.log.lh.n == 0 and log.log.outstanding == 0


# ---- the buffer cache -----------------------------------------------------------------------

def test_a_cached_block_is_not_read_again_and_the_cache_has_nbuf_buffers(hp):
    h, p = hp
    assert len(bio.bcache.buf) == NBUF
    lookup(h, p, "hello")
    reads = ide.disk.nread
    lookup(h, p, "hello")
    assert ide.disk.nread == reads                           # "/" and the inode were cached

    def touch(n):
        for b in range(100, 100 + n):
            bp = yield from bio.bread(ROOTDEV, b)
            bio.brelse(bp)
    h.kernel(p, touch(NBUF))                                  # NBUF other blocks push them out
    lookup(h, p, "hello")
    assert ide.disk.nread > reads


def test_the_most_recently_released_buffer_is_first_in_the_list(hp):
    h, p = hp

    def go():
        bp = yield from bio.bread(ROOTDEV, 500)
        bio.brelse(bp)
        return bio.bcache.head.next.blockno, bp.refcnt
    assert h.kernel(p, go()) == (500, 0)


def test_a_file_whose_size_promises_blocks_it_has_not_reads_minus_one():
    h, p = damaged(lambda img: img.write_dinode(img.lookup("good"),
                                                img.dinode(img.lookup("good"))._replace(size=5000)))
    fd = h.call(p, "open", "good", 0)
    buf = h.call(p, "sbrk", 8192)
    assert fd >= 0 and h.call(p, "read", fd, buf, 512) == 512              # the first block is there
    assert h.call(p, "read", fd, buf, 4096) == -1                          # the rest is not


def test_a_directory_loop_is_walked_without_harm():
    def loop(img):
        d = img.mkdir("d")
        img.dirlink(d, b"up", 1)                            # d/up is "/" again: a loop fsck reports
    h, p = damaged(loop)
    assert lookup(h, p, "d/up/d/up/d/up/good").inum == lookup(h, p, "good").inum
    assert h.call(p, "unlink", "d") == -1                  # not empty
    assert h.call(p, "unlink", "d/up") == -1               # "/" is no empty directory


@pytest.mark.parametrize("seed", range(12))
def test_random_damage_to_inodes_directories_and_the_bit_map_never_breaks_the_kernel(seed):
    """Bytes of the inode blocks, the root directory and the bit map changed at
    random: every run ends by itself (or the image is refused at boot) -- never
    a panic, never a Python exception out of a trap."""
    import random
    base = DEFAULT_IMAGE.read_bytes()
    img = Image(base)
    sb = img.sb
    rng = random.Random(seed)
    data = bytearray(base)
    targets = [sb.inodestart, sb.inodestart + 1, sb.inodestart + 2, img.dinode(1).addrs[0], sb.bmapstart]
    for _ in range(rng.randint(2, 8)):
        data[rng.choice(targets) * BSIZE + rng.randrange(BSIZE)] = rng.randrange(256)
    try:
        m = Machine(disk=bytes(data), max_instructions=5_000_000)
    except ValueError:
        return
    for prog, args in [("ls", []), ("cat", ["README"]), ("fstests", ["subdir"]), ("rm", ["README"]),
                       ("fstests", ["createunlink"])]:
        try:
            r = m.run(prog, args)
        except ValueError:
            continue                                        # the program's own inode was damaged
        assert r.status != "panic", r.reason


@pytest.mark.parametrize("new", [".", "..", "/.", "/..", "d/."])
def test_a_link_named_after_its_own_directory_fails_and_hangs_nothing(new):
    """link(f, ".") finds the directory itself in the directory it locked: its
    reference must be dropped without taking that lock again (x86 xv6 hangs)."""
    from xv6py.testing.kcall import Syscaller
    m = Machine(check=True)
    h = Syscaller(m)
    p = h.spawn()
    assert h.call(p, "mkdir", "d") == 0
    fd = h.call(p, "open", "f", 0x202)
    assert fd >= 0 and h.call(p, "close", fd) == 0
    assert h.call(p, "link", "f", new) == -1        # it returns (None: asleep for ever)
    assert h.call(p, "link", "f", "d/g") == 0       # and every lock is free again
    assert h.call(p, "unlink", "d/g") == 0 and h.call(p, "unlink", "f") == 0
