"""A program that cannot run ends its run with status "rejected" and a reason
(issue 13), where it used to look like a success ("init: exec ... failed", status
exit). The kernel's exec keeps xv6's checks (only the magic number of the
header; tests/test_exec.py); the Machine refuses files that are no i386 ELF
executables before it runs them, and explains an exec that failed on the
file's program headers in exec's words (programs.elf_problem)."""

import pytest
from elfgen import Elf, Segment, program, write_exit
from helpers import run

from xv6py.machine import Machine
from xv6py.memlayout import KERNBASE, KERNEND
from xv6py.programs import elf_problem, program_path

PGSIZE = 4096
CODE = write_exit(b"ran\n")


@pytest.fixture
def machine():
    return Machine()


@pytest.mark.parametrize("name, data, reason", [
    ("empty", b"", "an empty file, not a program"),
    ("text", b"root:x:0:0:root:/root:/bin/bash\n" * 3, "not an ELF file"),
    ("short", b"\x7fELF\x01\x01\x01", "not an ELF file"),
    ("elf64", program(CODE, elfclass=2, machine=62).to_bytes(), "not an i386 ELF executable"),
    ("arm", program(CODE, machine=40).to_bytes(), "not an i386 ELF executable"),
    ("object", program(CODE, type=1).to_bytes(), "not an i386 ELF executable"),
])
def test_a_file_that_is_no_i386_executable_is_rejected_before_it_runs(machine, name, data, reason):
    machine.add_program(name, data)
    r = run(machine, name)
    assert (r.status, r.reason, r.output, r.instructions) == ("rejected", reason, "", 0)
    assert machine.rejects(name) == reason


@pytest.mark.parametrize("name, elf, reason", [
    ("kernel", program(CODE, vaddr=KERNBASE - PGSIZE, bss=2 * PGSIZE), "segment outside user space"),
    ("wraps", program(CODE).with_segment(0, memsz=0xFFFFFFF0, vaddr=0x1000),
     "segment outside user space"),
    ("unaligned", program(CODE, vaddr=0x1010), "segment not page aligned"),
    ("bss", program(CODE).with_segment(0, memsz=4), "a segment's memory size is smaller than its file size"),
    ("truncated", program(CODE, phnum=40), "truncated program header table"),
    ("offsets", program(CODE).with_segment(0, offset=1 << 20), "file shorter than its segments"),
])
def test_an_exec_that_fails_on_the_program_headers_says_why(machine, name, elf, reason):
    machine.add_program(name, elf.to_bytes())
    assert machine.rejects(name) is None               # the header is fine: the kernel tries
    r = run(machine, name)
    assert (r.status, r.reason) == ("rejected", reason)
    assert r.output == f"init: exec {name} failed\n"   # what init says, as on xv6


def test_programs_that_run_are_not_rejected(machine):
    machine.add_program("ok", program(CODE).to_bytes())
    assert run(machine, "ok").output == "ran\n"
    for name in ("hello", "init", "forktree"):
        assert elf_problem(program_path(name).read_bytes(), segments=True) is None


def test_a_program_exec_cannot_start_for_lack_of_memory_is_not_started_not_rejected():
    m = Machine(phystop=KERNEND + 40 * PGSIZE)
    m.add_program("big", Elf(segments=[Segment(data=CODE, memsz=64 * PGSIZE)]).to_bytes())
    r = m.run("big")
    assert r.status == "not started" and "exec of big failed" in r.reason


def test_more_arguments_than_exec_takes_are_refused(machine):
    assert run(machine, "echo", [str(i) for i in range(29)]).status == "exit"
    with pytest.raises(ValueError, match="too many arguments: 30; a program gets at most 29"):
        machine.run("echo", [str(i) for i in range(30)])
