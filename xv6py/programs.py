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

Booting a machine, the debugger and `xv6py programs` only need to find programs,
not to build them, so this module is apart from the compiler driver (build.py)
and imports nothing of it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["SRCDIR", "BINDIR", "MANIFEST", "IMAGE", "POSIX", "program_names", "program_path",
           "program_source", "load_manifest"]


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
