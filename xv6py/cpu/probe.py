"""Find, at start-up, the few private unicorn fields the CPU core must read.

unicorn does not export three things xv6py needs (DESIGN.md section 4, fact 4):

* how many instructions ran in a time slice that ended early (a blocking system
  call, a fault): `uc_struct.emu_counter`, next to `emu_count`;
* the error code of an exception and whether it came from an `int n`
  instruction: `error_code` and `exception_is_int` in the CPU state;
* `old_exception`, which unicorn never resets after a hooked exception, so that
  the next exception would be turned into a double fault.

Their offsets change between unicorn versions, so they are found by experiment
rather than written down: run a few instructions in ring 0 before the kernel
boots and look for the values we caused. A test pins the result, so an upgrade
that breaks the method fails loudly instead of silently.
"""

import ctypes
import struct
from dataclasses import dataclass

from .uc import INTR_CALLBACK, CPUError, as_cpu_error, check, ucc, uclib, x86c

__all__ = ["Offsets", "probe"]

_COUNTER_SCAN = 2048    # bytes of uc_struct searched for emu_counter/emu_count
_SELECTORS = (0x1237, 0x246B)  # loading one into %ds faults with error code sel & ~3 (!= %ax)
_SOFT_INT = 0x55        # an `int n` vector nobody uses


@dataclass(frozen=True)
class Offsets:
    """Byte offsets of private unicorn fields (found by `probe`)."""

    emu_counter: int     # in uc_struct: instructions started by this uc_emu_start
    error_code: int      # in a saved context: error code of the last exception
    exception_is_int: int  # in a saved context: 1 when raised by an `int n` instruction
    old_exception: int   # in a saved context: exception "in flight" (-1 when none)


def _int32s(blob: bytes) -> list[int]:
    return list(struct.unpack_from(f"<{len(blob) // 4}i", blob))


class _Probe:
    """Runs small ring-0 programs at physical address `scratch` (paging off)."""

    def __init__(self, uc, ram, scratch: int):
        self.uc, self.ram, self.scratch = uc, ram, scratch
        self.h = uc._uch
        with as_cpu_error("probe: context_save"):
            self.ctx = uc.context_save()          # a context object to save into
            self.initial = uc.context_save()      # the fresh CPU, to return to
        self.at_trap: bytes | None = None
        self.callback = INTR_CALLBACK(self._on_trap)

    def _on_trap(self, handle, intno, user_data):
        check(uclib.uc_context_save(self.h, self.ctx.context), "probe: context_save")
        self.at_trap = ctypes.string_at(self.ctx.context, self.ctx.size)
        uclib.uc_emu_stop(self.h)

    def run(self, code: bytes, count: int = 0) -> None:
        self.ram[self.scratch:self.scratch + len(code)] = code
        with as_cpu_error("probe: ctl_remove_cache of the scratch page"):
            self.uc.ctl_remove_cache(self.scratch, self.scratch + 4096)
        self.at_trap = None
        check(uclib.uc_emu_start(self.h, self.scratch, 0, 0, count), "probe: emu_start")

    def snapshot(self) -> bytes:
        check(uclib.uc_context_save(self.h, self.ctx.context), "probe: context_save")
        return ctypes.string_at(self.ctx.context, self.ctx.size)

    def find_counter(self) -> int:
        """Offset of emu_counter: after `count` instructions it holds count or count+1,
        and emu_count (count) follows it."""
        loop = bytes([0x43, 0xEB, 0xFD])        # 1: inc %ebx; jmp 1b
        found = None
        for count in (12345, 777, 31):
            self.run(loop, count)
            blob = ctypes.string_at(self.h, _COUNTER_SCAN)
            here = {off for off in range(0, _COUNTER_SCAN - 16, 8)
                    if struct.unpack_from("<QQ", blob, off) in ((count, count), (count + 1, count))}
            found = here if found is None else found & here
        return _only(found, "emu_counter")

    def find_context_fields(self) -> tuple[int, int, int]:
        """Offsets of error_code, exception_is_int and old_exception in a saved context."""
        self._lgdt()
        before = _int32s(self.snapshot())
        faults = []
        for sel in _SELECTORS:
            # mov $sel, %ax; mov %ax, %ds  ->  #GP with error code sel & ~3
            self.run(bytes([0x66, 0xB8, sel & 0xFF, sel >> 8, 0x8E, 0xD8]))
            faults.append(_int32s(_require(self.at_trap, "a #GP")))
            with as_cpu_error("probe: context_restore"):
                self.uc.context_restore(self.initial)    # undo the stale exception state
            self._lgdt()
        self.run(bytes([0xCD, _SOFT_INT]))       # int $0x55
        soft = _int32s(_require(self.at_trap, "an int instruction"))
        fault = faults[0]
        n = len(before)
        err = {i for i in range(n) if all(f[i] == s & ~3 for f, s in zip(faults, _SELECTORS, strict=True))}
        is_int = {i for i in range(n) if fault[i] == 0 and soft[i] == 1}
        old = {i for i in range(n) if before[i] == -1 and fault[i] == 13}
        return (4 * _only(err, "error_code"), 4 * _only(is_int, "exception_is_int"),
                4 * _only(old, "old_exception"))

    def _lgdt(self) -> None:
        """A GDT of three (zeroed) entries in the scratch page, for the #GP probes."""
        with as_cpu_error("probe: lgdt"):
            self.uc.reg_write(x86c.UC_X86_REG_GDTR, (0, self.scratch + 0x800, 0x17, 0))


def _only(candidates: set[int] | None, what: str) -> int:
    if not candidates or len(candidates) != 1:
        raise CPUError(f"cannot locate unicorn's {what} (candidates: {sorted(candidates or [])}); "
                       "this unicorn version is not supported")
    return next(iter(candidates))


def _require(blob: bytes | None, what: str) -> bytes:
    if blob is None:
        raise CPUError(f"probe: {what} did not reach the interrupt hook")
    return blob


def probe(uc, ram, scratch: int) -> Offsets:
    """Find the private offsets. The CPU must be fresh (ring 0, paging off); it is
    left as it was found, and the scratch page is zeroed again."""
    p = _Probe(uc, ram, scratch)
    hook = ctypes.c_size_t()
    check(uclib.uc_hook_add(p.h, ctypes.byref(hook), ucc.UC_HOOK_INTR,
                            ctypes.cast(p.callback, ctypes.c_void_p), None, 1, 0), "probe: hook_add")
    try:
        counter = p.find_counter()
        err, is_int, old = p.find_context_fields()
    finally:
        uclib.uc_hook_del(p.h, hook)
        ram[scratch:scratch + 4096] = bytes(4096)
        with as_cpu_error("probe: restoring the fresh CPU (context_restore, ctl_flush_tb)"):
            uc.context_restore(p.initial)
            uc.ctl_flush_tb()
    return Offsets(counter, err, is_int, old)
