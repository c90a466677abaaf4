"""The file system's on-disk format (xv6's fs.h, with the file types of stat.h).

Both the kernel (fs/*.py) and the host tools (fsimage, mkfs, fsck) read it, so
images are byte for byte those of x86 xv6. All words are little endian.

Disk layout, in 512-byte blocks:

    [ boot block | super block | log | inode blocks | free bit map | data blocks ]
         0             1        2..     inodestart     bmapstart      ...size-1

mkfs computes the super block, which describes the layout:

    struct superblock { uint size, nblocks, ninodes, nlog, logstart, inodestart, bmapstart; }

An inode (struct dinode, 64 bytes, IPB = 8 per block; inode 0 is never used,
the root directory is inode 1):

    short type, major, minor, nlink;  uint size;  uint addrs[NDIRECT+1];
    addrs[0..11] name data blocks directly; addrs[12] names the indirect block,
    which holds NINDIRECT = 128 more block numbers. 0 means "no block".

A directory is a file of struct dirent (16 bytes): ushort inum; char name[DIRSIZ].
inum 0 marks a free entry; a 14-byte name has no NUL after it.

The log's first block is its header: int n; int block[LOGSIZE] -- how many
blocks the committed transaction holds and where each one belongs; blocks
logstart+1 .. logstart+n hold their contents.
"""

import struct
from typing import NamedTuple

from ..param import LOGSIZE

__all__ = ["BSIZE", "ROOTINO", "Superblock", "SUPERBLOCK", "NDIRECT", "NINDIRECT", "MAXFILE",
           "DINODE", "IPB", "IBLOCK", "BPB", "BBLOCK", "DIRSIZ", "DIRENT", "LOGHEADER",
           "T_DIR", "T_FILE", "T_DEV", "STAT"]

BSIZE = 512        # block size
ROOTINO = 1        # root i-number

NDIRECT = 12
NINDIRECT = BSIZE // 4
MAXFILE = NDIRECT + NINDIRECT   # blocks: 140, so a file holds at most 71,680 bytes

DIRSIZ = 14        # bytes of a name in a directory entry

# File types (stat.h), in dinode.type and stat.type; 0 is a free inode.
T_DIR = 1    # Directory
T_FILE = 2   # File
T_DEV = 3    # Device


class Superblock(NamedTuple):
    """The super block (block 1): the layout of the disk."""

    size: int          # Size of file system image (blocks)
    nblocks: int       # Number of data blocks
    ninodes: int       # Number of inodes.
    nlog: int          # Number of log blocks
    logstart: int      # Block number of first log block
    inodestart: int    # Block number of first inode block
    bmapstart: int     # Block number of first free map block


SUPERBLOCK = struct.Struct("<7I")
# On-disk inode structure: type, major, minor, nlink, size, addrs[NDIRECT+1].
DINODE = struct.Struct(f"<hhhhI{NDIRECT + 1}I")
IPB = BSIZE // DINODE.size      # Inodes per block.
BPB = BSIZE * 8                 # Bitmap bits per block
DIRENT = struct.Struct(f"<H{DIRSIZ}s")
LOGHEADER = struct.Struct(f"<i{LOGSIZE}i")   # n, block[LOGSIZE]
# struct stat (stat.h): short type; int dev; uint ino; short nlink; uint size (20 bytes).
STAT = struct.Struct("<hxxiIhxxI")


def IBLOCK(i: int, sb: Superblock) -> int:
    """Block containing inode i."""
    return i // IPB + sb.inodestart


def BBLOCK(b: int, sb: Superblock) -> int:
    """Block of free map containing bit for block b."""
    return b // BPB + sb.bmapstart
