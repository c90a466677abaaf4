"""userprogs/include/syscall.h is the one list of system call numbers: the kernel's
table must agree with it, name for name and number for number."""

import re

from xv6py.programs import SRCDIR
from xv6py.syscalls import syscall as S


def header_numbers() -> dict[str, int]:
    text = (SRCDIR / "include" / "syscall.h").read_text()
    return {m[1]: int(m[2]) for m in re.finditer(r"^#define\s+SYS_(\w+)\s+(\d+)\s*$", text, re.M)}


def test_header_and_kernel_agree():
    header = header_numbers()
    kernel = {name.removeprefix("SYS_"): value for name, value in vars(S).items()
              if name.startswith("SYS_")}
    assert header == kernel
    assert {num: call.name for num, call in S.syscalls.items()} == {v: k for k, v in header.items()}


def test_xv6_numbers_are_xv6s():
    h = header_numbers()
    xv6 = ["fork", "exit", "wait", "pipe", "read", "kill", "exec", "fstat", "chdir", "dup", "getpid",
           "sbrk", "sleep", "uptime", "open", "write", "mknod", "unlink", "link", "mkdir", "close"]
    assert [h[n] for n in xv6] == list(range(1, 22))
    assert [h[n] for n in ("shm_create", "shm_attach", "shm_detach", "shm_destroy")] == [22, 23, 24, 25]
