"""POSIX's file calls and mmap as a program written for Linux sees them
(syscalls/sysposix.py, syscalls/sysmman.py): posix/filetest.c and
posix/maptest.c, in the manner of the Linux Test Project, print what each
call returned and errno's name for every documented error case and what the
calls left in the files. On xv6py they must print exactly what the same source
prints when the host's gcc builds it for Linux (skipped without gcc)."""

import pytest
from helpers import run
from hostc import host_output

PROGRAMS = ("filetest", "maptest")


@pytest.mark.parametrize("name", PROGRAMS)
def test_the_same_source_prints_the_same_on_linux_and_on_xv6py(machine, name, tmp_path):
    r = run(machine, name)
    assert r.status == "exit", r.output
    assert r.free_frames_after == r.free_frames_before
    assert host_output(name, tmp_path=tmp_path) == r.output


def test_filetest_sees_linuxs_errors(machine):
    """Without a host compiler too: the lines that differ from xv6's own calls."""
    out = run(machine, "filetest").output
    for line in ("open O_CREAT|O_EXCL existing       -1 EEXIST",
                 "open through a file                -1 ENOTDIR",
                 "open . O_WRONLY                    -1 EISDIR",
                 "open a 299-byte name               -1 ENAMETOOLONG",
                 "ft-file                            0 bytes: ",
                 "ft-file                            6 bytes: abcdef",
                 "ft-file                            11 bytes: abcdef\\0\\0\\0\\0X",
                 "lseek a pipe                       -1 ESPIPE",
                 "read a directory                   -1 EISDIR",
                 "unlink .                           -1 EISDIR"):
        assert line + "\n" in out, line


def test_maptest_keeps_a_prot_none_page_and_writes_back_the_shared_one(machine):
    out = run(machine, "maptest").output
    assert "kept                                     abcdefghijSHARED\n" in out
    assert "the file                                 abcdefghijSHARED\n" in out


def test_a_posix_program_runs_out_of_descriptors_with_emfile(machine):
    """Linux's limit on descriptors is the host's; xv6py's is NOFILE (16)."""
    m = machine
    m.add_program("emfile", _build_posix(m, """
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
  int n = 0;
  while (open("emfile", O_RDONLY) >= 0) n++;
  printf("%d more, then errno %d; dup: %d errno %d\\n", n, errno, dup(0), errno);
  return 0;
}
"""))
    assert run(m, "emfile").output == "13 more, then errno 24; dup: -1 errno 24\n"


def _build_posix(m, text: str) -> bytes:
    """A POSIX program built from text with `xv6py build FILE.c`'s rule (no user.h)."""
    import tempfile
    from pathlib import Path

    from xv6py.build import BuildError, build_file, find_compiler
    if find_compiler() is None:
        pytest.skip("no compiler for i386")
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "emfile.c"
        src.write_text(text)
        try:
            return build_file(src).read_bytes()
        except BuildError as e:
            pytest.fail(str(e))


@pytest.mark.parametrize("major,minor", [(-1, -1), (-32768, 5), (1, 1)])
def test_stat_of_a_device_made_with_any_numbers_does_not_break_the_kernel(major, minor):
    """mknod takes any short for major and minor, -1 too; POSIX's stat packs
    them into st_rdev, unsigned (found by the fuzzer: a negative one escaped
    the kernel as a Python exception)."""
    from xv6py.machine import Machine
    from xv6py.syscalls.sysposix import STAT64
    from xv6py.testing.kcall import Syscaller
    m = Machine(check=True)
    h = Syscaller(m)
    p = h.spawn()
    assert h.call(p, "mknod", "dev", major, minor) == 0
    assert h.call(p, "sbrk", 4096) >= 0
    buf = p.sz - 4096                           # the new heap page
    assert h.call(p, "posix_stat", "dev", buf) == 0
    rdev = STAT64.unpack(h.peek(p, buf, STAT64.size))[7]
    assert rdev == ((major & 0xFFFF) << 8 | minor & 0xFFFF)
