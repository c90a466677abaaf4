"""Helpers for lab graders: a student's mistake becomes a failed test whose
message says what was being done and what went wrong, never a crash.

    from xv6py.grading.checks import call, kernel, spawn

    p = spawn(h)                                    # h: a kcall.Syscaller
    id = call(h, p, "shm_create", 4096)
    r = call(h, p, "shm_attach", id, 0x1000,
             hint={"remap": "the range overlaps mapped pages: check before mapping"})
    pte = kernel(walkpgdir, p.pgdir, 0x1000, False, what="walkpgdir crashed the kernel")

A system call made through kcall, or a kernel function called from a test, runs
outside the scheduler that turns a kernel failure into a panic; these helpers do
that job: a KernelPanic or any exception out of the student's code (a KernelCrash,
when the kernel runs in a process of its own) fails the test with what was being
done, the error and the line it came from.

A hint says what the grader believes the mistake is. Give it as a dict from words
of the error to the hint when it is only true of some errors ({"remap": ...}: only
when the kernel panicked with remap): a message must not guess. A panic in
`acquire` (a lock already held) never gets the hint: it is about an earlier call,
and the message names the last one made through `call` on the same Syscaller.
"""

import weakref

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


def kernel(fn, *args, what: str, hint: str | dict[str, str] = ""):
    """fn(*args) -- kernel code, the student's included. If it panics or raises,
    fail the test with `what`, the error, and the hint (what the grader believes
    the mistake is: a str, or a dict from words of the error to the hint for it)."""
    try:
        return fn(*args)
    except Exception as e:          # noqa: BLE001 -- a panic, or any error in the student's code
        error = crash_message(e)
    message = f"{what}: {error}" + "".join(f"\n{h}" for h in _hints(error, hint))
    pytest.fail(message, pytrace=False)     # outside the except: no "during handling" chain


def _hints(error: str, hint: str | dict[str, str]) -> list[str]:
    """The hints that fit this error."""
    if _held_lock(error):
        return []
    if isinstance(hint, dict):
        return [h for words, h in hint.items() if words in error]
    return [hint] if hint else []


def _held_lock(error: str) -> str:
    """The name of the lock an `acquire` panic found held, or ""."""
    return error.removeprefix("panic: acquire ").strip() if error.startswith("panic: acquire ") else ""


_last: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # Syscaller -> its last call, in words


def call(h, p, name: str, *args, hint: str | dict[str, str] = ""):
    """h.call(p, name, *args), the result as a signed int (None if p is now asleep
    or gone); a crash fails the test with the call and the error. A panic in
    acquire (the lock was held) also names the call made before this one."""
    shown = show_call(name, args)
    try:
        r = h.call(p, name, *args)
    except Exception as e:          # noqa: BLE001 -- a panic, or any error in the student's code
        error, before = crash_message(e), _last.get(h)
    else:
        _last[h] = f"{shown} = {r}"
        return r
    _last[h] = f"{shown}, which crashed"
    lock = _held_lock(error)
    if lock:
        error += (f"\nthe lock {lock!r} was held when {name} tried to take it: a call before "
                  f"this one returned without releasing it" + (f" (the last one: {before})" if before else "")
                  + f", or {name} takes it twice")
    message = f"{shown} crashed the kernel: {error}" + "".join(f"\n{x}" for x in _hints(error, hint))
    pytest.fail(message, pytrace=False)


def spawn(h, prog: str = "hello", args=()):
    """h.spawn(prog, args): a process that exec'd prog and has not run yet. If the
    kernel cannot make one, fail the test saying so (and why)."""
    return kernel(h.spawn, prog, args,
                  what=f"the kernel could not start a process running {prog} (fork, then exec)")
