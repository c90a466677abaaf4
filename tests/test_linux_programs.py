"""Programs written for Linux, built unchanged with `xv6py build FILE.c`
(build.build_file, from a directory outside the project, as a student builds
one) and run on xv6py: they must print what the same file prints when the
host's gcc builds it against glibc (skipped without gcc or a compiler for
i386). Each is LTP-like: a line per check, with the result and errno's message.

* posix/lxipc.c -- System V semaphores (SETVAL/GETVAL, a child waiting in
  semop), message queues (receiving by type, MSG_NOERROR, E2BIG) and shared
  memory (ftok, IPC_EXCL, a child's writes), with IPC_PRIVATE and keys.
* tests/linux/lxwait.c -- exit statuses: exit, _exit(300), returning from
  main, a fault (SIGSEGV), abort() and a failed assert() (SIGABRT), kill with
  SIGTERM; getppid, sysconf, sleep, wait with no children.
* tests/linux/lxprot.c -- what each mmap protection lets a user read: PROT_WRITE
  and PROT_EXEC alone too (32-bit page tables have only U and W), PROT_NONE
  nothing.

The one line xv6py prints and Linux does not is the kernel's own, on the
console, for a process it kills for a fault ("pid N NAME: trap 14 ...--kill
proc", and for a fault in an mmap area a second line with the reason): it is
left out before comparing.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import run

from xv6py import programs

SOURCES = {
    "lxipc": programs.SRCDIR / "posix" / "lxipc.c",
    "lxwait": Path(__file__).parent / "linux" / "lxwait.c",
    "lxprot": Path(__file__).parent / "linux" / "lxprot.c",
}

KILL_LINE = re.compile(r"^pid \d+ \S+: trap \d+ err \d+ on cpu \d+ eip 0x[0-9a-f]+ "
                       r"addr 0x[0-9a-f]+--kill proc\n(pid \d+ \S+: mmap: .*\n)?", re.M)


def _build(src: Path, tmp_path: Path) -> bytes:
    """The ELF of src built as a student's file, from a copy in tmp_path."""
    from xv6py.build import BuildError, build_file, find_compiler
    if find_compiler() is None:
        pytest.skip("no compiler for i386")
    mine = tmp_path / "xv6" / src.name
    mine.parent.mkdir()
    shutil.copyfile(src, mine)
    try:
        return build_file(mine).read_bytes()
    except BuildError as e:
        pytest.fail(str(e))


def _host(src: Path, tmp_path: Path) -> str:
    """What src prints on the host (stdout and stderr), built there by gcc."""
    cc = shutil.which("gcc")
    if cc is None:
        pytest.skip("no host gcc")
    d = tmp_path / "host"
    d.mkdir()
    exe = d / src.stem                  # the same program and file names: assert's message has them
    shutil.copyfile(src, d / src.name)
    r = subprocess.run([cc, "-O2", "-w", "-o", exe.name, src.name], capture_output=True, text=True,
                       timeout=120, cwd=d)
    if r.returncode != 0:
        pytest.skip(f"the host cannot build {src.name}: {r.stderr.strip()[:300]}")
    r = subprocess.run([str(exe)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120, cwd=d)
    return r.stdout


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_linux_program_prints_the_same_on_xv6py(machine, name, tmp_path):
    src = SOURCES[name]
    machine.add_program(name, _build(src, tmp_path))
    r = run(machine, name)
    assert r.status == "exit", r.output
    assert r.free_frames_after == r.free_frames_before
    assert KILL_LINE.sub("", r.output) == _host(src, tmp_path)


def test_statuses_without_a_host_compiler(machine):
    """The committed lxipc, and the statuses lxwait must see (its source alone)."""
    out = run(machine, "lxipc").output
    for line in ("semctl SETVAL -1                 -1 Numerical result out of range",
                 "  got 1 \"type 1\"", "msgrcv 2 bytes                   -1 Argument list too long",
                 "child wrote 2000, flag 1, exit 0", "shmget after IPC_RMID            -1 No such file "
                 "or directory"):
        assert line + "\n" in out, line
    text = SOURCES["lxwait"].read_text()
    assert "#include <assert.h>" in text and "abort()" in text


def test_lxwait_sees_linuxs_statuses(machine, tmp_path):
    """Without a host compiler: the signals abort, assert, kill(SIGTERM) and a
    fault report, and getppid in a child (call 61) naming its living parent."""
    machine.add_program("lxwait", _build(SOURCES["lxwait"], tmp_path))
    out = run(machine, "lxwait").output
    for what, how in (("write to kernel space", "killed by signal 11"), ("abort()", "killed by signal 6"),
                      ("assert(false)", "killed by signal 6"), ("kill(SIGTERM)", "killed by signal 15"),
                      ("getppid in the child", "exited 4"), ("_exit(300)", "exited 44")):
        assert f"waitpid returned the child: 1  {what:<28} {how}\n" in out, what
    assert "lxwait: lxwait.c:47: run: Assertion `how == 5' failed.\n" in out
    assert "kill a bad signal: -1 Invalid argument\n" in out


def test_a_students_warnings_are_shown_not_fatal(tmp_path, capsys):
    from xv6py.build import find_compiler
    if find_compiler() is None:
        pytest.skip("no compiler for i386")
    from xv6py.build import build_file
    src = tmp_path / "warn.c"
    src.write_text("#include <stdio.h>\nint main(void) { int unused; return 0; }\n")
    assert build_file(src).is_file()
    assert "unused" in capsys.readouterr().err


def test_a_header_the_library_lacks_is_not_taken_from_the_host(tmp_path):
    from xv6py.build import BuildError, build_file, find_compiler
    if find_compiler() is None:
        pytest.skip("no compiler for i386")
    src = tmp_path / "sock.c"
    src.write_text("#include <sys/socket.h>\nint main(void) { return 0; }\n")
    with pytest.raises(BuildError, match=r"sys/socket\.h"):
        build_file(src)
