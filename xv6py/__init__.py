"""xv6py: an xv6-style teaching operating system. Real 32-bit x86 user programs
run on an emulated CPU; the kernel that serves their traps is the Python below.

The kernel, in the order to read it (xv6's book reads its C in about this order):

    param, mmu, memlayout, traps   the headers: limits, the x86 paging and segment
                                   formats, the address-space layout, trap numbers,
    fs/ondisk                      the file system's on-disk format (fs.h)
    errno                          Linux's error numbers (for the newer calls)
    spinlock, panic                locks, and what a broken invariant does
    fail                           fault injection: the N-th allocation of a kind fails
    vtime                          virtual time: the clock, and what kernel work costs
    dev/console                    the console: kernel printing, the device
    mm/kalloc                      the physical page allocator
    mm/pgdir                       page tables and user memory (xv6's vm.c)
    mm/vma                         memory areas (mmap): lazy pages, the objects behind them
    ipc/limits, ipc/ipc            System V IPC: its limits; keys, ids, owners, permissions
    ipc/shm, ipc/sem, ipc/msg      shared memory, semaphores, message queues (below proc:
                                   fork, exit and exec call them; they never sleep)
    ipc/posixshm                   POSIX shared-memory objects: shm_open's names
    proc/proc                      processes: fork, exit, wait, sleep, wakeup, kill
    dev/kbd                        a session's console input: xv6's line discipline
    sleeplock                      locks held while sleeping (buffers, inodes)
    proc/scheduler                 the scheduler and the time slices it runs
    check                          the kernel's invariants, checked after every trap (--check)
    trap                           traps: system calls, faults, the timer, the disk
    timer                          the timer interrupt and the tick
    syscalls/syscall, args         system call dispatch and argument fetching
    syscalls/sysproc               process system calls
    proc/exec, proc/initcode       exec and the ELF loader; the first process
    the file system, in xv6's layers, bottom up:
      fs/buf, dev/ide              a disk block in memory; the disk driver
      fs/bio                       the buffer cache
      fs/log                       the log: transactions, crash recovery
      fs/fs                        blocks, inodes, directories, path names
      fs/file, fs/pipe             open files, pipes
      fs/fmap                      files behind mappings: pages read in, written back
    syscalls/sysfile               file system calls
    mm/shm, syscalls/sysshm        shared memory (the lab), and its system calls
    syscalls/sysipc                System V IPC's system calls; semop, msgsnd, msgrcv sleep here
    syscalls/sysmman               mmap, munmap, mprotect, shm_open, shm_unlink, ftruncate
    syscalls/sysposix              POSIX's open, stat, lseek, read, write, ... (Linux's flags, errors)

Layers, each importing only from those before it (tests/test_layers.py checks
it; proc and the file system lean on each other as in xv6): headers <- core <-
mm <- ipc <- proc <- syscalls <- trap <- scheduler <- machine <- tools. Kernel
code that may sleep -- for a child, a pipe, the disk, a sleep-lock -- is a
generator, called with `yield from` (see sleep() in proc/proc.py).

Around the kernel, not part of it:

    cpu/          the emulated hardware (unicorn): the only code that drives it
    machine       a Machine: a CPU with the kernel booted on it, and runs
    debug/        debugger, REPL, gdb stub, page-table views and pictures
    testing/      the pytest plugin and helpers for graders
    grading/      labs: workspaces, graders, self-check
    build, programs   compiling user programs; where the built ones are
    fsimage, mkfs, fsck   disk images from the host: read and change, make, check
    cli           the `xv6py` command
"""

# The kernel's modules, by layer, each layer in reading order. Machine gathers
# their per-machine state from this list (kernel_state in machine.py).
LAYERS = (
    ("headers", ("xv6py.param", "xv6py.mmu", "xv6py.memlayout", "xv6py.traps", "xv6py.fs.ondisk",
                 "xv6py.errno")),
    ("core", ("xv6py.spinlock", "xv6py.panic", "xv6py.fail", "xv6py.vtime", "xv6py.dev.console")),
    ("mm", ("xv6py.mm.kalloc", "xv6py.mm.pgdir", "xv6py.mm.vma", "xv6py.mm.shm")),
    ("ipc", ("xv6py.ipc.limits", "xv6py.ipc.ipc", "xv6py.ipc.shm", "xv6py.ipc.sem", "xv6py.ipc.msg",
            "xv6py.ipc.posixshm")),
    ("proc", ("xv6py.proc.proc", "xv6py.dev.kbd", "xv6py.sleeplock", "xv6py.timer", "xv6py.fs.buf",
              "xv6py.dev.ide", "xv6py.fs.bio", "xv6py.fs.log", "xv6py.fs.fs", "xv6py.proc.exec",
              "xv6py.fs.file", "xv6py.fs.pipe", "xv6py.fs.fmap")),
    ("syscalls", ("xv6py.syscalls.args", "xv6py.syscalls.sysproc", "xv6py.syscalls.sysfile",
                  "xv6py.syscalls.sysshm", "xv6py.syscalls.sysipc", "xv6py.syscalls.sysmman",
                  "xv6py.syscalls.sysposix", "xv6py.syscalls.syscall",
                  "xv6py.proc.initcode")),
    ("trap", ("xv6py.check", "xv6py.trap")),
    ("scheduler", ("xv6py.proc.scheduler",)),
)

KERNEL = tuple(name for _, names in LAYERS for name in names)

__all__ = ["LAYERS", "KERNEL"]
