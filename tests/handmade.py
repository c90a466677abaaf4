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
