"""A machine: the emulated CPU and memory, the kernel booted on them, and runs of
user programs.

    m = Machine()
    r = m.run("forktree", ["3"])
    print(r.output, r.status, r.instructions)

boot() follows xv6's main(): the allocator, the kernel page table and paging,
the GDT, the console, processes, traps, files, the buffer cache, the disk,
shared memory (the lab's, then System V IPC's). run() starts the first process
-- which sets up the file system (the super block, the log's recovery) and then
runs initcode, which execs /init with the program and its arguments -- and runs
the scheduler until init exits
(the program and all its children are done), the instruction budget runs out,
no process can ever run again, or the kernel panics. Then the processes left
are torn down, so that the free-frame count after a run can be compared with
the one before.

The disk: each run works on a copy, in memory, of the machine's disk image --
the default image (userprogs/bin/fs.img: the built programs), the bytes given
as `disk=`, or the image file named by `disk=` -- with the files added by
add_program (or run from a host path) put in "/". The image file is the only
host file the file system touches, and only a machine made with disk=PATH
writes it back, after each run: then files outlive the run. read_file() reads
a file from the disk as the last run left it.

Each run starts on a freshly booted kernel: a reused Machine behaves exactly as
a new one with the same options (the same timer phase and seed, pids from 1, an
empty segment table, zeroed memory, the same disk unless disk=PATH) -- so the
same program gives the same result on it every time. What carries over from
one run to the next: the files added with add_program (or run from a host
path), what a run wrote to a disk=PATH image, and the tools attached (a
tracer, a debugger).

The kernel keeps its state in module globals, as xv6 keeps it in C globals
(kmem in kalloc.c, ptable in proc.c, ...). Each kernel module names its own in
PER_MACHINE (kernel state, made anew at boot) and HOOKS (what tools attach);
every Machine has its own values of them all, installed by entered() while it
runs, so that several machines can live in one Python process. One machine's
kernel is installed at a time, under a process-wide lock: machines driven from
several threads take turns, and a machine in the middle of a run belongs to the
thread that started it (another thread gets MachineBusy).
"""

import functools
import gc
import importlib
import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from . import KERNEL, timer, trap, vtime
from . import fail as faults
from .check import checkkernel
from .cpu.x86 import CR4_TSD, X86
from .dev import console, ide
from .fs import bio, file, fmap, fs
from .fsimage import Image, ImageError, dirname_bytes
from .ipc import ipc, msg, posixshm, sem
from .ipc import shm as sysvshm
from .memlayout import KERNEND, PHYSTOP
from .mm import kalloc, pgdir, shm, vma
from .mmu import (
    CR0_MP,
    CR0_PE,
    CR0_PG,
    CR0_WP,
    CR4_OSFXSR,
    CR4_OSXMMEXCPT,
    CR4_PSE,
    PDX,
    PTE_ADDR,
    PTE_P,
    PTE_PS,
    PTX,
)
from .panic import KernelPanic
from .param import MAXARG, MAXOUTPUT, QUANTUM
from .proc import proc, scheduler
from .proc.initcode import initcode
from .programs import elf_problem, program_names, program_path
from .syscalls import syscall

__all__ = ["Machine", "MachineBusy", "RunResult", "Run", "boot", "kernel_state", "KERNEL_CALLS"]


def _check_limits(max_instructions: int | None, timeout: float | None) -> None:
    """Refuse a budget below one instruction, or a time limit that is not positive."""
    if max_instructions is not None and max_instructions < 1:
        raise ValueError(f"the instruction budget must be at least 1, not {max_instructions}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"the time limit must be more than 0 seconds, not {timeout}")


class MachineBusy(RuntimeError):
    """A thread used a machine that is in the middle of a run started by another."""


_lock = threading.RLock()           # held while some thread is inside a machine's kernel
_installed: "Machine | None" = None  # the machine whose kernel state is in the modules
_depth = 0                          # entered() blocks open (in the thread holding _lock)
_state_names: list | None = None    # [(module, names)] of every kernel module: kernel_state()


def kernel_state() -> list[tuple[object, tuple[str, ...]]]:
    """Every kernel module (xv6py.KERNEL) with the names of its per-machine globals:
    its PER_MACHINE (kernel state) and HOOKS (what tools attach)."""
    global _state_names
    if _state_names is None:
        modules = [importlib.import_module(name) for name in KERNEL]
        _state_names = [(m, getattr(m, "PER_MACHINE", ()) + getattr(m, "HOOKS", ()))
                        for m in modules if hasattr(m, "PER_MACHINE") or hasattr(m, "HOOKS")]
    return _state_names


def _install(m: "Machine | None") -> "Machine | None":
    """Put machine m's kernel state in the modules (saving the installed one's
    first). Returns the machine that was installed before. Call with _lock held."""
    global _installed
    prev = _installed
    if prev is m:
        return prev
    if prev is not None:
        prev._state = {(mod, n): getattr(mod, n) for mod, names in kernel_state() for n in names}
    if m is not None:
        for (mod, n), value in m._state.items():
            setattr(mod, n, value)
    _installed = m
    return prev


@dataclass
class RunResult:
    """What one run produced. Everything but `wall` is deterministic (unless the
    run hit its host-time limit: status "timeout"), and `wall` is left out of the
    repr and of ==: two runs of the same program and seed compare equal, and a
    failed assert that shows a result (as a grader's message does) reads the
    same on every run.

    The budget (max_instructions) is virtual time (vtime.py): user instructions
    (`instructions`), plus kernel work charged (`kernel`; the clock and the
    timer count it too), plus code translation charged (`translation`; the
    budget only), plus time the CPU idled waiting for a tick. `instructions`
    counts user instructions alone, as it always has."""

    program: str
    output: str                 # what was written to the console during the run (up to max_output)
    status: str                 # "exit", "killed", "budget", "timeout", "deadlock", "panic",
    #                             "rejected" (a file exec cannot run), "not started";
    #                             a session's: "input ended"; a debugger's quit: "stopped"
    reason: str                 # the kill line, the panic message, ...: why it ended
    pid: int                    # pid of the program (init's first child)
    instructions: int           # user instructions retired, all processes together
    syscalls: int               # system calls served
    faults: int                 # processes killed by a trap
    ticks: int                  # timer interrupts
    switches: int               # times the scheduler switched to a process
    free_frames_before: int
    free_frames_after: int
    kernel: int = 0             # kernel work charged, in instructions (param.py's COST_* table)
    # Code translation charged to the budget, in instructions: left out of ==, since
    # it depends on what the CPU had cached (a debugger's breakpoints make it translate
    # again), as the rest of a run that ends before its budget does not.
    translation: int = field(default=0, compare=False)
    wall: float = field(default=0.0, repr=False, compare=False)   # seconds of host time
    # The file system: free blocks and inodes on the disk before and after the run
    # (as its log's recovery leaves it), in-memory inodes still referenced after it.
    free_blocks_before: int = 0
    free_blocks_after: int = 0
    free_inodes_before: int = 0
    free_inodes_after: int = 0
    inodes_in_use: int = 0

    @property
    def ok(self) -> bool:
        """Did the program exit by itself, with no frame leaked?"""
        return self.status == "exit" and self.free_frames_after == self.free_frames_before

    def summary(self) -> str:
        return (f"{self.program}: {self.status}"
                + (f" ({self.reason})" if self.status not in ("exit",) else "")
                + f"; {self.instructions:,} instructions (+{self.kernel:,} kernel work), "
                f"{self.syscalls:,} syscalls, "
                f"{self.faults} faults, {self.ticks} ticks, free frames "
                f"{self.free_frames_before} -> {self.free_frames_after}")


def boot(m: "Machine") -> None:
    """Bring the kernel up on m.x86, in the order of xv6's main(). The hardware
    setup (paging, segments, the way into ring 3) is done once per CPU; a fresh
    start of an existing machine makes only the kernel anew."""
    x86 = m.x86
    for module, names in kernel_state():
        for name in names:
            setattr(module, name, x86 if name == "x86" else None)   # nothing of another machine
    kalloc.kinit(KERNEND, m.phystop)        # physical page allocator
    pgdir.kvmalloc()                        # kernel page table, loaded in CR3
    if not m.booted:
        # What xv6's entry.S does: page size extension, then paging (and write protect).
        # Also: SSE allowed; rdtsc refused in ring 3 (it would read host time).
        x86.lcr4(x86.rcr4() | CR4_PSE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_TSD)
        x86.lcr0(x86.rcr0() | CR0_PE | CR0_MP | CR0_WP | CR0_PG)
        x86.seginit()                       # segment descriptors
        x86.enter_user()                    # one iret: the user-mode register template
    x86.cr2 = 0                             # as after a reset: no page fault yet
    console.consoleinit(m.stdin, m.echo, m.session, m.max_output)  # console hardware
    proc.pinit()                            # process table
    proc.mycpu().initlives = m.session      # (xv6's init, that never exits, in a session)
    trap.tvinit()                           # trap vectors
    timer.clockinit(m.quantum, m.seed, None)  # virtual time and the timer
    bio.binit()                             # buffer cache
    file.fileinit()                         # file table
    fs.iinit()                              # inode table (the first process reads the disk)
    m._booted_image = m.run_image()
    ide.ideinit(bytearray(m._booted_image))  # disk: this run's copy of the image
    shm.shminit()                           # shared memory
    vma.vmstats_init()                      # mmap's counters
    posixshm.posixshm_init()                # POSIX shared-memory objects
    fmap.fmap_init()                        # files behind mappings
    ipc.ipcinit(_TICKS)                     # System V IPC: its clock, then its tables
    sysvshm.shm_init()
    sem.sem_init()
    msg.msg_init()
    syscall.set_tracing(m.trace)


# The timer's ticks, for System V IPC's times (ipc/ sits below the timer): a
# partial of getattr rather than a def, so that reading them costs no Python
# frame (every semop and shmat does).
_TICKS = functools.partial(getattr, timer, "ticks")


def _ipc_common(obj, ids) -> dict:
    perm = obj.perm
    return {"id": ids.id_of(obj), "slot": obj.slot, "key": perm.key, "uid": perm.uid,
            "gid": perm.gid, "cuid": perm.cuid, "cgid": perm.cgid, "mode": perm.mode}


def _sysv_shm(seg) -> dict:
    """A System V segment: size asked, frames, attachments [(pid, addr, rdonly)]."""
    return {**_ipc_common(seg, sysvshm.shm_ids), "segsz": seg.segsz, "frames": list(seg.frames),
            "nattch": seg.nattch, "attached": [(a.pid, a.addr, a.rdonly) for a in seg.attaches],
            "cpid": seg.cpid, "lpid": seg.lpid}


def _sysv_sem(s) -> dict:
    """A semaphore set: values, last pids, waiters [(pid, semnum, zero)], undo {pid: [adj]}."""
    return {**_ipc_common(s, sem.sem_ids), "values": [x.val for x in s.sems],
            "pids": [x.pid for x in s.sems], "waiters": [tuple(w) for w in s.waiters],
            "undo": {pid: list(adj) for pid, adj in s.undo.items()}}


def _sysv_msg(q) -> dict:
    """A message queue: its messages [(type, bytes)], byte count and limit, last pids."""
    return {**_ipc_common(q, msg.msg_ids), "messages": [(m.mtype, len(m.text)) for m in q.messages],
            "cbytes": q.cbytes, "qbytes": q.qbytes, "lspid": q.lspid, "lrpid": q.lrpid}


def _area(p, v) -> dict:
    return {"start": v.start, "end": v.end, "prot": vma.protname(v.prot), "shared": v.shared,
            "object": v.obj.name if v.obj is not None else None,
            "resident": len(vma.vma_resident(p.pgdir, v))}


@dataclass(eq=False)
class Run:
    """A run in progress (Machine.start): what finish() needs to report on it."""

    program: str                # its name in "/"
    counters: tuple             # syscalls, faults, switches, instructions, ticks, output,
    #                             kernel work, translation at start
    free_before: int            # free frames at start
    disk_before: tuple = (0, 0)  # free blocks and inodes at start
    init_pid: int = 0
    pid: int = 0                # the program's process: init's first child
    t0: float = 0.0
    schedule: object = None     # the generator that runs the machine (Machine._schedule)


def kalloc_many(n: int) -> list:
    """Call kalloc n times: the frames, in the order handed out (None for each call
    that found memory exhausted). For a test that takes memory away -- one request
    to a grader's kernel process rather than n; only the allocator runs."""
    return [kalloc.kalloc() for _ in range(n)]


def kfree_many(frames: list) -> None:
    """kfree each frame of `frames`, in order (a panic stops it there, the frames
    before it freed): gives back what kalloc_many took, in one request."""
    for pa in frames:
        kalloc.kfree(pa)


# The kernel functions a test may call directly (Machine.kernel): those the labs
# ask students to write, and what it takes to set up and inspect their inputs.
KERNEL_CALLS = MappingProxyType({
    "kalloc": kalloc.kalloc, "kfree": kalloc.kfree, "kfreecount": kalloc.kfreecount,
    "kalloc_many": kalloc_many, "kfree_many": kfree_many,
    "walkpgdir": pgdir.walkpgdir, "mappages": pgdir.mappages, "setupkvm": pgdir.setupkvm,
    "freevm": pgdir.freevm, "vmprint": pgdir.vmprint, "uva2ka": pgdir.uva2ka,
    "allocuvm": pgdir.allocuvm, "deallocuvm": pgdir.deallocuvm, "clearpteu": pgdir.clearpteu,
})


class _Entry:
    """One `with machine.entered():` block (a class, not a generator: it is on the
    path of every debugger step)."""

    __slots__ = ("m", "prev")

    def __init__(self, m: "Machine"):
        self.m = m

    def __enter__(self) -> "Machine":
        global _depth
        self.m._check_thread()
        _lock.acquire()
        self.prev = _install(self.m)
        self.m._fresh = False           # the next run boots afresh (see start)
        _depth += 1
        return self.m

    def __exit__(self, *exc) -> None:
        global _depth
        _depth -= 1
        if _depth and self.prev is not None:
            _install(self.prev)         # entered from inside another machine's block
        # Else this machine stays installed until another is: what activate() relies on.
        _lock.release()


class Machine:
    """An emulated x86 with xv6py booted on it.

    quantum: user instructions per timer tick (each tick preempts the running process).
    seed: if given, vary each tick's length around the quantum (other interleavings).
    max_instructions: default budget of virtual time per run (None: no limit); see
    RunResult for what counts.
    timeout: default limit of host time per run, in seconds (None: no limit): a
    second guard, checked between time slices and by unicorn's own timeout near
    the end, never with signals. A run that reaches it ends with status "timeout"
    (which, unlike every other outcome, depends on the host's speed).
    max_output: console bytes kept per run (None: all); the rest is dropped, after
    one marker line.
    stdin: console input (bytes, str, or a binary stream); echo: a binary stream
    to copy console output to as it is written.
    session: boot into xv6's shell (see session()): the console has xv6's line
    discipline, and init is xv6's (it starts sh forever; its exit panics).
    fail: fault injection, "KIND:N" or (KIND, N): in every run, the N-th allocation
    of KIND (kalloc, balloc, ialloc) fails as if the resource had run out (fail.py).
    It may be changed between runs (m.fail = "kalloc:7"); after a run, m.failed
    says how many allocations of that kind came and whether the N-th did.
    check: after every trap, check the kernel's invariants (check.py); a broken
    one is a panic that names it. None: on when the environment variable
    XV6PY_CHECK is 1 (how the project's tests turn it on for every machine).
    """

    def __init__(self, *, quantum: int = QUANTUM, seed: int | None = None,
                 max_instructions: int | None = None, stdin=None, echo=None,
                 trace: bool = False, phystop: int = PHYSTOP, timeout: float | None = None,
                 max_output: int | None = MAXOUTPUT, disk: str | Path | bytes | None = None,
                 session: bool = False, fail=None, check: bool | None = None):
        if quantum < 1:
            raise ValueError("the quantum must be at least one instruction")
        _check_limits(max_instructions, timeout)
        if max_output is not None and max_output < 0:
            raise ValueError("max_output cannot be negative")
        self.phystop, self.quantum, self.seed = phystop, quantum, seed
        self.max_instructions, self.timeout, self.max_output = max_instructions, timeout, max_output
        self.stdin, self.echo, self.trace = stdin, echo, trace
        self.session = session
        self.fail = fail
        self.check = os.environ.get("XV6PY_CHECK") == "1" if check is None else check
        self.failed: faults.Failing | None = None   # the last run's planned failure, as it went
        self.files: dict[str, bytes | Path] = {}   # added by the user: kept across runs
        self.disk_path = Path(disk) if isinstance(disk, (str, Path)) else None  # written back
        self._disk = bytes(disk) if isinstance(disk, (bytes, bytearray)) else None
        self._image: tuple | None = None   # (what it was made from, the run's image): run_image
        self._booted_image: bytes | None = None   # the image the kernel booted now was given
        self._state: dict = {}
        self._owner: int | None = None     # the thread whose run is in progress
        self._fresh = False                # as booted: nothing has entered the kernel since
        self.booted = False
        try:
            self.x86 = X86(phystop)
        except OSError:
            # Out of address space (under a limit such as RLIMIT_AS): machines no longer
            # used hold theirs until the cycle collector frees them. Free them, try again.
            gc.collect()
            self.x86 = X86(phystop)
        with self.entered():
            try:
                boot(self)
            finally:
                self.booted = True
            self.free_frames_at_boot = kalloc.kfreecount()
            if self.check:
                trap.checker = checkkernel      # a hook: it outlives every reboot
        self._fresh = True

    @property
    def fail(self) -> tuple[str, int] | None:
        """The planned failure of every run: (KIND, N), or None (see fail.py)."""
        return self._fail

    @fail.setter
    def fail(self, spec) -> None:
        self._fail = faults.parse(spec) if spec is not None else None

    # ---- entering the kernel --------------------------------------------------------------

    def entered(self) -> "_Entry":
        """Install this machine's kernel for a `with` block: every use of a machine's
        kernel (a run, a time slice of a debugged run, a look at its tables) goes
        through here. Waits while another thread is inside a machine; raises
        MachineBusy if another thread is in the middle of a run of this one.
        Entered from inside another machine's block, that one is put back after."""
        return _Entry(self)

    def activate(self) -> None:
        """Install this machine's kernel and leave it installed, for calling kernel
        functions (kalloc, walkpgdir, ...) directly, as a test does. It stays until
        another machine is installed. Single-threaded use only: tools use entered()."""
        self._check_thread()
        self._fresh = False
        with _lock:
            if _depth and _installed is not self:
                raise RuntimeError("activate() while another machine's kernel is entered "
                                   "would swap kernels under it: use entered()")
            _install(self)

    def _check_thread(self) -> None:
        me = threading.get_ident()
        if self._owner is not None and self._owner != me:
            raise MachineBusy("this machine is in the middle of a run started by another "
                              "thread; a run belongs to the thread that started it")

    # ---- running programs -----------------------------------------------------------------

    def add_program(self, name: str, contents: bytes | Path) -> None:
        """Put a file in "/" (an ELF to run, or data for a program to read): from the
        next run on, every run's disk has it. Raises ValueError for a name that is
        not one entry, or a file that does not fit."""
        ename = dirname_bytes(name)
        if not ename or b"/" in ename or ename in (b".", b".."):
            raise ValueError(f"bad file name {name!r}")
        self.files[name] = contents
        self._fresh = False             # the next run boots with it

    # ---- the disk ---------------------------------------------------------------------------

    def base_image(self) -> bytes:
        """The image runs start from, before the added files: the image file
        (disk=PATH, as the last run left it), the bytes given, or the default."""
        if self.disk_path is not None:
            return self.disk_path.read_bytes()
        return self._disk if self._disk is not None else _default_image()

    def run_image(self) -> bytes:
        """The disk a run starts with: the base image with the added files in "/".
        Raises ValueError (ImageError) if the image is not a sane file system."""
        base = self.base_image()
        key = (base, tuple((n, c if isinstance(c, Path) else id(c)) for n, c in self.files.items()))
        if self._image is not None and self._image[0] == key:
            return self._image[1]
        img = Image(base)
        try:
            img.check()
            for name, contents in self.files.items():
                img.add_file(name, contents.read_bytes() if isinstance(contents, Path) else contents)
        except ImageError as e:
            where = self.disk_path or "disk image"
            raise ImageError(f"{where}: {e}") from None
        self._image = (key, bytes(img.data))
        return self._image[1]

    def disk_image(self) -> bytes:
        """The disk as the last run left it (the run image, before any run)."""
        with self.entered():
            return bytes(ide.disk.image)

    def image(self) -> Image:
        """The disk as the last run left it, as an fsimage.Image, with a committed
        log installed (what the next boot would do): for reading files back."""
        img = Image(self.disk_image())
        return img.recovered() if img.log_header()[0] else img

    def read_file(self, path: str) -> bytes:
        """A file of the disk as the last run left it. FileNotFoundError if none."""
        return self.image().read_file(path)

    def run(self, prog: str | Path, args=(), *, max_instructions: int | None = None,
            timeout: float | None = None) -> RunResult:
        """Run a program (a name in "/", or the path of an ELF file on the host) with
        arguments, to the end. Raises ValueError if there is no such program.
        max_instructions and timeout: this run's limits, instead of the machine's."""
        run = self.start(prog, args, max_instructions=max_instructions, timeout=timeout)
        for _ in run.schedule:
            pass                    # no debugger: the machine never pauses
        return self.finish(run)

    def start(self, prog: str | Path, args=(), *, max_instructions: int | None = None,
              timeout: float | None = None) -> "Run":
        """Start a run on a freshly booted kernel: create init, which will run the
        program, and return the Run whose `schedule` generator runs the machine (a
        debugger drives it step by step; see xv6py/debug/). Then call finish(run)."""
        _check_limits(max_instructions, timeout)
        fresh = self._fresh
        with self.entered():
            name = self._resolve(prog)          # (a host file is added before booting)
            if not fresh or self.run_image() is not self._booted_image:
                self._reboot()
            argv = [b"init", name.encode("latin-1")] + [a.encode() if isinstance(a, str) else bytes(a)
                                                         for a in args]
            if len(argv) >= MAXARG:
                raise ValueError(f"too many arguments: {len(argv) - 2}; a program gets at most "
                                 f"{MAXARG - 3} (MAXARG is {MAXARG}, with init's name, the "
                                 f"program's and the null pointer)")
            budget = max_instructions if max_instructions is not None else self.max_instructions
            limit = timeout if timeout is not None else self.timeout
            c, clock = proc.mycpu(), vtime.clock
            run = Run(name, (c.nsyscall, c.nfault, c.nswitch, clock.insns, timer.ticks,
                             len(console.cons.out), clock.kernel + clock.calls, clock.translation),
                      kalloc.kfreecount(), _counts(ide.disk.image))
            clock.set_budget(budget)
            c.halted = None
            run.t0 = time.perf_counter()
            self.x86.deadline = run.t0 + limit if limit is not None else None
            self.x86.expired = False
            problem = self.rejects(name)
            if problem is not None:                # not even init runs: nothing to run
                c.halted = ("rejected", problem)
                run.schedule = iter(())
            else:
                run.init_pid = proc.userinit(initcode(argv)).pid
                run.pid = run.init_pid + 1         # init's first child runs the program
                faults.failinit(self._fail)        # (counted from here: userinit is boot)
                run.schedule = self._schedule()
            self._owner = threading.get_ident()
        return run

    def start_session(self, *, max_instructions: int | None = None) -> "Run":
        """Boot as xv6 does (a Machine made with session=True): init from the disk,
        with no arguments, starts sh on the console and restarts it whenever it
        exits. The run ends at the end of the console's input ("input ended"), a
        panic, or the budget. Then call finish(run)."""
        if not self.session:
            raise ValueError("a session needs a Machine(session=True)")
        fresh = self._fresh
        with self.entered():
            img = Image.view(self.run_image())
            img = img.recovered() if img.log_header()[0] else img
            if img.lookup(b"init") is None:
                raise ValueError(f"{self.disk_path or 'the disk image'} has no /init to boot")
            if not fresh or self.run_image() is not self._booted_image:
                self._reboot()
            budget = max_instructions if max_instructions is not None else self.max_instructions
            c, clock = proc.mycpu(), vtime.clock
            run = Run("init", (c.nsyscall, c.nfault, c.nswitch, clock.insns, timer.ticks,
                               len(console.cons.out), clock.kernel + clock.calls, clock.translation),
                      kalloc.kfreecount(), _counts(ide.disk.image))
            clock.set_budget(budget)
            c.halted = None
            run.t0 = time.perf_counter()
            run.init_pid = run.pid = proc.userinit(initcode([b"init"])).pid
            faults.failinit(self._fail)
            run.schedule = self._schedule()
            self._owner = threading.get_ident()
        return run

    def session_run(self, *, max_instructions: int | None = None) -> RunResult:
        """Boot into the shell and run until the console's input ends (start_session)."""
        run = self.start_session(max_instructions=max_instructions)
        for _ in run.schedule:
            pass
        return self.finish(run)

    def finish(self, run: "Run") -> RunResult:
        """End a run whose machine has halted: tear down what is left, and report."""
        with self.entered():
            wall = time.perf_counter() - run.t0
            self.x86.deadline = None
            c, clock = proc.mycpu(), vtime.clock
            kernel, translation = clock.kernel + clock.calls, clock.translation   # before the teardown
            status, message = c.halted
            self.failed = faults.failing
            started = proc.ptable.nextpid > run.pid      # init forked the program's process
            if status != "panic":
                self._teardown()
            blocks, inodes = _counts(ide.disk.image)
            if self.disk_path is not None:
                _write_back(self.disk_path, ide.disk.image)
            status, reason = self._outcome(status, message, c.exits.get(run.pid), started,
                                           c.exits.get(run.init_pid))
            if status == "exit" and run.pid not in c.execd:    # init could not exec it
                status, reason = self._exec_failed(run.program)
            start = run.counters
            self._owner = None
            return RunResult(
                program=run.program.encode("latin-1").decode("utf-8", "replace"),
                output=bytes(console.cons.out[start[5]:]).decode("utf-8", "replace"),
                status=status, reason=reason, pid=run.pid,
                instructions=clock.insns - start[3], syscalls=c.nsyscall - start[0],
                faults=c.nfault - start[1], ticks=timer.ticks - start[4], switches=c.nswitch - start[2],
                free_frames_before=run.free_before, free_frames_after=kalloc.kfreecount(),
                kernel=kernel - start[6], translation=translation - start[7], wall=wall,
                free_blocks_before=run.disk_before[0], free_blocks_after=blocks,
                free_inodes_before=run.disk_before[1], free_inodes_after=inodes,
                inodes_in_use=fs.inodes_in_use())

    def _reboot(self) -> None:
        """Make the kernel anew on this CPU, as a new Machine would have it: the
        memory the last runs used zeroed, no translated code kept, the kernel
        booted again. The files the user added and the tools attached stay."""
        hooks = [(mod, n, getattr(mod, n)) for mod, _ in kernel_state() for n in getattr(mod, "HOOKS", ())]
        self.run_image()                    # (an image that is not sane raises here, booting nothing)
        self.x86.clear_memory(KERNEND, self.phystop)
        self.x86.flush_code()
        boot(self)
        for mod, n, value in hooks:
            setattr(mod, n, value)

    def rejects(self, prog: str | Path) -> str | None:
        """Why this machine would not run prog (a name in "/", or a host path) -- an
        empty file, not an ELF file, not an i386 ELF executable -- or None. The
        kernel's exec checks only the magic number, as xv6's does; a run refuses
        the rest up front, with status "rejected", rather than run it into a fault."""
        data = self._contents(prog)
        return elf_problem(data) if data is not None else None

    def _exec_failed(self, name: str) -> tuple[str, str]:
        """The status and reason of a run whose program init could not exec:
        "rejected" and what is wrong with the file (see elf_problem), or, if
        nothing is, "not started" (the machine ran out of memory, say)."""
        data = self._contents(name)
        problem = elf_problem(data, segments=True) if data is not None else None
        if problem is not None:
            return "rejected", problem
        return "not started", f"init's exec of {name} failed (out of memory?)"

    def _contents(self, prog: str | Path) -> bytes | None:
        """The bytes of a program file as the machine was given them: a host path,
        a file added with add_program, or a built program. None if unknown."""
        if isinstance(prog, Path) or "/" in str(prog) and Path(prog).is_file():
            return Path(prog).read_bytes()
        name = str(prog).lstrip("/")
        source = self.files.get(name, program_path(name))
        if source is None:
            return None
        return source.read_bytes() if isinstance(source, Path) else bytes(source)

    def _resolve(self, prog: str | Path) -> str:
        """The name in "/" of the program to run, adding a host file if prog is a path."""
        if isinstance(prog, Path) or "/" in str(prog) and Path(prog).is_file():
            path = Path(prog)
            if not path.is_file():
                raise ValueError(f"no such file: {path}")
            self.add_program(path.name, path.read_bytes())
            return dirname_bytes(path.name).decode("latin-1")
        name = str(prog).encode().decode("latin-1")     # as the kernel sees a path's bytes
        img = Image.view(self.run_image())
        img = img.recovered() if img.log_header()[0] else img
        try:
            inum = img.lookup(name.encode("latin-1"))
            ok = inum is not None and img.dinode(inum).type == fs.T_FILE
        except ImageError:
            ok = False
        if not ok and self.disk_path is not None:
            raise ValueError(f"no program named {prog!r} on {self.disk_path}")
        if not ok:
            raise ValueError(f"no program named {prog!r} (built programs: {', '.join(program_names())})")
        if img.lookup(b"init") is None:
            raise ValueError(f"{self.disk_path or 'the disk image'} has no /init to start the program "
                             f"(`xv6py mkfs --programs` puts the built programs in an image)")
        return name.lstrip("/")

    def ensure_disk(self) -> None:
        """Boot again if files were added since the kernel now installed booted, so
        that its disk holds them: for driving a machine's kernel directly (as
        testing/kcall.py does) before any process exists. A run does it itself."""
        with self.entered():
            if self.run_image() is not self._booted_image:
                self._reboot()

    def _schedule(self):
        """Run the scheduler until the machine halts; a kernel failure is a panic.
        A generator: it yields wherever an attached debugger pauses the machine,
        and enters the machine again each time it is resumed."""
        sched = scheduler.scheduler()
        while True:
            with self.entered():
                try:
                    pause = next(sched)
                except StopIteration:
                    return
                except KernelPanic as e:
                    proc.mycpu().halted = ("panic", f"panic: {e}")
                    return
                except Exception as e:          # a bug in the kernel: stop, keep the evidence
                    proc.mycpu().halted = (
                        "panic", "panic: " + "".join(traceback.format_exception_only(e)).strip()
                        + "\n" + "".join(traceback.format_tb(e.__traceback__)))
                    return
            yield pause

    def _teardown(self) -> None:
        """Tear down every process left, so that all their frames are free again."""
        for p in proc.ptable.proc:
            if p.state is not proc.UNUSED:
                proc.reap(p)
        posixshm.shm_clear()                # POSIX shm names left: gone, as at a reboot
        proc.ptable.initproc = None
        proc.mycpu().proc = None

    @staticmethod
    def _outcome(status: str, message: str, exit_line: str | None, started: bool,
                 init_exit: str | None) -> tuple[str, str]:
        """The run's status and reason, from why the machine halted and how the
        program (init's first child) ended."""
        if status != "exited":
            return status, message
        if exit_line == "exit":
            return "exit", "exited"
        if exit_line is not None:
            return "killed", exit_line
        if not started:
            return "not started", "init could not start the program"
        # init ended first (something killed it): the program was torn down with it.
        return "killed", f"init exited ({init_exit}) while the program ran; torn down"

    # ---- looking inside -------------------------------------------------------------------

    @property
    def free_frames(self) -> int:
        with self.entered():
            return kalloc.kfreecount()

    def processes(self) -> list[dict]:
        """The process table: pid, name, state, size, parent pid, instructions,
        attached segments [(id, addr)], and the page directory's address."""
        with self.entered():
            return [{"pid": p.pid, "name": p.name, "state": p.state.value, "sz": p.sz,
                     "ppid": p.parent.pid if p.parent else 0, "insns": p.insns, "shm": list(p.shm),
                     "pgdir": p.pgdir}
                    for p in proc.ptable.proc if p.state is not proc.UNUSED]

    def shm_segments(self) -> list[dict]:
        """The shared-memory segment table (see mm/shm.py)."""
        with self.entered():
            return shm.shm_segments(proc.ptable.proc)

    def ipc_objects(self) -> dict[str, list[dict]]:
        """The System V IPC tables (ipc/): {"shm": [...], "sem": [...], "msg": [...]},
        one dict per object, in slot order, with its id, key, owner and mode and
        what its kind holds (see _sysv_shm, _sysv_sem, _sysv_msg)."""
        with self.entered():
            return {"shm": [_sysv_shm(s) for s in sysvshm.shm_ids.live()],
                    "sem": [_sysv_sem(s) for s in sem.sem_ids.live()],
                    "msg": [_sysv_msg(q) for q in msg.msg_ids.live()]}

    def mmap_state(self) -> dict:
        """mmap's kernel state (mm/vma.py): lazy fills so far, objects alive, pages
        of shared file mappings written back so far, the POSIX shm names, files
        mapped, and each process's areas {pid: [area]}
        (an area: start, end, prot, shared, object name, resident pages)."""
        with self.entered():
            areas = {p.pid: [_area(p, v) for v in p.vmas] for p in proc.ptable.proc
                     if p.state is not proc.UNUSED and p.vmas}
            return {"fills": vma.vmstats["fills"], "objects": vma.vmstats["objects"],
                    "writebacks": vma.vmstats["writebacks"],
                    "names": [o.name for o in posixshm.shm_objects()], "files": len(fmap.file_objs),
                    "areas": areas}

    def shm_entry(self, id: int) -> dict:
        """Row id of the segment table: id, npages, frames, refcount, free (a slot is
        free when its page count is 0), attached [(pid, addr)]. IndexError if id
        is out of range."""
        with self.entered():
            if not 0 <= id < len(shm.shmtable.seg):
                raise IndexError(f"shm id {id} out of range (the table has {len(shm.shmtable.seg)} slots)")
            seg = shm.shmtable.seg[id]
            attached = [(p.pid, addr) for p in proc.ptable.proc if p.state is not proc.UNUSED
                        for a, addr in p.shm if a == id]
            return {"id": id, "npages": seg.npages, "frames": list(seg.frames), "refcount": seg.refcount,
                    "free": seg.npages == 0, "attached": attached}

    def pte(self, pid: int, va: int) -> int | None:
        """The page-table entry that maps va in process pid, as the MMU would walk
        it: the PTE, or the PDE itself where a 4 MiB page maps va (the kernel half).
        None when no page table covers va. LookupError if there is no such process."""
        with self.entered():
            p = self._proc(pid)
            pde = self.x86.read32(p.pgdir + 4 * PDX(va))
            if pde & PTE_P and pde & PTE_PS:
                return pde                  # a 4 MiB page: the directory entry is the last level
            if not pde & PTE_P:
                return None
            return self.x86.read32(PTE_ADDR(pde) + 4 * PTX(va))

    def read_phys(self, pa: int, n: int) -> bytes:
        """n bytes of physical memory at pa. ValueError outside physical memory."""
        if n < 0 or pa < 0 or pa + n > self.phystop:
            raise ValueError(f"[{pa:#x}, {pa + n:#x}) is not in physical memory")
        return bytes(self.x86.ram[pa:pa + n])

    def read32(self, pa: int) -> int:
        """The 32-bit word at physical address pa (a PDE or a PTE, say)."""
        return int.from_bytes(self.read_phys(pa, 4), "little")

    def isfree(self, pa: int) -> bool:
        """Is the frame at pa on the allocator's free list?"""
        with self.entered():
            return kalloc.isfree(pa)

    def console_output(self) -> bytes:
        """Everything written to the console since this kernel booted."""
        with self.entered():
            return bytes(console.cons.out)

    def kernel(self, name: str, *args):
        """Call the kernel function `name` (one of KERNEL_CALLS: walkpgdir, mappages,
        kalloc, ...) with int arguments, with this machine's kernel installed, as
        a grader tests a lab's functions directly. Its panics and errors go up."""
        if name not in KERNEL_CALLS:
            raise ValueError(f"{name} is not a kernel function a test may call "
                             f"({', '.join(sorted(KERNEL_CALLS))})")
        with self.entered():
            return KERNEL_CALLS[name](*args)

    def _proc(self, pid: int):
        p = next((p for p in proc.ptable.proc if p.pid == pid and p.state is not proc.UNUSED), None)
        if p is None or p.pgdir is None:
            table = "; ".join(f"{q.pid} {q.state.value} {q.name}" for q in proc.ptable.proc
                              if q.state is not proc.UNUSED) or "nothing"
            raise LookupError(f"no process with pid {pid} (and a page table); the table holds: {table}")
        return p

    def read_user(self, pid: int, va: int, n: int) -> bytes | None:
        """n bytes at virtual address va of process pid, read through its page table
        as the MMU would (None if any page is not present and user-accessible)."""
        with self.entered():
            p = next((p for p in proc.ptable.proc if p.pid == pid and p.state is not proc.UNUSED), None)
            return pgdir.copyin(p.pgdir, va, n) if p is not None else None

    def disassemble(self, pid: int, va: int, count: int = 8) -> list[str]:
        """count instructions of process pid from virtual address va, one line each."""
        from .cpu.disasm import disassemble
        code = self.read_user(pid, va, 15 * count) or self.read_user(pid, va, 1) or b""
        return [str(i) for i in disassemble(code, va, count)]


_default: bytes | None = None     # the default image, read once


def _default_image() -> bytes:
    global _default
    if _default is None:
        from .mkfs import default_image
        _default = default_image()
    return _default


def _counts(disk: bytearray) -> tuple[int, int]:
    """Free blocks and free inodes of a disk, as its log's recovery would leave it."""
    img = Image.view(disk)
    try:
        if img.log_header()[0]:
            img = img.recovered()
        return img.free_blocks(), img.free_inodes()
    except (ImageError, ValueError):
        return 0, 0


def _write_back(path: Path, disk: bytearray) -> None:
    """Write the disk to its image file (readers never see half an image)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(disk)
    tmp.replace(path)
