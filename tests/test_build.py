"""Tests of the user-program build (xv6py/build.py) and of the built ELF files
(found through xv6py/programs.py).

The first group needs no compiler: it checks the committed binaries in
userprogs/bin (present, up to date with their sources, laid out as xv6's exec
expects) and the system call header. The second group builds, and is skipped
when no compiler for 32-bit x86 is installed. The zig test runs only where
`python -m ziglang` works (this interpreter's, or the one named by the
environment variable XV6PY_ZIG_PYTHON).
"""

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from xv6py import build, programs
from xv6py.build import BuildError

PGSIZE = 4096

# x86 xv6's system call numbers, then the shared-memory calls of xv6py.
XV6_SYSCALLS = {
    "fork": 1, "exit": 2, "wait": 3, "pipe": 4, "read": 5, "kill": 6, "exec": 7,
    "fstat": 8, "chdir": 9, "dup": 10, "getpid": 11, "sbrk": 12, "sleep": 13,
    "uptime": 14, "open": 15, "write": 16, "mknod": 17, "unlink": 18, "link": 19,
    "mkdir": 20, "close": 21,
    "shm_create": 22, "shm_attach": 23, "shm_detach": 24, "shm_destroy": 25,
}
# The calls after those return negated error numbers; their stubs (libc/usyserr.S)
# set errno. name -> (number, the C function of the stub).
ERRNO_SYSCALLS = {
    "getuid": (26, "getuid"), "geteuid": (27, "geteuid"), "getgid": (28, "getgid"),
    "getegid": (29, "getegid"), "setuid": (30, "setuid"), "setgid": (31, "setgid"),
    "exit_status": (32, "_exit"), "waitpid": (33, "waitpid"),
    **{name: (34 + i, name) for i, name in enumerate(
        ["shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl", "msgget", "msgsnd",
         "msgrcv", "msgctl"])},
    **{name: (45 + i, name) for i, name in enumerate(
        ["mmap", "munmap", "mprotect", "shm_open", "shm_unlink", "ftruncate"])},
    "lseek": (54, "lseek"), "getppid": (61, "getppid"),
}

# POSIX's file calls (libc/fileio.S): call -> (number, the libc function).
POSIX_FILE_SYSCALLS = {
    "posix_open": (51, "open"), "posix_fstat": (52, "fstat"), "posix_stat": (53, "stat"),
    "posix_read": (55, "read"), "posix_write": (56, "write"), "posix_close": (57, "close"),
    "posix_dup": (58, "dup"), "posix_pipe": (59, "pipe"), "posix_unlink": (60, "unlink"),
    "posix_kill": (62, "kill"),
}


def check_layout(path: Path, name: str) -> None:
    """Assert that the ELF file at path is a program exec can load, as on xv6."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        assert elf.elfclass == 32, f"{name}: not ELF32"
        assert elf["e_machine"] == "EM_386", f"{name}: not i386"
        assert elf.little_endian

        symtab = elf.get_section_by_name(".symtab")
        assert symtab is not None, f"{name}: no symbol table"
        mains = symtab.get_symbol_by_name("main")
        assert mains, f"{name}: no symbol main"
        assert mains[0]["st_value"] == 0, f"{name}: main is not at address 0"
        # xv6 programs are entered at main; POSIX programs at libc's start-up code.
        posix = (programs.program_source(name) or "").startswith("posix/")
        entry = symtab.get_symbol_by_name("_start" if posix else "main")
        assert entry and elf["e_entry"] == entry[0]["st_value"], f"{name}: wrong entry point"

        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert len(loads) == 1, f"{name}: {len(loads)} PT_LOAD segments, want 1"
        seg = loads[0]
        assert seg["p_vaddr"] == 0 and seg["p_vaddr"] % PGSIZE == 0
        assert seg["p_memsz"] >= seg["p_filesz"] > 0

        assert elf.has_dwarf_info(), f"{name}: no DWARF"
        dwarf = elf.get_dwarf_info()
        files = set()
        for cu in dwarf.iter_CUs():
            lp = dwarf.line_program_for_CU(cu)
            if lp is not None and lp.get_entries():
                files.update(fe.name.decode() for fe in lp.header.file_entry)
        assert f"{name}.c" in files or f"posix/{name}.c" in files, f"{name}: no DWARF line info for {name}.c"


def copy_sources(dst: Path) -> Path:
    """A copy of userprogs/ without its binaries, to build in."""
    src = dst / "userprogs"
    shutil.copytree(programs.SRCDIR, src, ignore=shutil.ignore_patterns("bin", "__pycache__"))
    return src


# ---------------------------------------------------------------------------
# No compiler needed

def test_every_program_is_built_and_up_to_date():
    names = programs.program_names()
    assert {"init", "hello", "echo", "forktree", "argtest", "sbrktest", "faults",
            "spin", "getpidloop", "forkloop", "regloop"} <= set(names)
    missing = [n for n in names if programs.program_path(n) is None]
    assert missing == [], f"not built: {missing}"
    stale = build.stale_programs()
    assert stale == [], (f"sources changed but these binaries were not rebuilt: {stale}; "
                         "run `python -m xv6py.build` and commit userprogs/bin")


@pytest.mark.parametrize("name", programs.program_names())
def test_binary_layout(name):
    check_layout(programs.program_path(name), name)


def test_program_path_rejects_odd_names():
    assert programs.program_path("no-such-program") is None
    assert programs.program_path("../build.py") is None
    assert programs.program_path("") is None
    assert programs.program_path("MANIFEST.json") is None
    assert programs.program_path("hello") == programs.BINDIR / "hello"


def test_syscall_numbers():
    text = (programs.SRCDIR / "include" / "syscall.h").read_text()
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        m = re.fullmatch(r"#define SYS_(\w+) (\d+)", line)
        assert m, f"unexpected line in syscall.h: {line!r}"
        assert m.group(1) not in found, f"SYS_{m.group(1)} defined twice"
        found[m.group(1)] = int(m.group(2))
    numbered = ERRNO_SYSCALLS | POSIX_FILE_SYSCALLS
    assert found == XV6_SYSCALLS | {name: num for name, (num, _) in numbered.items()}


def test_every_syscall_has_a_stub_and_a_prototype():
    usys = (programs.SRCDIR / "ulib" / "usys.S").read_text()
    stubs = re.findall(r"^STUB\((\w+)\)", usys, re.M)
    assert sorted(stubs) == sorted(XV6_SYSCALLS)
    usyserr = (programs.SRCDIR / "libc" / "usyserr.S").read_text()
    estubs = dict(re.findall(r"^ESTUB\((\w+), (\w+)\)", usyserr, re.M))
    private = {fn: call for fn, call in estubs.items() if fn.startswith("__")}   # the library's own
    assert {fn: call for fn, call in estubs.items() if fn not in private} == {
        fn: call for call, (_, fn) in ERRNO_SYSCALLS.items()}
    assert private == {"__posix_stat": "posix_stat"}
    fileio = (programs.SRCDIR / "libc" / "fileio.S").read_text()
    assert dict(re.findall(r"^ESTUB\((\w+), (\w+)\)", fileio, re.M)) == {
        fn: call for call, (_, fn) in POSIX_FILE_SYSCALLS.items()}
    user_h = (programs.SRCDIR / "include" / "user.h").read_text()
    for name in XV6_SYSCALLS:
        assert re.search(rf"\b{name}\(", user_h), f"no prototype for {name} in user.h"
    headers = "".join(h.read_text() for h in (programs.SRCDIR / "include").rglob("*.h"))
    for name in set(estubs) - set(private):
        assert re.search(rf"\b{name}\s*\(", headers), f"no prototype for {name} in include/"


def test_stale_programs_notices_changes(tmp_path):
    src = copy_sources(tmp_path)
    bindir = tmp_path / "bin"
    shutil.copytree(programs.BINDIR, bindir)
    assert build.stale_programs(src, bindir) == []

    with open(src / "hello.c", "a") as f:
        f.write("// changed\n")
    assert build.stale_programs(src, bindir) == ["hello"]

    with open(src / "ulib" / "printf.c", "a") as f:
        f.write("// changed\n")
    assert build.stale_programs(src, bindir) == programs.program_names(src)


def test_stale_programs_notices_a_missing_or_changed_binary(tmp_path):
    src = copy_sources(tmp_path)
    bindir = tmp_path / "bin"
    shutil.copytree(programs.BINDIR, bindir)
    (bindir / "echo").unlink()
    with open(bindir / "spin", "ab") as f:
        f.write(b"\0")
    assert build.stale_programs(src, bindir) == ["echo", "spin"]


def test_crlf_checkout_is_not_stale(tmp_path):
    src = copy_sources(tmp_path)
    bindir = tmp_path / "bin"
    shutil.copytree(programs.BINDIR, bindir)
    p = src / "hello.c"
    p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    assert build.stale_programs(src, bindir) == []


# ---------------------------------------------------------------------------
# With a compiler

@pytest.fixture(scope="module")
def compiler():
    c = build.find_compiler()
    if c is None:
        pytest.skip("no C compiler for 32-bit x86 (gcc -m32, clang, or ziglang)")
    return c


def test_build_is_reproducible(compiler, tmp_path):
    a = build.build(["hello", "sbrktest"], compiler, outdir=tmp_path / "a")
    b = build.build(["hello", "sbrktest"], compiler, outdir=tmp_path / "b")
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), f"{pa.name} differs between two builds"
    # From a copy of the sources elsewhere: the same bytes (no absolute paths inside).
    c = build.build(["hello"], compiler, srcdir=copy_sources(tmp_path / "copy"),
                    outdir=tmp_path / "c")
    assert c[0].read_bytes() == a[0].read_bytes()
    # And, when this is the compiler that built the committed binaries, the same bytes.
    entry = programs.load_manifest(programs.BINDIR)["programs"]["hello"]
    if entry["compiler"] == compiler.describe():
        assert a[0].read_bytes() == programs.program_path("hello").read_bytes()


def test_build_writes_manifest(compiler, tmp_path):
    out = build.build(["echo"], compiler, outdir=tmp_path)
    assert out == [tmp_path / "echo"]
    check_layout(out[0], "echo")
    stale = build.stale_programs(programs.SRCDIR, tmp_path)
    assert "echo" not in stale and "hello" in stale
    # and the disk image, made from what is built there
    from xv6py.fsimage import Image
    names = [e[0] for e in Image.open(tmp_path / programs.IMAGE).listdir("/")]
    assert names == [".", "..", "console", "README", "echo"]


def test_syntax_error_raises_build_error(compiler, tmp_path):
    src = copy_sources(tmp_path)
    (src / "broken.c").write_text('#include "user.h"\nint main(void) { exit() }\n')
    with pytest.raises(BuildError) as e:
        build.build(["broken"], compiler, srcdir=src, outdir=tmp_path / "bin")
    msg = str(e.value)
    assert "broken.c" in msg and "error" in msg.lower()


def test_warnings_are_errors(compiler, tmp_path):
    src = copy_sources(tmp_path)
    (src / "warn.c").write_text('#include "user.h"\n'
                                'int main(void) { int unused; exit(); }\n')
    with pytest.raises(BuildError, match="unused"):
        build.build(["warn"], compiler, srcdir=src, outdir=tmp_path / "bin")


ATOMIC_C = """\
// _Atomic int through the compiler's freestanding <stdatomic.h>, with no libatomic.
#include <stdatomic.h>
#include "types.h"
#include "user.h"

static _Atomic int counter;

int
main(void)
{
  atomic_store_explicit(&counter, 41, memory_order_release);
  atomic_fetch_add_explicit(&counter, 1, memory_order_acq_rel);
  printf(1, "%d\\n", atomic_load_explicit(&counter, memory_order_acquire));
  exit();
}
"""


def test_stdatomic_compiles_and_links(compiler, tmp_path):
    src = copy_sources(tmp_path)
    (src / "atomics.c").write_text(ATOMIC_C)
    out = build.build(["atomics"], compiler, srcdir=src, outdir=tmp_path / "bin")
    check_layout(out[0], "atomics")


# ---------------------------------------------------------------------------
# Every toolchain that is installed: gcc, clang, and zig from PyPI's ziglang

def _zig_compiler():
    for python in (sys.executable, os.environ.get("XV6PY_ZIG_PYTHON")):
        if python:
            c = build.zig_compiler(python)
            if c is not None:
                return c
    return None


TOOLCHAINS = {
    "gcc": (build.gcc_compiler, "gcc with -m32 support"),
    "clang": (build.clang_compiler, "clang with ld.lld or GNU ld"),
    "zig": (_zig_compiler, "`python -m ziglang` (pip install ziglang, or set XV6PY_ZIG_PYTHON)"),
}


@pytest.mark.parametrize("toolchain", sorted(TOOLCHAINS))
def test_toolchain_builds_every_program(toolchain, tmp_path):
    find, needs = TOOLCHAINS[toolchain]
    c = find()
    if c is None:
        pytest.skip(f"{toolchain} is not available: needs {needs}")
    out = build.build(None, c, outdir=tmp_path / "a")
    assert [p.name for p in out] == programs.program_names()
    for p in out:
        check_layout(p, p.name)
    # Reproducible from a copy of the sources elsewhere, too.
    again = build.build(["hello", "echo"], c, srcdir=copy_sources(tmp_path / "copy"),
                        outdir=tmp_path / "b")
    for p in again:
        assert p.read_bytes() == (tmp_path / "a" / p.name).read_bytes()


# ---------------------------------------------------------------------------
# xv6 programs and POSIX programs: what each is linked with

def _compile_units(name: str) -> set[str]:
    """The sources of the compile units (the objects linked) of a built program."""
    with open(programs.program_path(name), "rb") as f:
        dwarf = ELFFile(f).get_dwarf_info()
        return {cu.get_top_DIE().attributes["DW_AT_name"].value.decode() for cu in dwarf.iter_CUs()}


def test_needed_takes_what_a_linker_takes_from_an_archive():
    table = {"prog": ({"main"}, {"printf", "errno"}), "a": ({"printf"}, {"write"}),
             "b": ({"write"}, set()), "c": ({"unused"}, {"write"}), "d": ({"errno"}, {"b_only"}),
             "e": ({"b_only"}, set())}
    syms = {k: (frozenset(d), frozenset(u)) for k, (d, u) in table.items()}
    assert build.needed(["prog"], ["a", "b", "c", "d", "e"], syms.__getitem__) == ["a", "b", "d", "e"]
    assert build.needed(["c"], ["a", "b"], syms.__getitem__) == ["b"]


def test_an_xv6_program_links_all_of_ulib_and_only_what_it_uses_of_libc():
    assert _compile_units("hello") == {"hello.c", "ulib/printf.c", "ulib/ulib.c", "ulib/umalloc.c",
                                       "ulib/usys.S"}
    units = _compile_units("uidtest")
    assert {"libc/errno.c", "libc/usyserr.S", "ulib/usys.S"} <= units
    assert "libc/stdio.c" not in units and "libc/crt0.c" not in units


def test_a_posix_program_links_libc_and_no_xv6_stub():
    units = _compile_units("hellopx")
    assert {"posix/hellopx.c", "libc/crt0.c", "libc/stdio.c", "libc/syscalls.S"} <= units
    assert not {u for u in units if u.startswith("ulib/")}     # ulib.c comes in through libc's copy


def test_program_sources():
    assert programs.program_source("hello") == "hello.c"
    assert programs.program_source("hellopx") == "posix/hellopx.c"
    assert programs.program_source("nope") is None and programs.program_source("../x") is None
    assert build.source_files("hellopx")[0] == "posix/hellopx.c"
    assert {"libc/stdio.c", "include/sys/wait.h"} <= set(build.source_files("hello"))


def test_a_students_file_is_a_posix_program_unless_it_includes_user_h():
    """`xv6py build mine.c`'s rule (build.is_posix_source)."""
    assert build.is_posix_source('#include <stdio.h>\n#include <fcntl.h>\nint main(void) { return 0; }\n')
    assert not build.is_posix_source('#include "types.h"\n#include "user.h"\n')
    assert not build.is_posix_source('  #  include <user.h>\n')
    assert build.is_posix_source('// not "user.h" here\n#include <unistd.h>\n')
    assert build.program_cflags("posix/maptest.c") == build.CFLAGS + build.POSIX_CFLAGS
    assert build.program_cflags("cat.c") == build.CFLAGS
