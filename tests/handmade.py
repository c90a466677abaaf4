"""An xv6 file system image made by hand, byte by byte, from the format as
XV6-ABI.md states it -- not with xv6py's own fsimage/mkfs -- so that a test can
check that xv6py reads what x86 xv6's mkfs writes.

The layout of xv6's mkfs with FSSIZE 1000: block 0 boot, 1 super block
(size 1000, nblocks 941, ninodes 200, nlog 30, logstart 2, inodestart 32,
bmapstart 58), 2..31 log, 32..57 inodes, 58 bit map, data from 59. Blocks are
handed out in order from 59: the root directory's first block, then each
file's data as it is appended; the root's size is rounded up to a whole block
(xv6's mkfs does so before it writes the bit map), and the bit map marks
blocks 0 .. last used.
"""

import struct

BSIZE = 512


def handmade_image(files: list[tuple[bytes, bytes]]) -> bytes:
    """An image with `files` ((name, contents), each at most 12 blocks) in "/"."""
    disk = bytearray(1000 * BSIZE)
    struct.pack_into("<7I", disk, BSIZE, 1000, 941, 200, 30, 2, 32, 58)
    nextblock = 59

    def put_inode(inum, type, nlink, size, addrs):
        off = 32 * BSIZE + inum * 64
        struct.pack_into("<hhhhI13I", disk, off, type, 0, 0, nlink, size, *(addrs + [0] * (13 - len(addrs))))

    rootblock = nextblock
    nextblock += 1
    dirents = [(1, b"."), (1, b"..")]
    for i, (name, data) in enumerate(files):
        inum = 2 + i
        addrs = []
        for off in range(0, len(data), BSIZE):
            chunk = data[off:off + BSIZE]
            disk[nextblock * BSIZE:nextblock * BSIZE + len(chunk)] = chunk
            addrs.append(nextblock)
            nextblock += 1
        put_inode(inum, 2, 1, len(data), addrs)
        dirents.append((inum, name))
    for i, (inum, name) in enumerate(dirents):
        struct.pack_into("<H14s", disk, rootblock * BSIZE + 16 * i, inum, name)
    put_inode(1, 1, 1, BSIZE, [rootblock])            # size rounded up to the block
    for b in range(nextblock):                        # the bit map: 0 .. last used
        disk[58 * BSIZE + b // 8] |= 1 << (b % 8)
    return bytes(disk)


def xv6_read(disk: bytes, path: str) -> bytes | None:
    """Read a file from an image the way x86 xv6's kernel would -- the super block,
    the inode, its direct and indirect blocks, directories of 16-byte entries --
    written here from the format alone (not with xv6py's fsimage). None if the
    path names nothing."""
    def block(b):
        return disk[b * BSIZE:(b + 1) * BSIZE]

    size, nblocks, ninodes, nlog, logstart, inodestart, bmapstart = struct.unpack_from("<7I", disk, BSIZE)

    def inode(inum):
        off = (inodestart + inum // 8) * BSIZE + (inum % 8) * 64
        f = struct.unpack_from("<hhhhI13I", disk, off)
        return f[0], f[4], list(f[5:])

    def contents(inum):
        _, isize, addrs = inode(inum)
        blocks = addrs[:12]
        if addrs[12]:
            blocks += list(struct.unpack("<128I", block(addrs[12])))
        data = b"".join(block(b) for b in blocks[:(isize + BSIZE - 1) // BSIZE])
        return data[:isize]

    inum = 1
    for name in [e for e in path.encode().split(b"/") if e]:
        d = contents(inum)
        found = [struct.unpack_from("<H", d, i)[0] for i in range(0, len(d), 16)
                 if struct.unpack_from("<H", d, i)[0] and d[i + 2:i + 16].split(b"\0")[0] == name[:14]]
        if not found:
            return None
        inum = found[0]
    return contents(inum)
