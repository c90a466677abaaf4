"""Where the user programs are: their C sources and their built ELF files.

    userprogs/NAME.c              one program each (SRCDIR)
    userprogs/bin/NAME            the built ELF files, committed (BINDIR)
    userprogs/bin/MANIFEST.json   what each ELF was built from
    userprogs/bin/fs.img          the default disk image, made from them (mkfs.py)
    userprogs/fs/                 other files for that image's "/" (a README)

    program_names()     -> ["cat", "echo", ...]     one per NAME.c (or per manifest entry)
    program_path(name)  -> Path | None              the ELF file, if built

Booting a machine, the debugger and `xv6py programs` only need to find programs,
not to build them, so this module is apart from the compiler driver (build.py)
and imports nothing of it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["SRCDIR", "BINDIR", "MANIFEST", "IMAGE", "program_names", "program_path", "load_manifest"]


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

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")   # what a program may be called


def program_names(srcdir: Path = SRCDIR) -> list[str]:
    """Names of the user programs: one per NAME.c in srcdir (or, with no sources,
    the programs of the manifest)."""
    srcdir = Path(srcdir)
    names = sorted(p.stem for p in srcdir.glob("*.c"))
    if not names:
        names = sorted(load_manifest(srcdir / "bin").get("programs", {}))
    return names


def program_path(name: str, bindir: Path = BINDIR) -> Path | None:
    """The built ELF file of program `name`, or None if there is none."""
    if not _NAME.fullmatch(name):
        return None                 # not a program name: a path, MANIFEST.json, ...
    p = Path(bindir) / name
    return p if p.is_file() else None


def load_manifest(bindir: Path) -> dict:
    """The manifest of bindir (what each ELF was built from), or {} if it is
    missing or unreadable."""
    try:
        return json.loads((Path(bindir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
