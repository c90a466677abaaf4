"""Kernel limits (xv6's param.h), and the xv6py clock: the quantum, what kernel
work costs in virtual time, and the bounds of a run."""

__all__ = ["NPROC", "NCPU", "NOFILE", "NFILE", "NINODE", "NDEV", "ROOTDEV", "MAXARG",
           "MAXOPBLOCKS", "LOGSIZE", "NBUF", "FSSIZE", "CONSOLE", "PIPESIZE", "QUANTUM",
           "DISK_LATENCY", "SHM_N", "SHM_MAX", "COST_TRAP", "COST_FRAME", "COST_PAGE", "COST_WALK",
           "COST_VMA", "COST_BLOCK", "COST_TB", "COST_TB_INSN", "MAXOUTPUT"]

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

# What kernel work costs in virtual time, in instructions (vtime.charge). The
# kernel is Python and runs no x86 instructions of its own, so each piece of work
# it does for a program is charged a fixed number of them, one for about every
# 50 ns the work takes the host. User code runs at 20 to 150 million instructions
# a second on the emulated CPU (7-50 ns each), so a budget of N instructions
# bounds a run's host time to about N x 50 ns, whatever the program spends it
# on. Fixed numbers, not measured times, so that a program is charged the same
# on every machine (DESIGN.md section 6); they advance the clock, so the timer
# and the budget see kernel work as they see user code.
COST_TRAP = 40     # a system call or a fault: into the kernel and back (~2 us)
COST_FRAME = 10    # a frame allocated (kalloc) or freed (kfree)
COST_PAGE = 100    # a 4 KiB page zeroed, copied, filled or scanned, the host's first touch
#                    of fresh memory included (2-10 us); bytes pro rata
COST_WALK = 30     # a page of a user range looked up in the page table (~1.5 us)
COST_VMA = 50      # an mmap area made, looked up, split or removed (a list walk, ~2.5 us)
COST_BLOCK = 40    # a disk block read or written: a request queued, 512 bytes copied (~2 us)

# Translating user code the CPU has not run before costs the host far more than
# running it (about 1 us an instruction, and a few us a block): charged to the
# run's budget, but not to the clock (see vtime.py), per block translated and per
# instruction in it.
COST_TB = 80       # a translated block
COST_TB_INSN = 30  # an instruction in it

# Console output kept per run; the rest is dropped, after one marker line.
MAXOUTPUT = 4 << 20

SHM_N = 16        # shared-memory segments in the system
SHM_MAX = 10      # pages in one segment at most
