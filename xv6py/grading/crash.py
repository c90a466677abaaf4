"""A kernel failure in words: what a grader shows when the student's code panics
or raises, wherever the kernel ran (in the grader's process, or in a kernel
process of its own, which sends the words over: grading/kserver.py).

No pytest here: the kernel process imports this module.
"""

import sys
import traceback
from pathlib import Path

__all__ = ["KernelCrash", "crash_message", "kernel_code"]


class KernelCrash(Exception):
    """The kernel (the student's code in it) raised, in a kernel process: the
    message is crash_message() of what it raised there."""


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
    if isinstance(e, KernelCrash):
        return str(e)
    where = kernel_code(e)
    return f"{type(e).__name__}: {e}" + (f" (at {where})" if where else "")
