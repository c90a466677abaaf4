"""The REPL (`xv6py debug`), trace mode (`xv6py run --trace`), and the picture
command (`xv6py pt --svg`), driven as a user drives them."""

import io
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from xv6py.cli import main as cli
from xv6py.debug import repl
from xv6py.debug.trace import Trace
from xv6py.machine import Machine


def transcript(capsys, prog, commands, args=()) -> str:
    status = repl.main(Machine(), prog, list(args), script=io.StringIO("\n".join(commands) + "\n"))
    out = capsys.readouterr().out
    return out, status


def test_a_script_of_gdb_commands(capsys):
    out, status = transcript(capsys, "shmtest", [
        "break shmtest.c:68", "continue", "info registers", "x/2xw $esp", "x/s 0xf6c", "bt",
        "walk 0x10000000", "shm", "next", "info breakpoints", "delete 1", *["continue"] * 4, "quit"])
    assert status == 0
    assert "Breakpoint 1 at 0x100: file shmtest.c, line 68." in out
    assert "Breakpoint 1, main () at shmtest.c:68" in out
    assert re.search(r"^eip\s+0x00000100\s+256$", out, re.M)
    assert "'parent: created segment %d of %d bytes\\n'" in out
    assert "#0  0x00000100 in main () at shmtest.c:68" in out
    assert "PDX 64 | PTX 0" in out and "-> frame" in out          # the walk, level by level
    assert "2 shmtest @ 0x10000000" in out                         # the shm table
    assert "main () at shmtest.c:71" in out                        # next
    assert "hit 1 time(s)" in out
    assert "[the machine halted] shmtest: exit" in out
    assert "\x1b[" not in out                                      # no colour codes when piped


def test_gdbs_short_forms_and_quit_stops_the_program_where_it_is(capsys):
    out, status = transcript(capsys, "regloop", [
        "b main", "c", "i r", "si", "ni", "n", "s", "p $eax", "bt", "q"], ["300000000"])
    assert status == 0
    assert "Breakpoint 1, main () at regloop.c:" in out
    assert re.search(r"^eip\s+0x", out, re.M)
    assert "#0" in out
    assert "regloop: stopped (stopped by the debugger)" in out      # not run to its end
    assert "regloop: done" not in out


def test_the_end_of_a_piped_script_stops_the_program(capsys):
    out, status = transcript(capsys, "regloop", ["b main", "c"], ["300000000"])
    assert status == 0 and "regloop: stopped" in out and "regloop: done" not in out


def test_nexti_steps_over_a_call(capsys):
    out, _ = transcript(capsys, "hello", ["b main", "c", "si 200", "q"])
    m = Machine()
    from xv6py.debug.debugger import Debugger
    d = Debugger(m, "hello", [])
    d.break_at("main")
    d.cont()
    for _ in range(200):                    # to the first call
        line = d.disassemble(count=1)[0]
        if " call" in line:
            break
        d.stepi()
    assert " call" in line
    depth = len(d.backtrace())
    r = repl.Repl(d, stdin=io.StringIO(""))
    r.do_ni("")
    assert len(d.backtrace()) == depth and " call" not in d.disassemble(count=1)[0].split(">")[0]
    d.stop_run()


def test_ptdiff_and_kalloc_between_two_stops(capsys):
    out, _ = transcript(capsys, "shmtest", [
        "break shmtest.c:66", "break shmtest.c:68", "continue", "continue", "ptdiff", "kalloc", "quit"])
    after = out.split("(xv6py) ptdiff", 1)[1]
    table = after.split("(xv6py) kalloc", 1)[0]
    assert re.search(r"^2\s+added\s+0x10000000-0x10001fff\s+2\s+P W U\s+shm 0", table, re.M)
    assert "removed" not in table
    assert "(xv6py) kalloc" in out


def test_bad_commands_are_reported_and_the_session_goes_on(capsys):
    out, status = transcript(capsys, "hello", [
        "bogus", "break nowhere", "x/4xw 0x90000000", "delete 7", "stepi 0", "info", "continue",
        "continue", "continue", "stepi"])
    assert 'unknown command "bogus"' in out
    assert "error: no symbol or line 'nowhere' in hello" in out
    assert "error: cannot access memory at 0x90000000" in out
    assert "error: no breakpoint number 7" in out
    assert "error: stepi needs a count of at least 1" in out
    assert "process 2 (hello) exited: exit" in out
    assert "[the machine halted] hello: exit" in out
    assert "the run has ended; nothing to continue" in out
    assert status == 0


def test_watch_commands_and_setting_a_register(capsys):
    out, status = transcript(capsys, "shmtest", [
        "break shmtest.c:41", "continue", "watch 0x20000004", "rwatch 0x20000000 4", "info breakpoints",
        "delete 3", "continue", "set $cs = 0", "set $eax = 7", "info registers", "quit"])
    assert status == 0
    assert re.search(r"Watchpoint 2 \(write\): 4 byte\(s\) at 0x20000004 of pid 3, physical 0x[0-9a-f]+", out)
    assert re.search(r"^3\s+0x20000000\s+read watch, 4 byte\(s\) of pid 3\s+hit 0 time\(s\)", out, re.M)
    assert "Watchpoint 2: 4 byte(s) at 0x20000004: pid 2 wrote 0x20000004" in out   # through 0x10000004
    assert "Old value = 0x00000000\nNew value = 0x00000001" in out
    assert "error: cs cannot change: the process must stay in ring 3" in out
    assert re.search(r"^eax\s+0x00000007\s+7$", out, re.M)


def test_ctrl_c_stops_the_program_and_the_session_goes_on(capsys):
    """SIGINT while `continue` runs (as ^C at a terminal sends it): a stop, not the end."""
    import signal
    import threading
    import time

    def press_ctrl_c():
        """Once the REPL is running the program (its SIGINT handler is in place)."""
        deadline = time.monotonic() + 10
        while signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    try:
        out, status = transcript(capsys, "regloop", ["continue", "set $ecx = 1", "continue", "quit"],
                                 ["300000000"])
    finally:
        presser.join()
    assert "Program received SIGINT: pid 2, main () at regloop.c:" in out
    assert "regloop: done" in out and status == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler     # put back


def test_a_fault_in_the_debugger_shows_the_walk(capsys):
    out, status = transcript(capsys, "faults", ["continue", "continue", "bt", "quit"], ["kernel-read"])
    assert "trap 14" in out and "PTE_U clear: user access to a supervisor page" in out
    assert status == 0      # faults itself exits; its child was the one killed


def test_trace_syscalls_faults_and_pt():
    lines = []
    m = Machine()
    Trace(m, ["syscalls", "faults", "pt"], lines.append)
    r = m.run("faults", ["guard"])
    assert r.status == "exit"
    text = "\n".join(lines)
    assert "[syscall] pid 2 faults: exec('faults', 0x" in text
    assert "[syscall] pid 1 init: wait(): sleeps" in text
    assert re.search(r"^\[pt\] 3\s+added\s+0x00002000-0x00002fff\s+1\s+P W -\s+guard", text, re.M)
    assert "[fault] page fault: err 7 = protection violation, write, user mode" in text
    assert "[fault]   fault at the PTE: PTE_U clear: user access to a supervisor page" in text
    assert r.output == Machine().run("faults", ["guard"]).output     # tracing changes nothing
    with pytest.raises(ValueError):
        Trace(Machine(), ["colours"], lines.append)


def test_trace_of_shm_attach_shows_exactly_the_new_range():
    lines = []
    m = Machine()
    Trace(m, ["pt"], lines.append)
    m.run("shmtest")
    i = next(i for i, line in enumerate(lines) if "shm 0" in line and "added" in line)
    assert re.search(r"added\s+0x10000000-0x10001fff\s+2\s+P W U\s+shm 0", lines[i]) or \
        re.search(r"added\s+0x20000000-0x20001fff\s+2\s+P W U\s+shm 0", lines[i])


def test_cli_run_with_trace(capfd):
    assert cli(["run", "--trace", "syscalls,faults", "faults", "div0"]) == 0
    err = capfd.readouterr().err
    assert "[syscall] pid 3 faults: write(1, 0x" in err
    assert "[fault] divide error" in err
    assert cli(["run", "--trace", "nope", "hello"]) == 2


def test_cli_pt_svg(tmp_path, capfd):
    out = tmp_path / "pt.svg"
    assert cli(["pt", "--svg", str(out), "--at", "shmtest.c:70", "shmtest"]) == 0
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    procs = [g for g in root.iter() if g.get("class") == "proc"]
    assert {g.get("data-pid") for g in procs} >= {"2", "3"}
    assert any(p.get("class") == "share" for p in root.iter() if p.tag.endswith("path"))
    assert "wrote" in capfd.readouterr().err
    assert cli(["pt", "--svg", str(out), "--at", "nowhere", "shmtest"]) == 2


def test_xv6py_debug_reads_commands_from_stdin():
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    p = subprocess.run([sys.executable, "-m", "xv6py", "debug", "hello"], input="break main\ncontinue\n"
                       "bt\nquit\n", capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    assert "Breakpoint 1, main () at hello.c:" in p.stdout
    assert "#0" in p.stdout and "in main () at hello.c:" in p.stdout
