"""A machine: the emulated CPU and memory, the kernel booted on them, and runs of
user programs.

    m = Machine()
    r = m.run("forktree", ["3"])
    print(r.output, r.status, r.instructions)

boot() follows xv6's main(): the allocator, the kernel page table and paging,
the GDT, the console, processes, traps, files, shared memory. run() starts the
first process -- initcode, which execs /init with the program and its arguments
-- and runs the scheduler until init exits (the program and all its children
are done), the instruction budget runs out, no process can ever run again, or
the kernel panics. Then the processes left are torn down, so that the free-frame
count after a run can be compared with the one before.

The kernel keeps its state in module globals, as xv6 keeps it in C globals
(kmem in kalloc, ptable in proc, ...). Each Machine owns one set of them and
installs it whenever it is used, so several machines can live in one Python
process (one runs at a time).
"""

import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import timer, trap
from .build import program_names, program_path
from .cpu.uc import CPUError
from .cpu.x86 import CR4_TSD, X86
from .dev import console
from .fs import file, fs
from .memlayout import KERNEND, PHYSTOP
from .mm import kalloc, pgdir
from .mmu import CR0_MP, CR0_PE, CR0_PG, CR0_WP, CR4_OSFXSR, CR4_OSXMMEXCPT, CR4_PSE
from .panic import KernelPanic
from .param import CONSOLE, QUANTUM
from .proc import proc
from .proc.initcode import initcode
from .syscalls import args, shm, syscall

__all__ = ["Machine", "RunResult", "Run", "boot"]

# Every kernel global a machine owns: (module, names). The hardware is `x86` everywhere.
_KERNEL_STATE = [
    (kalloc, ("x86", "kmem")),
    (pgdir, ("x86", "kpgdir")),
    (console, ("cons",)),
    (fs, ("root",)),
    (file, ("ftable",)),
    (proc, ("x86", "ptable", "cpu")),
    (timer, ("clock", "ticks")),
    (trap, ("x86", "debugger", "faulttracer")),
    (args, ("x86",)),
    (shm, ("x86", "shmtable")),
    (syscall, ("tracer", "sleeping")),
]

_active: "Machine | None" = None    # the machine whose state is installed


@dataclass
class RunResult:
    """What one run produced. Everything but `wall` is deterministic, and `wall`
    is left out of the repr and of ==: two runs of the same program and seed
    compare equal, and a failed assert that shows a result (as a grader's
    message does) reads the same on every run."""

    program: str
    output: str                 # everything written to the console during the run
    status: str                 # "exit", "killed", "budget", "deadlock", "panic", "not started"
    reason: str                 # the kill line, the panic message, ...: why it ended
    pid: int                    # pid of the program (init's first child)
    instructions: int           # user instructions retired, all processes together
    syscalls: int               # system calls served
    faults: int                 # processes killed by a trap
    ticks: int                  # timer interrupts
    switches: int               # times the scheduler switched to a process
    free_frames_before: int
    free_frames_after: int
    wall: float = field(default=0.0, repr=False, compare=False)   # seconds of host time

    @property
    def ok(self) -> bool:
        """Did the program exit by itself, with no frame leaked?"""
        return self.status == "exit" and self.free_frames_after == self.free_frames_before

    def summary(self) -> str:
        return (f"{self.program}: {self.status}"
                + (f" ({self.reason})" if self.status not in ("exit",) else "")
                + f"; {self.instructions:,} instructions, {self.syscalls:,} syscalls, "
                f"{self.faults} faults, {self.ticks} ticks, free frames "
                f"{self.free_frames_before} -> {self.free_frames_after}")


def boot(m: "Machine", phystop: int, stdin, echo, quantum: int, seed: int | None) -> None:
    """Bring the kernel up on m.x86, in the order of xv6's main()."""
    x86 = m.x86
    for module, names in _KERNEL_STATE:
        if "x86" in names:
            module.x86 = x86
    kalloc.kinit(KERNEND, phystop)          # physical page allocator
    pgdir.kvmalloc()                        # kernel page table, loaded in CR3
    # What xv6's entry.S does: page size extension, then paging (and write protect).
    # Also: SSE allowed; rdtsc refused in ring 3 (it would read host time).
    x86.lcr4(x86.rcr4() | CR4_PSE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_TSD)
    x86.lcr0(x86.rcr0() | CR0_PE | CR0_MP | CR0_WP | CR0_PG)
    x86.seginit()                           # segment descriptors
    x86.enter_user()                        # one iret: the user-mode register template
    console.consoleinit(stdin, echo)        # console hardware
    proc.pinit()                            # process table
    trap.tvinit()                           # trap vectors
    timer.clockinit(quantum, seed, None)    # the timer
    file.fileinit()                         # file table
    fs.fsinit()                             # the root directory
    fs.addfile("console", None, major=CONSOLE, minor=1, type=fs.T_DEV)
    for name in program_names():
        path = program_path(name)
        if path is not None:
            fs.addfile(name, path)
    shm.shminit()                           # shared memory
    trap.debugger = None                    # none attached
    trap.faulttracer = None
    syscall.sleeping = {}


@dataclass(eq=False)
class Run:
    """A run in progress (Machine.start): what finish() needs to report on it."""

    program: str                # its name in "/"
    counters: tuple             # syscalls, faults, switches, instructions, ticks, output at start
    free_before: int            # free frames at start
    init_pid: int = 0
    pid: int = 0                # the program's process: init's first child
    t0: float = 0.0
    schedule: object = None     # the generator that runs the machine (Machine._schedule)


class Machine:
    """An emulated x86 with xv6py booted on it.

    quantum: user instructions per timer tick (each tick preempts the running process).
    seed: if given, vary each tick's length around the quantum (other interleavings).
    max_instructions: default budget of virtual time per run.
    stdin: console input (bytes, str, or a binary stream); echo: a binary stream
    to copy console output to as it is written.
    """

    def __init__(self, *, quantum: int = QUANTUM, seed: int | None = None,
                 max_instructions: int | None = None, stdin=None, echo=None,
                 trace: bool = False, phystop: int = PHYSTOP):
        global _active
        if _active is not None:
            _active._save_state()
        self.x86 = X86(phystop)
        self.max_instructions = max_instructions
        boot(self, phystop, stdin, echo, quantum, seed)
        syscall.set_tracing(trace)
        self._state: dict = {}
        _active = self
        self.free_frames_at_boot = kalloc.kfreecount()

    # ---- kernel state ---------------------------------------------------------------------

    def _save_state(self) -> None:
        self._state = {(module, name): getattr(module, name)
                       for module, names in _KERNEL_STATE for name in names}

    def activate(self) -> None:
        """Install this machine's kernel state (done by every method that uses it)."""
        global _active
        if _active is self:
            return
        if _active is not None:
            _active._save_state()
        for (module, name), value in self._state.items():
            setattr(module, name, value)
        _active = self

    # ---- running programs -----------------------------------------------------------------

    def add_program(self, name: str, contents: bytes | Path) -> None:
        """Put a file in "/" (an ELF to run, or data for a program to read)."""
        self.activate()
        fs.addfile(name, contents)

    def run(self, prog: str | Path, args=(), *, max_instructions: int | None = None) -> RunResult:
        """Run a program (a name in "/", or the path of an ELF file on the host) with
        arguments, to the end. Raises ValueError if there is no such program."""
        run = self.start(prog, args, max_instructions=max_instructions)
        for _ in run.schedule:
            pass                    # no debugger: the machine never pauses
        return self.finish(run)

    def start(self, prog: str | Path, args=(), *, max_instructions: int | None = None) -> "Run":
        """Start a run: create init, which will run the program, and return the Run
        whose `schedule` generator runs the machine (a debugger drives it step by
        step; see xv6py/debug/). Then call finish(run)."""
        import time
        self.activate()
        name = self._resolve(prog)
        argv = [b"init", name.encode()] + [a.encode() if isinstance(a, str) else bytes(a) for a in args]
        page = initcode(argv)
        budget = max_instructions if max_instructions is not None else self.max_instructions
        c, clock = proc.mycpu(), timer.clock
        run = Run(name, (c.nsyscall, c.nfault, c.nswitch, clock.insns, timer.ticks,
                         len(console.cons.out)), kalloc.kfreecount())
        clock.limit = clock.now + budget if budget is not None else None
        c.halted = None
        run.t0 = time.perf_counter()
        run.init_pid = proc.userinit(page).pid
        run.pid = run.init_pid + 1             # init's first child runs the program
        run.schedule = self._schedule()
        return run

    def finish(self, run: "Run") -> RunResult:
        """End a run whose machine has halted: tear down what is left, and report."""
        import time
        self.activate()
        wall = time.perf_counter() - run.t0
        c, clock = proc.mycpu(), timer.clock
        status, message = c.halted
        started = proc.ptable.nextpid > run.pid      # init forked the program's process
        if status != "panic":
            self._teardown()
        status, reason = self._outcome(status, message, c.exits.get(run.pid), started,
                                       c.exits.get(run.init_pid))
        start = run.counters
        return RunResult(
            program=run.program, output=bytes(console.cons.out[start[5]:]).decode("utf-8", "replace"),
            status=status, reason=reason, pid=run.pid,
            instructions=clock.insns - start[3], syscalls=c.nsyscall - start[0],
            faults=c.nfault - start[1], ticks=timer.ticks - start[4], switches=c.nswitch - start[2],
            free_frames_before=run.free_before, free_frames_after=kalloc.kfreecount(), wall=wall)

    def _resolve(self, prog: str | Path) -> str:
        """The name in "/" of the program to run, adding a host file if prog is a path."""
        if isinstance(prog, Path) or "/" in str(prog) and Path(prog).is_file():
            path = Path(prog)
            if not path.is_file():
                raise ValueError(f"no such file: {path}")
            fs.addfile(path.name, path.read_bytes())
            return path.name[:fs.DIRSIZ]
        ip = fs.namei(str(prog))
        if ip is None or ip.type != fs.T_FILE:
            raise ValueError(f"no program named {prog!r} (built programs: {', '.join(program_names())})")
        return str(prog).lstrip("/")

    def _schedule(self):
        """Run the scheduler until the machine halts; a kernel failure is a panic.
        A generator: it yields wherever an attached debugger pauses the machine."""
        c = proc.mycpu()
        try:
            yield from proc.scheduler()
        except KernelPanic as e:
            c.halted = ("panic", f"panic: {e}")
        except (CPUError, Exception) as e:          # a bug in the kernel: stop, keep the evidence
            c.halted = ("panic", "panic: " + "".join(traceback.format_exception_only(e)).strip()
                        + "\n" + "".join(traceback.format_tb(e.__traceback__)))

    def _teardown(self) -> None:
        """Tear down every process left, so that all their frames are free again."""
        for p in proc.ptable.proc:
            if p.state is not proc.UNUSED:
                proc.reap(p)
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
        self.activate()
        return kalloc.kfreecount()

    def processes(self) -> list[dict]:
        """The process table: pid, name, state, size, parent pid, instructions."""
        self.activate()
        return [{"pid": p.pid, "name": p.name, "state": p.state.value, "sz": p.sz,
                 "ppid": p.parent.pid if p.parent else 0, "insns": p.insns, "shm": list(p.shm)}
                for p in proc.ptable.proc if p.state is not proc.UNUSED]

    def shm_segments(self) -> list[dict]:
        """The shared-memory segment table (see syscalls/shm.py)."""
        self.activate()
        return shm.shm_segments()

    def read_user(self, pid: int, va: int, n: int) -> bytes | None:
        """n bytes at virtual address va of process pid, read through its page table
        as the MMU would (None if any page is not present and user-accessible)."""
        self.activate()
        p = next((p for p in proc.ptable.proc if p.pid == pid and p.state is not proc.UNUSED), None)
        return pgdir.copyin(p.pgdir, va, n) if p is not None else None

    def disassemble(self, pid: int, va: int, count: int = 8) -> list[str]:
        """count instructions of process pid from virtual address va, one line each."""
        from .cpu.disasm import disassemble
        code = self.read_user(pid, va, 15 * count) or self.read_user(pid, va, 1) or b""
        return [str(i) for i in disassemble(code, va, count)]
