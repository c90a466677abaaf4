"""What a user program's ELF file says about its code: function symbols, the DWARF
line table, and the call frame information, read with pyelftools.

    syms = Symbols.load("userprogs/bin/shmtest")
    syms.lookup(0x1c3)            -> ("main", 0x13)      function and offset
    syms.line_at(0x1c3)           -> ("shmtest.c", 28)
    syms.resolve("shmtest.c:28")  -> 0x1c3               a breakpoint address
    syms.resolve("main")          -> main's first line after its prologue

User programs are built with -g and frame pointers (xv6py/build.py), so every
function has line rows and an entry in .debug_frame.
"""

import bisect
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Symbols", "Line", "Function"]

# DWARF register numbers of i386 (System V ABI): the ones unwinding needs.
DW_ESP = 4
DW_EBP = 5
DW_EIP = 8   # the return address column


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    start: int
    end: int                    # one past its last byte


@dataclass(frozen=True, slots=True)
class Line:
    address: int
    file: str                   # the source file's name, without directories
    line: int
    stmt: bool = True           # a statement starts here (where stepping stops)


class Symbols:
    """Functions, lines and unwind rows of one program. Empty for a file with no
    symbols (a stripped binary): every lookup then answers None."""

    def __init__(self, functions: list[Function], lines: list[Line], cfi: list):
        self.functions = sorted(functions, key=lambda f: f.start)
        self._starts = [f.start for f in self.functions]
        # Sorted by address; rows at one address keep their order (the last one
        # is the line the instruction there belongs to).
        self.lines = sorted(lines, key=lambda ln: ln.address)
        self._line_addrs = [ln.address for ln in self.lines]
        self.cfi = sorted(cfi, key=lambda row: row[0])     # (pc, cfa_reg, cfa_off, {reg: off})
        self._cfi_pcs = [row[0] for row in self.cfi]

    @classmethod
    def load(cls, path: str | Path) -> "Symbols":
        from elftools.elf.elffile import ELFFile
        with open(path, "rb") as f:
            elf = ELFFile(f)
            functions = _functions(elf)
            lines, cfi = [], []
            if elf.has_dwarf_info():
                dwarf = elf.get_dwarf_info()
                lines = _lines(dwarf)
                cfi = _cfi(dwarf) if dwarf.has_CFI() else []
        return cls(functions, lines, cfi)

    # ---- functions -----------------------------------------------------------------

    def function_at(self, addr: int) -> Function | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.functions[i].end:
            return self.functions[i]
        return None

    def lookup(self, addr: int) -> tuple[str, int] | None:
        """(function name, offset) of the code at addr."""
        f = self.function_at(addr)
        return (f.name, addr - f.start) if f else None

    def describe(self, addr: int) -> str:
        """`<main+19>`, or "" for an address in no function."""
        hit = self.lookup(addr)
        if hit is None:
            return ""
        return f"<{hit[0]}+{hit[1]}>" if hit[1] else f"<{hit[0]}>"

    def function(self, name: str) -> Function | None:
        return next((f for f in self.functions if f.name == name), None)

    # ---- lines ---------------------------------------------------------------------

    def line_at(self, addr: int) -> Line | None:
        """The source line the instruction at addr belongs to (None outside any)."""
        i = bisect.bisect_right(self._line_addrs, addr) - 1
        if i < 0 or self.function_at(addr) is None:
            return None
        return self.lines[i]

    def addresses_of(self, file: str, line: int) -> list[int]:
        """Addresses where statements of file:line start, lowest first."""
        base = Path(file).name
        return sorted({ln.address for ln in self.lines
                       if ln.line == line and ln.file == base and ln.stmt})

    def after_prologue(self, f: Function) -> int:
        """Where a breakpoint on function f goes: the first line row past its entry
        (the body starts there, once the frame is set up), or the entry itself."""
        later = [ln.address for ln in self.lines if f.start < ln.address < f.end]
        return min(later) if later else f.start

    def starts_line(self, addr: int) -> bool:
        """Does a statement start at addr (a place where stepping by line stops)?"""
        i = bisect.bisect_left(self._line_addrs, addr)
        while i < len(self.lines) and self.lines[i].address == addr:
            if self.lines[i].stmt:
                return True
            i += 1
        return False

    def resolve(self, where: str) -> int | None:
        """A breakpoint location: `*0x1c3` or `0x1c3` (an address), `file.c:LINE`,
        or a function name. None if it names nothing in this program."""
        where = where.strip()
        if where.startswith("*") or where[:2].lower() == "0x":
            try:
                return int(where.lstrip("*"), 0)
            except ValueError:
                return None
        if ":" in where:
            file, _, line = where.rpartition(":")
            if not line.isdigit():
                return None
            found = self.addresses_of(file, int(line))
            return found[0] if found else None
        f = self.function(where)
        return self.after_prologue(f) if f else None

    # ---- call frames ---------------------------------------------------------------

    def unwind_row(self, pc: int):
        """The call-frame rule in force at pc: (cfa_reg, cfa_offset, {reg: offset
        from the CFA}), or None where the rule is not a plain register + offset."""
        i = bisect.bisect_right(self._cfi_pcs, pc) - 1
        if i < 0:
            return None
        start, end, cfa_reg, cfa_off, saved = self.cfi[i][:5]
        if not start <= pc < end or cfa_reg is None:
            return None
        return cfa_reg, cfa_off, saved


def _functions(elf) -> list[Function]:
    """Function symbols. Labels of assembly code (the system call stubs of
    usys.S) have no type and no size: they count as functions that reach to the
    next symbol."""
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None:
        return []
    text = [i for i, sec in enumerate(elf.iter_sections()) if sec["sh_flags"] & 0x4]  # SHF_EXECINSTR
    syms = sorted({(s["st_value"], s["st_size"], s.name) for s in symtab.iter_symbols()
                   if s.name and s["st_shndx"] in text
                   and s["st_info"]["type"] in ("STT_FUNC", "STT_NOTYPE")})
    functions = []
    for i, (start, size, name) in enumerate(syms):
        if size == 0:
            later = [a for a, _, _ in syms[i + 1:] if a > start]
            size = (later[0] - start) if later else 1
        functions.append(Function(name, start, start + size))
    return functions


def _lines(dwarf) -> list[Line]:
    """Every row of every line program, marked when a statement starts there."""
    lines = []
    for cu in dwarf.iter_CUs():
        program = dwarf.line_program_for_CU(cu)
        if program is None:
            continue
        names = [Path(e.name.decode()).name for e in program.header.file_entry]
        # DWARF 5 numbers files from 0, earlier versions from 1.
        base = 0 if program.header.version >= 5 else 1
        for entry in program.get_entries():
            st = entry.state
            if st is None or st.end_sequence:
                continue
            index = st.file - base
            if 0 <= index < len(names):
                lines.append(Line(st.address, names[index], st.line, bool(st.is_stmt)))
    return lines


def _cfi(dwarf) -> list[tuple]:
    """The unwind table of .debug_frame, flattened to rows
    (pc, end, cfa_reg, cfa_offset, {reg: offset from CFA}). A row whose rule is a
    DWARF expression keeps cfa_reg None: the unwinder falls back to %ebp there."""
    from elftools.dwarf.callframe import FDE, RegisterRule
    rows = []
    for entry in dwarf.CFI_entries():
        if not isinstance(entry, FDE):
            continue
        start = entry.header["initial_location"]
        end = start + entry.header["address_range"]
        table = entry.get_decoded().table
        for i, row in enumerate(table):
            row_end = table[i + 1]["pc"] if i + 1 < len(table) else end
            cfa = row["cfa"]
            saved = {reg: rule.arg for reg, rule in row.items()
                     if isinstance(reg, int) and rule.type == RegisterRule.OFFSET}
            simple = cfa.expr is None and cfa.reg in (DW_ESP, DW_EBP) and DW_EIP in saved
            rows.append((row["pc"], row_end, cfa.reg if simple else None, cfa.offset, saved))
    return rows
