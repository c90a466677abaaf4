"""The gdb remote stub (xv6py/debug/gdbstub.py): real gdb in batch mode against
a stub serving on a loopback port, and the protocol itself through a small
client written here (checksums, acks, errors, breakpoints, monitor commands).

Every session must leave the program's run as a plain run leaves it: the same
output and instruction count, however gdb stopped and stepped it."""

import functools
import re
import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest
from elftools.elf.elffile import ELFFile

from xv6py.debug import commands, gdbstub, ptdata, render
from xv6py.debug.debugger import Debugger
from xv6py.debug.dwarf import Symbols
from xv6py.machine import Machine
from xv6py.programs import program_path

GDB = shutil.which("gdb")
needs_gdb = pytest.mark.skipif(GDB is None, reason="gdb is not installed")
WAIT = 10           # seconds any one side waits for the other before giving up


@functools.cache
def plain(prog: str, args: tuple = ()):
    """The program's run with no debugger (call it before a stub runs: one
    machine at a time)."""
    return Machine().run(prog, list(args))


def symbol(prog: str, name: str) -> tuple[int, int]:
    """(address, size) of a symbol in the program's ELF file."""
    with open(program_path(prog), "rb") as f:
        sym = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name(name)[0]
        return sym["st_value"], sym["st_size"]


def line_address(prog: str, where: str) -> int:
    return Symbols.load(program_path(prog)).resolve(where)


@contextmanager
def stub(prog: str, args: tuple = (), timeout: float = WAIT):
    """serve(prog) in a thread on a free loopback port; yields a dict with
    "port", and after the block "result" (the RunResult). The thread must end."""
    m = Machine()
    box: dict = {}
    listening = threading.Event()

    def ready(port):
        box["port"] = port
        listening.set()

    def target():
        try:
            box["result"] = gdbstub.serve(m, prog, args, 0, ready=ready, timeout=timeout)
        except BaseException as e:      # handed to the test below
            box["error"] = e
            listening.set()

    t = threading.Thread(target=target, daemon=True)
    t.start()
    assert listening.wait(WAIT), "the stub never listened"
    try:
        yield box
    finally:
        t.join(timeout + WAIT)
        assert not t.is_alive(), "the stub's thread did not end"
    if "error" in box:
        raise box["error"]


def gdb(prog: str, port: int, *commands: str) -> str:
    """gdb in batch mode: load prog's symbols, connect, run commands; its
    stdout and stderr together (gdb writes the target's output to stderr)."""
    argv = [GDB, "-nx", "-batch", "-iex", "set debuginfod enabled off",
            "-ex", "set architecture i386", "-ex", f"file {program_path(prog)}",
            "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        argv += ["-ex", c]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return done.stdout + done.stderr


def same_run(result, reference) -> None:
    assert result.status == reference.status == "exit"
    assert result.output == reference.output
    assert result.instructions == reference.instructions
    assert result.free_frames_after == result.free_frames_before


# ---- real gdb ---------------------------------------------------------------------------------

@needs_gdb
def test_gdb_break_main_stops_where_the_symbols_say():
    ref = plain("hello")
    main, size = symbol("hello", "main")
    with stub("hello") as box:
        out = gdb("hello", box["port"], "break main", "continue", "info registers eip", "continue")
    at = int(re.search(r"Breakpoint 1 at (0x[0-9a-f]+): file .*hello\.c", out).group(1), 16)
    assert main < at < main + size                     # past main's prologue, inside main
    assert at == line_address("hello", "main")
    assert re.search(r"Breakpoint 1, (0x0*%x in )?main \(\)" % at, out), out
    assert re.search(r"eip\s+0x%x\s+0x%x <main\+%d>" % (at, at, at - main), out), out
    assert "exited normally" in out
    assert "hello, world" in out                        # the console, forwarded to gdb
    same_run(box["result"], ref)


@needs_gdb
def test_gdb_session_on_shmtest_changes_nothing_the_program_computes():
    ref = plain("shmtest")
    line70 = line_address("shmtest", "shmtest.c:70")   # the parent, once the child stored 42
    oracle = Debugger(Machine(), "shmtest")            # the same stop, through the API
    oracle.break_at(line70)
    assert oracle.cont().pid == 2
    stack = oracle.read(oracle.registers()["esp"], 16)
    oracle.finish_run()
    with stub("shmtest") as box:
        out = gdb("shmtest", box["port"],
                  "info registers eip", "break main", "break shmtest.c:70", "continue",
                  "info registers eip", "x/4xw $esp", "x/2xw 0x10000000", "stepi",
                  "monitor walk 0x10000000", "monitor walk 0x20000000 3", "monitor pt", "continue")
    main, _ = symbol("shmtest", "main")
    assert re.search(r"eip\s+0x%x\s+0x%x <main>" % (main, main), out), out   # connected at main
    assert f"Breakpoint 1 at {main:#x}" in out
    assert re.search(r"Breakpoint 2, main \(\) at .*shmtest\.c:7[01]", out), out
    assert re.search(r"eip\s+0x%x\s+0x%x <main\+%d>" % (line70, line70, line70 - main), out)
    words = [int.from_bytes(stack[i:i + 4], "little") for i in range(0, 16, 4)]
    assert re.search(r":\s+" + r"\s+".join("0x%08x" % w for w in words), out), out
    assert re.search(r"0x10000000:\s+0x0000002a\s+0x00000000", out), out
    walks = re.findall(r"walk (0x[0-9a-f]+) \(user read\)(?:.*\n)+?\s+-> frame (0x[0-9a-f]+) \+", out)
    assert [w[0] for w in walks] == ["0x10000000", "0x20000000"], out
    assert walks[0][1] == walks[1][1]          # parent and child: the same frame
    assert "shm 0" in out                       # monitor pt: the parent's attached segment
    assert "exited normally" in out
    assert "parent: child exited; detached and destroyed segment 0" in out
    same_run(box["result"], ref)


@needs_gdb
def test_gdb_fault_stop_explains_the_walk_then_the_kernel_kills():
    ref = plain("faults", ("read-unmapped",))
    with stub("faults", ("read-unmapped",)) as box:
        out = gdb("faults", box["port"], "continue", "info registers eip", "continue")
    assert "received signal SIGSEGV" in out
    assert "read_unmapped () at" in out
    addr, _ = symbol("faults", "read_unmapped")
    assert re.search(r"eip\s+0x%x\s" % addr, out) is not None
    assert "page fault: err 4 = page not present, read, user mode; addr 0x40000000" in out
    assert "PDE not present" in out
    assert "exited normally" in out
    assert box["result"].faults == ref.faults == 1
    same_run(box["result"], ref)


# ---- the protocol, through a small client -----------------------------------------------------

class Client:
    """A minimal gdb: packets out with their checksum, acks and replies in."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # each packet is awaited
        self.buf = b""
        self.acks = True
        self.console = b""          # what came in O packets

    def close(self):
        self.sock.close()

    def byte(self) -> bytes:
        while not self.buf:
            data = self.sock.recv(4096)
            assert data, "the stub closed the connection"
            self.buf += data
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def send(self, data: bytes, cs: int | None = None) -> None:
        cs = sum(data) % 256 if cs is None else cs
        self.sock.sendall(b"$" + data + b"#" + b"%02x" % cs)

    def packet(self) -> bytes:
        while self.byte() != b"$":
            pass
        data = b""
        while (b := self.byte()) != b"#":
            data += b
        cs = int(self.byte() + self.byte(), 16)
        assert cs == sum(data) % 256, f"bad checksum from the stub on {data!r}"
        if self.acks:
            self.sock.sendall(b"+")
        return data

    def ask(self, data: bytes) -> bytes:
        """Send a packet; its reply (console output packets collected aside)."""
        self.send(data)
        if self.acks:
            assert self.byte() == b"+"
        while True:
            reply = self.packet()
            if reply.startswith(b"O") and reply != b"OK":
                self.console += bytes.fromhex(reply[1:].decode())
            else:
                return reply

    def register(self, n: int) -> int:
        return int.from_bytes(bytes.fromhex(self.ask(b"p%x" % n).decode()), "little")


@contextmanager
def client(prog: str, args: tuple = ()):
    with stub(prog, args) as box:
        c = Client(box["port"])
        try:
            yield c, box
        finally:
            c.close()


def test_checksums_acks_and_a_bad_packet():
    with client("hello") as (c, _):
        c.send(b"?", cs=0x00)                   # wrong: '?' is 0x3f
        assert c.byte() == b"-"
        reply = c.ask(b"?")                     # sent again, right
        assert reply == b"T05thread:2;"
        assert c.ask(b"qC") == b"QC2"
        assert c.ask(b"qfThreadInfo") == b"m2" and c.ask(b"qsThreadInfo") == b"l"
        assert c.ask(b"vMustReplyEmpty") == b""     # unknown packets: the empty reply
        assert c.ask(b"QStartNoAckMode") == b"OK"
        c.acks = False
        c.send(b"qAttached")
        assert c.packet() == b"1"               # no `+` before it any more
        c.ask(b"D")


def test_frame_escapes_reserved_bytes():
    assert gdbstub.frame(b"OK") == b"$OK#9a"
    packet = gdbstub.frame(b"a#b}c$d*")
    body = packet[1:packet.rindex(b"#")]
    assert body == b"a}\x03b}]c}\x04d}\x0a"
    assert packet.endswith(b"#%02x" % (sum(body) % 256))


def test_memory_reads_go_through_the_page_table():
    with client("shmtest") as (c, box):
        main, size = symbol("shmtest", "main")
        with open(program_path("shmtest"), "rb") as f:
            elf = ELFFile(f)
            text = elf.get_section_by_name(".text")
            code = text.data()[main - text["sh_addr"]:][:16]
        assert c.ask(b"m%x,10" % main) == code.hex().encode()
        assert c.ask(b"m40000000,4") == b"E01"          # nothing mapped
        assert c.ask(b"m80100000,4") == b"E01"          # the kernel: present, not PTE_U
        assert c.ask(b"m2000,4") == b"E01"              # the guard page: not PTE_U
        esp = c.register(4)
        top = (esp | 0xFFF) + 1                         # the stack page's end; nothing above
        assert len(bytes.fromhex(c.ask(b"m%x,8" % (top - 4)).decode())) == 4   # the readable part
        c.ask(b"D")
    same_run(box["result"], plain("shmtest"))


def test_z0_then_continue_stops_at_it():
    line70 = line_address("shmtest", "shmtest.c:70")
    ref = plain("shmtest")
    with client("shmtest") as (c, box):
        c.ask(b"qSupported:multiprocess+;swbreak+;hwbreak+")
        assert c.ask(b"Z0,%x,1" % line70) == b"OK"
        assert c.ask(b"c") == b"T05thread:2;swbreak:;"
        assert c.register(8) == line70                   # eip
        regs = bytes.fromhex(c.ask(b"g").decode())
        assert int.from_bytes(regs[32:36], "little") == line70
        assert c.ask(b"m10000000,4") == (42).to_bytes(4, "little").hex().encode()
        assert c.ask(b"z0,%x,1" % line70) == b"OK"
        assert c.ask(b"vCont;c") == b"W00"
        output, summary = c.console.decode().split("[xv6py] ")
        assert output == ref.output                      # forwarded once, in two stops
        assert summary == ref.summary() + "\n"
    same_run(box["result"], ref)


def test_threads_are_the_processes_each_with_its_page_table():
    line70 = line_address("shmtest", "shmtest.c:70")
    forty_two = (42).to_bytes(4, "little").hex().encode()
    with client("shmtest") as (c, _):
        c.ask(b"Z0,%x,1" % line70)
        assert c.ask(b"c") == b"T05thread:2;"
        assert c.ask(b"qfThreadInfo") == b"m2,3"         # the parent, and its forked child
        assert c.ask(b"T3") == b"OK" and c.ask(b"T9") == b"E01"
        assert bytes.fromhex(c.ask(b"qThreadExtraInfo,3").decode()).startswith(b"shmtest, ")
        assert c.ask(b"m10000000,4") == forty_two        # the parent maps the segment here
        assert c.ask(b"m20000000,4") == b"E01"           # ... and not here
        assert c.ask(b"Hg3") == b"OK"
        assert c.ask(b"m20000000,4") == forty_two        # the child: the other way round
        assert c.ask(b"m10000000,4") == b"E01"
        assert c.ask(b"Hg9") == b"E01"
        c.ask(b"D")


def test_stepi_moves_one_instruction_of_the_thread_named():
    ref = plain("hello")
    oracle = Debugger(Machine(), "hello")
    expected = [oracle.registers()["eip"]] + [oracle.stepi().eip for _ in range(3)]
    oracle.finish_run()
    with client("hello") as (c, box):
        assert c.ask(b"vCont?") == b"vCont;c;C;s;S"
        eips = [c.register(8)]
        for _ in range(3):
            assert c.ask(b"vCont;s:2;c") == b"T05thread:2;"
            eips.append(c.register(8))
        assert eips == expected
        assert len(set(eips)) == 4
        assert c.ask(b"c") == b"W00"
    same_run(box["result"], ref)


def test_register_writes_keep_ring_3():
    with client("hello") as (c, _):
        assert c.ask(b"P0=78563412") == b"OK"
        assert c.register(0) == 0x12345678                 # eax
        cs = c.register(10)
        assert c.ask(b"P%x=%s" % (10, (0x08).to_bytes(4, "little").hex().encode())) == b"E01"
        assert c.register(10) == cs == 0x1B                 # still the user code segment
        flags = c.register(9)
        tf_cf = (flags | 0x100 | 0x1).to_bytes(4, "little").hex().encode()
        assert c.ask(b"P9=" + tf_cf) == b"OK"
        assert c.register(9) == flags | 0x1                 # CF set, TF not
        assert c.ask(b"p18") == b"xxxxxxxx"                 # an x87 register: unavailable
        c.ask(b"D")


def test_monitor_commands_answer_as_console_output():
    oracle = Debugger(Machine(), "shmtest")             # the same machine state, by the API
    expected = render.text(commands.command(oracle.m, "walk 0x3000 2"))
    oracle.finish_run()
    with client("shmtest") as (c, _):
        assert c.ask(b"qRcmd," + b"walk 0x3000".hex().encode()) == b"OK"
        assert c.console.decode() == expected          # of the stopped process, pid 2
        assert "-> frame" in expected
        c.console = b""
        assert c.ask(b"qRcmd," + b"nonsense".hex().encode()) == b"OK"
        assert "commands: pt [PID]" in c.console.decode()
        c.ask(b"D")


def test_monitor_ptdiff_compares_with_the_stop_before():
    line66, line68, line77 = (line_address("shmtest", f"shmtest.c:{n}") for n in (66, 68, 77))
    oracle = Debugger(Machine(), "shmtest")             # the parent: before and after its attach,
    bp = oracle.break_at(line66)                        # three steps, after its detach
    oracle.cont()
    at66 = ptdata.snapshot(oracle.m)
    oracle.delete(bp.number)
    bp = oracle.break_at(line68)                        # the spin loop: hit again and again
    oracle.cont()
    at68 = ptdata.snapshot(oracle.m)
    oracle.delete(bp.number)
    attach = render.text(render.render_ptdiff(ptdata.ptdiff(at66, at68)))
    for _ in range(3):
        oracle.stepi()
    oracle.break_at(line77)
    while oracle.cont().reason != "breakpoint":         # past the child's exit
        pass
    detach = render.text(render.render_ptdiff(ptdata.ptdiff(at68, ptdata.snapshot(oracle.m))))
    oracle.finish_run()
    assert re.fullmatch(r"\D*\n2\s+added\s+0x10000000-0x10001fff .*shm 0.*\n", attach), attach
    assert "removed" in detach

    def ptdiff(c):
        c.console = b""
        assert c.ask(b"qRcmd," + b"ptdiff".hex().encode()) == b"OK"
        return c.console.decode()

    with client("shmtest") as (c, _):
        assert ptdiff(c).startswith("no earlier stop")
        for line in (line66, line68):
            c.ask(b"Z0,%x,1" % line)
            assert c.ask(b"c") == b"T05thread:2;" and c.register(8) == line
            c.ask(b"z0,%x,1" % line)
        assert ptdiff(c) == attach
        for _ in range(3):
            c.ask(b"vCont;s:2;c")
            assert ptdiff(c) == "no mapping changed\n"
        c.ask(b"Z0,%x,1" % line77)
        assert c.ask(b"c") == b"T05thread:2;"
        assert c.register(8) == line77
        assert ptdiff(c) == detach
        c.ask(b"D")


def test_one_client_only_and_the_run_ends_with_it():
    ref = plain("hello")
    with client("hello") as (c, box):
        assert c.ask(b"?").startswith(b"T05")      # accepted: the stub listens no more
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", box["port"]), timeout=WAIT).close()
        c.close()                           # gone without a word: the run goes on to its end
    same_run(box["result"], ref)


def test_no_client_within_the_timeout_runs_to_the_end():
    ref = plain("hello")
    with stub("hello", timeout=0.2) as box:
        pass
    same_run(box["result"], ref)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org", "::"])
def test_only_loopback_hosts(host):
    with pytest.raises(ValueError, match="loopback"):
        gdbstub.serve(Machine(), "hello", (), 0, host=host)


# ---- watchpoints and ^C -----------------------------------------------------------------------

@needs_gdb
@pytest.mark.parametrize("hardware", [True, False], ids=["hardware", "software"])
def test_gdb_watchpoint_stops_after_the_store_and_changes_nothing(hardware):
    """gdb's `watch` on flag[1] (the parent's answer, 0 until line 72 stores 1),
    with the stub's watchpoints (Z2) and with gdb single-stepping instead."""
    ref = plain("shmtest")
    setting = () if hardware else ("set can-use-hw-watchpoints 0",)
    with stub("shmtest") as box:
        out = gdb("shmtest", box["port"], *setting, "break shmtest.c:70", "continue",
                  "watch *(int *)0x10000004", "continue", "info registers eip", "delete", "continue")
    name = "Hardware watchpoint" if hardware else "Watchpoint"
    assert re.search(name + r" 2: \*\(int \*\)0x10000004\s+Old value = 0\s+New value = 1", out), out
    line72 = line_address("shmtest", "shmtest.c:72")
    eip = int(re.search(r"eip\s+(0x[0-9a-f]+)", out.split("New value = 1")[1]).group(1), 16)
    assert eip > line72                                 # after the store on line 72, not at it
    assert "exited normally" in out
    same_run(box["result"], ref)


def test_watchpoint_packets_watch_a_segment_through_the_thread_selected():
    ref = plain("shmtest")
    line41 = line_address("shmtest", "shmtest.c:41")    # the child, once it stored 42
    with client("shmtest") as (c, box):
        assert c.ask(b"Z0,%x,1" % line41) == b"OK"
        assert c.ask(b"c") == b"T05thread:3;"
        assert c.ask(b"z0,%x,1" % line41) == b"OK"
        assert c.ask(b"Hg3") == b"OK"
        assert c.ask(b"Z2,20000004,4") == b"OK"        # flag[1], as the child maps it
        assert c.ask(b"Z3,40000000,4") == b"E01"       # nothing mapped there
        assert c.ask(b"c") == b"T05thread:2;watch:20000004;"   # the parent's store, line 72
        assert c.ask(b"Hg2") == b"OK" and c.ask(b"m10000004,4") == b"01000000"
        assert c.ask(b"z2,20000004,4") == b"OK"
        assert c.ask(b"c") == b"W00"
    same_run(box["result"], ref)


def test_ctrl_c_stops_a_running_program():
    """regloop with a count that would take seconds: ^C stops it inside its
    loop; %ecx (the count left) set to 1 ends the loop at once."""
    with client("regloop", ("500000000",)) as (c, box):
        c.send(b"c")
        assert c.byte() == b"+"
        time.sleep(0.2)
        c.sock.sendall(b"\x03")
        assert c.packet() == b"T02thread:2;"
        ecx = c.register(1)
        assert 0 < ecx < 500000000
        assert c.ask(b"P1=01000000") == b"OK"
        assert c.ask(b"c") == b"W00"
        assert b"regloop: done" in c.console
    assert box["result"].status == "exit"
