"""Kernel limits (xv6's param.h), and the xv6py clock."""

__all__ = ["NPROC", "NCPU", "NOFILE", "NFILE", "NINODE", "NDEV", "ROOTDEV", "MAXARG",
           "MAXOPBLOCKS", "LOGSIZE", "NBUF", "FSSIZE", "CONSOLE", "PIPESIZE", "QUANTUM",
           "DISK_LATENCY", "SHM_N", "SHM_MAX"]

NPROC = 64        # maximum number of processes
NCPU = 1          # xv6py emulates one CPU (xv6 allows 8)
NOFILE = 16       # open files per process
NFILE = 100       # open files per system
NINODE = 50       # maximum number of active i-nodes
NDEV = 10         # maximum major device number
ROOTDEV = 1       # device number of file system root disk
MAXARG = 32       # max exec arguments (including the terminating null pointer slot)
MAXOPBLOCKS = 10  # max # of blocks any FS op writes
LOGSIZE = MAXOPBLOCKS * 3  # max data blocks in on-disk log
NBUF = MAXOPBLOCKS * 3     # size of disk block cache
FSSIZE = 1000     # size of file system in blocks (what mkfs makes by default)
CONSOLE = 1       # major device number of the console
PIPESIZE = 512    # bytes a pipe buffers

# Virtual time: the timer "interrupts" every QUANTUM user instructions; each
# interrupt is one tick and makes the running process yield (as xv6's timer does).
QUANTUM = 100_000

# The disk finishes a request this many instructions of virtual time after it
# was started (a hundredth of a tick): runs that use the disk stay deterministic.
DISK_LATENCY = 1_000

SHM_N = 16        # shared-memory segments in the system
SHM_MAX = 10      # pages in one segment at most
