"""Disassembly of x86 code with capstone, in AT&T syntax (as gdb and xv6's
objdump listings show it). capstone is imported on first use: most runs never
disassemble anything."""

from dataclasses import dataclass

__all__ = ["Insn", "disassemble", "format_insn"]

_cs = None


@dataclass(frozen=True)
class Insn:
    """One decoded instruction."""

    address: int
    size: int
    raw: bytes
    mnemonic: str
    operands: str

    def __str__(self) -> str:
        return format_insn(self)


def _capstone():
    global _cs
    if _cs is None:
        import capstone
        _cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_32)
        _cs.syntax = capstone.CS_OPT_SYNTAX_ATT
    return _cs


def disassemble(code: bytes, address: int, count: int = 0) -> list[Insn]:
    """Decode code, which starts at virtual address `address`: at most `count`
    instructions (0: as many as decode). Decoding stops at the first byte that is
    not an instruction."""
    return [Insn(i.address, i.size, bytes(i.bytes), i.mnemonic, i.op_str)
            for i in _capstone().disasm(bytes(code), address, count)]


def format_insn(insn: Insn) -> str:
    """0x0000001e:  cd 40                  int $0x40"""
    return f"{insn.address:#010x}:  {insn.raw.hex(' '):<21}  {insn.mnemonic} {insn.operands}".rstrip()
