"""Build small i386 ELF32 executables from raw machine code, and break them on purpose.

Written from the ELF specification (System V ABI, Intel386 supplement), for the
tests of exec. A file is laid out as

    offset 0        ELF header, 52 bytes
    offset phoff    program header table: phnum entries of 32 bytes
    after it        each segment's file bytes, one after the other

An `Elf` describes such a file field by field, and every field can be set to
anything, wrong values included: `Elf.to_bytes()` writes what it is told, and
only fills in what is left as None (offsets, sizes, counts) with the values a
correct file would have. Truncation and the like are done on the bytes.

    code = write_exit(b"hi\\n")            # machine code: write(1, "hi\\n", 3); exit()
    good = program(code).to_bytes()
    bad = program(code, magic=b"\\x7fELG").to_bytes()
    short = good[:40]
"""

import struct
from dataclasses import dataclass, field, replace

__all__ = ["Elf", "Segment", "program", "write_exit", "syscall", "ELF_MAGIC", "PT_LOAD",
           "PT_NULL", "PT_NOTE", "PT_GNU_STACK", "EHDR_SIZE", "PHDR_SIZE", "SYS_exit",
           "SYS_write", "T_SYSCALL"]

ELF_MAGIC = b"\x7fELF"
ELFCLASS32 = 1
ELFDATA2LSB = 1       # little endian
EV_CURRENT = 1
ET_EXEC = 2
EM_386 = 3

PT_NULL = 0
PT_LOAD = 1
PT_NOTE = 4
PT_GNU_STACK = 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4

EHDR = struct.Struct("<4sBBBB8sHHIIIIIHHHHHH")   # Elf32_Ehdr, 52 bytes
PHDR = struct.Struct("<8I")                     # Elf32_Phdr, 32 bytes
EHDR_SIZE = EHDR.size
PHDR_SIZE = PHDR.size

SYS_exit = 2
SYS_write = 16
T_SYSCALL = 64


@dataclass
class Segment:
    """One program header and the bytes it brings from the file. offset=None:
    where to_bytes() puts `data`; filesz/memsz=None: len(data)."""

    data: bytes = b""
    vaddr: int = 0
    type: int = PT_LOAD
    offset: int | None = None
    filesz: int | None = None
    memsz: int | None = None
    flags: int = PF_R | PF_W | PF_X
    align: int = 0x1000
    paddr: int | None = None      # None: the same as vaddr


@dataclass
class Elf:
    """An ELF32 executable. None in phoff or phnum: the values that fit the segments."""

    segments: list[Segment] = field(default_factory=list)
    entry: int = 0
    magic: bytes = ELF_MAGIC
    elfclass: int = ELFCLASS32
    machine: int = EM_386
    type: int = ET_EXEC
    phoff: int | None = None
    phnum: int | None = None
    phentsize: int = PHDR_SIZE
    pad: int = 0                  # zero bytes between the header table and the first segment

    def to_bytes(self) -> bytes:
        """The file. Segment data follows the program header table in order; a segment
        with an explicit offset still has its data written at the next free place
        (the header then says whatever the test wants it to say)."""
        phoff = EHDR_SIZE if self.phoff is None else self.phoff
        table_end = EHDR_SIZE + PHDR_SIZE * len(self.segments)
        body, offsets = bytearray(self.pad), []
        for seg in self.segments:
            offsets.append(table_end + len(body))
            body += seg.data
        phdrs = b"".join(self._phdr(seg, off) for seg, off in zip(self.segments, offsets, strict=True))
        header = EHDR.pack(self.magic, self.elfclass, ELFDATA2LSB, EV_CURRENT, 0, bytes(8),
                           self.type, self.machine, EV_CURRENT, self.entry, phoff, 0, 0,
                           EHDR_SIZE, self.phentsize,
                           len(self.segments) if self.phnum is None else self.phnum,
                           0, 0, 0)
        return header + phdrs + bytes(body)

    @staticmethod
    def _phdr(seg: Segment, at: int) -> bytes:
        filesz = len(seg.data) if seg.filesz is None else seg.filesz
        memsz = filesz if seg.memsz is None else seg.memsz
        return PHDR.pack(seg.type, at if seg.offset is None else seg.offset, seg.vaddr,
                         seg.vaddr if seg.paddr is None else seg.paddr, filesz, memsz,
                         seg.flags, seg.align)

    def with_segment(self, i: int = 0, **changes) -> "Elf":
        """A copy with segment i changed (e.g. memsz=..., vaddr=...)."""
        segs = list(self.segments)
        segs[i] = replace(segs[i], **changes)
        return replace(self, segments=segs)


def program(code: bytes, vaddr: int = 0, bss: int = 0, entry: int | None = None,
            **elf_fields) -> Elf:
    """A correct executable: one PT_LOAD segment holding `code` at vaddr (with bss
    zero bytes after it in memory), entry at its first byte unless told otherwise."""
    seg = Segment(data=code, vaddr=vaddr, memsz=len(code) + bss)
    return Elf(segments=[seg], entry=vaddr if entry is None else entry, **elf_fields)


# ---- machine code ------------------------------------------------------------------------

def _push(value: int) -> bytes:
    return b"\x68" + struct.pack("<I", value & 0xFFFFFFFF)        # push $imm32


def syscall(num: int, *args: int) -> bytes:
    """Code for a system call as a C stub makes it: push the arguments (last first)
    and a fake return address, `mov $num, %eax`, `int $64`, pop them again.
    The result is left in %eax."""
    code = b"".join(_push(a) for a in reversed(args)) + _push(0)
    code += b"\xb8" + struct.pack("<I", num)                     # mov $num, %eax
    code += bytes([0xCD, T_SYSCALL])                              # int $64
    code += b"\x83\xc4" + bytes([4 * (len(args) + 1)])            # add $n, %esp
    return code


def write_exit(msg: bytes, base: int = 0) -> bytes:
    """Position-dependent code loaded at `base`: write(1, msg, len(msg)); exit().
    The message follows the code."""
    def code(at: int) -> bytes:
        return syscall(SYS_write, 1, at, len(msg)) + syscall(SYS_exit) + b"\xeb\xfe"  # jmp .
    n = len(code(0))
    return code(base + n) + msg
