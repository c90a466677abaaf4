"""Disassembly with capstone (xv6py/cpu/disasm.py) and through a process's page table."""

from xv6py.cpu.disasm import disassemble, format_insn
from xv6py.machine import Machine
from xv6py.proc.initcode import initcode
from xv6py.testing.kcall import Syscaller


def test_att_syntax_and_layout():
    code = b"\xb8\x0b\x00\x00\x00\xcd\x40\xc3"        # mov $11,%eax; int $64; ret
    insns = disassemble(code, 0x1000)
    assert [(i.address, i.mnemonic, i.operands) for i in insns] == [
        (0x1000, "movl", "$0xb, %eax"), (0x1005, "int", "$0x40"), (0x1007, "retl", "")]
    assert format_insn(insns[1]) == "0x00001005:  cd 40                  int $0x40"


def test_count_and_undecodable_bytes():
    assert len(disassemble(b"\x90" * 10, 0, count=3)) == 3
    assert disassemble(b"\x90\x0f\x0a\x90", 0)[-1].address == 0   # stops at 0f 0a, not an opcode


def test_initcode_reads_as_written():
    lines = [f"{i.mnemonic} {i.operands}".strip() for i in disassemble(initcode([b"init"]), 0, 8)]
    assert lines[2:] == ["pushl $0", "movl $7, %eax", "int $0x40", "movl $2, %eax", "int $0x40",
                         "jmp 0x13"]


def test_disassemble_a_process_through_its_page_table():
    m = Machine()
    h = Syscaller(m)
    p = h.spawn("hello")
    lines = m.disassemble(p.pid, p.tf.eip, 3)
    assert len(lines) == 3 and lines[0].startswith(f"{p.tf.eip:#010x}:")
    assert m.read_user(p.pid, 0x80000000, 4) is None         # the kernel half: not user memory
