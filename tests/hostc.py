"""Running a POSIX program of userprogs/posix/ on the host, to compare what it
prints with what it prints on xv6py (the same source, compiled by the host's
gcc against glibc). `host_output` skips the test when that is impossible."""

import shutil
import subprocess

import pytest

from xv6py import programs


def host_output(name: str, args=(), tmp_path=None, timeout: int = 120) -> str:
    """Compile posix/NAME.c with the host's C compiler and run it with args;
    return what it printed on stdout and stderr together. pytest.skip if there
    is no compiler, or the program cannot be built or run on this host."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None or tmp_path is None:
        pytest.skip("no host C compiler")
    src = programs.SRCDIR / "posix" / f"{name}.c"
    exe = tmp_path / name
    r = subprocess.run([cc, "-O1", "-w", "-o", str(exe), str(src)], capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        pytest.skip(f"the host cannot build {name}: {r.stderr.strip()[:300]}")
    r = subprocess.run([str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout, cwd=tmp_path)
    return r.stdout
