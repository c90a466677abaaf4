"""Stepping through a program on a running machine.

    dbg = Debugger(Machine(), "shmtest")     # stopped at the program's first instruction
    dbg.break_at("main")                     # a symbol, an address, or "shmtest.c:28"
    stop = dbg.cont()                        # Stop(reason="breakpoint", pid=3, ...)
    dbg.step(); dbg.next(); dbg.stepi()
    dbg.registers()["eip"], dbg.read(0x10000000, 8), dbg.backtrace()
    result = dbg.finish_run()                # run to the end: the RunResult

How it works. The machine's scheduler is a generator (proc.scheduler): while a
debugger is attached (scheduler.debugger), run_user asks it how long the next time
slice of a process may be, and after the slice whether to pause; a pause is a
value yielded up to here, and resuming is taking the next value. Breakpoints are
unicorn code hooks at one address each, which end the slice before the
instruction runs. Slices are only ever cut shorter, never moved, and time
advances only by the instructions that ran: a program's output and instruction
count are the same with or without the debugger, however it is stepped.

The debugger follows one program: the processes that exec'd it (a fork of it
keeps its name, so parent and children are followed). Breakpoints stop any of
them; stepping applies to the process in focus, the one that stopped last.
Other processes run on normally while it is stepped.
"""

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..mm import pgdir as vm
from ..mmu import PTE_P, PTE_U
from ..proc import proc as P
from ..proc import scheduler
from ..programs import program_path
from ..syscalls import syscall as sc
from .dwarf import DW_EBP, DW_EIP, DW_ESP, Symbols

__all__ = ["Debugger", "Stop", "Breakpoint", "Watchpoint", "Frame"]

FAKE_PC = 0xFFFFFFFF        # the return address exec puts under main's arguments
INTERRUPT_POLL = 0.02       # seconds of host time between two looks at Debugger.interrupt
SEGMENT_REGS = frozenset(("cs", "ss", "ds", "es", "fs", "gs"))
# The eflags bits a debugger may change: CF PF AF ZF SF DF OF. Not TF (a debug
# trap the kernel would kill for), IF, IOPL or VM (the ring-3 invariants).
EFLAGS_STATUS = 0x0CD5


@dataclass
class Stop:
    """Why the machine paused (or ended)."""

    reason: str                 # start, breakpoint, watchpoint, step, syscall, fault,
                                # interrupted, exited, halted
    pid: int = 0                # the process that stopped (0 when the machine halted)
    eip: int = 0
    detail: str = ""            # a line for the user: the syscall, the fault and its walk, ...
    breakpoint: int | None = None   # number of the breakpoint or watchpoint hit
    address: int | None = None  # a watchpoint's: the virtual address accessed (in its own terms)
    syscall: object = None      # the Traced record, for a syscall stop
    result: object = None       # the RunResult, once the machine has halted

    @property
    def halted(self) -> bool:
        return self.reason == "halted"


@dataclass
class Breakpoint:
    number: int
    address: int
    where: str                  # what the user asked for: "main", "shmtest.c:28", "*0x1c3"
    hits: int = 0
    temporary: bool = False     # deleted when hit (used by next, finish and start-up)
    pid: int | None = None      # only this process (None: any process of the program)
    above_esp: int | None = None  # only when %esp is above this (a frame has returned)


@dataclass
class Watchpoint:
    """A watch on the memory under `length` bytes at virtual address `address`
    of process `pid`: the frames found there when it was set. An access through
    any mapping of those frames stops the program -- by any of its processes,
    so a shared-memory segment is watched through every attachment."""

    number: int
    address: int
    length: int
    kind: str                   # "write", "read" or "access"
    pid: int
    pieces: list[tuple[int, int]]   # (physical address, length), one per page
    hits: int = 0
    handles: list[int] | None = None

    def va_of(self, pa: int) -> int:
        """The virtual address (in the watch's own terms) of physical address pa."""
        off = 0
        for start, n in self.pieces:
            if start <= pa < start + n:
                return self.address + off + pa - start
            off += n
        return self.address

    def contents(self, ram) -> bytes:
        return b"".join(bytes(ram[pa:pa + n]) for pa, n in self.pieces)


@dataclass
class Frame:
    """One frame of a backtrace."""

    level: int
    pc: int
    function: str               # "" when the pc is in no known function
    file: str = ""
    line: int = 0

    def __str__(self) -> str:
        where = f" at {self.file}:{self.line}" if self.file else ""
        return f"#{self.level}  {self.pc:#010x} in {self.function or '??'} (){where}"


@dataclass(eq=False)
class _Resume:
    """What the current resumption of the machine is waiting for."""

    steps: int | None = None    # instructions the focus process may run (None: no limit)
    syscall: bool = False       # stop after the focus process's next system call
    others_exit: bool = True    # stop when a process other than the focus exits
    pending: Stop | None = None  # a pause decided, to be yielded at the next chance


class Debugger:
    """A debugger attached to one run of `prog` on `machine` (see the module doc)."""

    def __init__(self, machine, prog: str, args=(), *, max_instructions: int | None = None,
                 stop_on_faults: bool = True):
        self.m = machine
        self.run = machine.start(prog, args, max_instructions=max_instructions)
        self.program = self.run.program[:15]          # the name exec gives the process
        path = _program_file(prog, self.run.program)
        self.symbols = Symbols.load(path) if path else Symbols([], [], [])
        self.entry = _entry(path) if path else None
        self.stop_on_faults = stop_on_faults
        self.breakpoints: dict[int, Breakpoint] = {}
        self.watchpoints: dict[int, Watchpoint] = {}
        # Polled between time slices while the machine runs (at most every
        # INTERRUPT_POLL seconds): when it answers true, the program stops,
        # as gdb's ^C stops it. The REPL and the gdb stub set it.
        self.interrupt = None
        self._polled = 0.0
        self.focus: int | None = self.run.pid
        self.last: Stop | None = None
        self.result = None
        self._next_number = 1                       # of the user's breakpoints
        self._next_temp = -1                        # internal ones count down from -1
        self._skip: tuple[int, int] | None = None    # (pid, eip): resume past this breakpoint
        self._hit: Breakpoint | None = None
        self._watched: tuple | None = None          # (watchpoint, pa, write?, eip, before): a hit
        self._r = _Resume()
        self._exited: set[int] = set()
        self._exits_seen = -1                       # len(cpu.exits) at the last _check_exits
        self._out_at = self.run.counters[5]         # console length when the run started
        with machine.entered():
            self._tracer_before = sc.tracer          # this machine's, chained (see _on_syscall)
            scheduler.debugger = self
            sc.set_tracer(self._on_syscall)
        self._start()

    # ---- running -------------------------------------------------------------------------

    def cont(self) -> Stop:
        """Continue until a breakpoint, a fault, the exit of a process of the
        program, or the end of the run."""
        return self._resume(_Resume())

    def stepi(self, n: int = 1) -> Stop:
        """Run n instructions of the focus process (others run as scheduled)."""
        if n < 1:
            raise ValueError("stepi needs a count of at least 1")
        return self._resume(_Resume(steps=n, others_exit=False))

    def until_syscall(self) -> Stop:
        """Continue until the focus process's next system call has returned (or
        put it to sleep)."""
        return self._resume(_Resume(syscall=True))

    def step(self) -> Stop:
        """Run until the focus process reaches another source line, entering calls."""
        return self._step_line(over=False)

    def next(self) -> Stop:
        """Run until the focus process reaches another line of this function or
        its caller, running calls to the end."""
        return self._step_line(over=True)

    def finish(self) -> Stop:
        """Run until the current function of the focus process returns to its caller."""
        p = self._focus_proc()
        if p is None:
            return self._no_process()
        frames = self.backtrace()
        if len(frames) < 2:
            raise ValueError('"finish" not meaningful in the outermost frame')
        self._temp_break(frames[1].pc, p.pid, above_esp=p.tf.esp)
        return self._resume(_Resume(others_exit=False))

    def finish_run(self):
        """Remove every breakpoint, run to the end, detach; the RunResult."""
        for number in [*self.breakpoints, *self.watchpoints]:
            self.delete(number)
        self.stop_on_faults = False
        while not (self.last and self.last.halted):
            self.cont()
        return self.result

    def stop_run(self):
        """End the run where it is, without running the program on (what gdb's quit
        and kill do): its processes are torn down. The RunResult (status "stopped")."""
        if self.last is not None and self.last.halted:
            return self.result
        from ..proc import proc
        with self.m.entered():
            proc.mycpu().halted = ("stopped", "stopped by the debugger")
        self.run.schedule.close()
        self.last = self._halted()
        return self.result

    # ---- breakpoints ---------------------------------------------------------------------

    def break_at(self, where: str | int, *, pid: int | None = None) -> Breakpoint:
        """Set a breakpoint at a symbol, `file.c:LINE`, `*ADDR` or an address.
        Raises ValueError if where names nothing in the program."""
        addr = where if isinstance(where, int) else self.symbols.resolve(where)
        if addr is None:
            raise ValueError(f"no symbol or line {where!r} in {self.program}")
        return self._add(Breakpoint(self._next_number, addr, str(where) if not isinstance(where, int)
                                    else f"*{addr:#x}", pid=pid))

    def watch(self, va: int, length: int = 4, kind: str = "write", *, pid: int | None = None) -> Watchpoint:
        """Stop right after an instruction of the program writes (kind "write"),
        reads ("read") or does either ("access") to any of the `length` bytes at
        va in process pid (default: the focus). The watch is on the frames under
        va now, through whatever mapping a process reaches them. Writes the kernel
        makes (a read() into the buffer) are not seen: the CPU does not make them.
        The watch stays on those frames until deleted, even once they are freed
        and another process of the program gets them.
        Raises ValueError if those bytes are not mapped for the user."""
        if kind not in ("write", "read", "access"):
            raise ValueError(f"a watchpoint watches write, read or access, not {kind!r}")
        if not 1 <= length <= 0x10000:
            raise ValueError(f"a watchpoint covers 1 to 65536 bytes, not {length}")
        p = self._proc(pid)
        with self.m.entered():
            pieces = user_pieces(self.m.x86, p.pgdir, va, length)
        if pieces is None:
            raise ValueError(f"{va:#x}: {length} bytes not mapped for the user in pid {p.pid}")
        wp = Watchpoint(self._next_number, va, length, kind, p.pid, pieces)
        wp.handles = [self.m.x86.add_watchpoint(pa, n, read=kind != "write", write=kind != "read",
                                                should_stop=partial(self._on_watch, wp))
                      for pa, n in pieces]
        self.watchpoints[wp.number] = wp
        self._next_number += 1
        return wp

    def delete(self, number: int) -> None:
        """Remove breakpoint or watchpoint `number`."""
        wp = self.watchpoints.pop(number, None)
        if wp is not None:
            for handle in wp.handles:
                self.m.x86.remove_watchpoint(handle)
            return
        bp = self.breakpoints.pop(number, None)
        if bp is None:
            raise ValueError(f"no breakpoint number {number}")
        if not any(b.address == bp.address for b in self.breakpoints.values()):
            self.m.x86.remove_breakpoint(bp.address)

    # ---- looking at the focus process ----------------------------------------------------

    def registers(self, pid: int | None = None) -> dict[str, int]:
        p = self._proc(pid)
        return p.tf.registers()

    def set_register(self, name: str, value: int, pid: int | None = None) -> None:
        """Change a register of a process. A segment register cannot change (the
        process would leave ring 3): ValueError. Of eflags only the status flags
        change (EFLAGS_STATUS); the others keep their value."""
        p = self._proc(pid)
        regs = p.tf.registers()
        if name not in regs:
            raise ValueError(f"no register {name!r}")
        value &= 0xFFFFFFFF
        if name in SEGMENT_REGS and value != regs[name]:
            raise ValueError(f"{name} cannot change: the process must stay in ring 3")
        if name == "eflags":
            value = regs["eflags"] & ~EFLAGS_STATUS | value & EFLAGS_STATUS
        setattr(p.tf, name, value)

    def read(self, va: int, n: int, pid: int | None = None) -> bytes | None:
        """n bytes at user virtual address va, through the page table (None if a
        page is not present and user-accessible)."""
        p = self._proc(pid)
        with self.m.entered():
            return vm.copyin(p.pgdir, va, n)

    def write(self, va: int, data: bytes, pid: int | None = None) -> bool:
        """Write data at user virtual address va through the page table, as a
        debugger may: also into read-only pages (code). False, and nothing
        written, if a page is not present and user-accessible."""
        p = self._proc(pid)
        with self.m.entered():
            return poke_user(self.m.x86, p.pgdir, va, bytes(data))

    def disassemble(self, va: int | None = None, count: int = 8, pid: int | None = None) -> list[str]:
        """count instructions from va (default: the focus process's eip), each with
        its symbol; the current instruction is marked `=>`."""
        from ..cpu.disasm import disassemble
        p = self._proc(pid)
        eip = p.tf.eip
        va = eip if va is None else va
        code = vm.copyin(p.pgdir, va, 15 * count)
        while code is None and count > 1:
            count //= 2
            code = vm.copyin(p.pgdir, va, 15 * count)
        lines = []
        for insn in disassemble(code or b"", va, count):
            mark = "=> " if insn.address == eip else "   "
            sym = self.symbols.describe(insn.address)
            text = f"{insn.mnemonic} {insn.operands}".rstrip()
            if insn.mnemonic.startswith(("call", "j")) and insn.operands.startswith("0x"):
                target = self.symbols.describe(int(insn.operands, 16))
                text += f" {target}" if target else ""
            lines.append(f"{mark}{insn.address:#010x} {sym:<16} {insn.raw.hex(' '):<21} {text}")
        return lines

    def backtrace(self, pid: int | None = None, limit: int = 32) -> list[Frame]:
        """The call stack of a process, innermost first, unwound with the call-frame
        information of its ELF file (and the %ebp chain where that has no plain rule)."""
        p = self._proc(pid)
        regs = p.tf.registers()
        pc, esp, ebp = regs["eip"], regs["esp"], regs["ebp"]
        frames = []
        for level in range(limit):
            frames.append(self._frame(level, pc))
            unwound = self._unwind(p, pc, esp, ebp, innermost=level == 0)
            if unwound is None:
                break
            pc, esp, ebp = unwound
            if pc == FAKE_PC or self.symbols.function_at(pc) is None:
                break
        return frames

    def where(self, pid: int | None = None) -> str:
        """`main () at shmtest.c:28`, for the focus process's eip."""
        p = self._proc(pid)
        f = self._frame(0, p.tf.eip)
        return f"{f.function or '??'} (){f' at {f.file}:{f.line}' if f.file else ''}"

    def processes(self) -> list[dict]:
        return self.m.processes()

    def new_output(self) -> bytes:
        """What the program wrote to the console since the last call (since the
        run started, the first time)."""
        from ..dev import console
        with self.m.entered():
            new = bytes(console.cons.out[self._out_at:])
        self._out_at += len(new)
        return new

    # ---- called by the kernel (trap.run_user) --------------------------------------------

    def before_run(self, p):
        """A generator: pause before p's slice if a pause is pending (a system call
        that returned while its process was not running), or if a process of the
        program has exited since the last look."""
        self._check_exits()
        if self._r.pending is None and self.interrupt is not None and p.name == self.program \
                and self._interrupted():
            self._r.pending = Stop("interrupted", p.pid, p.tf.eip,
                                   f"Program received SIGINT: pid {p.pid}, {self.where(p.pid)}")
        if self._r.pending is not None:
            yield self._take()

    def slice(self, p, n: int) -> int:
        """How many instructions p may run now: fewer than n while stepping it."""
        if self._r.steps is not None and p.pid == self._focus_pid(p):
            return min(n, self._r.steps)
        return n

    def after_run(self, p, done: int):
        """A generator: pause after p's slice at a breakpoint, at the end of a step,
        after a system call it was asked to stop at, or before a fault is handled."""
        r = self._r
        if r.steps is not None and p.pid == self.focus:
            r.steps -= done
            if r.steps <= 0 and r.pending is None:
                r.pending = Stop("step", p.pid, p.tf.eip)
        if self._hit is not None:
            bp, self._hit = self._hit, None
            r.pending = self._breakpoint_stop(bp, p)
        if self._watched is not None:
            hit, self._watched = self._watched, None
            r.pending = self._watch_stop(p, *hit)
        fault = self.m.x86.fault
        if (fault is not None and self.stop_on_faults and p.name == self.program
                and not _lazy_fill(p, fault)):
            r.pending = self._fault_stop(p)
        self._check_exits()
        if r.pending is not None:
            yield self._take()

    # ---- internals -----------------------------------------------------------------------

    def _start(self) -> None:
        """Run until the program's process has exec'd the program: stopped at its
        entry point, before its first instruction."""
        if self.entry is not None:
            self._temp_break(self.entry, None)
            stop = self.cont()
            if stop.reason == "breakpoint":
                stop.reason = "start"
                stop.detail = f"{self.program} (pid {stop.pid}) stopped at its entry, {self.where()}"
            self.last = stop
        else:
            self.last = Stop("start", 0, 0, "stopped before the first process ran")

    def _resume(self, r: _Resume) -> Stop:
        """Resume the machine until the next pause (or its end)."""
        if self.last is not None and self.last.halted:
            return self.last
        self._r = r
        p = self._focus_proc()
        if p is not None and any(b.address == p.tf.eip for b in self.breakpoints.values()):
            self._skip = (p.pid, p.tf.eip)      # do not stop again where we stand
        try:
            stop = next(self.run.schedule)
        except StopIteration:
            stop = self._halted()
        self.last = stop
        if stop.pid and stop.reason != "exited":
            self.focus = stop.pid
        return stop

    def _take(self) -> Stop:
        stop, self._r.pending = self._r.pending, None
        return stop

    def _halted(self) -> Stop:
        self._detach()
        self.result = self.m.finish(self.run)
        r = self.result
        return Stop("halted", 0, 0, f"{r.program}: {r.status} ({r.reason})", result=r)

    def _detach(self) -> None:
        for addr in {b.address for b in self.breakpoints.values()}:
            self.m.x86.remove_breakpoint(addr)
        self.breakpoints.clear()
        for wp in self.watchpoints.values():
            for handle in wp.handles:
                self.m.x86.remove_watchpoint(handle)
        self.watchpoints.clear()
        with self.m.entered():
            scheduler.debugger = None
            sc.set_tracer(self._tracer_before)

    def _add(self, bp: Breakpoint) -> Breakpoint:
        if not any(b.address == bp.address for b in self.breakpoints.values()):
            self.m.x86.add_breakpoint(bp.address, self._on_break)
        self.breakpoints[bp.number] = bp
        if bp.temporary:
            self._next_temp -= 1
        else:
            self._next_number += 1
        return bp

    def _temp_break(self, addr: int, pid: int | None, above_esp: int | None = None) -> Breakpoint:
        return self._add(Breakpoint(self._next_temp, addr, f"*{addr:#x}", temporary=True,
                                    pid=pid, above_esp=above_esp))

    def _on_break(self, addr: int) -> bool:
        """The CPU is about to run the instruction at a breakpoint's address: stop
        if a breakpoint there applies to the running process."""
        p = P.myproc()
        if p is None or p.name != self.program:
            return False
        if self._skip == (p.pid, addr):
            self._skip = None
            return False
        for bp in self.breakpoints.values():
            if bp.address == addr and (bp.pid is None or bp.pid == p.pid) and (
                    bp.above_esp is None or p.tf.esp > bp.above_esp):
                self._hit = bp
                return True
        return False

    def _breakpoint_stop(self, bp: Breakpoint, p) -> Stop:
        bp.hits += 1
        if bp.temporary:
            self.delete(bp.number)
            return Stop("breakpoint", p.pid, p.tf.eip, self.where(p.pid))
        return Stop("breakpoint", p.pid, p.tf.eip,
                    f"Breakpoint {bp.number}, {self.where(p.pid)}", breakpoint=bp.number)

    def _on_watch(self, wp: Watchpoint, pa: int, size: int, write: bool, value: int) -> bool:
        """The CPU is about to access watched memory: stop after the instruction
        if the running process belongs to the program (the first hit of an
        instruction is the one reported)."""
        p = P.myproc()
        if p is None or p.name != self.program:
            return False
        if self._watched is None:
            self._watched = (wp, pa, write, p.tf.eip, wp.contents(self.m.x86.ram))
        return True

    def _watch_stop(self, p, wp: Watchpoint, pa: int, write: bool, eip: int, before: bytes) -> Stop:
        wp.hits += 1
        after = wp.contents(self.m.x86.ram)
        va = wp.va_of(pa)
        frame = self._frame(0, eip)
        where = f"{frame.function or '??'} (){f' at {frame.file}:{frame.line}' if frame.file else ''}"
        head = (f"Watchpoint {wp.number}: {wp.length} byte(s) at {wp.address:#x}: pid {p.pid} "
                f"{'wrote' if write else 'read'} {va:#x} (physical {pa:#x}) at {eip:#x} in {where}")
        if write:
            body = f"Old value = {_shown(before)}\nNew value = {_shown(after)}"
        else:
            body = f"Value = {_shown(after)}"
        return Stop("watchpoint", p.pid, p.tf.eip, f"{head}\n{body}", breakpoint=wp.number, address=va)

    def _interrupted(self) -> bool:
        """Ask self.interrupt, at most every INTERRUPT_POLL seconds of host time."""
        now = time.monotonic()
        if now - self._polled < INTERRUPT_POLL:
            return False
        self._polled = now
        return bool(self.interrupt())

    def _fault_stop(self, p) -> Stop:
        from ..traps import T_PGFLT
        from .commands import explain_fault
        from .ptdata import shm_of
        trapno, err, eip, cr2 = self.m.x86.fault
        line = (f"pid {p.pid} {p.name}: trap {trapno} err {err} eip {eip:#x} addr {cr2:#x}"
                " (the kernel kills it when you continue)")
        if trapno == T_PGFLT:
            line += "\n" + explain_fault(self.m, p.pgdir, cr2, err, eip, p.sz, shm_of(self.m, p))
        return Stop("fault", p.pid, eip, line)

    def _on_syscall(self, t) -> None:
        """The tracer: every system call of every process passes here."""
        if self._tracer_before is not None:
            self._tracer_before(t)
        if self._r.syscall and t.pid == self.focus and self._r.pending is None:
            self._r.pending = Stop("syscall", t.pid, 0, str(t), syscall=t)
            p = self._proc_or_none(t.pid)
            if p is not None and p.tf is not None:
                self._r.pending.eip = p.tf.eip
            self.m.x86.stop()

    def _check_exits(self) -> None:
        """Note the exit of a process of the program (a pause, when nothing else is)."""
        exits = len(P.mycpu().exits)
        if exits == self._exits_seen:
            return                  # nobody exited since the last look
        self._exits_seen = exits
        for p in P.ptable.proc:
            if p.state is P.ZOMBIE and p.name == self.program and p.pid not in self._exited:
                self._exited.add(p.pid)
                if self._r.pending is None and (self._r.others_exit or p.pid == self.focus):
                    self._r.pending = Stop("exited", p.pid, 0, f"process {p.pid} ({p.name}) "
                                           f"exited: {p.status or 'exit'}")
                if self.focus == p.pid:
                    self.focus = None

    def _step_line(self, over: bool) -> Stop:
        """step and next: one instruction at a time until the focus process stands
        at the start of a different line (or of the same line in another frame).
        A call is run to its end by a temporary breakpoint at its return address
        when stepping over it, or when it leads into code with no line table."""
        p = self._focus_proc()
        if p is None:
            return self._no_process()
        start, start_esp = self.symbols.line_at(p.tf.eip), p.tf.esp
        while True:
            eip, esp = p.tf.eip, p.tf.esp
            stop = self.stepi()
            if stop.reason != "step":
                return stop
            p = self._focus_proc()
            called = p.tf.esp == esp - 4 and 2 <= (_word(p, p.tf.esp) or 0) - eip <= 7
            line = self.symbols.line_at(p.tf.eip)
            if called and (over or line is None):
                stop = self._return_from_call(p)
                if stop.reason != "breakpoint" or stop.breakpoint is not None:
                    return stop
                p = self._focus_proc()
                line = self.symbols.line_at(p.tf.eip)
            if line is None or not self.symbols.starts_line(p.tf.eip):
                continue                                # not at the start of a statement
            if called or p.tf.esp > start_esp or start is None or \
                    (line.file, line.line) != (start.file, start.line):
                stop.reason, stop.breakpoint, stop.detail = "step", None, self.where()
                return stop

    def _return_from_call(self, p) -> Stop:
        """Continue until the call just entered returns: the return address is at
        the top of the stack."""
        raw = vm.copyin(p.pgdir, p.tf.esp, 4)
        if raw is None:
            return Stop("step", p.pid, p.tf.eip, self.where())
        ret = int.from_bytes(raw, "little")
        self._temp_break(ret, p.pid, above_esp=p.tf.esp)
        return self._resume(_Resume(others_exit=False))

    def _frame(self, level: int, pc: int) -> Frame:
        hit = self.symbols.lookup(pc)
        line = self.symbols.line_at(pc if level == 0 else pc - 1)   # a call's line, not the next
        return Frame(level, pc, hit[0] if hit else "", line.file if line else "", line.line if line else 0)

    def _unwind(self, p, pc: int, esp: int, ebp: int, innermost: bool):
        """The caller's (pc, esp, ebp), from the CFI row at pc or else the %ebp chain."""
        row = self.symbols.unwind_row(pc if innermost else pc - 1)
        if row is not None:
            cfa_reg, cfa_off, saved = row
            cfa = (esp if cfa_reg == DW_ESP else ebp) + cfa_off
            ret = _word(p, cfa + saved[DW_EIP])
            caller_ebp = _word(p, cfa + saved[DW_EBP]) if DW_EBP in saved else ebp
            if ret is None or caller_ebp is None:
                return None
            return ret, cfa, caller_ebp
        ret, caller_ebp = _word(p, ebp + 4), _word(p, ebp)
        if ret is None or caller_ebp is None:
            return None
        return ret, ebp + 8, caller_ebp

    def _focus_pid(self, p) -> int | None:
        if self.focus is None and p.name == self.program:
            self.focus = p.pid                  # the first process of the program to run
        return self.focus

    def _focus_proc(self):
        return self._proc_or_none(self.focus) if self.focus is not None else None

    def _proc_or_none(self, pid: int):
        with self.m.entered():
            return next((p for p in P.ptable.proc if p.pid == pid and p.state not in (P.UNUSED, P.ZOMBIE)),
                        None)

    def _proc(self, pid: int | None):
        p = self._proc_or_none(self.focus if pid is None else pid)
        if p is None:
            raise ValueError(f"no live process {pid if pid is not None else self.focus}")
        return p

    def _no_process(self) -> Stop:
        return Stop("exited", 0, 0, "the program has no live process to step")


def _shown(data: bytes) -> str:
    """A watched value: a little-endian number when it has a number's size."""
    if len(data) in (1, 2, 4, 8):
        return f"{int.from_bytes(data, 'little'):#0{2 + 2 * len(data)}x}"
    return data.hex(" ")


def _word(p, va: int) -> int | None:
    raw = vm.copyin(p.pgdir, va & 0xFFFFFFFF, 4)
    return int.from_bytes(raw, "little") if raw is not None else None


def poke_user(x86, pgdir: int, va: int, data: bytes) -> bool:
    """Write data at user virtual address va of the page directory pgdir, page by
    page through the page table. Every page must be present and user-accessible;
    it need not be writable (a debugger may patch code; the translated code of
    the frame is dropped). False, and nothing written, otherwise."""
    pieces = user_pieces(x86, pgdir, va, len(data))
    if pieces is None:
        return False
    off = 0
    for pa, n in pieces:
        x86.ram[pa:pa + n] = data[off:off + n]
        x86.forget_code(pa & ~0xFFF)
        off += n
    return True


def user_pieces(x86, pgdir: int, va: int, n: int) -> list[tuple[int, int]] | None:
    """Where the n bytes at user virtual address va are in physical memory: one
    (pa, length) per page they touch, walking the page table; None unless every
    page is present and user-accessible."""
    return vm.uvmchunks(pgdir, va, n, PTE_P | PTE_U)


def _program_file(prog, name: str) -> Path | None:
    """The ELF file on the host that the run's program came from."""
    if isinstance(prog, Path) or "/" in str(prog):
        return Path(prog)
    return program_path(name)


def _entry(path: Path) -> int | None:
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        return ELFFile(f).header["e_entry"]


def _lazy_fill(p, fault) -> bool:
    """Is this fault one the kernel answers by filling an mmap page (mm/vma.py)?
    Then the program goes on: nothing to stop for."""
    from ..mm.vma import vma_allows
    from ..traps import T_PGFLT
    trapno, err, _, cr2 = fault
    return trapno == T_PGFLT and bool(p.vmas) and vma_allows(p, cr2, err)
