"""Where the user programs are: their C sources and their built ELF files.

    userprogs/NAME.c              one xv6 program each (SRCDIR)
    userprogs/posix/NAME.c        one POSIX program each (see build.py)
    userprogs/bin/NAME            the built ELF files, committed (BINDIR)
    userprogs/bin/MANIFEST.json   what each ELF was built from
    userprogs/bin/fs.img          the default disk image, made from them (mkfs.py)
    userprogs/fs/                 other files for that image's "/" (a README)

    program_names()       -> ["cat", "echo", ...]   one per source (or per manifest entry)
    program_path(name)    -> Path | None            the ELF file, if built
    program_source(name)  -> "cat.c" | "posix/ipcs.c" | None   its source, if any
    elf_problem(data)     -> str | None             why a file is no i386 executable

Booting a machine, the debugger and `xv6py programs` only need to find programs,
not to build them, so this module is apart from the compiler driver (build.py)
and imports nothing of it.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

from .memlayout import KERNBASE
from .mmu import PGSIZE

__all__ = ["SRCDIR", "BINDIR", "MANIFEST", "IMAGE", "POSIX", "program_names", "program_path",
           "program_source", "load_manifest", "elf_problem"]


def _find_srcdir() -> Path:
    """The userprogs directory: beside xv6py/ in a source tree, inside it when installed."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "userprogs", here / "userprogs"):
        if (candidate / "__init__.py").is_file():
            return candidate
    return here.parent / "userprogs"


SRCDIR = _find_srcdir()
BINDIR = SRCDIR / "bin"
MANIFEST = "MANIFEST.json"
IMAGE = "fs.img"
POSIX = "posix"                 # the directory of POSIX programs, in SRCDIR

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")   # what a program may be called


def program_names(srcdir: Path = SRCDIR) -> list[str]:
    """Names of the user programs: one per NAME.c in srcdir or srcdir/posix (or,
    with no sources, the programs of the manifest). A name is one program: a
    POSIX program may not share its name with an xv6 one."""
    srcdir = Path(srcdir)
    names = sorted({p.stem for d in (srcdir, srcdir / POSIX) for p in d.glob("*.c")})
    if not names:
        names = sorted(load_manifest(srcdir / "bin").get("programs", {}))
    return names


def program_path(name: str, bindir: Path = BINDIR) -> Path | None:
    """The built ELF file of program `name`, or None if there is none."""
    if not _NAME.fullmatch(name):
        return None                 # not a program name: a path, MANIFEST.json, ...
    p = Path(bindir) / name
    return p if p.is_file() else None


def program_source(name: str, srcdir: Path = SRCDIR) -> str | None:
    """The source of program `name`, relative to srcdir: "NAME.c" for an xv6
    program, "posix/NAME.c" for a POSIX one; None if there is neither."""
    if not _NAME.fullmatch(name):
        return None
    for rel in (f"{name}.c", f"{POSIX}/{name}.c"):
        if (Path(srcdir) / rel).is_file():
            return rel
    return None


def load_manifest(bindir: Path) -> dict:
    """The manifest of bindir (what each ELF was built from), or {} if it is
    missing or unreadable."""
    try:
        return json.loads((Path(bindir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


# ---- what is wrong with a program file -----------------------------------------------------

_EHDR = struct.Struct("<4sBBBB8xHHIIIIIHHHHHH")   # Elf32_Ehdr, 52 bytes
_PHDR = struct.Struct("<8I")                      # Elf32_Phdr: type, offset, vaddr, paddr,
#                                                   filesz, memsz, flags, align
_ELFCLASS32, _ELFDATA2LSB, _ET_EXEC, _EM_386, _PT_LOAD = 1, 1, 2, 3, 1


def elf_problem(data: bytes, *, segments: bool = False) -> str | None:
    """Why `data` cannot be run as a program, in a few words, or None.

    The header: an i386 executable is an ELF file of class 32, little endian,
    type EXEC, machine 386. The kernel's exec checks only the magic, as xv6's
    does (an x86-64 file would be loaded and run until it faults); a Machine
    refuses such files before it runs them.

    segments=True also applies exec's rules to the program headers, in exec's
    order (proc/exec.py), to say why an exec that failed did: a truncated table,
    a segment whose memory is smaller than its file part, one outside user space
    or not page aligned, a file shorter than its segments. None then means the
    file is fine as far as exec is concerned (it ran out of memory, say)."""
    if not data:
        return "an empty file, not a program"
    if len(data) < _EHDR.size or data[:4] != b"\x7fELF":
        return "not an ELF file"
    (_, elfclass, order, _, _, etype, machine, _, _, phoff, _, _, _, _, phnum,
     _, _, _) = _EHDR.unpack_from(data)
    if (elfclass, order, etype, machine) != (_ELFCLASS32, _ELFDATA2LSB, _ET_EXEC, _EM_386):
        return "not an i386 ELF executable"
    return _segment_problem(data, phoff, phnum) if segments else None


def _segment_problem(data: bytes, phoff: int, phnum: int) -> str | None:
    """What exec's loop over the program headers would stop at (see _load in
    proc/exec.py), or None."""
    for i in range(phnum):
        at = phoff + i * _PHDR.size
        if at + _PHDR.size > len(data):
            return "truncated program header table"
        ptype, off, vaddr, _, filesz, memsz, _, _ = _PHDR.unpack_from(data, at)
        if ptype != _PT_LOAD:
            continue
        if memsz < filesz:
            return "a segment's memory size is smaller than its file size"
        if vaddr + memsz > 0xFFFFFFFF or vaddr + memsz >= KERNBASE:
            return "segment outside user space"
        if vaddr % PGSIZE:
            return "segment not page aligned"
        if off + filesz > len(data):
            return "file shorter than its segments"
    return None
