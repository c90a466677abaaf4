"""The Machine API: runs, budgets, several machines in one process, kernel state."""

import pytest

from xv6py.machine import Machine


def test_budget_ends_a_program_that_never_stops(machine):
    r = machine.run("regloop", ["1000000000"], max_instructions=300_000)
    assert r.status == "budget"
    assert "budget" in r.reason
    assert r.instructions <= 300_000
    assert r.free_frames_after == r.free_frames_before
    assert machine.processes() == []


def test_after_a_budget_stop_the_machine_runs_again(machine):
    machine.run("regloop", ["1000000000"], max_instructions=100_000)
    r = machine.run("hello")
    assert r.output == "hello, world\n" and r.status == "exit"


def test_unknown_program_is_a_host_error(machine):
    with pytest.raises(ValueError, match="no program named 'nosuch'"):
        machine.run("nosuch")


def test_host_elf_file(machine, tmp_path):
    from xv6py.programs import program_path
    elf = tmp_path / "myhello"
    elf.write_bytes(program_path("hello").read_bytes())
    r = machine.run(elf)
    assert r.output == "hello, world\n" and r.program == "myhello"


def test_machines_interleave_without_sharing_state():
    m1, m2 = Machine(), Machine(quantum=10)
    a = m1.run("forktree", ["1"])
    b = m2.run("echo", ["two"])
    c = m1.run("echo", ["one"])
    assert b.output == "two\n" and c.output == "one\n"
    assert c.pid == a.pid              # each run of m1 starts on a fresh kernel of its own
    assert m1.free_frames == a.free_frames_before and m2.free_frames == b.free_frames_before


def test_console_input_goes_through_the_line_discipline():
    """cat copies console input to its output: backspace erases, ^U kills the line,
    ^D (or the end of the host's input) ends it."""
    m = Machine(stdin=b"abc\nxyz\x08\x08Q\nkill me\x15kept\n\x04ignored\n")
    r = m.run("cat")
    assert r.output == "abc\nxQ\nkept\n"
    assert r.status == "exit"


def test_console_input_from_a_stream():
    import io
    r = Machine(stdin=io.BytesIO(b"line one\nline two")).run("cat")
    assert r.output == "line one\nline two"


def test_cat_reads_files_in_root(machine):
    machine.add_program("notes", b"first line\nsecond line\n")
    r = machine.run("cat", ["notes", "missing", "/notes"])
    assert r.output == "first line\nsecond line\ncat: cannot open missing\nfirst line\nsecond line\n"
