"""A gdb remote stub: real gdb debugs a program running on xv6py.

    xv6py run --gdb 1234 shmtest            # waits for gdb on 127.0.0.1:1234; then
    gdb -ex 'set architecture i386' -ex 'file userprogs/bin/shmtest' \\
        -ex 'target remote 127.0.0.1:1234'

    (gdb) break shmtest.c:70
    (gdb) continue
    (gdb) info registers eip
    (gdb) x/4xw $esp                        # memory by virtual address, through the page table
    (gdb) stepi
    (gdb) monitor walk 0x10000000           # the page-table views (see commands.COMMANDS)
    (gdb) monitor pt
    (gdb) continue                          # to the end: the program's output, then its exit

From Python, `serve(machine, prog, args, port)` does the same and returns the
run's RunResult once gdb detaches, kills, disconnects or sees the program end.

The stub speaks gdb's Remote Serial Protocol over TCP, on the loopback
interface only, to one client. A packet is `$data#cs`, cs being the sum of the
data bytes modulo 256 in two hex digits; the receiver answers `+` (or `-` to
ask for it again) until the client asks for no-ack mode (QStartNoAckMode).

It sits on the Debugger (debugger.py), which pauses the machine between
instructions without changing what it computes: the program's output and
instruction count are the same as in a plain run, however gdb steps it.

- Threads are the processes of the program (a fork keeps the program's name),
  the thread id being the pid. `g`, `m` and their writes apply to the thread
  gdb selected with `Hg`; a step applies to the thread vCont names.
- Registers: the sixteen of gdb's i386 core, in its order (REGS). A `g` reply
  shorter than gdb's i386 description is accepted by gdb, which then asks for
  the rest with `p` and is told they are unavailable (`xx`). There is no
  target.xml: gdb's i386 core feature must include the x87 registers.
- Breakpoints (Z0, and Z1 alike) are the Debugger's: code hooks, not int3
  bytes written into the program. A stop at one says `swbreak` so that gdb
  does not move the pc back by the length of an int3.
- Watchpoints (Z2 write, Z3 read, Z4 access: gdb's `watch`, `rwatch`,
  `awatch`) are the Debugger's too: they watch the frames under the address in
  the selected thread, and stop right after the instruction that touched them
  (`watch:ADDR` in the stop reply), in whichever process of the program.
- ^C while the program runs stops it (`T02`, SIGINT): the stub looks at the
  socket between time slices.
- Memory goes through the process's page table: an address that is not present
  and user-accessible reads as an error, as it would fault in the program.
- A fault stops the program before the kernel kills it: `T0b` (SIGSEGV, or
  the signal of the trap) after the explanation of the fault, page-table walk
  included, as console output.
- `monitor CMD` runs a page-table view (pt, walk, ptdiff, frames, shm, kalloc);
  `pt` and `walk` look at the process that stopped last when given no pid.
- The program's console output is forwarded to gdb (as `O` packets) at each
  stop, before the stop reply.
- The end of the run is `W00` (exited by itself) or `X` with a signal (killed,
  out of budget, panic); D and k run the program to its end.

The program starts stopped at its first instruction, which for xv6py's own
programs is main itself (they have no start-up code): there, `break main`
puts a breakpoint at the pc, and `continue` runs past it (gdb steps over a
breakpoint where it resumes). Break on a line of main instead.

Not done: no non-stop mode; a watchpoint does not see the kernel's own writes
to user memory (a read() into a watched buffer), as the CPU does not make them.
"""

import ipaddress
import select
import socket

from ..traps import T_ALIGN, T_BRKPT, T_DIVIDE, T_FPERR, T_ILLOP, T_SIMDERR
from . import commands, ptdata, render
from .debugger import SEGMENT_REGS, Debugger

__all__ = ["serve", "GdbStub", "REGS", "checksum", "frame", "LOOPBACK"]

LOOPBACK = "127.0.0.1"

# gdb's i386 core registers, in the order of its `g` packet; each 4 bytes, little-endian.
REGS = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
        "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs")

# gdb's own signal numbers (its enum gdb_signal, not the host's).
SIGINT, SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGKILL, SIGBUS, SIGSEGV, SIGXCPU = 2, 4, 5, 6, 8, 9, 10, 11, 24
TRAP_SIGNAL = {T_DIVIDE: SIGFPE, T_FPERR: SIGFPE, T_SIMDERR: SIGFPE, T_ILLOP: SIGILL,
               T_BRKPT: SIGTRAP, T_ALIGN: SIGBUS}          # any other fault: SIGSEGV
STATUS_SIGNAL = {"killed": SIGKILL, "budget": SIGXCPU}      # any other end: SIGABRT

PACKET_SIZE = 0x4000        # the largest packet we accept, as told to gdb (in hex there)
MAX_READ = 0x1000           # bytes per `m` reply (gdb asks again for the rest)
ERROR = "E01"
# Z packet types: 0 software and 1 hardware breakpoint; 2, 3, 4 watchpoints,
# with the Debugger's kind and the word of the stop reply.
WATCH_KINDS = {2: ("write", "watch"), 3: ("read", "rwatch"), 4: ("access", "awatch")}
INTERRUPT = 0x03            # ^C, sent by gdb as a bare byte while the program runs


# ---- packets --------------------------------------------------------------------------------

def checksum(data: bytes) -> int:
    """The checksum of a packet's data: the sum of its bytes modulo 256."""
    return sum(data) & 0xFF


def frame(data: bytes) -> bytes:
    """data as a packet, `$data#cs`, with the bytes the protocol reserves escaped."""
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes((0x7D, b ^ 0x20))       # `}` then the byte xor 0x20
        else:
            out.append(b)
    return b"$" + bytes(out) + b"#%02x" % checksum(out)


def _hex_le(value: int) -> str:
    return (value & 0xFFFFFFFF).to_bytes(4, "little").hex()


def _thread_id(text: str) -> int | None:
    """A thread id of a packet: a pid in hex; 0 (any) and -1 (all) become None."""
    tid = int(text, 16)
    return tid if tid > 0 else None


class Connection:
    """One gdb client on a socket: packets in and out, with or without acks."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()
        self.acks = True            # until QStartNoAckMode

    def _byte(self) -> int | None:
        if not self.buf:
            try:
                data = self.sock.recv(PACKET_SIZE)
            except (ConnectionError, TimeoutError):
                return None
            if not data:
                return None
            self.buf += data
        b = self.buf[0]
        del self.buf[0]
        return b

    def interrupted(self) -> bool:
        """Has the client sent ^C (or gone away) while the program runs? Looks
        at the socket without waiting; other bytes are kept for receive()."""
        if INTERRUPT in self.buf:               # came in with the packet that resumed
            self.buf = bytearray(self.buf.replace(bytes([INTERRUPT]), b""))
            return True
        try:
            ready, _, _ = select.select([self.sock], [], [], 0)
            if not ready:
                return False
            data = self.sock.recv(PACKET_SIZE)
        except (OSError, ValueError):
            return True
        if not data:
            return True                         # gone: stop, and receive() ends the session
        self.buf += data.replace(bytes([INTERRUPT]), b"")
        return INTERRUPT in data

    def receive(self) -> bytes | None:
        """The data of the next well-formed packet (None when the client is gone).
        A packet with a bad checksum is refused with `-` (the client sends it
        again); acks and ^C between packets are skipped."""
        while True:
            b = self._byte()
            if b is None:
                return None
            if b != ord("$"):
                continue                        # +, -, ^C (0x03) or noise
            data = bytearray()
            while (b := self._byte()) not in (ord("#"), None):
                data.append(b)
            cs = bytes(x for x in (self._byte(), self._byte()) if x is not None)
            if len(cs) < 2:
                return None
            good = cs.lower() == b"%02x" % checksum(data)
            if self.acks:
                self.sock.sendall(b"+" if good else b"-")
            if good:
                return _unescape(bytes(data))

    def send(self, data: str | bytes) -> bool:
        """Send one packet; in ack mode, again while the client answers `-`.
        False if the client is gone."""
        packet = frame(data.encode() if isinstance(data, str) else data)
        for _ in range(8):
            try:
                self.sock.sendall(packet)
            except OSError:
                return False
            if not self.acks:
                return True
            while (b := self._byte()) not in (ord("+"), ord("-"), None):
                pass
            if b != ord("-"):
                return b is not None
        return False


def _unescape(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        if data[i] == 0x7D and i + 1 < len(data):
            out.append(data[i + 1] ^ 0x20)
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


# ---- the commands -----------------------------------------------------------------------------

class GdbStub:
    """The protocol's commands on a Debugger: handle(packet data) -> the packets
    to send back, in order (console output first, the reply last; none for `k`)."""

    def __init__(self, dbg: Debugger):
        self.dbg = dbg
        self.m = dbg.m
        self.stop = dbg.last            # the stop gdb was last told about
        self.thread: int | None = None  # Hg: whose registers and memory (None: the focus)
        self.step_thread: int | None = None     # Hc: whom `s` steps (None: the focus)
        self.acks = True                # False once the client asked for no-ack mode
        self.swbreak = False            # the client understands `swbreak` in stop replies
        self.done = False               # the client detached or killed: run to the end
        self.bps: dict[tuple[int, int], int] = {}   # (Z type, address) -> breakpoint number
        self.since: ptdata.Snapshot | None = None    # page tables at the stop before this one
        self.at_stop = ptdata.snapshot(self.m)       # ... and at this one
        self.kernel_at_stop = self._kernel_work()
        self.interrupted = lambda: False    # has the client sent ^C? (set by the session)

    def handle(self, data: bytes) -> list[bytes | str]:
        """The packets answering one packet from gdb (an empty reply for anything
        not supported, as the protocol asks)."""
        text = data.decode("latin-1")
        if not text:
            return [""]
        name = _packet_name(text)
        try:
            if name in NAMED:
                return NAMED[name](self, text)
            if text[0] in SINGLE:
                return SINGLE[text[0]](self, text)
        except (ValueError, IndexError):
            return [ERROR]          # a malformed packet, or no such process
        return [""]

    # ---- threads --------------------------------------------------------------------------

    def threads(self) -> list[int]:
        """The pids of the program's live processes: gdb's threads."""
        return [p["pid"] for p in self.dbg.processes()
                if p["name"] == self.dbg.program and p["state"] not in ("zombie", "embryo", "unused")]

    def _pid(self) -> int:
        pid = self.thread if self.thread is not None else self.dbg.focus
        if pid is None or pid not in self.threads():
            raise ValueError("no live process selected")
        return pid

    def _set_thread(self, text: str) -> list:
        """Hg TID / Hc TID: the thread for registers and memory / for `s`."""
        tid = _thread_id(text[2:])
        if tid is not None and tid not in self.threads():
            return [ERROR]
        if text[1] == "g":
            self.thread = tid
        else:
            self.step_thread = tid
        return ["OK"]

    def _alive(self, text: str) -> list:
        """T TID: is the thread alive?"""
        return ["OK" if _thread_id(text[1:]) in self.threads() else ERROR]

    # ---- registers ------------------------------------------------------------------------

    def _read_registers(self, text: str) -> list:
        """g: the sixteen core registers of the selected thread."""
        regs = self.dbg.registers(self._pid())
        return ["".join(_hex_le(regs[name]) for name in REGS)]

    def _write_registers(self, text: str) -> list:
        """G HEX: write them (`x` digits: leave that register)."""
        data = text[1:]
        values = {name: int.from_bytes(bytes.fromhex(data[8 * i:8 * i + 8]), "little")
                  for i, name in enumerate(REGS)
                  if len(data) >= 8 * i + 8 and "x" not in data[8 * i:8 * i + 8]}
        return [self._put_registers(values)]

    def _read_register(self, text: str) -> list:
        """p N: one register (x87 and SSE ones are unavailable)."""
        n = int(text[1:], 16)
        if n >= len(REGS):
            return ["xxxxxxxx"]         # x87 and SSE: unavailable
        return [_hex_le(self.dbg.registers(self._pid())[REGS[n]])]

    def _write_register(self, text: str) -> list:
        """P N=HEX: write one register."""
        n, _, value = text[1:].partition("=")
        n = int(n, 16)
        if n >= len(REGS) or len(value) != 8:
            return [ERROR]
        return [self._put_registers({REGS[n]: int.from_bytes(bytes.fromhex(value), "little")})]

    def _put_registers(self, values: dict[str, int]) -> str:
        """Write registers of the selected thread, as Debugger.set_register
        does: a segment register cannot change ("E01", with nothing written),
        and of eflags only the status flags change."""
        pid = self._pid()
        regs = self.dbg.registers(pid)
        if any(values[s] != regs[s] for s in SEGMENT_REGS & values.keys()):
            return ERROR
        for name, value in values.items():
            if value != regs[name]:
                self.dbg.set_register(name, value, pid)
        return "OK"

    # ---- memory ---------------------------------------------------------------------------

    def _read_memory(self, text: str) -> list:
        """m ADDR,LEN: memory of the selected thread, by virtual address."""
        addr, n = (int(x, 16) for x in text[1:].split(","))
        data = self.read(addr, min(n, MAX_READ))
        return [data.hex() if data else ERROR]

    def read(self, va: int, n: int) -> bytes:
        """What the selected thread can read from va on: up to n bytes, fewer
        where a page on the way is not present and user-accessible."""
        pid = self._pid()
        if va + n > 1 << 32:
            n = max(0, (1 << 32) - va)
        data = self.dbg.read(va, n, pid)
        if data is not None:
            return data
        out = b""
        while len(out) < n:                     # page by page, up to the first hole
            a = va + len(out)
            part = self.dbg.read(a, min(n - len(out), 0x1000 - (a & 0xFFF)), pid)
            if part is None:
                break
            out += part
        return out

    def _write_memory(self, text: str) -> list:
        """M ADDR,LEN:HEX: write it (code pages too, as a debugger may)."""
        where, _, data = text[1:].partition(":")
        addr, n = (int(x, 16) for x in where.split(","))
        data = bytes.fromhex(data)
        if len(data) != n:
            return [ERROR]
        return ["OK" if self.dbg.write(addr, data, self._pid()) else ERROR]

    # ---- breakpoints ----------------------------------------------------------------------

    def _insert(self, text: str) -> list:
        """Z0/Z1,ADDR,KIND: a breakpoint (software and hardware ones alike);
        Z2/Z3/Z4,ADDR,LENGTH: a write, read or access watchpoint."""
        kind, addr, length = _breakpoint_args(text)
        if kind not in (0, 1, *WATCH_KINDS):
            return [""]
        if (kind, addr) not in self.bps:
            if kind in WATCH_KINDS:
                wp = self.dbg.watch(addr, length, WATCH_KINDS[kind][0], pid=self._pid())
                self.bps[kind, addr] = wp.number
            else:
                self.bps[kind, addr] = self.dbg.break_at(addr).number
        return ["OK"]

    def _remove(self, text: str) -> list:
        """z0 to z4,ADDR,KIND: remove it."""
        kind, addr, _ = _breakpoint_args(text)
        if kind not in (0, 1, *WATCH_KINDS):
            return [""]
        number = self.bps.pop((kind, addr), None)
        if number is not None:
            self.dbg.delete(number)
        return ["OK"]

    # ---- running --------------------------------------------------------------------------

    def _continue(self, text: str) -> list:
        """c / C SIG: continue (a signal is not delivered: the kernel has none)."""
        return self.resume(step=False)          # `C sig`: the kernel delivers no signals

    def _step(self, text: str) -> list:
        """s / S SIG: one instruction of the Hc thread."""
        return self.resume(step=True, pid=self.step_thread)

    def _vcont(self, text: str) -> list:
        """vCont;ACTION[:TID]...: a step of the thread an `s` names, else continue."""
        for action in text.split(";")[1:]:
            act, _, tid = action.partition(":")
            if act[:1] in ("s", "S"):
                return self.resume(step=True, pid=_thread_id(tid) if tid else self.step_thread)
        if any(action[:1] in ("c", "C") for action in text.split(";")[1:]):
            return self.resume(step=False)
        return [ERROR]

    def resume(self, step: bool, pid: int | None = None) -> list:
        """Run to the next stop gdb should hear of: one instruction of process
        pid (default: the focus) or, not stepping, until a breakpoint, a fault or
        the end. The exit of a process of the program is no stop for gdb: the
        thread just goes away."""
        dbg = self.dbg
        if not self.stop.halted:
            if step and pid in self.threads():
                dbg.focus = pid                 # stepi steps the focus process
            dbg.interrupt = None if step else self.interrupted
            try:
                stop = dbg.stepi() if step else dbg.cont()
                while stop.reason == "exited":  # a step interrupted: again, if its process lives
                    stop = dbg.stepi() if step and dbg.focus is not None else dbg.cont()
            finally:
                dbg.interrupt = None
            self.stop = stop
            self._take_snapshot()
            self.thread = self.step_thread = None
        return self.stop_packets()

    def _take_snapshot(self) -> None:
        """Keep the page tables at this stop and the last, for ptdiff and kalloc.
        Only the kernel changes them, and it runs on a system call or a trap: if
        it did not run since the last stop, the last snapshot still holds (most
        single steps; a snapshot costs about as much as the rest of a step)."""
        work = self._kernel_work()
        if work != self.kernel_at_stop:
            self.since, self.at_stop, self.kernel_at_stop = self.at_stop, ptdata.snapshot(self.m), work
        else:
            self.since = self.at_stop

    def _kernel_work(self) -> tuple[int, int, int]:
        """System calls served, faults taken and timer ticks, so far."""
        from .. import timer
        from ..proc import proc
        with self.m.entered():
            c = proc.mycpu()
            return c.nsyscall, c.nfault, timer.ticks

    def stop_packets(self) -> list:
        """The console output since the last stop, then the stop reply for
        self.stop (with the fault's explanation, or the run's summary)."""
        out = self._output()
        stop = self.stop
        if stop.halted:
            r = stop.result
            out += _console_packets(f"[xv6py] {r.summary()}\n".encode())
            if r.status == "exit":
                return out + ["W00"]
            return out + ["X%02x" % STATUS_SIGNAL.get(r.status, SIGABRT)]
        signal = SIGINT if stop.reason == "interrupted" else SIGTRAP
        if stop.reason == "fault":
            out += _console_packets(stop.detail.encode() + b"\n")
            fault = self.m.x86.fault
            signal = TRAP_SIGNAL.get(fault[0], SIGSEGV) if fault else SIGSEGV
        reply = "T%02x" % signal + (f"thread:{stop.pid:x};" if stop.pid else "")
        kind = next((k for (k, _), n in self.bps.items() if n == stop.breakpoint), 0)
        if stop.reason == "breakpoint" and self.swbreak:
            reply += "hwbreak:;" if kind == 1 else "swbreak:;"
        elif stop.reason == "watchpoint" and kind in WATCH_KINDS:
            reply += f"{WATCH_KINDS[kind][1]}:{stop.address:x};"
        return out + [reply]

    def _output(self) -> list:
        """O packets of what the machine's console got since the last look."""
        return _console_packets(self.dbg.new_output())

    def _stop_reply(self, text: str) -> list:
        """?: why the program is stopped."""
        return self.stop_packets()

    def _detach(self, text: str) -> list:
        """D: detach; the program runs to its end."""
        self.done = True
        return ["OK"]

    def _kill(self, text: str) -> list:
        """k / vKill: the program runs to its end all the same (there is no kill from outside)."""
        self.done = True
        return ["OK"] if text.startswith("vKill") else []

    # ---- queries --------------------------------------------------------------------------

    def _supported(self, text: str) -> list:
        """qSupported: our features; note whether gdb understands swbreak."""
        self.swbreak = "swbreak+" in text.split(":", 1)[-1].split(";")
        return [f"PacketSize={PACKET_SIZE:x};QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+"]

    def _no_ack(self, text: str) -> list:
        """QStartNoAckMode: no `+`/`-` after this reply."""
        self.acks = False               # from the next packet on; this OK is still acked
        return ["OK"]

    def _current_thread(self, text: str) -> list:
        """qC: the thread that stopped last."""
        pid = self.dbg.focus
        return [f"QC{pid:x}" if pid else ""]

    def _first_threads(self, text: str) -> list:
        """qfThreadInfo: every thread at once (qsThreadInfo then ends the list)."""
        pids = self.threads()
        return ["m" + ",".join(f"{pid:x}" for pid in pids) if pids else "l"]

    def _thread_info(self, text: str) -> list:
        """qThreadExtraInfo,TID: what `info threads` shows beside the pid."""
        pid = _thread_id(text.partition(",")[2])
        p = next((p for p in self.dbg.processes() if p["pid"] == pid), None)
        return [f"{p['name']}, {p['state']}".encode().hex() if p else ERROR]

    def _monitor(self, text: str) -> list:
        """qRcmd,HEX: a view command (commands.COMMANDS); its text as console
        output, then OK (an error is output too: gdb shows it either way)."""
        line = bytes.fromhex(text.partition(",")[2]).decode("utf-8", "replace")
        words = line.split()
        if not words or words[0] == "help":
            out = "\n".join(usage for _, usage in commands.COMMANDS.values())
        else:
            try:
                out = render.text(commands.command(self.m, " ".join(self._with_pid(words)), self.since))
            except ValueError as e:
                out = str(e)
        return _console_packets(out.rstrip("\n").encode() + b"\n") + ["OK"]

    def _with_pid(self, words: list[str]) -> list[str]:
        """pt and walk look at the process that stopped last when given no pid
        (the thread gdb shows; gdb does not tell a stub which one the user picked,
        and `Hg` may name any thread gdb last read registers of)."""
        if self.dbg.focus not in self.threads():
            return words
        pid = str(self.dbg.focus)
        if words[0] == "pt" and len(words) == 1:
            return words + [pid]
        if words[0] == "walk" and len(words) >= 2 and all(w in ptdata.ACCESSES for w in words[2:]):
            return words[:2] + [pid] + words[2:]
        return words


def _packet_name(text: str) -> str:
    """The name of a q, Q or v packet: up to its first `:`, `,` or `;` (vCont? whole)."""
    if text[0] not in "qQv":
        return ""
    end = len(text)
    for sep in ":,;":
        i = text.find(sep)
        if i >= 0:
            end = min(end, i)
    return text[:end]


def _breakpoint_args(text: str) -> tuple[int, int, int]:
    """Z0,ADDR,KIND[;cond...] -> (0, ADDR, KIND): KIND is a watchpoint's length."""
    kind, addr, size = text[1:].split(";")[0].split(",", 2)
    return int(kind, 16), int(addr, 16), int(size, 16)


def _console_packets(data: bytes, chunk: int = 1024) -> list[str]:
    """data as O packets (console output shown by gdb), hex-encoded."""
    return ["O" + data[i:i + chunk].hex() for i in range(0, len(data), chunk)]


# The commands: a packet's first letter, or the name of a q/Q/v packet.
SINGLE = {
    "?": GdbStub._stop_reply,
    "g": GdbStub._read_registers, "G": GdbStub._write_registers,
    "p": GdbStub._read_register, "P": GdbStub._write_register,
    "m": GdbStub._read_memory, "M": GdbStub._write_memory,
    "c": GdbStub._continue, "C": GdbStub._continue,
    "s": GdbStub._step, "S": GdbStub._step,
    "Z": GdbStub._insert, "z": GdbStub._remove,
    "H": GdbStub._set_thread, "T": GdbStub._alive,
    "D": GdbStub._detach, "k": GdbStub._kill,
}
NAMED = {
    "qSupported": GdbStub._supported,
    "QStartNoAckMode": GdbStub._no_ack,
    "qAttached": lambda stub, text: ["1"],          # so that gdb detaches when it quits
    "qC": GdbStub._current_thread,
    "qfThreadInfo": GdbStub._first_threads,
    "qsThreadInfo": lambda stub, text: ["l"],       # all were in the first answer
    "qThreadExtraInfo": GdbStub._thread_info,
    "qSymbol": lambda stub, text: ["OK"],           # no symbols wanted
    "qRcmd": GdbStub._monitor,
    "vCont?": lambda stub, text: ["vCont;c;C;s;S"],
    "vCont": GdbStub._vcont,
    "vKill": GdbStub._kill,
}


# ---- serving one client ---------------------------------------------------------------------

def serve(machine, prog, args=(), port: int = 0, *, host: str = LOOPBACK, ready=None,
          timeout: float | None = None):
    """Run prog with args on machine under gdb: start it stopped at its first
    instruction, listen on host:port (a loopback address; port 0 picks a free
    one), call ready(port) once listening, serve one gdb client, then run the
    program to its end. Returns the RunResult.

    The run also goes on to its end when the client detaches, kills or goes
    away, or, with a timeout (seconds), when no client came or one fell silent
    for that long. Raises ValueError for a host that is not a loopback address
    or a program that does not exist."""
    host = LOOPBACK if host == "localhost" else host
    family = _loopback_family(host)
    dbg = Debugger(machine, prog, args)
    sock = _accept_one(family, host, port, ready, timeout)
    if sock is not None:
        with sock:
            _session(GdbStub(dbg), Connection(sock))
    if dbg.last is not None and dbg.last.halted:
        return dbg.result
    return dbg.finish_run()


def _loopback_family(host: str) -> int:
    """The address family of a loopback address. Anything else is refused: the
    stub reads and writes a program's memory for whoever connects."""
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        addr = None
    if addr is None or not addr.is_loopback:
        raise ValueError(f"the gdb stub listens on a loopback address only, not {host!r}")
    return socket.AF_INET6 if addr.version == 6 else socket.AF_INET


def _accept_one(family: int, host: str, port: int, ready, timeout: float | None):
    """Listen, tell ready the port, accept one client and stop listening (so
    that a second client is refused). None if none came within timeout."""
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1)
        listener.settimeout(timeout)
        if ready is not None:
            ready(listener.getsockname()[1])
        try:
            sock, _ = listener.accept()
        except TimeoutError:
            return None
    sock.settimeout(timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # many small packets, each awaited
    return sock


def _session(stub: GdbStub, conn: Connection) -> None:
    """Answer the client's packets until it detaches, kills or goes away."""
    stub.interrupted = conn.interrupted
    while not stub.done:
        data = conn.receive()
        if data is None:
            return
        for packet in stub.handle(data):
            if not conn.send(packet):
                return
        conn.acks = stub.acks
