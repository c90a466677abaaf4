"""fsck: check a file system image the way a real fsck does.

    xv6py fsck fs.img        # prints each problem; exit status 1 if there is any

What must hold of an xv6 file system, after the log is installed (a committed
transaction still in the log is what the next boot installs: fsck checks the
disk as that boot will leave it, and says so):

* the super block describes a layout that fits the image (fsimage.Image.check);
* every allocated inode has a known type, a size within MAXFILE blocks, block
  numbers inside the data area, a block for every byte of its size and none
  past it (a directory: a whole number of 16-byte entries);
* every data block is used at most once -- by one inode, as a data block or
  an indirect block -- and the bit map marks exactly the metadata blocks and
  the used ones;
* every directory starts with "." (itself) and ".." (its parent; "/" is its
  own), and is reached from "/" exactly once: no loops, no directory linked
  twice; every entry names an allocated inode;
* link counts are xv6's: a file's nlink is the number of entries naming it; a
  directory's is one (its entry in its parent) plus one per subdirectory
  (their ".."), and "/" counts one for itself; every allocated inode is named.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from .fs.ondisk import BSIZE, DIRENT, MAXFILE, ROOTINO, T_DEV, T_DIR, T_FILE
from .fsimage import Dinode, Image, ImageError

__all__ = ["fsck", "main", "add_parser"]


def fsck(img: Image) -> list[str]:
    """The problems of an image, one line each; [] if it is clean."""
    try:
        img.check()
    except ImageError as e:
        return [str(e)]
    if img.log_header()[0]:
        img = img.recovered()
    inodes, problems = _inodes(img)
    owner: dict[int, int] = {}
    for inum, d in inodes.items():
        problems += _blocks(img, inum, d, owner)
    problems += _bitmap(img, owner)
    problems += _tree(img, inodes)
    return problems


def _inodes(img: Image) -> tuple[dict[int, Dinode], list[str]]:
    """The allocated inodes (by number), and those of a bad type."""
    inodes, problems = {}, []
    for inum in range(1, img.sb.ninodes):
        d = img.dinode(inum)
        if d.type == 0:
            continue
        if d.type not in (T_DIR, T_FILE, T_DEV):
            problems.append(f"inode {inum}: bad type {d.type}")
            continue
        inodes[inum] = d
    return inodes, problems


def _blocks(img: Image, inum: int, d: Dinode, owner: dict[int, int]) -> list[str]:
    """Check an inode's size and blocks; claim each block for it in owner."""
    problems = []
    if d.size > MAXFILE * BSIZE:
        problems.append(f"inode {inum}: size {d.size} is more than MAXFILE ({MAXFILE * BSIZE})")
    if d.type == T_DIR and d.size % DIRENT.size:
        problems.append(f"inode {inum}: directory size {d.size} is not a whole number of entries")
    try:
        blocks, ind = img.blocks_of(inum, d)
    except ImageError as e:
        return problems + [str(e)]
    used = (d.size + BSIZE - 1) // BSIZE
    for i, b in enumerate(blocks):
        if b == 0 and i < used:
            problems.append(f"inode {inum}: no block {i} though its size is {d.size}")
        elif b and i >= used:
            problems.append(f"inode {inum}: block {b} lies past its size {d.size}")
    # (An indirect block with no block in it is no problem: writei allocates it
    # first, and a disk that fills up right then leaves it so, in xv6 too.)
    for b in [b for b in blocks if b] + ([ind] if ind else []):
        if b in owner:
            problems.append(f"block {b} is used twice: by inode {owner[b]} and by inode {inum}")
        else:
            owner[b] = inum
    return problems


def _bitmap(img: Image, owner: dict[int, int]) -> list[str]:
    """The bit map marks the metadata blocks and the used ones, and no others."""
    problems = []
    datastart = img.datastart()
    for b in range(img.sb.size):
        used = img.allocated(b)
        if b < datastart:
            if not used:
                problems.append(f"block {b} (metadata) is marked free")
        elif b in owner and not used:
            problems.append(f"block {b} (of inode {owner[b]}) is marked free")
        elif used and b not in owner:
            problems.append(f"block {b} is marked in use but no inode uses it")
    return problems


def _tree(img: Image, inodes: dict[int, Dinode]) -> list[str]:
    """Walk the directories from "/": their "." and "..", the entries, the link counts."""
    root = inodes.get(ROOTINO)
    if root is None or root.type != T_DIR:
        return ["the root inode (1) is not a directory"]
    problems = []
    refs: Counter = Counter({ROOTINO: 1})       # "/" counts one link for itself
    parent = {ROOTINO: ROOTINO}
    queue = [ROOTINO]
    while queue:
        dnum = queue.pop(0)
        try:
            raw = img.read(dnum)
        except ImageError as e:
            problems.append(str(e))
            continue
        slots = [DIRENT.unpack_from(raw, off) for off in range(0, len(raw) - DIRENT.size + 1, DIRENT.size)]
        slots = [(i, name.rstrip(b"\0")) for i, name in slots]
        if slots[:2] != [(dnum, b"."), (parent[dnum], b"..")]:
            problems.append(f"directory {dnum}: does not start with \".\" ({dnum}) and \"..\" "
                            f"({parent[dnum]}): {slots[:2]}")
        for inum, name in slots[2:]:
            if inum == 0:
                continue
            where = f"directory {dnum}: entry {name.decode('utf-8', 'replace')!r}"
            if name in (b"", b".", b".."):
                problems.append(f"{where} (inode {inum}) is not a name a file can have")
                continue
            if inum not in inodes:
                problems.append(f"{where} names inode {inum}, which is not allocated")
                continue
            refs[inum] += 1
            if inodes[inum].type == T_DIR:
                if inum in parent:
                    problems.append(f"{where} names directory {inum}, which is already in the "
                                    f"tree (a loop, or a directory linked twice)")
                    continue
                parent[inum] = dnum
                refs[dnum] += 1                 # the subdirectory's ".."
                queue.append(inum)
    for inum, d in sorted(inodes.items()):
        if refs[inum] == 0:
            problems.append(f"inode {inum} (type {d.type}, nlink {d.nlink}) is allocated but in no directory")
        elif d.nlink != refs[inum]:
            problems.append(f"inode {inum}: nlink {d.nlink}, but {refs[inum]} links to it")
    return problems


def summary(img: Image) -> str:
    img = img.recovered() if img.log_header()[0] else img
    used = img.sb.ninodes - 1 - img.free_inodes()
    return f"{used} inodes in use, {img.free_blocks()} blocks and {img.free_inodes()} inodes free"


def main(ns) -> int:
    """`xv6py fsck IMG`: print the problems; exit status 0 if clean, 1 if not, 2 if unreadable."""
    try:
        img = Image.open(ns.image)
    except OSError as e:
        print(f"xv6py fsck: {e}", file=sys.stderr)
        return 2
    problems = fsck(img)
    name = Path(ns.image).name
    try:
        pending = img.log_header()[0]
    except ImageError:
        pending = 0
    if pending and not problems:
        print(f"{name}: the log holds a committed transaction of {pending} blocks "
              f"(the next boot installs it; checked as installed)")
    for line in problems:
        print(f"{name}: {line}")
    if problems:
        print(f"{name}: {len(problems)} problem{'s' if len(problems) > 1 else ''}")
        return 1
    print(f"{name}: clean: {summary(img)}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("fsck", help="check a file system image",
                       description="Check an xv6 file system image: the super block, the blocks "
                       "and the bit map, the directories, the link counts.")
    p.add_argument("image", metavar="IMG")
