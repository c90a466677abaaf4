"""The debugger API (xv6py/debug/debugger.py): stops, breakpoints, stepping by
instruction and by line, system call and fault stops, memory and registers,
backtraces -- and that none of it changes what the program computes."""

import pytest
from elftools.elf.elffile import ELFFile

from xv6py.debug.debugger import Debugger
from xv6py.debug.dwarf import Symbols
from xv6py.machine import Machine
from xv6py.programs import program_path


def symbol(prog: str, name: str) -> int:
    with open(program_path(prog), "rb") as f:
        return ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name(name)[0]["st_value"]


def entry(prog: str) -> int:
    with open(program_path(prog), "rb") as f:
        return ELFFile(f).header["e_entry"]


@pytest.fixture
def shmtest():
    return Debugger(Machine(), "shmtest")


def test_starts_stopped_at_the_programs_entry(shmtest):
    d = shmtest
    assert d.last.reason == "start"
    assert d.last.pid == d.run.pid
    assert d.registers()["eip"] == entry("shmtest")
    assert d.processes()[1]["name"] == "shmtest"       # exec has happened; nothing ran yet
    assert d.m.processes()[1]["insns"] > 0              # (the instructions of fork's child before exec)


def test_break_at_a_function_stops_after_its_prologue(shmtest):
    d = shmtest
    bp = d.break_at("main")
    main = symbol("shmtest", "main")
    assert main < bp.address < main + 64
    stop = d.cont()
    assert (stop.reason, stop.breakpoint, stop.eip) == ("breakpoint", bp.number, bp.address)
    assert stop.detail.startswith(f"Breakpoint {bp.number}, main () at shmtest.c:")
    assert bp.hits == 1


def test_break_at_file_and_line_and_address(shmtest):
    d = shmtest
    syms = d.symbols
    addr = syms.resolve("shmtest.c:66")                   # the parent's shm_attach
    assert addr is not None and syms.line_at(addr).line == 66
    d.break_at("shmtest.c:66")
    stop = d.cont()
    assert stop.eip == addr and d.where().endswith("shmtest.c:66")
    fail = symbol("shmtest", "fail")
    bp = d.break_at(f"*{fail:#x}")
    assert bp.address == fail
    with pytest.raises(ValueError):
        d.break_at("no_such_function")
    with pytest.raises(ValueError):
        d.break_at("shmtest.c:100000")


def test_breakpoint_in_both_processes_after_fork():
    d = Debugger(Machine(), "shmtest")
    d.break_at("shmtest.c:38")                        # in child(), which gcc inlined in main
    stop = d.cont()
    assert stop.reason == "breakpoint" and stop.pid == d.run.pid + 1   # the forked child
    assert d.focus == stop.pid
    assert [f.function for f in d.backtrace()] == ["main"]


def test_stepi_runs_exactly_n_instructions_of_the_focus_process(shmtest):
    d = shmtest
    d.break_at("main")
    d.cont()
    before = d.m.processes()[1]["insns"]
    eip0 = d.registers()["eip"]
    for n in (1, 1, 5, 20):
        d.stepi(n)
    assert d.m.processes()[1]["insns"] - before == 27
    assert d.registers()["eip"] != eip0


def test_breakpoint_set_while_a_loop_is_running_is_hit():
    """The loop's code was translated before the breakpoint existed."""
    d = Debugger(Machine(), "regloop", ["1000"])
    d.break_at("main")
    d.cont()
    while "addl %eax, %ebx" not in d.disassemble(count=1)[0]:
        d.stepi()
    d.stepi(30)                                       # ten turns of the three-instruction loop
    jne = next(line for line in d.disassemble(count=3) if "jne" in line)
    bp = d.break_at(int(jne.split()[0 if not jne.startswith("=>") else 1], 16))
    counts = []
    for _ in range(3):
        stop = d.cont()
        assert stop.breakpoint == bp.number
        counts.append(d.registers()["ecx"])
    assert counts[0] - counts[1] == counts[1] - counts[2] == 1
    d.delete(bp.number)
    assert d.finish_run().output == "regloop: done\n"


def test_step_enters_calls_and_next_steps_over_them(shmtest):
    d = shmtest
    d.break_at("shmtest.c:70")                        # the parent's printf after the handshake
    d.cont()
    for _ in range(3):                                # -O2 code: lines 71 and 70 share the call
        stop = d.step()
        assert stop.reason == "step"
        if d.where().startswith("printf ()"):
            break
    assert d.where().startswith("printf () at printf.c:")
    assert [f.function for f in d.backtrace()] == ["printf", "main"]
    stop = d.finish()
    assert d.where().startswith("main () at shmtest.c:")
    d2 = Debugger(Machine(), "shmtest")
    d2.break_at("shmtest.c:70")
    d2.cont()
    lines = []
    for _ in range(3):                                # over printf, never into it
        stop = d2.next()
        assert stop.reason == "step" and d2.where().startswith("main () at shmtest.c:")
        lines.append(int(d2.where().rsplit(":", 1)[1]))
    assert lines == [70, 72, 73]                      # printf's call is line 70 (-O2 order)


def test_until_syscall_reports_the_call_and_its_result(shmtest):
    d = shmtest
    stop = d.until_syscall()
    assert stop.reason == "syscall"
    assert stop.detail == f"pid {d.run.pid} shmtest: shm_create(8192) = 0"
    assert stop.syscall.result == 0
    stop = d.until_syscall()
    assert stop.detail.startswith(f"pid {d.run.pid} shmtest: write(1, 0x")


def test_a_fault_stops_before_the_kernel_kills_and_explains_the_walk():
    d = Debugger(Machine(), "faults", ["kernel-read"])
    stop = d.cont()
    while stop.reason == "exited":                   # nothing else should stop first
        stop = d.cont()
    assert stop.reason == "fault"
    assert "trap 14" in stop.detail and "PTE_U" in stop.detail
    assert d.registers(stop.pid)["eip"] == stop.eip    # the process is still there to look at
    result = d.finish_run()
    assert "faults: kernel-read did not fault" not in result.output
    assert result.free_frames_after == result.free_frames_before


def test_memory_reads_and_writes_go_through_the_page_table(shmtest):
    d = shmtest
    d.break_at("shmtest.c:68")                        # the parent, attached, spinning
    d.cont()
    assert d.read(0x10000000, 4) is not None         # the segment, mapped at its address
    assert d.read(0x30000000, 4) is None             # nothing there
    assert d.read(0x80000000, 4) is None             # kernel half: not user-accessible
    assert d.write(0x30000000, b"x") is False
    assert d.write(0x10000000 + 4, (7).to_bytes(4, "little"))   # flag[1]
    assert d.read(0x10000004, 4) == (7).to_bytes(4, "little")


def test_writing_a_register_changes_what_the_program_computes():
    d = Debugger(Machine(), "regloop", ["1000"])
    d.break_at("main")
    d.cont()
    while "addl %eax, %ebx" not in d.disassemble(count=1)[0]:
        d.stepi()
    d.set_register("ecx", 1)                          # one last turn of the loop
    d.stepi(3)
    assert "jne" not in d.disassemble(count=1)[0]
    with pytest.raises(ValueError):
        d.set_register("xmm9", 0)


def test_exits_are_reported_then_the_run_ends():
    d = Debugger(Machine(), "hello")
    stop = d.cont()
    assert stop.reason == "exited" and stop.pid == d.run.pid
    stop = d.cont()
    assert stop.halted and stop.result.status == "exit"
    assert d.cont() is stop                          # nothing more to run


def test_disassembly_is_annotated_with_symbols(shmtest):
    d = shmtest
    d.break_at("main")
    d.cont()
    lines = d.disassemble(count=40)
    assert lines[0].startswith("=> ") and "<main+" in lines[0]
    assert any("call" in line and "<shm_create>" in line for line in lines)


@pytest.mark.parametrize("prog,args,quantum", [
    ("shmtest", [], 100_000), ("shmtest", [], 7), ("forktree", ["3"], 50), ("shmcall", [], 1000)])
def test_the_debugger_does_not_change_what_the_program_computes(prog, args, quantum):
    plain = Machine(quantum=quantum).run(prog, args)
    d = Debugger(Machine(quantum=quantum), prog, args)
    d.break_at("main")
    d.cont()
    d.stepi(50)
    for _ in range(5):
        d.next()
    d.until_syscall()
    d.step()
    r = d.finish_run()
    assert r.output == plain.output
    assert (r.instructions, r.syscalls, r.ticks, r.switches) == \
        (plain.instructions, plain.syscalls, plain.ticks, plain.switches)
    assert r.free_frames_after == r.free_frames_before


def test_symbols_of_a_file_without_them_answer_none():
    s = Symbols([], [], [])
    assert s.lookup(0) is None and s.line_at(0) is None and s.resolve("main") is None
    assert s.describe(5) == ""


# ---- watchpoints and interrupts ----------------------------------------------------------------

def same_as_plain(d, prog, args=(), quantum=None):
    plain = (Machine(quantum=quantum) if quantum else Machine()).run(prog, args)
    r = d.finish_run()
    assert (r.output, r.instructions, r.syscalls, r.ticks, r.switches) == \
        (plain.output, plain.instructions, plain.syscalls, plain.ticks, plain.switches)


def test_a_watchpoint_stops_right_after_the_write_with_old_and_new_values(shmtest):
    d = shmtest
    d.break_at("shmtest.c:70")                         # the parent, once the child stored 42
    assert d.cont().pid == 2
    wp = d.watch(0x10000004, 4)                        # flag[1]: the parent's answer, line 72
    stop = d.cont()
    assert (stop.reason, stop.pid, stop.breakpoint, stop.address) == ("watchpoint", 2, wp.number, 0x10000004)
    assert "pid 2 wrote 0x10000004" in stop.detail and "main () at shmtest.c:72" in stop.detail
    assert stop.detail.endswith("Old value = 0x00000000\nNew value = 0x00000001")
    assert d.read(0x10000004, 4) == (1).to_bytes(4, "little")     # the store is done...
    insn = d.disassemble(stop.eip, 1)[0]
    assert d.symbols.line_at(stop.eip).line >= 72 and "=>" in insn      # ...and eip is past it
    assert wp.hits == 1
    same_as_plain(d, "shmtest")


def test_a_watch_on_a_segment_sees_the_other_process_write_through_its_own_mapping(shmtest):
    d = shmtest
    d.break_at("shmtest.c:41")                         # the child, right after storing 42
    assert d.cont().pid == 3
    d.watch(0x20000004, 4, pid=3)                      # flag[1] as the child maps it
    stop = d.cont()
    assert (stop.reason, stop.pid, stop.address) == ("watchpoint", 2, 0x20000004)
    assert "pid 2 wrote" in stop.detail and "shmtest.c:72" in stop.detail    # through 0x10000004
    same_as_plain(d, "shmtest")


def test_after_fork_a_watch_on_a_global_sees_only_its_own_copy():
    """shmglobal's lesson, watched: the child's store to `flag` goes to its copy
    of the page and never touches the parent's; its report through the segment does."""
    d = Debugger(Machine(), "shmglobal")
    d.break_at("shmglobal.c:35")                       # pid = fork();
    d.cont()
    flag = d.watch(symbol("shmglobal", "flag"), 4)
    done = d.watch(0x10000000, 4)
    stops = [d.cont()]
    while not stops[-1].halted:
        stops.append(d.cont())
    hits = [(s.pid, s.breakpoint) for s in stops if s.reason == "watchpoint"]
    assert hits == [(3, done.number)] and flag.hits == 0
    assert "New value = 0x00000001" in next(s.detail for s in stops if s.reason == "watchpoint")


def test_a_read_watch_and_deleting_it(shmtest):
    d = shmtest
    d.break_at("shmtest.c:68")
    assert d.cont().pid == 2
    wp = d.watch(0x10000000, 4, "read")
    stop = d.cont()
    assert (stop.reason, stop.pid) == ("watchpoint", 2) and "pid 2 read 0x10000000" in stop.detail
    assert "Value = 0x" in stop.detail and "Old value" not in stop.detail
    d.delete(wp.number)
    d.delete(1)
    assert d.cont().reason == "exited"                 # the child's exit: no more watch stops
    same_as_plain(d, "shmtest")


def test_watch_refuses_what_it_cannot_watch(shmtest):
    d = shmtest
    with pytest.raises(ValueError, match="not mapped for the user"):
        d.watch(0x40000000, 4)
    with pytest.raises(ValueError, match="not mapped for the user"):
        d.watch(0x80000000, 4)                         # the kernel half
    with pytest.raises(ValueError, match="write, read or access"):
        d.watch(0x1000, 4, "execute")
    with pytest.raises(ValueError, match="1 to 65536 bytes"):
        d.watch(0x1000, 0)
    assert d.watchpoints == {}


@pytest.mark.parametrize("quantum", [7, 100_000])
def test_an_access_watch_on_the_stack_changes_nothing_the_program_computes(quantum):
    """Calls, pushes and pops hit it again and again: each stop is after a whole instruction."""
    d = Debugger(Machine(quantum=quantum), "forktree", ["2"])
    esp = d.registers()["esp"]
    d.watch(esp - 64, 64, "access")
    stops = [d.cont()]
    while not stops[-1].halted:
        stops.append(d.cont())
    watched = [s for s in stops if s.reason == "watchpoint"]
    assert len(watched) > 20 and {s.pid for s in watched} == {2}    # the children have copies
    same_as_plain(d, "forktree", ["2"], quantum)


def test_an_interrupt_stops_a_running_program_and_it_goes_on():
    d = Debugger(Machine(), "spin")
    asked = []
    d.interrupt = lambda: asked.append(1) or len(asked) >= 3
    stop = d.cont()
    assert stop.reason == "interrupted" and stop.pid in [p["pid"] for p in d.processes()]
    assert stop.detail.startswith(f"Program received SIGINT: pid {stop.pid}, ")
    assert len(asked) == 3
    d.interrupt = None
    same_as_plain(d, "spin")
