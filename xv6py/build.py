"""Build the user programs of xv6py: C sources to 32-bit x86 ELF files laid out like xv6's.

Sources live in ``userprogs/``::

    userprogs/NAME.c          an xv6 program each: entered at main, ends with exit()
    userprogs/posix/NAME.c    a POSIX program each (see below)
    userprogs/ulib/           xv6's user library: system call stubs, strings, printf, malloc
    userprogs/libc/           the C library of POSIX programs (stdio, stdlib, string,
                              unistd, errno, start-up code, the numbered calls' stubs)
    userprogs/include/        headers of both (syscall.h is the one list of system call
                              numbers; stdio.h, unistd.h, sys/*.h, ... are POSIX's)
    userprogs/user.ld         the linker script: one RWX segment at address 0, main first
    userprogs/bin/NAME        the built ELF files (committed, so no compiler is needed to run)
    userprogs/bin/MANIFEST.json   what each ELF was built from
    userprogs/bin/fs.img      the default disk image: the programs, userprogs/fs/ (mkfs.py)

Two kinds of programs, told apart by where their source is:

* An **xv6 program** (``NAME.c``) is linked as x86 xv6 links its programs: with
  every object of ulib/, entered at main (no start-up code), so it must call
  exit(). It may also use what it needs of libc/ -- errno, strerror, perror
  and the stubs of the numbered calls (getuid, waitpid, ...), which set errno
  -- and only what it uses is linked (see `needed`): a program that makes none
  of the newer calls is byte for byte what it was without them.
* A **POSIX program** (``posix/NAME.c``) is ordinary C written for Linux: it
  includes <stdio.h>, <unistd.h>, <sys/wait.h>, <sys/shm.h>, ... and returns
  from main. It is compiled with ``-D_XV6PY_POSIX`` (POSIX_CFLAGS), which gives
  it Linux's <fcntl.h> (O_CREAT, O_TRUNC, O_APPEND ... for POSIX's open; no
  xv6 O_CREATE, whose value is Linux's O_TRUNC), and linked with libc/ alone
  (never ulib/usys.S or ulib/printf.c, whose exit(), wait() and printf(fd,
  ...) are xv6's), taking only the objects
  it needs, and entered at _start (libc/crt0.c), which passes main's value to
  exit(status). libc/ reuses xv6's strings and malloc by compiling ulib/ulib.c
  and ulib/umalloc.c again (libc/ulib_string.c, libc/ulib_malloc.c).

A student's own file, ``xv6py build mine.c`` (`build_file`), is an xv6 program
if it includes user.h (every xv6 program does: exit() is declared there) and
a POSIX program otherwise; `is_posix_source` is the rule.

A build compiles the libraries once, then each program, and links it::

    CC -m32 -ffreestanding ... -I include -c NAME.c -o NAME.o
    LD -m elf_i386 -N --build-id=none -T user.ld -o bin/NAME NAME.o ulib_*.o [libc_*.o]
    LD ... -e _start -T user.ld -o bin/NAME NAME.o libc_crt0.o libc_*.o      (POSIX)

Three compilers are tried, in order (`find_compiler`): gcc with -m32, clang
for i386-unknown-none-elf, and the zig toolchain from PyPI's ``ziglang``
package. They link with GNU ld or ld.lld.

Code is generated for the i686 (no SSE), as gcc -m32 does by default, whatever
a compiler's own default CPU is.

Builds are reproducible: the same sources and the same compiler give the same
bytes. The compiler runs inside the source directory on relative paths, and the
absolute path of that directory is mapped to ``userprogs`` in the DWARF
information (-fdebug-prefix-map); the linker adds no build id.

The manifest records, for each program, the sha256 of every source it depends
on (its .c file, every file of ulib/, libc/ and include/, user.ld), the compiler and
flags, and the sha256 of the ELF. `stale_programs` compares it with the
sources without running a compiler, so a test can catch a source that changed
without its binary being rebuilt.

Where the sources and the built programs are (SRCDIR, BINDIR, program_names,
program_path) is programs.py's business; they are re-exported here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Where the programs are (also what booting needs, without this compiler driver).
# program_names, program_path, SRCDIR and BINDIR stay importable from here.
from .programs import (
    BINDIR,
    IMAGE,
    MANIFEST,
    SRCDIR,
    load_manifest,
    program_names,
    program_path,
    program_source,
)

__all__ = ["BuildError", "Compiler", "find_compiler", "gcc_compiler", "clang_compiler",
           "zig_compiler", "build", "build_file", "stale_programs", "program_path", "program_names",
           "source_files", "needed", "SRCDIR", "BINDIR", "CFLAGS", "POSIX_CFLAGS", "LDFLAGS",
           "program_cflags", "is_posix_source", "main"]


log = logging.getLogger(__name__)


DEBUG_PREFIX = "userprogs"        # what the source directory is called in DWARF

# Flags for every compiler (xv6's, plus what reproducibility and other
# distributions' defaults need). Compiler-specific ones are in Compiler.cflags.
CFLAGS = (
    "-m32", "-ffreestanding", "-fno-pic", "-fno-pie", "-static", "-fno-builtin",
    "-fno-strict-aliasing", "-O2", "-Wall", "-Werror", "-g", "-fno-omit-frame-pointer",
    "-fno-stack-protector", "-nostdlib",
    "-march=i686",                      # no SSE: zig's default CPU would vectorise with it,
                                        # and x86 xv6 never saves SSE registers on a switch
    "-fno-asynchronous-unwind-tables",  # DWARF goes to .debug_frame, no .eh_frame to load
    "-fcf-protection=none",             # no endbr32 / .note.gnu.property (Ubuntu's default)
    "-ffunction-sections",              # lets user.ld put main first with any compiler
    "-nostdinc",                        # never the host's C library headers (/usr/include):
                                        # only ours and the compiler's own (Compiler.cflags)
    "-I", "include",
)
# Added for POSIX programs: their headers give Linux's view (fcntl.h's flags).
POSIX_CFLAGS = ("-D_XV6PY_POSIX",)

# -N: one RWX segment, its file offset not padded to a page (ld -N in xv6).
LDFLAGS = ("-N", "--build-id=none")

TIMEOUT = 300    # seconds for one compiler or linker run (zig's first run is slow)


class BuildError(Exception):
    """A compile or link failed; the message holds the command and its output."""


@dataclass(frozen=True)
class Compiler:
    """How to compile and link for i386 with one toolchain.

    cc and ld are command prefixes (a program and its first arguments); cflags
    and ldflags are added to the common CFLAGS and LDFLAGS.
    """
    name: str                                   # "gcc", "clang" or "zig"
    cc: tuple[str, ...]
    ld: tuple[str, ...]
    cflags: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()
    version: str = field(default="", compare=False)

    def describe(self) -> str:
        """One line for the manifest and for messages, e.g. 'gcc (Debian 12.2.0-14) 12.2.0'."""
        return self.version or self.name

    def compile_command(self, src: str, obj: Path, srcdir: Path, extra: tuple[str, ...] = ()) -> list[str]:
        """The command that compiles src (relative to srcdir, the working
        directory) to obj, with extra flags (POSIX_CFLAGS for a POSIX program)."""
        prefix_map = [f"-fdebug-prefix-map={d}={DEBUG_PREFIX}" for d in _spellings(srcdir)]
        return [*self.cc, *CFLAGS, *extra, *self.cflags, *prefix_map, "-c", src, "-o", str(obj)]

    def link_command(self, objs: list[Path], out: Path, script: Path,
                     entry: str | None = None) -> list[str]:
        """The command that links objs (program first) into the ELF file out; entry
        names the entry point when it is not the script's (main)."""
        return [*self.ld, *LDFLAGS, *self.ldflags, *(["-e", entry] if entry else []),
                "-T", str(script), "-o", str(out), *map(str, objs)]


def _spellings(srcdir: Path) -> list[str]:
    """The ways the compiler may spell srcdir's absolute path (as given, symlinks resolved)."""
    return list(dict.fromkeys([str(srcdir.absolute()), str(srcdir.resolve())]))


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a tool with a fixed locale; raise BuildError with its output if it fails."""
    env = dict(os.environ, LC_ALL="C")
    if cwd is not None:
        env["PWD"] = str(cwd)       # gcc takes DW_AT_comp_dir from $PWD when it is right
    try:
        r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BuildError(f"{' '.join(cmd)}: {e}") from None
    if r.returncode != 0:
        raise BuildError(f"{' '.join(cmd)}\n{r.stdout}{r.stderr}".rstrip())
    return r


# ---------------------------------------------------------------------------
# Finding a compiler

_PROBE_C = "int x;\nint main(void) { return x; }\n"
_PROBE_LD = "ENTRY(main)\nSECTIONS { . = 0; .text : { *(.text*) } .bss : { *(.bss*) } }\n"


def _probe(compiler: Compiler) -> bool:
    """True if compiler really compiles and links a 32-bit x86 ELF with our flags."""
    with tempfile.TemporaryDirectory(prefix="xv6py-probe-") as tmp:
        d = Path(tmp)
        (d / "include").mkdir()
        (d / "probe.c").write_text(_PROBE_C)
        (d / "probe.ld").write_text(_PROBE_LD)
        try:
            _run(compiler.compile_command("probe.c", d / "probe.o", d), cwd=d)
            _run(compiler.link_command([d / "probe.o"], d / "probe", d / "probe.ld"), cwd=d)
            head = (d / "probe").read_bytes()[:20]
        except (BuildError, OSError) as e:
            log.debug("%s does not work: %s", compiler.name, e)
            return False
    # ELF magic, ELFCLASS32, little endian; e_machine (offset 18) EM_386 = 3.
    return head[:6] == b"\x7fELF\x01\x01" and head[18:20] == b"\x03\x00"


def _version(cmd: list[str]) -> str:
    """First line of `cmd --version`, or '' if it cannot be run."""
    try:
        r = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, LC_ALL="C"))
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (r.stdout or r.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def _gnu_ld(prog: str) -> tuple[str, ...] | None:
    """The command for GNU ld (or ld.lld) at prog producing i386 ELF, or None."""
    path = shutil.which(prog)
    if path is None:
        return None
    v = _version([path])
    if "GNU ld" not in v and "LLD" not in v:
        return None                 # e.g. Apple's ld, which cannot make ELF files
    return (path, "-m", "elf_i386")


def _ld_flags(ld: tuple[str, ...]) -> tuple[str, ...]:
    """Extra linker flags: GNU ld >= 2.39 warns about the RWX segment we want on purpose."""
    try:
        r = subprocess.run([*ld[:1], "--help"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return ("--no-warn-rwx-segments",) if "--no-warn-rwx-segments" in r.stdout else ()


def _own_headers(cc: str, ask: str = "-print-file-name=include", under: str = "") -> tuple[str, ...]:
    """-isystem DIR for the compiler's own freestanding headers (stddef.h, stdarg.h,
    stdint.h, stdatomic.h, stdbool.h, float.h), which -nostdinc drops with the
    host's: DIR is what `cc ask` prints (gcc: -print-file-name=include; clang:
    -print-resource-dir, then under="include"). () if it cannot be found."""
    try:
        out = subprocess.run([cc, ask], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ()
    d = Path(out) / under
    return ("-isystem", str(d)) if out and (d / "stddef.h").is_file() else ()


def gcc_compiler() -> Compiler | None:
    """gcc -m32 (or an i686 cross gcc) with the GNU ld it uses, if it works."""
    for prog in ("gcc", "i686-linux-gnu-gcc", "i686-elf-gcc", "i386-elf-gcc"):
        path = shutil.which(prog)
        if path is None:
            continue
        try:
            ldprog = subprocess.run([path, "-print-prog-name=ld"], capture_output=True,
                                    text=True, timeout=60).stdout.strip() or "ld"
        except (OSError, subprocess.TimeoutExpired):
            continue
        ld = _gnu_ld(ldprog)
        if ld is None:
            continue
        # -march=i686 alone would also tune for the Pentium Pro; keep gcc's usual tuning.
        c = Compiler("gcc", (path,), ld, cflags=("-mtune=generic", *_own_headers(path)),
                     ldflags=_ld_flags(ld), version=_version([path]))
        if _probe(c):
            return c
    return None


# clang 14's assembler ignores -fdebug-prefix-map for .S files (the line table
# of usys.S named the absolute source directory); naming the directory does it.
_CLANG_DEBUG_DIR = (f"-fdebug-compilation-dir={DEBUG_PREFIX}",)


def clang_compiler() -> Compiler | None:
    """clang for i386-unknown-none-elf, linked with ld.lld or GNU ld, if it works."""
    path = shutil.which("clang")
    if path is None:
        return None
    cc = (path, "--target=i386-unknown-none-elf")
    for ldprog in ("ld.lld", "ld"):
        ld = _gnu_ld(ldprog)
        if ld is None:
            continue
        c = Compiler("clang", cc, ld,
                     cflags=(*_CLANG_DEBUG_DIR, *_own_headers(path, "-print-resource-dir", "include")),
                     ldflags=_ld_flags(ld), version=_version([path]))
        if _probe(c):
            return c
    return None


def zig_compiler(python: str | None = None) -> Compiler | None:
    """The zig toolchain of PyPI's ziglang package (`python -m ziglang`), if it works.

    python is the interpreter that has ziglang installed (default: this one).
    zig's own ld.lld links; GNU ld is the fallback.
    """
    python = python or sys.executable
    zig = (python, "-m", "ziglang")
    try:
        r = subprocess.run([python, "-c", "import os, ziglang; print(os.path.dirname("
                            "ziglang.__file__))"], capture_output=True, text=True, timeout=60)
        zigversion = subprocess.run([*zig, "version"], capture_output=True, text=True,
                                    timeout=120).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    zigdir = r.stdout.strip()
    if r.returncode != 0 or not zigdir or not zigversion:
        return None
    clang = _version([*zig, "cc"])
    cc = (*zig, "cc", "-target", "x86-freestanding-none")
    # The compiler's own headers (stdarg.h) are named in the line tables; where
    # the ziglang package is installed must not change the bytes. zig cc adds
    # its own header directory (ziglang/lib/include) even with -nostdinc, and
    # for a freestanding target it has no C library's headers there.
    cflags = (*_CLANG_DEBUG_DIR, f"-fdebug-prefix-map={zigdir}=ziglang")
    for ld in ((*zig, "ld.lld", "-m", "elf_i386"), _gnu_ld("ld")):
        if ld is None:
            continue
        c = Compiler("zig", cc, ld, cflags=cflags, ldflags=_ld_flags(ld),
                     version=f"zig {zigversion} ({clang})")
        if _probe(c):
            return c
    return None


def find_compiler() -> Compiler | None:
    """The first toolchain that works: gcc, then clang, then ziglang. None if none does."""
    for candidate in (gcc_compiler, clang_compiler, zig_compiler):
        c = candidate()
        if c is not None:
            return c
    return None


def _any_compiler() -> Compiler:
    """find_compiler(), or BuildError saying what to install."""
    c = find_compiler()
    if c is None:
        raise BuildError("no C compiler for 32-bit x86 found: install gcc (with -m32 "
                         "support), clang with ld.lld, or `pip install ziglang`")
    return c


# ---------------------------------------------------------------------------
# Sources and the manifest (where the programs are: programs.py)

def _hash(path: Path) -> str:
    """sha256 of a source file, with CRLF line ends counted as LF (a checkout on
    Windows must not look stale)."""
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def _library_files(srcdir: Path) -> list[str]:
    """Every file of ulib/, libc/ and include/ (include/sys/ too), and user.ld,
    relative to srcdir, sorted."""
    files = [p for d in ("ulib", "libc", "include") if (srcdir / d).is_dir() for p in (srcdir / d).rglob("*")
             if p.is_file() and not p.name.startswith(".") and not p.name.endswith("~")]
    names = [p.relative_to(srcdir).as_posix() for p in files]
    return sorted(names) + ["user.ld"]


def source_files(name: str, srcdir: Path = SRCDIR) -> list[str]:
    """The sources program `name` depends on, relative to srcdir."""
    return [program_source(name, srcdir) or f"{name}.c"] + _library_files(Path(srcdir))


def program_cflags(src: str) -> tuple[str, ...]:
    """The flags a program's source (relative to the source directory) is compiled with."""
    return CFLAGS + POSIX_CFLAGS if src.startswith("posix/") else CFLAGS


_USER_H = re.compile(r'^[ \t]*#[ \t]*include[ \t]*[<"]user\.h[>"]', re.M)


def is_posix_source(text: str) -> bool:
    """Is a student's C file (`build_file`) a POSIX program? Yes unless it
    includes user.h, which declares xv6's exit() that every xv6 program calls."""
    return _USER_H.search(text) is None


def _write_manifest(bindir: Path, manifest: dict) -> None:
    tmp = bindir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, bindir / MANIFEST)


def stale_programs(srcdir: Path = SRCDIR, bindir: Path = BINDIR) -> list[str]:
    """Programs whose binary is missing or differs from the manifest, or whose
    sources or flags changed since it was built. Only hashes files: no compiler."""
    srcdir, bindir = Path(srcdir), Path(bindir)
    entries = load_manifest(bindir).get("programs", {})
    stale = []
    for name in program_names(srcdir):
        entry = entries.get(name)
        elf = program_path(name, bindir)
        src = program_source(name, srcdir) or f"{name}.c"
        if entry is None or elf is None or entry.get("cflags") != " ".join(program_cflags(src)):
            stale.append(name)
            continue
        try:
            sources = {f: _hash(srcdir / f) for f in source_files(name, srcdir)}
        except OSError:
            stale.append(name)
            continue
        elf_hash = hashlib.sha256(elf.read_bytes()).hexdigest()
        if sources != entry.get("sources") or elf_hash != entry.get("elf_sha256"):
            stale.append(name)
    return stale


# ---------------------------------------------------------------------------
# Building

@dataclass
class Libraries:
    """The compiled libraries: xv6's (every object, for xv6 programs), and the C
    library's (crt0, the start-up code, apart: no program refers to it)."""

    ulib: list[Path]
    libc: list[Path]
    crt0: Path | None


def _compile_dir(c: Compiler, srcdir: Path, objdir: Path, d: str) -> list[Path]:
    """Compile every .c and .S of srcdir/d; return the objects (d_NAME.o), in name order."""
    objs = []
    if not (srcdir / d).is_dir():
        return objs
    for src in sorted((srcdir / d).iterdir()):
        if src.suffix not in (".c", ".S"):
            continue
        obj = objdir / f"{d}_{src.stem}.o"
        _run(c.compile_command(f"{d}/{src.name}", obj, srcdir), cwd=srcdir)
        objs.append(obj)
    return objs


def _compile_library(c: Compiler, srcdir: Path, objdir: Path) -> Libraries:
    """Compile ulib/ and libc/ once."""
    libc = _compile_dir(c, srcdir, objdir, "libc")
    crt0 = next((o for o in libc if o.name == "libc_crt0.o"), None)
    return Libraries(_compile_dir(c, srcdir, objdir, "ulib"), [o for o in libc if o != crt0], crt0)


def _check_elf(path: Path) -> None:
    """Raise BuildError unless path is an i386 ELF with exactly one PT_LOAD, at
    virtual address 0 (what exec needs; a changed user.ld could break it)."""
    data = path.read_bytes()
    if data[:6] != b"\x7fELF\x01\x01" or data[18:20] != b"\x03\x00":
        raise BuildError(f"{path.name}: not a little-endian ELF32 file for i386")
    phoff, = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    loads = []
    for i in range(phnum):
        p_type, _, p_vaddr = struct.unpack_from("<III", data, phoff + i * phentsize)
        if p_type == 1:             # PT_LOAD
            loads.append(p_vaddr)
    if loads != [0]:
        raise BuildError(f"{path.name}: PT_LOAD segments at {[hex(v) for v in loads]}; "
                         "want exactly one, at address 0 (check user.ld)")


def _symbols(obj: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The global symbols an object file defines, and those it uses undefined."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection
    defined, undefined = set(), set()
    with open(obj, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            if not isinstance(sec, SymbolTableSection):
                continue
            for sym in sec.iter_symbols():
                if sym.name and sym["st_info"]["bind"] != "STB_LOCAL":
                    (undefined if sym["st_shndx"] == "SHN_UNDEF" else defined).add(sym.name)
    return frozenset(defined), frozenset(undefined)


def needed(objs: list[Path], libobjs: list[Path], symbols=_symbols) -> list[Path]:
    """The library objects that the objects objs need, in library order: each one
    that defines a symbol they use, then each one that defines a symbol those
    use, and so on -- what a linker takes from an archive."""
    have, want = frozenset(), frozenset()
    for obj in objs:
        defined, undefined = symbols(obj)
        have, want = have | defined, want | undefined
    table = {lib: symbols(lib) for lib in libobjs}
    chosen: set[Path] = set()
    while True:
        more = [lib for lib in libobjs if lib not in chosen and table[lib][0] & (want - have)]
        if not more:
            return [lib for lib in libobjs if lib in chosen]
        for lib in more:
            chosen.add(lib)
            have, want = have | table[lib][0], want | table[lib][1]


def _build_one(c: Compiler, name: str, srcdir: Path, objdir: Path, libs: Libraries,
               outdir: Path) -> Path:
    """Compile program `name` and link it (module docstring: xv6 programs with
    all of ulib and what they need of libc; POSIX programs with crt0 and what
    they need of libc); move the ELF into outdir; return its path."""
    obj = objdir / f"{name}.o"
    src = program_source(name, srcdir)
    if src is None:
        raise BuildError(f"no source for program {name!r}: {srcdir / (name + '.c')}")
    _run(c.compile_command(src, obj, srcdir, program_cflags(src)[len(CFLAGS):]), cwd=srcdir)
    if src.startswith("posix/"):
        if libs.crt0 is None:
            raise BuildError(f"{name} is a POSIX program, but there is no libc/crt0.c")
        objs, entry = [obj, libs.crt0], "_start"
    else:
        objs, entry = [obj, *libs.ulib], None
    elf = objdir / name
    _run(c.link_command([*objs, *needed(objs, libs.libc)], elf, srcdir / "user.ld", entry), cwd=srcdir)
    _check_elf(elf)
    out, tmp = outdir / name, outdir / f".{name}.tmp"
    shutil.copyfile(elf, tmp)        # mode 0644: an xv6py program, not a host program
    os.replace(tmp, out)             # readers never see half a file
    return out


def build(names: list[str] | None = None, compiler: Compiler | None = None,
          srcdir: Path = SRCDIR, outdir: Path = BINDIR) -> list[Path]:
    """Build the named programs (default: all) into outdir and update its manifest.

    Returns the paths of the ELF files written. Raises BuildError if no
    compiler works or a compile or link fails (with the tool's message).
    """
    srcdir, outdir = Path(srcdir).absolute(), Path(outdir).absolute()
    if names is None:
        names = program_names(srcdir)
    compiler = compiler or _any_compiler()
    outdir.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(outdir)
    entries = manifest.setdefault("programs", {})
    built = []
    with tempfile.TemporaryDirectory(prefix="xv6py-build-") as tmp:
        objdir = Path(tmp)
        libs = _compile_library(compiler, srcdir, objdir)
        for name in names:
            out = _build_one(compiler, name, srcdir, objdir, libs, outdir)
            entries[name] = {
                "compiler": compiler.describe(),
                "cflags": " ".join(program_cflags(program_source(name, srcdir) or f"{name}.c")),
                "sources": {f: _hash(srcdir / f) for f in source_files(name, srcdir)},
                "elf_sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
                "size": out.stat().st_size,
            }
            built.append(out)
    for gone in sorted(set(entries) - set(program_names(srcdir))):
        del entries[gone]            # its source was removed: so goes the binary
        old = program_path(gone, outdir)
        if old is not None:
            old.unlink()
    _write_manifest(outdir, manifest)
    _write_image(srcdir, outdir)
    return built


def build_file(src: str | Path, out: str | Path | None = None,
               compiler: Compiler | None = None, srcdir: Path = SRCDIR) -> Path:
    """Build a student's C file from anywhere on the host against the user library
    (ulib/, libc/, include/, user.ld of srcdir), as the project's own programs are
    built: an xv6 program if it includes user.h, else a POSIX program
    (`is_posix_source`) -- except that its warnings are printed (on stderr),
    not errors as they are for the project's programs. The ELF goes next to the source (NAME.c -> NAME)
    unless out says where; never among the project's programs. Returns its
    path; raises BuildError."""
    src, srcdir = Path(src).absolute(), Path(srcdir).absolute()
    if not src.is_file():
        raise BuildError(f"no such file: {src}")
    out = Path(out).absolute() if out is not None else src.with_suffix("")
    if out == src or out.resolve().parent == BINDIR.resolve():
        raise BuildError(f"will not write {out}: choose another output (-o)")
    compiler = compiler or _any_compiler()
    posix = is_posix_source(src.read_text(errors="replace"))
    with tempfile.TemporaryDirectory(prefix="xv6py-build-") as tmp:
        objdir = Path(tmp)
        libobjs = _compile_library(compiler, srcdir, objdir)
        obj = objdir / "prog.o"
        cmd = compiler.compile_command(src.name, obj, src.parent, POSIX_CFLAGS if posix else ())
        cmd[-4:-4] = ["-I", str(srcdir / "include")]    # the headers, from anywhere
        # A program written for Linux may warn where glibc's headers would not:
        # the student sees the warnings, but they do not stop the build.
        r = _run([a for a in cmd if a != "-Werror"], cwd=src.parent)
        if r.stderr.strip():
            print(r.stderr.rstrip(), file=sys.stderr)
        elf = objdir / "prog"
        if posix:                               # a POSIX program: crt0, what it needs of libc
            if libobjs.crt0 is None:
                raise BuildError("a POSIX program needs libc/crt0.c")
            objs, entry = [obj, libobjs.crt0], "_start"
        else:                                   # an xv6 program: all of ulib, what it needs of libc
            objs, entry = [obj, *libobjs.ulib], None
        _run(compiler.link_command([*objs, *needed(objs, libobjs.libc)], elf, srcdir / "user.ld", entry),
             cwd=src.parent)
        _check_elf(elf)
        shutil.copyfile(elf, out)
    return out


def _write_image(srcdir: Path, outdir: Path) -> None:
    """Make the default disk image from every program built in outdir."""
    from .mkfs import make_default_image
    tmp = outdir / (IMAGE + ".tmp")
    tmp.write_bytes(make_default_image(outdir, srcdir))
    os.replace(tmp, outdir / IMAGE)


def main(argv: list[str] | None = None) -> int:
    """`python -m xv6py.build [NAME...]`: build programs, print what was written."""
    args = sys.argv[1:] if argv is None else argv
    try:
        compiler = _any_compiler()
        print(f"compiler: {compiler.describe()}")
        for path in build(args or None, compiler):
            print(f"  {path.name:12} {path.stat().st_size:7} bytes")
    except BuildError as e:
        print(f"build failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
