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
that job: a KernelPanic or any exception out of the student's code (a KernelCrash,
when the kernel runs in a process of its own) fails the test with what was being
done, the error and the line it came from.
"""

import pytest

from .crash import KernelCrash, crash_message, kernel_code

__all__ = ["kernel", "call", "spawn", "crash_message", "show_call", "kernel_code", "KernelCrash"]


def show_call(name: str, args) -> str:
    """shm_attach(0, 0x10000000): small ints in decimal, addresses in hex."""
    return f"{name}({', '.join(_arg(a) for a in args)})"


def _arg(a) -> str:
    if isinstance(a, int) and not isinstance(a, bool):
        return f"{a:#x}" if abs(a) >= 0x10000 else str(a)
    return repr(a)


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
