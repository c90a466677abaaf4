"""Disk images from Python: read and change an xv6 file system image on the host.

The format is fs/ondisk.py's (xv6's fs.h). This module is not part of the
kernel: the kernel reads its disk only through the driver, a block at a time.
Here a whole image is a bytearray, for the tools around the kernel --

    mkfs.py     makes an image
    fsck.py     checks one
    machine.py  adds files to a run's image, reads files back after a run

    img = Image.open("fs.img")
    img.read_file("/README")          # bytes
    img.listdir("/")                  # [(name, inum, type, size), ...]
    img.add_file("notes", b"...")     # into "/" (replacing a file of that name)
    img.save("fs.img")

Reading never trusts the image: a block number outside the disk, an inode
number past ninodes, a size beyond MAXFILE raise ImageError (a ValueError)
with one line that says what is wrong. Changing an image allocates inodes and
blocks as xv6's kernel would (the free bit map, the first free inode), with no
log: these are host tools, working on an image no machine is running.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from .fs.ondisk import (
    BPB,
    BSIZE,
    DINODE,
    DIRENT,
    DIRSIZ,
    IPB,
    LOGHEADER,
    MAXFILE,
    NDIRECT,
    ROOTINO,
    SUPERBLOCK,
    T_DEV,
    T_DIR,
    T_FILE,
    Superblock,
)
from .param import LOGSIZE

__all__ = ["ImageError", "Dinode", "Image", "layout", "dirname_bytes", "format_image"]


class ImageError(ValueError):
    """An image is not a sane xv6 file system; the message says why, in one line."""


class Dinode(NamedTuple):
    """An on-disk inode."""

    type: int
    major: int
    minor: int
    nlink: int
    size: int
    addrs: tuple        # NDIRECT direct block numbers, then the indirect block's

    @classmethod
    def unpack(cls, raw: bytes) -> Dinode:
        f = DINODE.unpack(raw)
        return cls(f[0], f[1], f[2], f[3], f[4], tuple(f[5:]))

    def pack(self) -> bytes:
        return DINODE.pack(self.type, self.major, self.minor, self.nlink, self.size, *self.addrs)


FREE = Dinode(0, 0, 0, 0, 0, (0,) * (NDIRECT + 1))


def layout(size: int, ninodes: int, nlog: int = LOGSIZE) -> Superblock:
    """The super block of a new file system of `size` blocks, laid out as xv6's
    mkfs does: boot block, super block, nlog log blocks, the inode blocks, the
    bit map, then the data blocks."""
    nbitmap = size // BPB + 1
    ninodeblocks = ninodes // IPB + 1
    nmeta = 2 + nlog + ninodeblocks + nbitmap
    return Superblock(size, size - nmeta, ninodes, nlog, 2, 2 + nlog, 2 + nlog + ninodeblocks)


def dirname_bytes(name: str | bytes) -> bytes:
    """A host name as it is stored in a directory entry: its UTF-8 bytes, cut to
    DIRSIZ at a character boundary (a name of DIRSIZ bytes has no NUL)."""
    if isinstance(name, bytes):
        return name[:DIRSIZ]
    return name.encode()[:DIRSIZ].decode("utf-8", "ignore").encode()


class Image:
    """An xv6 file system image held in memory."""

    def __init__(self, data: bytes | bytearray):
        self.data = data if isinstance(data, bytearray) else bytearray(data)

    @classmethod
    def view(cls, data: bytes | bytearray) -> Image:
        """An image for reading only, on data itself (no copy): writing to it fails
        if data is bytes, and changes data if it is a bytearray."""
        img = cls.__new__(cls)
        img.data = data
        return img

    @classmethod
    def open(cls, path: str | Path) -> Image:
        return cls(Path(path).read_bytes())

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(self.data)

    # ---- the super block and the layout ------------------------------------------------

    @property
    def sb(self) -> Superblock:
        if len(self.data) < 2 * BSIZE:
            raise ImageError(f"{len(self.data)} bytes is too short for a super block")
        return Superblock(*SUPERBLOCK.unpack_from(self.data, BSIZE))

    def datastart(self) -> int:
        """The first data block (the one after the bit map)."""
        sb = self.sb
        return sb.bmapstart + (sb.size + BPB - 1) // BPB

    def check(self) -> None:
        """Raise ImageError unless the super block describes a layout that fits in
        the image and the log header is sane (what booting needs)."""
        sb = self.sb
        nbitmap = (sb.size + BPB - 1) // BPB
        if sb.size * BSIZE > len(self.data):
            raise ImageError(f"super block says {sb.size} blocks but the image holds "
                             f"{len(self.data) // BSIZE} (truncated?)")
        if sb.ninodes < 2:
            raise ImageError(f"super block: ninodes {sb.ninodes} leaves no room for the root")
        if sb.logstart < 2 or sb.nlog < 2:
            raise ImageError(f"super block: log at {sb.logstart} of {sb.nlog} blocks")
        if sb.inodestart < sb.logstart + sb.nlog:
            raise ImageError(f"super block: inodes at {sb.inodestart} overlap the log")
        if sb.bmapstart < sb.inodestart + (sb.ninodes + IPB - 1) // IPB:
            raise ImageError(f"super block: bit map at {sb.bmapstart} overlaps the inodes")
        if sb.bmapstart + nbitmap >= sb.size:
            raise ImageError(f"super block: size {sb.size} leaves no data blocks")
        if sb.nblocks > sb.size - (sb.bmapstart + nbitmap):
            raise ImageError(f"super block: nblocks {sb.nblocks} is more than the disk holds")
        n = self.log_header()[0]
        if n < 0 or n > min(LOGSIZE, sb.nlog - 1):
            raise ImageError(f"log header: {n} blocks in a log of {sb.nlog}")
        for b in self.log_header()[1][:n]:
            if not sb.logstart + sb.nlog <= b < sb.size:
                raise ImageError(f"log header: block {b} is outside the file system")

    # ---- blocks ----------------------------------------------------------------------

    def block(self, b: int) -> bytes:
        if not 0 <= b < len(self.data) // BSIZE:
            raise ImageError(f"block {b} is outside the disk")
        return bytes(self.data[b * BSIZE:(b + 1) * BSIZE])

    def write_block(self, b: int, data: bytes) -> None:
        if not 0 <= b < self.sb.size or len(data) > BSIZE:
            raise ImageError(f"write of block {b} outside the file system")
        self.data[b * BSIZE:(b + 1) * BSIZE] = bytes(data).ljust(BSIZE, b"\0")

    def log_header(self) -> tuple[int, list[int]]:
        n, *blocks = LOGHEADER.unpack_from(self.data, self.sb.logstart * BSIZE)
        return n, blocks

    def recovered(self) -> Image:
        """A copy with the committed log (if any) installed and emptied: the disk as
        the kernel's recovery at boot will leave it."""
        img = Image(bytearray(self.data))
        n, blocks = img.log_header()
        sb = img.sb
        for i in range(n):
            img.write_block(blocks[i], img.block(sb.logstart + 1 + i))
        img.write_block(sb.logstart, LOGHEADER.pack(0, *[0] * LOGSIZE))
        return img

    # ---- the bit map -----------------------------------------------------------------

    def allocated(self, b: int) -> bool:
        """Is block b marked in use in the free bit map?"""
        sb = self.sb
        byte = self.data[(sb.bmapstart + b // BPB) * BSIZE + (b % BPB) // 8]
        return bool(byte & (1 << (b % 8)))

    def mark(self, b: int, used: bool) -> None:
        sb = self.sb
        at = (sb.bmapstart + b // BPB) * BSIZE + (b % BPB) // 8
        if used:
            self.data[at] |= 1 << (b % 8)
        else:
            self.data[at] &= ~(1 << (b % 8)) & 0xFF

    def free_blocks(self) -> int:
        """Blocks the bit map marks free."""
        sb = self.sb
        start = sb.bmapstart * BSIZE
        bits = int.from_bytes(self.data[start:start + (sb.size + 7) // 8], "little")
        return sb.size - (bits & ((1 << sb.size) - 1)).bit_count()

    def balloc(self) -> int:
        """Allocate a zeroed block (the first free one, as the kernel's balloc)."""
        for b in range(self.datastart(), self.sb.size):
            if not self.allocated(b):
                self.mark(b, True)
                self.write_block(b, b"")
                return b
        raise ImageError("out of blocks")

    # ---- inodes ----------------------------------------------------------------------

    def dinode(self, inum: int) -> Dinode:
        sb = self.sb
        if not 0 < inum < sb.ninodes:
            raise ImageError(f"inode {inum} is outside 1..{sb.ninodes - 1}")
        at = (sb.inodestart + inum // IPB) * BSIZE + (inum % IPB) * DINODE.size
        return Dinode.unpack(self.data[at:at + DINODE.size])

    def write_dinode(self, inum: int, d: Dinode) -> None:
        sb = self.sb
        at = (sb.inodestart + inum // IPB) * BSIZE + (inum % IPB) * DINODE.size
        self.data[at:at + DINODE.size] = d.pack()

    def free_inodes(self) -> int:
        """Inodes of type 0 (inode 0 is never used and not counted)."""
        sb = self.sb
        start = sb.inodestart * BSIZE
        raw = self.data[start:start + sb.ninodes * DINODE.size]
        types = memoryview(raw).cast("h")[::DINODE.size // 2]
        return sum(1 for t in types[1:] if t == 0)

    def ialloc(self, type: int, major: int = 0, minor: int = 0) -> int:
        """Allocate an inode of this type with one link (the first free, as ialloc)."""
        for inum in range(1, self.sb.ninodes):
            if self.dinode(inum).type == 0:
                self.write_dinode(inum, FREE._replace(type=type, major=major, minor=minor, nlink=1))
                return inum
        raise ImageError("out of inodes")

    def blocks_of(self, inum: int, d: Dinode | None = None) -> tuple[list[int], int]:
        """The data blocks of inode inum in file order (0 for a hole), and its indirect
        block (0 if none). Raises ImageError for a block outside the data area."""
        d = d or self.dinode(inum)
        lo, hi = self.datastart(), self.sb.size
        for b in d.addrs:
            if b and not lo <= b < hi:
                raise ImageError(f"inode {inum}: block {b} is outside the data blocks")
        blocks = list(d.addrs[:NDIRECT])
        ind = d.addrs[NDIRECT]
        if ind:
            raw = self.block(ind)
            more = list(int.from_bytes(raw[i:i + 4], "little") for i in range(0, BSIZE, 4))
            for b in more:
                if b and not lo <= b < hi:
                    raise ImageError(f"inode {inum}: block {b} (indirect) is outside the data blocks")
            blocks += more
        return blocks, ind

    def read(self, inum: int) -> bytes:
        """The contents of inode inum (a file or a directory)."""
        d = self.dinode(inum)
        if d.type not in (T_DIR, T_FILE, T_DEV):
            raise ImageError(f"inode {inum}: bad type {d.type}")
        if d.size > MAXFILE * BSIZE:
            raise ImageError(f"inode {inum}: size {d.size} is more than MAXFILE blocks")
        blocks, _ = self.blocks_of(inum, d)
        nblocks = (d.size + BSIZE - 1) // BSIZE
        if 0 in blocks[:nblocks]:
            raise ImageError(f"inode {inum}: size {d.size} but block {blocks.index(0)} is missing")
        return b"".join(self.block(b) for b in blocks[:nblocks])[:d.size]

    def write(self, inum: int, data: bytes) -> None:
        """Replace the contents of inode inum with data (freeing its old blocks)."""
        if len(data) > MAXFILE * BSIZE:
            raise ImageError(f"{len(data)} bytes is more than MAXFILE ({MAXFILE * BSIZE})")
        d = self.dinode(inum)
        blocks, ind = self.blocks_of(inum, d)
        for b in [b for b in blocks if b] + ([ind] if ind else []):
            self.mark(b, False)
        addrs = [0] * (NDIRECT + 1)
        indirect = []
        for off in range(0, len(data), BSIZE):
            b = self.balloc()
            self.write_block(b, data[off:off + BSIZE])
            if off // BSIZE < NDIRECT:
                addrs[off // BSIZE] = b
            else:
                if not addrs[NDIRECT]:
                    addrs[NDIRECT] = self.balloc()
                indirect.append(b)
        if indirect:
            self.write_block(addrs[NDIRECT], b"".join(b.to_bytes(4, "little") for b in indirect))
        self.write_dinode(inum, d._replace(size=len(data), addrs=tuple(addrs)))

    # ---- directories and paths -------------------------------------------------------

    def entries(self, inum: int) -> list[tuple[int, bytes]]:
        """The used entries of directory inum: (inum, name bytes), in order."""
        raw = self.read(inum)
        ents = (DIRENT.unpack_from(raw, off) for off in range(0, len(raw) - DIRENT.size + 1, DIRENT.size))
        return [(i, name.rstrip(b"\0")) for i, name in ents if i != 0]

    def lookup(self, path: str | bytes) -> int | None:
        """The inode number of an absolute path (or one relative to "/"), or None.
        Names are compared on their first DIRSIZ bytes, as the kernel does."""
        raw = path.encode() if isinstance(path, str) else path
        inum = ROOTINO
        for elem in raw.split(b"/"):
            if not elem:
                continue
            if self.dinode(inum).type != T_DIR:
                return None
            found = [i for i, name in self.entries(inum) if name == elem[:DIRSIZ]]
            if not found:
                return None
            inum = found[0]
        return inum

    def read_file(self, path: str | bytes) -> bytes:
        """The contents of the file at path. FileNotFoundError if there is none."""
        inum = self.lookup(path)
        if inum is None:
            raise FileNotFoundError(f"no file {path!r} in the image")
        return self.read(inum)

    def listdir(self, path: str | bytes = "/") -> list[tuple[str, int, int, int]]:
        """(name, inum, type, size) of each entry of a directory, "." and ".." included."""
        inum = self.lookup(path)
        if inum is None or self.dinode(inum).type != T_DIR:
            raise NotADirectoryError(f"no directory {path!r} in the image")
        out = []
        for i, name in self.entries(inum):
            d = self.dinode(i)
            out.append((name.decode("utf-8", "replace"), i, d.type, d.size))
        return out

    def dirlink(self, dinum: int, name: bytes, inum: int) -> None:
        """Add an entry to directory dinum, in its first free slot (or at its end)."""
        raw = bytearray(self.read(dinum))
        entry = DIRENT.pack(inum, name)
        for off in range(0, len(raw) - DIRENT.size + 1, DIRENT.size):
            if DIRENT.unpack_from(raw, off)[0] == 0:
                raw[off:off + DIRENT.size] = entry
                break
        else:
            raw += entry
        self.write(dinum, bytes(raw))

    def add_file(self, name: str | bytes, data: bytes, *, type: int = T_FILE, major: int = 0,
                 minor: int = 0, dir: int = ROOTINO) -> int:
        """Put a file (or device node) named `name` in directory `dir`, replacing the
        contents of a file already there. Returns its inode number."""
        ename = dirname_bytes(name)
        if not ename or b"/" in ename or ename in (b".", b".."):
            raise ValueError(f"bad file name {name!r}")
        old = [i for i, n in self.entries(dir) if n == ename]
        if old:
            d = self.dinode(old[0])
            if d.type != type or d.type == T_DIR:
                raise ValueError(f"{name!r} is already in the image, as another kind of file")
            self.write_dinode(old[0], d._replace(major=major, minor=minor))
            self.write(old[0], data)
            return old[0]
        inum = self.ialloc(type, major, minor)
        self.write(inum, data)
        self.dirlink(dir, ename, inum)
        return inum

    def mkdir(self, name: str | bytes, dir: int = ROOTINO) -> int:
        """Make a directory in directory `dir` (with "." and ".."), as the kernel does:
        the new directory has one link, its parent one more (for "..")."""
        ename = dirname_bytes(name)
        inum = self.ialloc(T_DIR)
        self.write(inum, DIRENT.pack(inum, b".") + DIRENT.pack(dir, b".."))
        self.dirlink(dir, ename, inum)
        p = self.dinode(dir)
        self.write_dinode(dir, p._replace(nlink=p.nlink + 1))
        return inum


def format_image(size: int, ninodes: int, nlog: int = LOGSIZE) -> Image:
    """An empty file system: the layout of `layout`, every metadata block marked
    in use, and the root directory (inode 1, holding "." and "..")."""
    sb = layout(size, ninodes, nlog)
    if sb.nblocks < 1 or ninodes < 2:
        raise ValueError(f"{size} blocks and {ninodes} inodes leave no room for a file system")
    img = Image(bytearray(size * BSIZE))
    img.data[BSIZE:BSIZE + SUPERBLOCK.size] = SUPERBLOCK.pack(*sb)
    for b in range(img.datastart()):
        img.mark(b, True)
    root = img.ialloc(T_DIR)
    assert root == ROOTINO
    img.write(root, DIRENT.pack(root, b".") + DIRENT.pack(root, b".."))
    return img
