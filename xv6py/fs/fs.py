"""File system implementation (xv6's fs.c). Five layers:
  + Blocks: allocator for raw disk blocks.
  + Log: crash recovery for multi-step updates (log.py).
  + Files: inode allocator, reading, writing, metadata.
  + Directories: inode with special contents (list of other inodes!)
  + Names: paths like /usr/rtm/xv6/fs.c for convenient naming.

This file contains the low-level file system manipulation routines. The
(higher-level) system call implementations are in syscalls/sysfile.py. The
on-disk format is in ondisk.py (xv6's fs.h).

Everything that may read or write the disk may sleep (for the disk, or for a
buffer's or an inode's sleep-lock), so it is a generator, called with
`yield from`: `ip = yield from namei(path)`, `data = yield from readi(ip, off, n)`.
What never sleeps is a plain function: iget, idup, iunlock, stati, skipelem.

Where xv6 panics on a disk that is not what it should be, xv6py returns an
error instead, because a disk image is input, not an invariant of the kernel:
ilock returns -1 for an on-disk inode of a bad type, size or block number,
bmap returns 0 for a block number outside the data area, and the system call
that met it returns -1. Running out of blocks (balloc), inodes (ialloc) or
in-memory inodes (iget) is likewise an error the caller returns, not a panic:
a student's program that fills the disk should get -1 from write, as on Unix,
not stop the machine.
"""

from types import GeneratorType, MappingProxyType

from .. import fail
from ..dev import ide
from ..dev.console import consolewrite
from ..dev.kbd import consoleread
from ..panic import panic
from ..param import CONSOLE, NINODE, ROOTDEV
from ..proc.proc import myproc
from ..sleeplock import Sleeplock, acquiresleep, holdingsleep, releasesleep
from ..spinlock import Spinlock, acquire, release
from .bio import bread, brelse
from .log import initlog, log_write
from .ondisk import (
    BBLOCK,
    BPB,
    BSIZE,
    DINODE,
    DIRENT,
    DIRSIZ,
    IBLOCK,
    IPB,
    MAXFILE,
    NDIRECT,
    NINDIRECT,
    ROOTINO,
    STAT,
    SUPERBLOCK,
    T_DEV,
    T_DIR,
    T_FILE,
    Superblock,
)

__all__ = ["T_DIR", "T_FILE", "T_DEV", "DIRSIZ", "ROOTINO", "ROOTDEV", "Inode", "devsw",
           "readsb", "fsinit", "iinit", "balloc", "bfree", "ialloc", "iupdate", "iget", "idup",
           "ilock", "iunlock", "iput", "idrop", "iunlockput", "itrunc", "bmap", "stati", "readi",
           "writei", "namecmp", "dirlookup", "dirlink", "skipelem", "namei", "nameiparent",
           "inodes_in_use"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("sb", "icache")
sb: Superblock = None       # there should be one superblock per disk device, but we run with only one device
icache: "Icache" = None     # the in-memory inodes

# Device switch: major number -> (read(ip, n) -> bytes, write(ip, data) -> int).
# xv6 declares devsw in file.h; it lives here, beside readi and writei, its only
# users, so that the file system never has to import the layer above it.
devsw = MappingProxyType({
    CONSOLE: (consoleread, consolewrite),
})


def readsb(dev: int):
    """Read the super block (a generator)."""
    bp = yield from bread(dev, 1)
    s = Superblock(*SUPERBLOCK.unpack_from(bp.data))
    brelse(bp)
    return s


def fsinit(dev: int):
    """Read the super block and recover the log: what must run in the context of
    the first process, because it sleeps (xv6-riscv's fsinit, called from
    forkret in proc.py). A generator."""
    global sb
    sb = yield from readsb(dev)
    if sb.size > ide.disk.nsectors or sb.inodestart + sb.ninodes // IPB >= sb.size:
        panic("fsinit: bad super block")   # (the Machine checks the image before boot)
    yield from initlog(dev, sb)


def _datastart() -> int:
    """The first data block: the one after the free bit map."""
    return sb.bmapstart + (sb.size + BPB - 1) // BPB


def _baddr(b: int) -> bool:
    """Is b a block number an inode may hold (a data block)?"""
    return _datastart() <= b < sb.size


# ---- Blocks ------------------------------------------------------------------------

def bzero(dev: int, bno: int):
    """Zero a block."""
    bp = yield from bread(dev, bno)
    bp.data[:] = bytes(BSIZE)
    log_write(bp)
    brelse(bp)


def balloc(dev: int):
    """Allocate a zeroed disk block. Returns its number, or 0 if the disk is full
    (xv6 panics "balloc: out of blocks"; see the module docstring)."""
    if fail.failing is not None and fail.fails("balloc"):
        return 0                # fault injection (fail.py): as if the disk were full
    for b in range(0, sb.size, BPB):
        bp = yield from bread(dev, BBLOCK(b, sb))
        for bi in range(min(BPB, sb.size - b)):
            if bp.data[bi // 8] == 0xFF:
                continue            # (a whole byte in use: skip its 8 bits at once)
            m = 1 << (bi % 8)
            if (bp.data[bi // 8] & m) == 0:   # Is block free?
                bp.data[bi // 8] |= m        # Mark block in use.
                log_write(bp)
                brelse(bp)
                yield from bzero(dev, b + bi)
                return b + bi
        brelse(bp)
    return 0


def bfree(dev: int, b: int):
    """Free a disk block."""
    if not _baddr(b):
        return                      # not a data block: a damaged inode named it; leave the map alone
    bp = yield from bread(dev, BBLOCK(b, sb))
    bi = b % BPB
    m = 1 << (bi % 8)
    if (bp.data[bi // 8] & m) == 0:
        panic("freeing free block")
    bp.data[bi // 8] &= ~m & 0xFF
    log_write(bp)
    brelse(bp)


# ---- Inodes ------------------------------------------------------------------------
#
# An inode describes a single unnamed file. The inode disk structure holds
# metadata: the file's type, its size, the number of links referring to it,
# and the list of blocks holding the file's content.
#
# The inodes are laid out sequentially on disk at sb.inodestart. Each inode has
# a number, indicating its position on the disk.
#
# The kernel keeps a cache of in-use inodes in memory to provide a place for
# synchronizing access to inodes used by multiple processes. The cached inodes
# include book-keeping information that is not stored on disk: ip.ref and
# ip.valid.
#
# An inode and its in-memory representation go through a sequence of states
# before they can be used by the rest of the file system code.
#
# * Allocation: an inode is allocated if its type (on disk) is non-zero.
#   ialloc() allocates, and iput() frees if the reference and link counts
#   have fallen to zero.
#
# * Referencing in cache: an entry in the inode cache is free if ip.ref is
#   zero. Otherwise ip.ref tracks the number of in-memory pointers to the
#   entry (open files and current directories). iget() finds or creates a
#   cache entry and increments its ref; iput() decrements ref.
#
# * Valid: the information (type, size, &c) in an inode cache entry is only
#   correct when ip.valid is true. ilock() reads the inode from the disk and
#   sets ip.valid, while iput() clears ip.valid if ip.ref has fallen to zero.
#
# * Locked: file system code may only examine and modify the information in
#   an inode and its content if it has first locked the inode.
#
# Thus a typical sequence is:
#   ip = iget(dev, inum)
#   yield from ilock(ip)
#   ... examine and modify ip.xxx ...
#   iunlock(ip)
#   yield from iput(ip)
#
# ilock() is separate from iget() so that system calls can get a long-term
# reference to an inode (as for an open file) and only lock it for short
# periods (e.g., in read()). The separation also helps avoid deadlock and
# races during pathname lookup. iget() increments ip.ref so that the inode
# stays cached and pointers to it remain valid.
#
# The icache.lock spin-lock protects the allocation of icache entries. Since
# ip.ref indicates whether an entry is free, and ip.dev and ip.inum indicate
# which i-node an entry holds, one must hold icache.lock while using any of
# those fields.
#
# An ip.lock sleep-lock protects all ip.* fields other than ref, dev, and
# inum. One must hold ip.lock in order to read or write that inode's ip.valid,
# ip.size, ip.type, &c.

class Inode:
    """In-memory copy of an inode (xv6's struct inode)."""

    __slots__ = ("dev", "inum", "ref", "lock", "valid", "type", "major", "minor", "nlink",
                 "size", "addrs")

    def __init__(self):
        self.dev = 0            # Device number
        self.inum = 0           # Inode number
        self.ref = 0            # Reference count
        self.lock = Sleeplock("inode")  # protects everything below here
        self.valid = False      # inode has been read from disk?
        self.type = 0           # copy of disk inode
        self.major = 0
        self.minor = 0
        self.nlink = 0
        self.size = 0
        self.addrs = [0] * (NDIRECT + 1)

    def __repr__(self) -> str:
        return f"<Inode {self.inum} ref {self.ref}>"


class Icache:
    __slots__ = ("lock", "inode")

    def __init__(self):
        self.lock = Spinlock("icache")
        self.inode = [Inode() for _ in range(NINODE)]


def iinit() -> None:
    """The in-memory inode table, empty (at boot; the super block is read by fsinit)."""
    global icache
    icache = Icache()


def ialloc(dev: int, type: int):
    """Allocate an inode on device dev. Mark it as allocated by giving it type
    type. Returns an unlocked but allocated and referenced inode, or None if
    there is no free inode (xv6 panics "ialloc: no inodes")."""
    if fail.failing is not None and fail.fails("ialloc"):
        return None             # fault injection (fail.py): as if no inode were free
    for inum in range(1, sb.ninodes):
        if inum == 1 or inum % IPB == 0:
            bp = yield from bread(dev, IBLOCK(inum, sb))   # (one bread for each block's 8 inodes)
        off = (inum % IPB) * DINODE.size
        if DINODE.unpack_from(bp.data, off)[0] == 0:      # a free inode
            DINODE.pack_into(bp.data, off, type, 0, 0, 0, 0, *[0] * (NDIRECT + 1))
            log_write(bp)                                 # mark it allocated on the disk
            brelse(bp)
            ip = iget(dev, inum)
            if ip is None:
                yield from _ifree(dev, inum)
            return ip
        if inum % IPB == IPB - 1 or inum == sb.ninodes - 1:
            brelse(bp)
    return None


def _ifree(dev: int, inum: int):
    """Give back an inode just allocated that no in-memory inode could hold."""
    bp = yield from bread(dev, IBLOCK(inum, sb))
    DINODE.pack_into(bp.data, (inum % IPB) * DINODE.size, 0, 0, 0, 0, 0, *[0] * (NDIRECT + 1))
    log_write(bp)
    brelse(bp)


def iupdate(ip: Inode):
    """Copy a modified in-memory inode to disk. Must be called after every change
    to an ip.xxx field that lives on disk, since the inode cache is
    write-through. Caller must hold ip.lock."""
    bp = yield from bread(ip.dev, IBLOCK(ip.inum, sb))
    DINODE.pack_into(bp.data, (ip.inum % IPB) * DINODE.size, ip.type, ip.major, ip.minor,
                     ip.nlink, ip.size, *ip.addrs)
    log_write(bp)
    brelse(bp)


def iget(dev: int, inum: int) -> Inode | None:
    """Find the inode with number inum on device dev and return the in-memory
    copy. Does not lock the inode and does not read it from disk. None if all
    NINODE are in use (xv6 panics "iget: no inodes")."""
    acquire(icache.lock)
    # Is the inode already cached?
    empty = None
    for ip in icache.inode:
        if ip.ref > 0 and ip.dev == dev and ip.inum == inum:
            ip.ref += 1
            release(icache.lock)
            return ip
        if empty is None and ip.ref == 0:   # Remember empty slot.
            empty = ip
    # Recycle an inode cache entry.
    if empty is None:
        release(icache.lock)
        return None
    ip = empty
    ip.dev = dev
    ip.inum = inum
    ip.ref = 1
    ip.valid = False
    release(icache.lock)
    return ip


def idup(ip: Inode) -> Inode:
    """Increment reference count for ip. Returns ip to enable ip = idup(ip1) idiom."""
    acquire(icache.lock)
    ip.ref += 1
    release(icache.lock)
    return ip


def ilock(ip: Inode):
    """Lock the given inode. Reads the inode from disk if necessary. Returns 0,
    or -1 -- with the inode left unlocked -- if the inode on the disk is damaged
    (a bad number, type, size or block number; xv6 panics "ilock: no type")."""
    if ip is None or ip.ref < 1:
        panic("ilock")
    yield from acquiresleep(ip.lock)
    if not ip.valid:
        if not 0 < ip.inum < sb.ninodes:
            releasesleep(ip.lock)
            return -1
        bp = yield from bread(ip.dev, IBLOCK(ip.inum, sb))
        fields = DINODE.unpack_from(bp.data, (ip.inum % IPB) * DINODE.size)
        brelse(bp)
        ip.type, ip.major, ip.minor, ip.nlink, ip.size = fields[:5]
        ip.addrs[:] = fields[5:]
        if (ip.type not in (T_DIR, T_FILE, T_DEV) or ip.size > MAXFILE * BSIZE
                or any(a and not _baddr(a) for a in ip.addrs)):
            releasesleep(ip.lock)
            return -1               # not valid: every later ilock looks again, and fails again
        ip.valid = True
    return 0


def iunlock(ip: Inode) -> None:
    """Unlock the given inode."""
    if ip is None or not holdingsleep(ip.lock) or ip.ref < 1:
        panic("iunlock")
    releasesleep(ip.lock)


def iput(ip: Inode):
    """Drop a reference to an in-memory inode. If that was the last reference,
    the inode cache entry can be recycled. If that was the last reference and
    the inode has no links to it, free the inode (and its content) on disk. All
    calls to iput() must be inside a transaction in case it has to free the
    inode."""
    yield from acquiresleep(ip.lock)
    if ip.valid and ip.nlink == 0:
        acquire(icache.lock)
        r = ip.ref
        release(icache.lock)
        if r == 1:
            # inode has no links and no other references: truncate and free.
            yield from itrunc(ip)
            ip.type = 0
            yield from iupdate(ip)
            ip.valid = False
    releasesleep(ip.lock)
    acquire(icache.lock)
    ip.ref -= 1
    release(icache.lock)


def idrop(ip: Inode) -> None:
    """Drop a reference with no disk I/O: for a machine being torn down (a run cut
    short), which stops where it is, as if its power went off (an unlinked file
    still open stays allocated on the disk); or a reference known not to be the
    last (dirlink)."""
    acquire(icache.lock)
    ip.ref -= 1
    release(icache.lock)


def iunlockput(ip: Inode):
    """Common idiom: unlock, then put."""
    iunlock(ip)
    yield from iput(ip)


# ---- Inode content -----------------------------------------------------------------
#
# The content (data) associated with each inode is stored in blocks on the
# disk. The first NDIRECT block numbers are listed in ip.addrs[]. The next
# NINDIRECT blocks are listed in block ip.addrs[NDIRECT].

def bmap(ip: Inode, bn: int, alloc: bool = True):
    """Return the disk block address of the bn-th block in inode ip. If there is
    no such block and alloc is set, bmap allocates one. Returns 0 if there is
    none (a read past what was written, a full disk, or a damaged indirect block
    naming a block outside the data area)."""
    if bn < NDIRECT:
        addr = ip.addrs[bn]
        if addr == 0 and alloc:
            addr = ip.addrs[bn] = yield from balloc(ip.dev)
        return addr
    bn -= NDIRECT
    if bn < NINDIRECT:
        # Load indirect block, allocating if necessary.
        addr = ip.addrs[NDIRECT]
        if addr == 0:
            if not alloc:
                return 0
            addr = ip.addrs[NDIRECT] = yield from balloc(ip.dev)
            if addr == 0:
                return 0
        bp = yield from bread(ip.dev, addr)
        addr = int.from_bytes(bp.data[4 * bn:4 * bn + 4], "little")
        if addr == 0 and alloc:
            addr = yield from balloc(ip.dev)
            if addr:
                bp.data[4 * bn:4 * bn + 4] = addr.to_bytes(4, "little")
                log_write(bp)
        brelse(bp)
        return addr if addr == 0 or _baddr(addr) else 0
    panic("bmap: out of range")


def itrunc(ip: Inode):
    """Truncate inode (discard contents). Only called when the inode has no links
    to it (no directory entries referring to it) and has no in-memory reference
    to it (is not an open file or current directory)."""
    for i in range(NDIRECT):
        if ip.addrs[i]:
            yield from bfree(ip.dev, ip.addrs[i])
            ip.addrs[i] = 0
    if ip.addrs[NDIRECT]:
        bp = yield from bread(ip.dev, ip.addrs[NDIRECT])
        a = [int.from_bytes(bp.data[j:j + 4], "little") for j in range(0, BSIZE, 4)]
        brelse(bp)
        for b in a:
            if b:
                yield from bfree(ip.dev, b)
        yield from bfree(ip.dev, ip.addrs[NDIRECT])
        ip.addrs[NDIRECT] = 0
    ip.size = 0
    yield from iupdate(ip)


def stati(ip: Inode) -> bytes:
    """The struct stat of an inode (20 bytes, x86 xv6's layout). Caller must hold ip.lock."""
    return STAT.pack(ip.type, ip.dev, ip.inum, ip.nlink, ip.size)


def readi(ip: Inode, off: int, n: int):
    """Read up to n bytes from inode ip at offset off. Caller must hold ip.lock.
    Returns the bytes (fewer at the end of the file), or None for an offset past
    the end, a device with no driver, or a damaged file."""
    if ip.type == T_DEV:
        if ip.major not in devsw:
            return None
        r = devsw[ip.major][0](ip, n)
        if isinstance(r, GeneratorType):    # the console of a session: it may sleep
            r = yield from r
        return r
    if off > ip.size or off + n < off or n < 0 or off < 0:
        return None
    if off + n > ip.size:
        n = ip.size - off
    out = bytearray()
    while len(out) < n:
        addr = yield from bmap(ip, off // BSIZE, alloc=False)
        if addr == 0:
            return None             # a block the size promises is not there
        bp = yield from bread(ip.dev, addr)
        start = off % BSIZE
        m = min(n - len(out), BSIZE - start)
        out += bp.data[start:start + m]
        brelse(bp)
        off += m
    return bytes(out)


def writei(ip: Inode, data: bytes, off: int):
    """Write data to inode ip at offset off. Caller must hold ip.lock, inside a
    transaction. Returns the number of bytes written (fewer if the disk filled
    up), or -1 for an offset past the end or a write beyond MAXFILE."""
    n = len(data)
    if ip.type == T_DEV:
        if ip.major not in devsw:
            return -1
        return devsw[ip.major][1](ip, data)
    if off > ip.size or off + n < off or off < 0:
        return -1
    if off + n > MAXFILE * BSIZE:
        return -1
    tot = 0
    while tot < n:
        addr = yield from bmap(ip, off // BSIZE)
        if addr == 0:
            break                   # out of blocks
        bp = yield from bread(ip.dev, addr)
        start = off % BSIZE
        m = min(n - tot, BSIZE - start)
        bp.data[start:start + m] = data[tot:tot + m]
        log_write(bp)
        brelse(bp)
        tot += m
        off += m
    if tot > 0 and off > ip.size:
        ip.size = off
    # write the i-node back to disk even if the size didn't change because the
    # loop above might have called bmap() and added a new block to ip.addrs[].
    yield from iupdate(ip)
    return tot


# ---- Directories -------------------------------------------------------------------
#
# Names are the bytes a program passed, held as str (latin-1: one character per
# byte), compared on their first DIRSIZ bytes.

def namecmp(s: str, t: str) -> bool:
    return s[:DIRSIZ] == t[:DIRSIZ]


def _dirname(name: str) -> bytes:
    return name[:DIRSIZ].encode("latin-1")


def dirlookup(dp: Inode, name: str):
    """Look for a directory entry in a directory. If found, return (inode, byte
    offset of the entry); else None. The inode is unlocked and referenced.
    (xv6 reads the directory one entry at a time; here a block of entries is
    read at once, which makes a big directory's lookups many times faster.)"""
    if dp.type != T_DIR:
        panic("dirlookup not DIR")
    want = _dirname(name)
    for base in range(0, dp.size, BSIZE):
        raw = yield from readi(dp, base, BSIZE)
        if raw is None:
            return None             # a damaged directory
        for i, (inum, ename) in enumerate(_dirents(raw)):
            if inum and ename.partition(b"\0")[0] == want:
                # entry matches path element
                ip = iget(dp.dev, inum)
                return (ip, base + i * DIRENT.size) if ip is not None else None
    return None


def _dirents(raw: bytes):
    """The (inum, name) of each whole entry in raw."""
    return DIRENT.iter_unpack(raw[:len(raw) - len(raw) % DIRENT.size])


def dirlink(dp: Inode, name: str, inum: int):
    """Write a new directory entry (name, inum) into the directory dp. Returns 0,
    or -1 if the name is there already or the disk is full."""
    # Check that name is not present.
    found = yield from dirlookup(dp, name)
    if found is not None:
        if found[0] is dp:
            # "." (or ".." in the root): dp itself, which the caller has locked and
            # holds a reference to. iput would wait for that lock -- held by this
            # very process, for ever (link(f, ".") hangs x86 xv6 so). The reference
            # is not the last, so dropping it needs no lock and frees nothing.
            idrop(dp)
        else:
            yield from iput(found[0])
        return -1
    # Look for an empty dirent.
    off = yield from _dirfree(dp)
    if off is None:
        return -1
    if (yield from writei(dp, DIRENT.pack(inum, _dirname(name)), off)) != DIRENT.size:
        return -1                   # (xv6 panics "dirlink": here the disk may be full)
    return 0


def _dirfree(dp: Inode):
    """The offset of the first free entry of dp (its size if none is free), or None."""
    for base in range(0, dp.size, BSIZE):
        raw = yield from readi(dp, base, BSIZE)
        if raw is None:
            return None
        for i, (inum, _) in enumerate(_dirents(raw)):
            if inum == 0:
                return base + i * DIRENT.size
    return dp.size


# ---- Paths -------------------------------------------------------------------------

def skipelem(path: str):
    """Copy the next path element from path into name. Return (name, the rest of
    the path after it), so the caller can check whether the rest is empty to see
    if the name is the last one; None if there is no name to remove.

    Examples:
      skipelem("a/bb/c") = ("a", "bb/c")
      skipelem("///a//bb") = ("a", "bb")
      skipelem("a") = ("a", "")
      skipelem("") = skipelem("////") = None
    """
    path = path.lstrip("/")
    if not path:
        return None
    slash = path.find("/")
    if slash < 0:
        name, path = path, ""
    else:
        name, path = path[:slash], path[slash:]
    return name[:DIRSIZ], path.lstrip("/")


def namex(path: str, nameiparent: bool):
    """Look up and return the inode for a path name. If nameiparent, return
    (the inode for the parent, the final path element). Must be called inside a
    transaction since it calls iput()."""
    if path.startswith("/"):
        ip = iget(ROOTDEV, ROOTINO)
    else:
        cwd = myproc().cwd
        ip = idup(cwd) if cwd is not None else iget(ROOTDEV, ROOTINO)
    if ip is None:
        return None
    while (r := skipelem(path)) is not None:
        name, path = r
        if (yield from ilock(ip)) < 0:
            yield from iput(ip)
            return None
        if ip.type != T_DIR:
            yield from iunlockput(ip)
            return None
        if nameiparent and path == "":
            # Stop one level early.
            iunlock(ip)
            return ip, name
        found = yield from dirlookup(ip, name)
        if found is None:
            yield from iunlockput(ip)
            return None
        yield from iunlockput(ip)
        ip = found[0]
    if nameiparent:
        yield from iput(ip)
        return None
    return ip


def namei(path: str):
    """The inode of a path (unlocked, referenced), or None. A generator."""
    return (yield from namex(path, False))


def nameiparent(path: str):
    """(the inode of the directory a path names an entry of, that entry's name),
    or None. A generator."""
    return (yield from namex(path, True))


def inodes_in_use() -> int:
    """In-memory inodes with a reference (open files, current directories, ...)."""
    return sum(1 for ip in icache.inode if ip.ref > 0)
