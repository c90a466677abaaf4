"""A process's user-mode CPU state (xv6's struct trapframe).

In xv6 the trap frame is what the hardware and `alltraps` push on the kernel stack
when a process traps: its registers, to be popped again by `trapret`. In xv6py the
process's registers stay in the emulated CPU while the process runs, and in a saved
unicorn context (every register, x87 and SSE included) while it does not. A
`TrapFrame` reads and writes whichever is current, so kernel code can say
`tf.eax = result` as xv6 does, and a debugger can read a sleeping process's `eip`.
"""

import ctypes

from .uc import check, uclib, x86c

__all__ = ["TrapFrame", "REGISTERS"]

# name -> unicorn register id; the order is the one `info registers` prints.
REGISTERS = {
    "eax": x86c.UC_X86_REG_EAX,
    "ecx": x86c.UC_X86_REG_ECX,
    "edx": x86c.UC_X86_REG_EDX,
    "ebx": x86c.UC_X86_REG_EBX,
    "esp": x86c.UC_X86_REG_ESP,
    "ebp": x86c.UC_X86_REG_EBP,
    "esi": x86c.UC_X86_REG_ESI,
    "edi": x86c.UC_X86_REG_EDI,
    "eip": x86c.UC_X86_REG_EIP,
    "eflags": x86c.UC_X86_REG_EFLAGS,
    "cs": x86c.UC_X86_REG_CS,
    "ss": x86c.UC_X86_REG_SS,
    "ds": x86c.UC_X86_REG_DS,
    "es": x86c.UC_X86_REG_ES,
    "fs": x86c.UC_X86_REG_FS,
    "gs": x86c.UC_X86_REG_GS,
}


# The registers every system call reads, read together when `int $64` traps
# (TrapFrame.entry): %eax, the call's number, and %esp, where its arguments are.
ENTRY = (x86c.UC_X86_REG_EAX, x86c.UC_X86_REG_ESP)


def _register(name: str, doc: str) -> property:
    reg = REGISTERS[name]
    at = ENTRY.index(reg) if reg in ENTRY else None

    def get(tf: "TrapFrame") -> int:
        if at is not None and tf.entry is not None:
            return tf.entry[at]
        if tf.live:
            return tf.cpu.rreg(reg)
        return tf.ctx_read(reg)

    def put(tf: "TrapFrame", value: int) -> None:
        tf.entry = None             # (a write may change what was read at entry)
        if tf.live:
            tf.cpu.wreg(reg, value)
        else:
            tf.ctx_write(reg, value)

    return property(get, put, doc=doc)


class TrapFrame:
    """User registers of one process, plus what the last trap reported.

    `live` is true while the frame is loaded in the CPU (the process is running);
    only the CPU sets it.

    `entry` holds the values of ENTRY's registers as a system call trapped, read
    in one batch: register access is the cost of a system call (DESIGN.md,
    section 4, fact 8), and every call reads both. Only the CPU sets it, for the
    time the kernel handles the call; it is dropped as soon as any register of
    the frame is written, so it always equals the registers themselves.
    """

    __slots__ = ("cpu", "ctx", "live", "entry", "trapno", "err", "cr2", "_buf")

    def __init__(self, cpu, ctx):
        self.cpu = cpu          # the X86 this frame belongs to
        self.ctx = ctx          # unicorn context holding the registers when not live
        self.live = False
        self.entry: tuple[int, ...] | None = None   # ENTRY's registers, during a system call
        self.trapno = 0         # trap number of the last trap (traps.py)
        self.err = 0            # error code pushed by the CPU (0 if none)
        self.cr2 = 0            # faulting address of the last page fault
        self._buf = ctypes.c_uint32()

    eax = _register("eax", "accumulator: system call number in, result out")
    ebx = _register("ebx", "base register")
    ecx = _register("ecx", "counter register")
    edx = _register("edx", "data register")
    esi = _register("esi", "source index")
    edi = _register("edi", "destination index")
    ebp = _register("ebp", "frame pointer")
    esp = _register("esp", "user stack pointer: system call arguments start at esp+4")
    eip = _register("eip", "next instruction to run")
    eflags = _register("eflags", "flags (IF set in user mode)")
    cs = _register("cs", "code segment selector: 0x1b in user mode")
    ss = _register("ss", "stack segment selector: 0x23 in user mode")
    ds = _register("ds", "data segment selector")
    es = _register("es", "extra segment selector")
    fs = _register("fs", "extra segment selector")
    gs = _register("gs", "extra segment selector")

    def ctx_read(self, reg: int) -> int:
        check(uclib.uc_context_reg_read(self.ctx.context, reg, ctypes.byref(self._buf)),
              "context_reg_read")
        return self._buf.value

    def ctx_write(self, reg: int, value: int) -> None:
        self._buf.value = value & 0xFFFFFFFF
        check(uclib.uc_context_reg_write(self.ctx.context, reg, ctypes.byref(self._buf)),
              "context_reg_write")

    def registers(self) -> dict[str, int]:
        """All general, instruction-pointer, flag and segment registers by name."""
        return {name: getattr(self, name) for name in REGISTERS}

    def __repr__(self) -> str:
        regs = " ".join(f"{n}={v:#x}" for n, v in self.registers().items() if n in ("eip", "esp", "eax"))
        return f"<TrapFrame trapno={self.trapno} {regs}{' live' if self.live else ''}>"
