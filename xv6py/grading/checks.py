"""Helpers for lab graders: a student's mistake becomes a failed test whose
message says what was being done and what went wrong, never a crash.

    from xv6py.grading.checks import call, kernel, spawn

    p = spawn(h)                                    # h: a kcall.Syscaller
    id = call(h, p, "shm_create", 4096)
    r = call(h, p, "shm_attach", id, 0x1000,
             hint="the range overlaps mapped pages: check before mapping")
    pte = kernel(walkpgdir, p.pgdir, 0x1000, False, what="walkpgdir crashed the kernel")

A system call made through kcall, or a kernel function called from a test, runs
outside the scheduler that turns a kernel failure into a panic; these helpers do
that job: a KernelPanic or any exception out of the student's code fails the
test with what was being done, the error and the line it came from.
"""

import sys
import traceback
from pathlib import Path

import pytest

__all__ = ["kernel", "call", "spawn", "crash_message", "show_call", "kernel_code"]


def show_call(name: str, args) -> str:
    """shm_attach(0, 0x10000000): small ints in decimal, addresses in hex."""
    return f"{name}({', '.join(_arg(a) for a in args)})"


def _arg(a) -> str:
    if isinstance(a, int) and not isinstance(a, bool):
        return f"{a:#x}" if abs(a) >= 0x10000 else str(a)
    return repr(a)


def kernel_code(e: BaseException) -> str:
    """Where in kernel code e was raised: the innermost frame in a module of the
    kernel (or in a student's file standing in for one), as `file:line in function`."""
    # Not kernel: the pytest plugin, this package, and the graders (installed, they
    # are imported as xv6py.labs.NAME.grader.*).
    kernel = {m.__file__ for name, m in list(sys.modules.items())
              if name.startswith("xv6py.")
              and not name.startswith(("xv6py.testing", "xv6py.grading", "xv6py.labs"))
              and getattr(m, "__file__", None)}
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename in kernel]
    if not frames:
        return ""
    f = frames[-1]
    return f"{Path(f.filename).name}:{f.lineno} in {f.name}: {(f.line or '').strip()}"


def crash_message(e: BaseException) -> str:
    """A kernel failure in one line: `panic: remap 0x1000`, or the Python error
    and where it was raised."""
    from ..panic import KernelPanic
    if isinstance(e, KernelPanic):
        return f"panic: {e}"
    where = kernel_code(e)
    return f"{type(e).__name__}: {e}" + (f" (at {where})" if where else "")


def kernel(fn, *args, what: str, hint: str = ""):
    """fn(*args) -- kernel code, the student's included. If it panics or raises,
    fail the test with `what`, the error, and the hint (what the grader believes
    the mistake is)."""
    try:
        return fn(*args)
    except Exception as e:          # noqa: BLE001 -- a panic, or any error in the student's code
        message = f"{what}: {crash_message(e)}" + (f"\n{hint}" if hint else "")
    pytest.fail(message, pytrace=False)     # outside the except: no "during handling" chain


def call(h, p, name: str, *args, hint: str = ""):
    """h.call(p, name, *args), the result as a signed int (None if p is now asleep
    or gone); a crash fails the test with the call and the error."""
    return kernel(h.call, p, name, *args, what=f"{show_call(name, args)} crashed the kernel", hint=hint)


def spawn(h, prog: str = "hello", args=()):
    """h.spawn(prog, args): a process that exec'd prog and has not run yet. If the
    kernel cannot make one, fail the test saying so (and why)."""
    return kernel(h.spawn, prog, args,
                  what=f"the kernel could not start a process running {prog} (fork, then exec)")
