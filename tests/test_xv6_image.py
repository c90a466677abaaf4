"""Binary compatibility, checked on a real x86 xv6 disk: an fs.img made by xv6's
own mkfs holding xv6's own programs (init, sh, the utilities, usertests), all
built by xv6's Makefile. The image is not part of the project; point the
environment variable XV6PY_XV6_IMAGE at one to run these tests (they are
skipped otherwise). The image file itself is never written: each test boots a
copy of its bytes. README.md ("Checking against a real xv6") says how to make one.

What is asserted comes from the image and from what x86 xv6 does, never from
xv6's sources: the shell and the utilities work on xv6's own files, usertests
ends with ALL TESTS PASSED, and the kill lines follow xv6's rule for the addr
field (CR2 as it stands, so a trap other than a page fault shows the address of
the last page fault).
"""

import os
import re
from pathlib import Path

import pytest
from handmade import xv6_read

from xv6py.machine import Machine

IMAGE = os.environ.get("XV6PY_XV6_IMAGE")

pytestmark = pytest.mark.skipif(
    not IMAGE, reason="XV6PY_XV6_IMAGE is not set: no x86 xv6 fs.img to boot (see README.md)")

KILL = re.compile(r"^pid (\d+) (\S+): trap (\d+) err (\d+) on cpu 0 eip 0x([0-9a-f]+) "
                  r"addr 0x([0-9a-f]+)--kill proc$", re.M)


@pytest.fixture(scope="module")
def image() -> bytes:
    path = Path(IMAGE)
    if not path.is_file():
        pytest.fail(f"XV6PY_XV6_IMAGE={IMAGE}: no such file")
    return path.read_bytes()


def session(disk: bytes, typed: bytes):
    """Boot a copy of the image, type the input, run to its end."""
    r = Machine(session=True, stdin=typed, disk=disk).session_run()
    assert (r.status, r.reason) == ("input ended", "console input ended"), r.summary()
    assert r.free_frames_after == r.free_frames_before, r.summary()
    return r


def wc(data: bytes) -> str:
    """What xv6's wc prints for data read from its standard input."""
    lines = data.count(b"\n")
    words = len(re.findall(rb"[^ \r\t\n\v]+", data))
    return f"{lines} {words} {len(data)} "


def test_the_shell_and_utilities_work_on_xv6s_own_files(image):
    readme = xv6_read(image, "README")
    assert readme, "the image has no README: is it an xv6 fs.img?"
    r = session(image, b"ls\ncat README | wc\necho hi > f\ncat f\nnosuch\n")
    out = r.output
    assert out.startswith("init: starting sh\n$ ls\n")
    for name in ("README", "init", "sh", "ls", "cat", "usertests", "console"):
        assert re.search(rf"^{name} +\d \d+ \d+$", out, re.M), name
    assert f"$ cat README | wc\n{wc(readme)}\n" in out
    assert "$ cat f\nhi\n" in out
    assert "$ nosuch\nexec: fail\nexec nosuch failed\n" in out


def test_usertests_passes(image):
    r = session(image, b"usertests\n")
    out = r.output
    assert "usertests starting\n" in out
    assert out.endswith("ALL TESTS PASSED\n$ "), out[-2000:]
    kills = KILL.findall(out)
    assert kills, "usertests' faults (kernel reads, in/out) were not reported"
    last = None
    for _pid, name, trapno, _err, _eip, addr in kills:
        assert name == "usertests"
        if trapno == "14":
            last = addr
        else:       # xv6 prints rcr2() for every trap: the last page fault's address
            assert addr == (last or "0"), kills
    assert any(k[2] == "13" for k in kills), "in/out in user mode must be a #GP"
