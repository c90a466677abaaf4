"""`xv6py debug PROG [ARGS]`: an interactive debugger with gdb's command names,
plus the page-table commands.

    (xv6py) break main
    (xv6py) continue
    (xv6py) next
    (xv6py) walk 0x10000000
    (xv6py) ptdiff
    (xv6py) watch 0x10000004              # stop after an instruction writes there
    (xv6py) continue                      # ^C stops a running program, as in gdb

Built on cmd.Cmd: readline gives history (kept in ~/.xv6py_history) and
completion of command names and of function names after `break`. Output goes
through rich: tables and colours on a terminal, plain text when piped, so a
script of commands on standard input gives a readable transcript.
"""

import cmd
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from .debugger import Debugger, Stop

__all__ = ["Repl", "main"]

HISTORY = Path("~/.xv6py_history").expanduser()

# x/FMT: unit letters and sizes, as gdb has them.
_UNITS = {"b": 1, "h": 2, "w": 4, "g": 8}


class Repl(cmd.Cmd):
    """The command loop over one Debugger."""

    prompt = "(xv6py) "

    def __init__(self, debugger: Debugger, console=None, stdin=None):
        super().__init__(stdin=stdin)
        if stdin is not None:
            self.use_rawinput = False
            self.prompt = ""                # precmd writes "(xv6py) command" to the transcript
        from rich.console import Console
        self.d = debugger
        self.console = console or Console(highlight=False)
        if not self.console.is_terminal:
            self.console.width = max(self.console.width, 132)   # piped: do not fold tables
        self.since = None                 # page-table snapshot at the previous stop
        self._snap()
        self.intro = (f"xv6py debugger: {debugger.program}. Type help for the commands.\n"
                      + self._describe(debugger.last))

    # ---- plumbing -----------------------------------------------------------------------

    def out(self, thing="") -> None:
        self.console.print(thing, markup=False, highlight=False) if isinstance(thing, str) \
            else self.console.print(thing)

    def _snap(self) -> None:
        from .ptdata import snapshot
        self.before, self.since = self.since, snapshot(self.d.m)

    def _describe(self, stop: Stop) -> str:
        if stop is None:
            return ""
        if stop.reason in ("breakpoint", "watchpoint", "interrupted", "step", "start") and stop.pid:
            here = self.d.disassemble(count=1, pid=stop.pid)
            return f"{stop.detail or self.d.where()}\n{here[0] if here else ''}"
        if stop.halted:
            r = stop.result
            return f"[the machine halted] {r.summary()}"
        return stop.detail

    def _go(self, fn, *args) -> None:
        """Resume the machine, then say where it stopped."""
        if self.d.last and self.d.last.halted:
            self.out("the run has ended; nothing to continue")
            return
        with self._ctrl_c_stops():
            stop = fn(*args)
        self._snap()
        self._program_output()
        self.out(self._describe(stop))

    def _program_output(self) -> None:
        """What the program wrote to the console since the last stop."""
        text = self.d.new_output().decode("utf-8", "replace")
        if text:
            self.out(text.removesuffix("\n"))

    @contextmanager
    def _ctrl_c_stops(self):
        """While the machine runs, ^C stops the program, as in gdb, instead of
        ending the session (only the main thread can catch SIGINT)."""
        pressed = []
        try:
            previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
        except ValueError:                      # not the main thread
            yield
            return
        self.d.interrupt = lambda: bool(pressed)
        try:
            yield
        finally:
            self.d.interrupt = None
            signal.signal(signal.SIGINT, previous)

    def onecmd(self, line: str) -> bool:
        """Run one command; errors are reported, never raised out of the loop."""
        try:
            return super().onecmd(line)
        except ValueError as e:
            self.out(f"error: {e}")
        except Exception as e:                  # noqa: BLE001 -- the session must go on
            self.out(f"error: {type(e).__name__}: {e}")
        return False

    def emptyline(self) -> bool:
        return False                            # do not repeat the last command

    def default(self, line: str) -> bool:
        self.out(f'unknown command "{line.split()[0]}"; type help')
        return False

    def precmd(self, line: str) -> str:
        if not self.use_rawinput and line and line != "EOF":
            self.out(f"{Repl.prompt}{line.rstrip()}")     # a transcript shows what was asked
        return line

    # ---- running ------------------------------------------------------------------------

    def do_break(self, arg: str) -> None:
        """break LOCATION: stop at a function, FILE.c:LINE or *ADDRESS."""
        if not arg:
            raise ValueError("break needs a location: a function, file.c:LINE or *ADDRESS")
        bp = self.d.break_at(arg.strip())
        line = self.d.symbols.line_at(bp.address)
        at = f": file {line.file}, line {line.line}" if line else ""
        self.out(f"Breakpoint {bp.number} at {bp.address:#x}{at}.")

    def complete_break(self, text, line, begidx, endidx):
        return [f.name for f in self.d.symbols.functions if f.name.startswith(text)]

    def do_watch(self, arg: str) -> None:
        """watch ADDRESS [LENGTH]: stop right after an instruction writes any of
        LENGTH bytes (default 4) at ADDRESS -- through any process's mapping of them."""
        self._watch(arg, "write")

    def do_rwatch(self, arg: str) -> None:
        """rwatch ADDRESS [LENGTH]: stop right after an instruction reads there."""
        self._watch(arg, "read")

    def do_awatch(self, arg: str) -> None:
        """awatch ADDRESS [LENGTH]: stop right after an instruction reads or writes there."""
        self._watch(arg, "access")

    def _watch(self, arg: str, kind: str) -> None:
        words = arg.split()
        if not 1 <= len(words) <= 2:
            raise ValueError("give an address and, if not 4, a length: watch 0x10000004 [4]")
        wp = self.d.watch(self._value(words[0]), int(words[1], 0) if len(words) > 1 else 4, kind)
        frames = ", ".join(f"{pa:#x}" for pa, _ in wp.pieces)
        self.out(f"Watchpoint {wp.number} ({kind}): {wp.length} byte(s) at {wp.address:#x} "
                 f"of pid {wp.pid}, physical {frames}")

    def do_delete(self, arg: str) -> None:
        """delete N: remove breakpoint or watchpoint N."""
        self.d.delete(int(arg))

    def do_set(self, arg: str) -> None:
        """set $REGISTER = VALUE: change a register of the process in focus."""
        name, eq, value = arg.partition("=")
        name = name.strip()
        if not eq or not name.startswith("$"):
            raise ValueError("set $REGISTER = VALUE, as in: set $ecx = 1")
        self.d.set_register(name[1:], self._value(value) & 0xFFFFFFFF)

    def do_continue(self, arg: str) -> None:
        """continue: run until a breakpoint, a fault, an exit or the end."""
        self._go(self.d.cont)

    def do_stepi(self, arg: str) -> None:
        """stepi [N]: run N instructions (default 1) of the process in focus."""
        self._go(self.d.stepi, int(arg, 0) if arg else 1)

    def do_step(self, arg: str) -> None:
        """step: run to the next source line, entering calls."""
        self._go(self.d.step)

    def do_next(self, arg: str) -> None:
        """next: run to the next source line, stepping over calls."""
        self._go(self.d.next)

    def do_finish(self, arg: str) -> None:
        """finish: run until the current function returns."""
        self._go(self.d.finish)

    def do_syscall(self, arg: str) -> None:
        """syscall: run until the process in focus has made its next system call."""
        self._go(self.d.until_syscall)

    # ---- looking --------------------------------------------------------------------------

    def do_info(self, arg: str) -> None:
        """info registers | info breakpoints | info proc: registers, breakpoints, processes."""
        what = arg.split()[0] if arg else ""
        if "registers".startswith(what) and what:
            for name, value in self.d.registers().items():
                self.out(f"{name:<8} {value:#010x}  {value}")
        elif "breakpoints".startswith(what) and what:
            bps = [b for b in self.d.breakpoints.values() if not b.temporary]
            for b in bps:
                self.out(f"{b.number:<4} {b.address:#010x}  {b.where}  hit {b.hits} time(s)")
            for w in self.d.watchpoints.values():
                self.out(f"{w.number:<4} {w.address:#010x}  {w.kind} watch, {w.length} byte(s) "
                         f"of pid {w.pid}  hit {w.hits} time(s)")
            if not bps and not self.d.watchpoints:
                self.out("no breakpoints or watchpoints")
        elif what in ("proc", "processes", "ps"):
            self.do_ps("")
        else:
            raise ValueError("info registers | info breakpoints | info proc")

    def do_ps(self, arg: str) -> None:
        """ps: the process table."""
        from rich.table import Table
        t = Table("pid", "name", "state", "size", "ppid", "instructions", "shm", box=None)
        for p in self.d.processes():
            mark = "*" if p["pid"] == self.d.focus else ""
            t.add_row(f"{p['pid']}{mark}", p["name"], p["state"], f"{p['sz']:#x}", str(p["ppid"]),
                      f"{p['insns']:,}", ", ".join(f"{i}@{a:#x}" for i, a in p["shm"]))
        self.out(t)

    def do_x(self, arg: str) -> None:
        """x/NFU ADDRESS: examine memory (N units, F = x d u c s, U = b h w g); x/s prints a string."""
        fmt, _, addr = arg.partition(" ")
        if not fmt.startswith("/"):
            fmt, addr = "/1xw", arg
        count, letters = _split_fmt(fmt[1:])
        va = self._value(addr)
        if "s" in letters:
            raw = self.d.read(va, 256) or self.d.read(va, 1) or b""
            text = raw.split(b"\0", 1)[0]
            self.out(f"{va:#010x}: {text.decode('latin-1')!r}")
            return
        size = next((_UNITS[c] for c in letters if c in _UNITS), 4)
        raw = self.d.read(va, count * size)
        if raw is None:
            raise ValueError(f"cannot access memory at {va:#x} (not mapped for the user)")
        words = [int.from_bytes(raw[i:i + size], "little") for i in range(0, len(raw), size)]
        fmt1 = next((c for c in letters if c in "xduc"), "x")
        for row in range(0, len(words), 4):
            cells = [_cell(w, fmt1, size) for w in words[row:row + 4]]
            self.out(f"{va + row * size:#010x}:  " + "  ".join(cells))

    def do_print(self, arg: str) -> None:
        """print $REG | EXPR: a register or a number, in hex and decimal."""
        v = self._value(arg)
        self.out(f"{v:#x}  {v}")

    def do_disassemble(self, arg: str) -> None:
        """disassemble [ADDRESS] [N]: N instructions (default 10) from ADDRESS (default eip)."""
        words = arg.split()
        va = self._value(words[0]) if words else None
        n = int(words[1], 0) if len(words) > 1 else 10
        for line in self.d.disassemble(va, n):
            self.out(line)

    def do_bt(self, arg: str) -> None:
        """bt: the call stack of the process in focus."""
        for f in self.d.backtrace():
            self.out(str(f))

    do_backtrace = do_bt

    def do_where(self, arg: str) -> None:
        """where: the function and line of the process in focus."""
        self.out(self.d.where())

    # ---- page tables --------------------------------------------------------------------

    def _view(self, line: str) -> None:
        from .commands import command
        self.out(command(self.d.m, line, self.before))

    def do_pt(self, arg):
        """pt [PID]: the page directory and the mapped ranges of a process."""
        self._view(f"pt {arg or self.d.focus or ''}")

    def do_walk(self, arg):
        """walk VA [PID] [read|write|fetch]: translate VA level by level."""
        words = arg.split()
        if len(words) == 1 and self.d.focus:
            words.append(str(self.d.focus))
        if words:
            words[0] = str(self._value(words[0]))
        self._view("walk " + " ".join(words))

    def do_ptdiff(self, arg):
        """ptdiff: mappings added, removed or changed since the previous stop."""
        self._view("ptdiff")

    def do_frames(self, arg):
        """frames [shared]: which processes map which frame."""
        self._view(f"frames {arg}")

    def do_shm(self, arg):
        """shm: the segment table and who maps each segment where."""
        self._view("shm")

    def do_ipcs(self, arg):
        """ipcs: the System V tables: segments, semaphore sets, message queues."""
        self._view("ipcs")

    def do_sem(self, arg):
        """sem ID: a semaphore set's values, who waits on it, and the undo records."""
        self._view(f"sem {arg}")

    def do_kalloc(self, arg):
        """kalloc: free frames; frames allocated and freed since the previous stop."""
        self._view("kalloc")

    def do_svg(self, arg):
        """svg FILE: draw the page tables of the live processes into an SVG file."""
        from .svg import draw
        if not arg:
            raise ValueError("svg needs a file name")
        draw(self.d.m, arg.strip())
        self.out(f"wrote {arg.strip()}")

    # ---- leaving ------------------------------------------------------------------------

    def do_quit(self, arg) -> bool:
        """quit: leave, stopping the program where it is (as gdb's quit does; use
        continue first to run it to its end). The end of a piped script quits too."""
        if not (self.d.last and self.d.last.halted):
            r = self.d.stop_run()
            self._program_output()
            self.out(f"[the machine halted] {r.summary()}")
        return True

    do_EOF = do_quit

    def do_nexti(self, arg: str) -> None:
        """nexti: run one instruction, stepping over a call (to the instruction after it)."""
        from ..cpu.disasm import disassemble
        eip = self.d.registers()["eip"]
        code = self.d.read(eip, 15) or self.d.read(eip, 5) or b""
        insn = next(iter(disassemble(code, eip, 1)), None)
        if insn is None or not insn.mnemonic.startswith("call"):
            self._go(self.d.stepi, 1)
            return
        bp = self.d.break_at(eip + len(insn.raw), pid=self.d.focus)
        try:
            self._go(self.d.cont)
        finally:
            if bp.number in self.d.breakpoints:
                self.d.delete(bp.number)

    # gdb's short forms.
    do_b, do_c, do_n, do_s, do_si, do_ni = do_break, do_continue, do_next, do_step, do_stepi, do_nexti
    do_p, do_i, do_q = do_print, do_info, do_quit

    # ---- helpers ----------------------------------------------------------------------

    def _value(self, text: str) -> int:
        """A number, $register or symbol name."""
        text = text.strip()
        if text.startswith("$"):
            regs = self.d.registers()
            if text[1:] not in regs:
                raise ValueError(f"no register {text}")
            return regs[text[1:]]
        try:
            return int(text.lstrip("*"), 0)
        except ValueError:
            f = self.d.symbols.function(text)
            if f is None:
                raise ValueError(f"not a number, register or function: {text!r}") from None
            return f.start


def _split_fmt(fmt: str) -> tuple[int, str]:
    digits = "".join(c for c in fmt if c.isdigit())
    return (int(digits) if digits else 1), "".join(c for c in fmt if not c.isdigit())


def _cell(value: int, fmt: str, size: int) -> str:
    if fmt == "d":
        return str(value - (1 << (8 * size)) if value >> (8 * size - 1) else value)
    if fmt == "u":
        return str(value)
    if fmt == "c":
        return repr(chr(value & 0xFF))
    return f"{value:#0{2 + 2 * size}x}"


def main(machine, prog: str, args, script=None) -> int:
    """Run the debugger on prog; commands from the terminal, or from script (a
    text stream) when given. Returns the exit status for the CLI."""
    interactive = script is None and sys.stdin.isatty()
    if interactive:
        _load_history()
    d = Debugger(machine, prog, args)
    repl = Repl(d, stdin=None if interactive else (script or sys.stdin))
    try:
        while True:
            try:
                repl.cmdloop()
                break
            except KeyboardInterrupt:       # ^C at the prompt: a new prompt, as in gdb
                repl.out("^C")
                repl.intro = None
    finally:
        if interactive:
            _save_history()
    r = d.result
    return 0 if r is not None and r.status in ("exit", "stopped") else 1


def _load_history() -> None:
    try:
        import readline
        readline.parse_and_bind("tab: complete")
        if HISTORY.exists():
            readline.read_history_file(HISTORY)
    except (ImportError, OSError):
        pass


def _save_history() -> None:
    try:
        import readline
        readline.set_history_length(1000)
        readline.write_history_file(HISTORY)
    except (ImportError, OSError):
        pass

