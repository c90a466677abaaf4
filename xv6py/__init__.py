"""xv6py: an xv6-style teaching operating system. Real 32-bit x86 user programs
run on an emulated CPU; the kernel that serves their traps is the Python below.

The kernel, in the order to read it (xv6's book reads its C in about this order):

    param, mmu, memlayout, traps   the headers: limits, the x86 paging and segment
                                   formats, the address-space layout, trap numbers
    spinlock, panic                locks, and what a broken invariant does
    vtime                          virtual time: the clock, and what kernel work costs
    dev/console                    the console: kernel printing, the device
    mm/kalloc                      the physical page allocator
    mm/pgdir                       page tables and user memory (xv6's vm.c)
    proc/proc                      processes: fork, exit, wait, sleep, wakeup, kill
    proc/scheduler                 the scheduler and the time slices it runs
    trap                           traps: system calls, faults, the timer
    timer                          the timer interrupt and the tick
    syscalls/syscall, args         system call dispatch and argument fetching
    syscalls/sysproc               process system calls
    proc/exec, proc/initcode       exec and the ELF loader; the first process
    fs/fs, fs/file, fs/pipe        the file system, open files, pipes
    syscalls/sysfile               file system calls
    mm/shm, syscalls/sysshm        shared memory (the lab), and its system calls

Layers, each importing only from those before it (tests/test_layers.py checks
it; proc, file and pipe lean on each other as in xv6): headers <- core <- mm
<- proc <- syscalls <- trap <- scheduler <- machine <- tools.

Around the kernel, not part of it:

    cpu/          the emulated hardware (unicorn): the only code that drives it
    machine       a Machine: a CPU with the kernel booted on it, and runs
    debug/        debugger, REPL, gdb stub, page-table views and pictures
    testing/      the pytest plugin and helpers for graders
    grading/      labs: workspaces, graders, self-check
    build, programs   compiling user programs; where the built ones are
    cli           the `xv6py` command
"""

# The kernel's modules, by layer, each layer in reading order. Machine gathers
# their per-machine state from this list (kernel_state in machine.py).
LAYERS = (
    ("headers", ("xv6py.param", "xv6py.mmu", "xv6py.memlayout", "xv6py.traps")),
    ("core", ("xv6py.spinlock", "xv6py.panic", "xv6py.vtime", "xv6py.dev.console")),
    ("mm", ("xv6py.mm.kalloc", "xv6py.mm.pgdir", "xv6py.mm.shm")),
    ("proc", ("xv6py.proc.proc", "xv6py.timer", "xv6py.proc.exec", "xv6py.fs.fs",
              "xv6py.fs.file", "xv6py.fs.pipe")),
    ("syscalls", ("xv6py.syscalls.args", "xv6py.syscalls.sysproc", "xv6py.syscalls.sysfile",
                  "xv6py.syscalls.sysshm", "xv6py.syscalls.syscall", "xv6py.proc.initcode")),
    ("trap", ("xv6py.trap",)),
    ("scheduler", ("xv6py.proc.scheduler",)),
)

KERNEL = tuple(name for _, names in LAYERS for name in names)

__all__ = ["LAYERS", "KERNEL"]
