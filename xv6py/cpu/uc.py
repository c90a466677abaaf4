"""The unicorn engine, as xv6py uses it: the one module that imports unicorn.

Setup calls go through unicorn's Python binding (`Uc`). Calls on the hot path
(register access, context save and restore, starting a time slice, the interrupt
hook) go straight to the C library through ctypes with preallocated buffers: the
binding's wrappers cost about 3 us per register access, the bare C call about
0.5 us, and a system call needs several (DESIGN.md section 4, fact 8).

No unicorn error leaves cpu/: a ctypes call's return code goes through `check`,
and every call into the binding (which raises `unicorn.UcError`) is made inside
`with as_cpu_error("what is being done"):`. Either way the kernel sees a CPUError.
"""

import ctypes

import unicorn
from unicorn import unicorn_const as ucc
from unicorn import x86_const as x86c
from unicorn.unicorn_py3.unicorn import uclib  # the binding's ctypes handle on libunicorn

__all__ = ["Uc", "ucc", "x86c", "uclib", "CPUError", "UNICORN_VERSION", "check", "as_cpu_error",
           "INTR_CALLBACK", "EDGE_CALLBACK", "uc_strerror", "uc_reg_read_batch", "uc_ctl",
           "CTL_FLUSH_TLB"]

Uc = unicorn.Uc
UNICORN_VERSION = unicorn.__version__

# uc_reg_read_batch(uc, int *regs, void **vals, int count), declared without
# argtypes: converting each argument to the binding's declared types costs more
# than the call itself (0.47 us against 0.18 us for two registers, measured).
# The caller passes exactly the C types: the engine's handle, ctypes arrays.
uc_reg_read_batch = ctypes.CDLL(uclib._name).uc_reg_read_batch
uc_reg_read_batch.restype = ctypes.c_int

# uc_ctl(uc, control, ...), variadic, declared the same way. CTL_FLUSH_TLB is the
# control word of unicorn's uc_ctl_flush_tlb(): UC_CTL_TLB_FLUSH, no arguments, a write.
uc_ctl = ctypes.CDLL(uclib._name).uc_ctl
uc_ctl.restype = ctypes.c_int
CTL_FLUSH_TLB = ctypes.c_int(ucc.UC_CTL_TLB_FLUSH | ucc.UC_CTL_IO_WRITE << 30)

# void callback(uc_engine *uc, uint32_t intno, void *user_data)
INTR_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)
# void callback(uc_engine *uc, uc_tb *cur_tb, uc_tb *prev_tb, void *user_data), where uc_tb
# is { uint64_t pc; uint16_t icount; uint16_t size; }
EDGE_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


class CPUError(Exception):
    """The emulated CPU failed in a way no user program can cause: a kernel bug
    (a PTE pointing outside physical memory, say) or an unsupported unicorn."""


def uc_strerror(err: int) -> str:
    """unicorn's message for an error code."""
    return uclib.uc_strerror(err).decode()


def check(err: int, what: str) -> None:
    """Raise CPUError unless a libunicorn call returned UC_ERR_OK."""
    if err != ucc.UC_ERR_OK:
        raise CPUError(f"{what}: {uc_strerror(err)} (unicorn {UNICORN_VERSION})")


class as_cpu_error:
    """`with as_cpu_error(what):` around calls into unicorn's Python binding: a
    UcError raised in the block becomes a CPUError with the same message as
    `check` gives (what was being done, unicorn's message, its version).

    A class, like contextlib's `suppress`, so that entering it costs next to
    nothing; still, keep it off the hot path, whose ctypes calls use `check`."""

    __slots__ = ("what",)

    def __init__(self, what: str):
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, typ, e, tb) -> bool:
        if typ is not None and issubclass(typ, unicorn.UcError):
            raise CPUError(f"{self.what}: {e} (unicorn {UNICORN_VERSION})") from e
        return False
