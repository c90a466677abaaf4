"""The root directory: a read-only stand-in for xv6's file system (fs.c).

Until xv6py has a real file system, there is one directory, "/", holding the
built user programs, any host file added for a run (a student's own ELF, say),
and the console device node. The functions keep xv6's names and contracts --
namei, readi, writei, stati -- so that exec and the file system calls do not
change when a real file system replaces this module.
"""

import struct
from pathlib import Path
from types import MappingProxyType

from ..dev.console import consoleread, consolewrite
from ..param import CONSOLE

__all__ = ["T_DIR", "T_FILE", "T_DEV", "DIRSIZ", "ROOTINO", "Inode", "fsinit", "addfile",
           "namei", "readi", "writei", "stati", "listdir", "hostname", "devsw"]

T_DIR = 1    # directory
T_FILE = 2   # file
T_DEV = 3    # device
DIRSIZ = 14  # bytes of a name in a directory entry
ROOTDEV = 1
ROOTINO = 1  # inode number of "/"

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("root",)
root: "Root" = None   # the directory

# Device switch: major number -> (read(ip, n) -> bytes, write(ip, data) -> int).
# xv6 declares devsw in file.h; it lives here, beside readi and writei, its only
# users, so that the file system never has to import the layer above it.
devsw = MappingProxyType({
    CONSOLE: (consoleread, consolewrite),
})


class Inode:
    """An in-memory inode: type, device numbers, link count, size, contents.

    A file's contents are read from the host the first time exec or read needs
    them, so that booting does not read every program."""

    __slots__ = ("inum", "type", "major", "minor", "nlink", "_data", "_path")

    def __init__(self, inum: int, type: int, data: bytes | None = None, path: Path | None = None,
                 major: int = 0, minor: int = 0):
        self.inum = inum
        self.type = type
        self.major = major
        self.minor = minor
        self.nlink = 1
        self._data = data
        self._path = path

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self._path.read_bytes() if self._path is not None else b""
        return self._data

    @property
    def size(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"<Inode {self.inum} type {self.type}>"


class Root:
    """The one directory: names (at most DIRSIZ bytes) to inodes, in creation order."""

    __slots__ = ("dir", "entries")

    def __init__(self):
        self.dir = Inode(ROOTINO, T_DIR)
        self.entries: dict[str, Inode] = {}


def fsinit() -> None:
    global root
    root = Root()


def hostname(name: str) -> str:
    """The name a file named `name` on the host gets in "/": its UTF-8 bytes cut to
    DIRSIZ (at a character boundary), held as a str of those bytes (latin-1), as the
    kernel holds every path a user program passes."""
    raw = name.encode()[:DIRSIZ].decode("utf-8", "ignore").encode()
    return raw.decode("latin-1")


def addfile(name: str, contents: bytes | Path | None = None, *, major: int = 0, minor: int = 0,
            type: int = T_FILE) -> Inode:
    """Add (or replace) a file in "/" under a host name (see hostname())."""
    name = hostname(name)
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"bad file name {name!r}")
    old = root.entries.get(name)
    inum = old.inum if old else ROOTINO + 1 + len(root.entries)
    if isinstance(contents, Path):
        ip = Inode(inum, type, path=contents, major=major, minor=minor)
    else:
        ip = Inode(inum, type, data=contents, major=major, minor=minor)
    root.entries[name] = ip
    root.dir._data = None        # the directory's contents changed
    return ip


def listdir() -> list[str]:
    return list(root.entries)


def namei(path: str) -> Inode | None:
    """Look up a path. Every path starts at "/" (there is no other directory);
    "." and ".." name "/" itself; each element is compared on its first DIRSIZ bytes."""
    ip = root.dir
    for elem in path.split("/"):
        if not elem:
            continue
        if ip.type != T_DIR:
            return None         # a file is no directory, even before "."
        if elem == ".":
            continue
        ip = root.dir if elem == ".." else root.entries.get(elem[:DIRSIZ])
        if ip is None:
            return None
    return ip


def _dirents() -> bytes:
    """The directory's contents, as xv6's struct dirent array: inum, name[DIRSIZ]."""
    ents = [(ROOTINO, "."), (ROOTINO, "..")] + [(ip.inum, n) for n, ip in root.entries.items()]
    return b"".join(struct.pack("<H14s", inum, name.encode("latin-1")) for inum, name in ents)


def readi(ip: Inode, off: int, n: int) -> bytes:
    """Read up to n bytes from offset off. A device reads through devsw."""
    if ip.type == T_DEV:
        if ip.major not in devsw:
            return None
        return devsw[ip.major][0](ip, n)
    data = _dirents() if ip is root.dir else ip.data
    if off < 0 or off > len(data) or n < 0:
        return None
    return data[off:off + n]


def writei(ip: Inode, data: bytes, off: int) -> int:
    """Write to an inode. Only devices can be written until the file system exists."""
    if ip.type == T_DEV and ip.major in devsw:
        return devsw[ip.major][1](ip, data)
    return -1


def stati(ip: Inode) -> bytes:
    """The struct stat of an inode, 20 bytes as x86 xv6 lays it out:
    short type, int dev, uint ino, short nlink, uint size."""
    size = len(_dirents()) if ip is root.dir else (0 if ip.type == T_DEV else ip.size)
    return struct.pack("<hxxiIhxxI", ip.type, ROOTDEV, ip.inum, ip.nlink, size)
