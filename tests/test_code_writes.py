"""Kernel writes into code (issue 13): when the kernel writes into a frame the
CPU has translated code from -- read() into a page that already ran -- the CPU
must drop that code and run the new bytes, as x86 does (DESIGN.md section 4,
fact 6: unicorn does not notice writes from the host). userprogs/smc.c runs a
page of code, read()s new code over it, and runs it again."""

from helpers import run

from xv6py.machine import Machine
from xv6py.mm import pgdir as V
from xv6py.proc import proc as P

RET2 = bytes([0xB8, 2, 0, 0, 0, 0xC3])      # mov $2, %eax; ret


def test_code_read_from_a_pipe_over_code_that_ran_is_what_runs():
    assert run(Machine(), "smc").output == "smc: 1 then 2\n"


def test_code_read_from_a_file_over_code_that_ran_is_what_runs():
    m = Machine()
    m.add_program("ret2", RET2)
    assert run(m, "smc", ["file", "ret2"]).output == "smc: 1 then 2\n"


def test_under_the_debugger_too():
    from xv6py.debug.debugger import Debugger
    d = Debugger(Machine(), "smc")
    d.break_at("main")
    d.cont()
    d.stepi(20)
    assert d.finish_run().output == "smc: 1 then 2\n"


def test_frames_that_ran_code_are_known_and_data_frames_cost_nothing():
    """The CPU notes the frames it translated code from; a kernel write into any
    other frame drops nothing (the read and pipe paths stay as fast as they were)."""
    from xv6py.debug.debugger import Debugger
    d = Debugger(Machine(), "hello")
    d.break_at("main")
    d.cont()
    d.stepi(30)
    x86 = d.m.x86
    with d.m.entered():
        p = next(p for p in P.ptable.proc if p.name == "hello")
        text = V.uva2ka(p.pgdir, d.registers()["eip"])
        stack = V.uva2ka(p.pgdir, d.registers()["esp"])
        assert x86._code[text // 4096] and not x86._code[stack // 4096]
        x86._stale_code.clear()
        assert V.copyout(p.pgdir, d.registers()["esp"] & ~0xFFF, b"data") == 0
        assert x86._stale_code == []                         # a data page: nothing to drop
        page = d.registers()["eip"] & ~0xFFF
        assert V.copyout(p.pgdir, page, V.copyin(p.pgdir, page, 4)) == 0     # the same bytes again
        assert x86._stale_code == [text] and not x86._code[text // 4096]
    assert d.finish_run().output == "hello, world\n"
