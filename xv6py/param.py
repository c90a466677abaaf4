"""Kernel limits (xv6's param.h), and the xv6py clock."""

__all__ = ["NPROC", "NCPU", "NOFILE", "NFILE", "NDEV", "MAXARG", "CONSOLE", "PIPESIZE",
           "QUANTUM", "SHM_N", "SHM_MAX"]

NPROC = 64        # maximum number of processes
NCPU = 1          # xv6py emulates one CPU (xv6 allows 8)
NOFILE = 16       # open files per process
NFILE = 100       # open files per system
NDEV = 10         # maximum major device number
MAXARG = 32       # max exec arguments (including the terminating null pointer slot)
CONSOLE = 1       # major device number of the console
PIPESIZE = 512    # bytes a pipe buffers

# Virtual time: the timer "interrupts" every QUANTUM user instructions; each
# interrupt is one tick and makes the running process yield (as xv6's timer does).
QUANTUM = 100_000

SHM_N = 16        # shared-memory segments in the system
SHM_MAX = 10      # pages in one segment at most
