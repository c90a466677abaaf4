"""mkfs: make a file system image holding some files (xv6's mkfs, in Python).

    xv6py mkfs fs.img userprogs/bin/cat README          # FSSIZE (1000) blocks
    xv6py mkfs --size 2000 big.img FILE...
    xv6py mkfs --programs my.img mine                    # DEFAULT_SIZE (2000) blocks

The image has xv6's layout and geometry (fsimage.layout): block 0 the boot
block, 1 the super block, then LOGSIZE log blocks, the inode blocks (200
inodes, 8 a block), one bit map block per 4096 blocks, and the data. "/" is
inode 1; each file goes in it under its base name, without a leading "_" (xv6's
Makefile names its programs _cat, _ls, ...). A name longer than DIRSIZ (14)
bytes is cut, as the kernel would cut it.

With --programs the image also holds what the default image does (below), so
that `xv6py run --disk IMG PROG` finds init and the programs on it.

Written from the format (fs/ondisk.py), not from xv6's mkfs.c.

The default image that a Machine boots (DEFAULT_IMAGE, built by `xv6py build`
and shipped in userprogs/bin) holds the built programs, the files of
userprogs/fs/ (a README), and the console device node that init would
otherwise make on every run.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from .fs.ondisk import T_DEV
from .fsimage import Image, ImageError, format_image
from .param import CONSOLE, FSSIZE
from .programs import BINDIR, IMAGE, SRCDIR, program_names, program_path

__all__ = ["NINODES", "DEFAULT_SIZE", "DEFAULT_IMAGE", "mkfs", "image_name", "loadable",
           "default_image_files", "make_default_image", "default_image", "main"]

NINODES = 200                        # inodes in an image (xv6's mkfs: NINODES)
# The default disk carries some sixty programs where xv6's carries fifteen, so
# it is twice xv6's FSSIZE: usertests' big files and a student's own programs
# still fit beside them. Any size boots; the kernel reads it from the super block.
DEFAULT_SIZE = 2 * FSSIZE
DEFAULT_IMAGE = BINDIR / IMAGE       # what a Machine boots, unless told otherwise


def image_name(path: str | Path) -> str:
    """The name a host file gets in "/": its base name, one leading "_" dropped."""
    name = Path(path).name
    return name[1:] if name.startswith("_") else name


def mkfs(files, *, size: int = FSSIZE, ninodes: int = NINODES, console: bool = False) -> bytes:
    """An image of `size` blocks with `files` -- (name, contents) pairs -- in "/",
    in that order; with console=True, also the console device node (major
    CONSOLE, minor 1). Raises ValueError if they do not fit."""
    img = format_image(size, ninodes)
    if console:
        img.add_file("console", b"", type=T_DEV, major=CONSOLE, minor=1)
    for name, data in files:
        img.add_file(name, data)
    return bytes(img.data)


def loadable(elf: bytes) -> bytes:
    """An ELF file cut to what exec reads -- the headers and the loaded segments --
    with no section headers: the programs of the default image, whose debugging
    sections (the debugger reads them from userprogs/bin) would not fit in 1000
    blocks. Anything that is not an ELF file comes back as it is."""
    if elf[:4] != b"\x7fELF" or len(elf) < 52:
        return elf
    phoff, = struct.unpack_from("<I", elf, 28)
    phentsize, phnum = struct.unpack_from("<HH", elf, 42)
    end = phoff + phentsize * phnum
    for i in range(phnum):
        p_type, p_offset, _, _, p_filesz = struct.unpack_from("<5I", elf, phoff + i * phentsize)
        if p_type == 1:
            end = max(end, p_offset + p_filesz)
    out = bytearray(elf[:end])
    struct.pack_into("<I", out, 32, 0)           # e_shoff
    struct.pack_into("<HHH", out, 46, 0, 0, 0)   # e_shentsize, e_shnum, e_shstrndx
    return bytes(out)


def default_image_files(bindir: Path = BINDIR, srcdir: Path = SRCDIR) -> list[tuple[str, bytes]]:
    """What goes in the default image: the files of userprogs/fs/, then every
    built program (loadable parts only), by name."""
    files = [(p.name, p.read_bytes()) for p in sorted((Path(srcdir) / "fs").glob("*")) if p.is_file()]
    for name in program_names(srcdir):
        path = program_path(name, bindir)
        if path is not None:
            files.append((name, loadable(path.read_bytes())))
    return files


def make_default_image(bindir: Path = BINDIR, srcdir: Path = SRCDIR) -> bytes:
    """The default image's bytes, made from the built programs (deterministic)."""
    return mkfs(default_image_files(bindir, srcdir), size=DEFAULT_SIZE, console=True)


def default_image() -> bytes:
    """The default image: the one shipped in userprogs/bin, or, if there is none
    (a fresh checkout that has never been built), one made now."""
    try:
        return DEFAULT_IMAGE.read_bytes()
    except OSError:
        return make_default_image()


def main(ns) -> int:
    """`xv6py mkfs IMG FILE... [--size N] [--ninodes N] [--programs]`."""
    files = default_image_files() if ns.programs else []
    for f in ns.files:
        path = Path(f)
        try:
            files.append((image_name(path), path.read_bytes()))
        except OSError as e:
            print(f"xv6py mkfs: {e}", file=sys.stderr)
            return 2
    try:
        size = ns.size if ns.size is not None else (DEFAULT_SIZE if ns.programs else FSSIZE)
        data = mkfs(files, size=size, ninodes=ns.ninodes, console=ns.programs)
    except (ImageError, ValueError) as e:
        print(f"xv6py mkfs: {e}", file=sys.stderr)
        return 1
    Path(ns.image).write_bytes(data)
    img = Image(data)
    print(f"{ns.image}: {img.sb.size} blocks ({img.sb.nblocks} data), {len(files)} files, "
          f"{img.free_blocks()} blocks and {img.free_inodes()} inodes free")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("mkfs", help="make a file system image",
                       description="Make an xv6 file system image holding FILEs in \"/\" "
                       "(names drop a leading _).")
    p.add_argument("image", metavar="IMG")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument("--size", type=int, default=None,
                   help=f"blocks (default {FSSIZE}; {DEFAULT_SIZE} with --programs)")
    p.add_argument("--ninodes", type=int, default=NINODES, help=f"inodes (default {NINODES})")
    p.add_argument("--programs", action="store_true",
                   help="also put in what the default image holds: the built programs (init, "
                        "sh, ...), the README and the console device")
