"""The emulated x86 processor and its physical memory.

This is the hardware under the Python kernel, and the only code that drives unicorn
(through cpu/uc.py). The kernel reaches it through a small interface named like
xv6's x86.h: `lcr0`, `lcr3`, `lcr4`, `rcr2`, `lgdt`, physical memory in `ram`,
one time slice in `run`, and a hook that hands every trap to the kernel's `trap`.

How the machine runs user code (DESIGN.md section 4 has the measured facts):

* Physical memory is an anonymous mmap that unicorn uses in place
  (`mem_map_ptr`); the kernel reads and writes it as a Python buffer, so a page
  table update costs no call into unicorn.
* The CPU enters ring 3 once, through a real `iret`; the resulting state is the
  template of every process's registers. After that no x86 code runs in ring 0:
  the kernel only swaps register contexts and CR3.
* `int $64` is handled inside unicorn's interrupt hook, and the program goes on
  in the same time slice. Exceptions end the time slice.
* A time slice is bounded by an instruction count, which makes preemption
  deterministic. unicorn runs in "exits" mode with no exits: with a plain `until`
  address it translates `until - 1` as a user instruction fetch when it stops, and
  if that page is not user-mapped the CPU records a phantom page fault that
  turns the next real fault into a double fault. Kernel work charged during a
  slice comes out of its count (`consume`); a host-time deadline, if set, is a
  second bound (`deadline`).
* unicorn reports each new edge between translated blocks: the CPU counts what
  translating them cost (`translated`, in instructions: COST_TB, COST_TB_INSN)
  and remembers which frames hold translated code, so that a kernel write into
  one of them (`written`) drops that code, as x86 would run the new bytes.
"""

import ctypes
import mmap
import struct
import sys
import time

from ..memlayout import GDT_PA, IRET_PA, KSTACK_TOP, P2V
from ..mmu import (
    DPL_USER,
    FL_IF,
    NSEGS,
    PDX,
    PGSIZE,
    PTE_ADDR,
    PTE_P,
    PTE_PS,
    PTX,
    SEG_KCODE,
    SEG_KDATA,
    SEG_UCODE,
    SEG_UDATA,
)
from ..param import COST_TB, COST_TB_INSN
from ..traps import T_GPFLT, T_ILLOP, T_PGFLT
from .probe import Offsets, probe
from .trapframe import ENTRY, TrapFrame
from .uc import (
    CTL_FLUSH_TLB,
    EDGE_CALLBACK,
    INTR_CALLBACK,
    CPUError,
    Uc,
    as_cpu_error,
    check,
    uc_ctl,
    uc_reg_read_batch,
    ucc,
    uclib,
    x86c,
)

__all__ = ["X86", "SEG", "CPUError"]

_EIP = x86c.UC_X86_REG_EIP
_EAX = x86c.UC_X86_REG_EAX
_CR2 = x86c.UC_X86_REG_CR2
_CR3 = x86c.UC_X86_REG_CR3
CR4_TSD = 0x4   # time stamp disable: `rdtsc` in ring 3 raises #GP

_U32 = struct.Struct("<I")
_UC_TB = struct.Struct("<QHH")    # unicorn's uc_tb: pc, icount, size

# Exceptions for which the CPU pushes an error code.
_HAS_ERROR_CODE = frozenset({8, 10, 11, 12, 13, 14, 17})

_probed: Offsets | None = None   # the probe's result, shared by every X86 in this process
_PROBE_PA = 0x80000              # scratch page for the probe, in the kernel's first MiB

# unicorn's translation buffer: the host code it generates from guest code. Its
# default is 1 GiB of address space per CPU, which code that never repeats fills
# with resident memory; when this one is full unicorn drops every block and starts
# again. 32 MiB holds the translations of every program here many times over.
TCG_BUFFER_SIZE = 32 << 20
# What else unicorn maps when it starts (measured: about 4 MiB), with room to spare.
_UNICORN_EXTRA = 8 << 20
# Within this much host time of the deadline, a time slice is given unicorn's own
# timeout (which starts a thread per slice, so not before).
_TIMEOUT_NEAR = 1.0


def SEG(typ: int, base: int, limit: int, dpl: int) -> int:
    """A flat 32-bit segment descriptor with 4 KiB granularity (xv6's SEG macro).
    typ: 0xA execute/read code, 0x2 read/write data."""
    lim = limit >> 12
    lo = (lim & 0xFFFF) | ((base & 0xFFFF) << 16)
    hi = (((base >> 16) & 0xFF) | (typ << 8) | (1 << 12) | (dpl << 13) | (1 << 15)
          | (lim & 0xF0000) | (0xC << 20) | (base & 0xFF000000))
    return lo | (hi << 32)


class X86:
    """One emulated CPU with `phystop` bytes of physical memory.

    The kernel installs its trap handler with `set_trap_handler`. A process's
    registers are a `TrapFrame`: `load` puts one in the CPU, `run` executes it.
    """

    def __init__(self, phystop: int):
        global _probed
        self.phystop = phystop
        self.ram = mmap.mmap(-1, phystop)   # zero-filled by the host on first touch
        # unicorn exits the process if it cannot map its translation buffer: make sure
        # there is room first (an OSError here can be dealt with; see Machine).
        mmap.mmap(-1, TCG_BUFFER_SIZE + _UNICORN_EXTRA).close()
        self._ram_c = (ctypes.c_char * phystop).from_buffer(self.ram)
        # The same memory as 32-bit words in the host's byte order, which must be
        # x86's (little-endian) for read32/write32 to see what the MMU sees.
        if sys.byteorder != "little":
            raise CPUError("xv6py needs a little-endian host, as x86 is")
        self._words = memoryview(self.ram).cast("I")
        with as_cpu_error("creating a 32-bit x86 unicorn"):
            self.uc = Uc(ucc.UC_ARCH_X86, ucc.UC_MODE_32)
        with as_cpu_error(f"setting the translation buffer to {TCG_BUFFER_SIZE} bytes"):
            self.uc.ctl_set_tcg_buffer_size(TCG_BUFFER_SIZE)     # before anything starts unicorn up
        with as_cpu_error("setting the CPU model and exits mode"):
            # Westmere: SSE up to 4.2 but no RDRAND, whose random numbers would make
            # runs differ. (The default model has it.)
            self.uc.ctl_set_cpu_model(x86c.UC_CPU_X86_WESTMERE)
            self.uc.ctl_exits_enabled(True)
            self.uc.ctl_set_exits([])
        with as_cpu_error(f"mem_map_ptr of {phystop:#x} bytes of physical memory"):
            self.uc.mem_map_ptr(0, phystop, ucc.UC_PROT_ALL, ctypes.addressof(self._ram_c))
        self.h = self.uc._uch
        if _probed is None:
            _probed = probe(self.uc, self.ram, _PROBE_PA)
        self.offsets = _probed
        handle = self.h.value if isinstance(self.h, ctypes.c_void_p) else self.h
        self._counter = ctypes.c_uint64.from_address(handle + self.offsets.emu_counter)
        # emu_count, the slice's limit, follows emu_counter (the probe checks it).
        self._limit = ctypes.c_uint64.from_address(handle + self.offsets.emu_counter + 8)
        self._buf = ctypes.c_uint32()
        self._pbuf = ctypes.byref(self._buf)
        # _read_entry's arguments to uc_reg_read_batch: register ids, where each value goes.
        self._entry_ids = (ctypes.c_int * len(ENTRY))(*ENTRY)
        self._entry_vals = (ctypes.c_uint32 * len(ENTRY))()
        self._entry_ptrs = (ctypes.c_void_p * len(ENTRY))(
            *(ctypes.addressof(self._entry_vals) + 4 * i for i in range(len(ENTRY))))
        with as_cpu_error("context_save (a scratch context)"):
            self._scratch = self.uc.context_save()   # for reading private fields
        self._kernel_ctx = None                  # ring 0 with paging on (set by `enter_user`)
        self._user_ctx = None                    # ring 3 template for new processes
        self.loaded: TrapFrame | None = None     # the frame whose registers are in the CPU
        self.user_vectors = frozenset()          # `int n` allowed in ring 3 (IDT gates with DPL 3)
        self.trap_handler = None                 # the kernel's trap(tf)
        self.fault = None                        # (trapno, err, eip, cr2) of the slice's exception
        # CR2 as the hardware keeps it: the address of the last page fault on this
        # CPU, until the next one. No trap clears it, so xv6's kill line, which
        # prints rcr2() for every trap, shows a stale address for the others.
        self.cr2 = 0
        self.failure: BaseException | None = None  # a Python exception raised in a hook
        self._stale_code: list[int] = []         # frames whose translated code must be dropped
        self._code = bytearray(phystop // PGSIZE)  # 1: code was translated from this frame
        self._marked: set[int] = set()           # virtual pages whose frames are marked in _code
        self._tb_views: dict = {}                # address -> view of a uc_tb (_on_new_edge)
        self._cr3 = 0                            # the page directory loaded (lcr3)
        self._cr3_reg = None                     # what the CR3 register holds, where lcr3 knows
        self.running = False                     # inside a time slice (run)
        self._slice_limit = 0                    # instructions the running slice may start
        self.translated = 0                      # instructions charged for translating code
        self._room: int | None = None            # translation the slice may still charge
        self.deadline: float | None = None       # host time (perf_counter) to stop running by
        self.expired = False                     # a slice found the deadline passed
        self._stopped_at: int | None = None      # instructions started when a stop was asked for
        self._breakpoints: dict[int, tuple] = {}  # va -> (hook handle, callback): see add_breakpoint
        self._watches: dict[int, tuple] = {}     # number -> (hook handles, callback): add_watchpoint
        self._next_watch = 1
        self._install_hooks()

    # ---- hardware interface of the kernel (x86.h) -------------------------------------------

    def rreg(self, reg: int) -> int:
        """Read a register of the running CPU."""
        uclib.uc_reg_read(self.h, reg, self._pbuf)
        return self._buf.value

    def wreg(self, reg: int, value: int) -> None:
        """Write a register of the running CPU."""
        self._buf.value = value & 0xFFFFFFFF
        check(uclib.uc_reg_write(self.h, reg, self._pbuf), "reg_write")

    def lcr0(self, val: int) -> None:
        self.wreg(x86c.UC_X86_REG_CR0, val)

    def rcr0(self) -> int:
        return self.rreg(x86c.UC_X86_REG_CR0)

    def lcr3(self, pa: int) -> None:
        """Load the page directory base register. Like hardware, this flushes the TLB:
        after changing a mapping of the running address space the kernel must reload CR3.

        Loading the value CR3 already holds changes nothing but the TLB, which it
        flushes: that is done with unicorn's TLB flush, the same flush without the
        register write around it (0.6 us less, about a third; measured)."""
        if pa == self._cr3_reg:
            check(uc_ctl(self.h, CTL_FLUSH_TLB), "ctl_flush_tlb")
        else:
            self.wreg(_CR3, pa)
            self._cr3 = self._cr3_reg = pa
        if self._marked:
            self._marked = set()    # another address space, or mappings changed

    def rcr3(self) -> int:
        return self.rreg(_CR3)

    def lcr4(self, val: int) -> None:
        self.wreg(x86c.UC_X86_REG_CR4, val)

    def rcr4(self) -> int:
        return self.rreg(x86c.UC_X86_REG_CR4)

    def rcr2(self) -> int:
        """The linear address of the last page fault."""
        return self.rreg(_CR2)

    def lgdt(self, base: int, size: int) -> None:
        """Load the GDT register: `base` is a linear address."""
        with as_cpu_error(f"lgdt {base:#x}, {size} bytes"):
            self.uc.reg_write(x86c.UC_X86_REG_GDTR, (0, base, size - 1, 0))

    def read32(self, pa: int) -> int:
        """The 32-bit word at physical address pa (a PTE, a PDE, ...)."""
        if pa & 3:
            return _U32.unpack_from(self.ram, pa)[0]
        return self._words[pa >> 2]       # aligned, as page-table entries are: a quarter cheaper

    def write32(self, pa: int, val: int) -> None:
        if pa & 3:
            _U32.pack_into(self.ram, pa, val)
        else:
            self._words[pa >> 2] = val

    # ---- setting up -----------------------------------------------------------------------

    def seginit(self) -> None:
        """Write the GDT (flat kernel and user segments) and load it. Paging must be on:
        the GDT is reached through the kernel half of the page table."""
        segs = [0, SEG(0xA, 0, 0xFFFFFFFF, 0), SEG(0x2, 0, 0xFFFFFFFF, 0),
                SEG(0xA, 0, 0xFFFFFFFF, DPL_USER), SEG(0x2, 0, 0xFFFFFFFF, DPL_USER)]
        for i, desc in enumerate(segs):
            struct.pack_into("<Q", self.ram, GDT_PA + 8 * i, desc)
        self.lgdt(P2V(GDT_PA), 8 * NSEGS)
        for reg, sel in ((x86c.UC_X86_REG_SS, SEG_KDATA << 3), (x86c.UC_X86_REG_DS, SEG_KDATA << 3),
                         (x86c.UC_X86_REG_ES, SEG_KDATA << 3), (x86c.UC_X86_REG_CS, SEG_KCODE << 3)):
            self.wreg(reg, sel)

    def enter_user(self) -> None:
        """Enter ring 3 through a real `iret`, once, and keep the state it gives as the
        template of every process's registers (`user_frame`).

        A ring-0 `reg_write` of SS with RPL 3 is refused (RPL must equal CPL), so the
        only way into user mode is the one a kernel takes: an iret frame
        (EIP, CS, EFLAGS, ESP, SS) on the kernel stack and an `iret`.
        """
        with as_cpu_error("context_save (the ring-0 context)"):
            self._kernel_ctx = self.uc.context_save()
        self.ram[IRET_PA] = 0xCF                                  # iret
        udata = (SEG_UDATA << 3) | DPL_USER
        for reg in (x86c.UC_X86_REG_DS, x86c.UC_X86_REG_ES, x86c.UC_X86_REG_FS, x86c.UC_X86_REG_GS):
            self.wreg(reg, udata)
        frame = [0, (SEG_UCODE << 3) | DPL_USER, FL_IF, 0, udata]  # eip cs eflags esp ss
        sp = KSTACK_TOP - 4 * len(frame)
        struct.pack_into("<5I", self.ram, sp, *frame)
        self.wreg(x86c.UC_X86_REG_ESP, P2V(sp))
        with as_cpu_error("ctl_set_exits for the iret to user mode"):
            self.uc.ctl_set_exits([0])     # stop on arriving at user eip 0
            try:
                check(uclib.uc_emu_start(self.h, P2V(IRET_PA), 0, 0, 0), "iret to user mode")
            finally:
                self.uc.ctl_set_exits([])
        if self.rreg(x86c.UC_X86_REG_CS) & 3 != DPL_USER:
            raise CPUError("iret did not reach ring 3")
        # Stopping at an exit address still translates it, as a user fetch through
        # this page table, where nothing is mapped at 0: a phantom page fault that
        # must not be in every process's starting state.
        self.wreg(x86c.UC_X86_REG_ESP, 0)
        self.wreg(_CR2, 0)
        self.cr2 = 0
        with as_cpu_error("context_save (the user-mode template)"):
            self._user_ctx = self.uc.context_save()
        self._clear_exception(self._user_ctx)

    def user_frame(self) -> TrapFrame:
        """A new trap frame in user mode: user segments, EFLAGS = IF, all else 0."""
        with as_cpu_error("context_save (a new process's registers)"):
            ctx = self.uc.context_save()
        ctypes.memmove(ctx.context.value, self._user_ctx.context.value, ctx.size)
        return TrapFrame(self, ctx)

    def copy_frame(self, tf: TrapFrame) -> TrapFrame:
        """A copy of `tf` (fork): every register, x87 and SSE included."""
        with as_cpu_error("context_save (a copy of a process's registers)"):
            ctx = self.uc.context_save()
        if tf.live:
            check(uclib.uc_context_save(self.h, ctx.context), "context_save")
        else:
            ctypes.memmove(ctx.context.value, tf.ctx.context.value, ctx.size)
        return TrapFrame(self, ctx)

    def set_trap_handler(self, trap, user_vectors) -> None:
        """Install the kernel's trap(tf), and the vectors user code may raise with
        `int n` (like IDT gates with DPL 3). Any other `int n` is a #GP."""
        self.trap_handler = trap
        self.user_vectors = frozenset(user_vectors)

    # ---- running a process ----------------------------------------------------------------

    def load(self, tf: TrapFrame) -> None:
        """Put a process's registers in the CPU. The caller must then load CR3: a context
        restore does not flush the TLB."""
        if self.loaded is tf:
            return                  # already in the CPU (switchuvm to flush the TLB)
        if self.loaded is not None:
            self.unload()
        if self._stale_code:        # now, while no process's registers are in the CPU to keep
            self._drop_stale_code(keep=False)
        check(uclib.uc_context_restore(self.h, tf.ctx.context), "context_restore")
        self._cr3_reg = None        # the register holds the context's CR3 now
        tf.live = True
        self.loaded = tf

    def unload(self) -> None:
        """Save the running process's registers back into its trap frame."""
        tf = self.loaded
        if tf is not None:
            check(uclib.uc_context_save(self.h, tf.ctx.context), "context_save")
            tf.live = False
            self.loaded = None

    def run(self, count: int, room: int | None = None) -> int:
        """Run the loaded trap frame in user mode for at most `count` instructions,
        less the kernel work charged meanwhile (`consume`).

        System calls are served inside the slice. The slice ends early when the
        kernel calls `stop` or on an exception, which is then in `tf.trapno`,
        `tf.err`, `tf.cr2` and `self.fault`, with `tf.eip` at the faulting
        instruction; also once code translation has cost more than `room`
        instructions (None: no limit; see `translated`), and at the `deadline`
        (then `expired` is set). Returns the number of instructions retired (a
        faulting instruction does not retire).
        """
        if count < 1:
            raise ValueError("a time slice needs at least one instruction")  # 0 means "no limit"
        if self._stale_code:
            self._drop_stale_code()
        self.fault = None
        self.failure = None
        self._stopped_at = None
        if self._marked:
            self._marked = set()    # the kernel may have changed mappings since
        self._slice_limit = count
        self._room = room
        timeout = 0
        if self.deadline is not None:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                self.expired = True
                return 0
            if left < _TIMEOUT_NEAR:
                timeout = max(int(left * 1e6), 1)      # unicorn's timeout is in microseconds
        self.running = True
        try:
            err = uclib.uc_emu_start(self.h, self.rreg(_EIP), 0, timeout, count)
        finally:
            self.running = False
        if timeout and time.perf_counter() >= self.deadline:
            self.expired = True
        # A stop asked for from an instruction hook takes effect only after the next
        # instruction's count hook has run: take the count from when it was asked.
        started = self._counter.value if self._stopped_at is None else self._stopped_at
        if err == ucc.UC_ERR_INSN_INVALID:
            self.fault = (T_ILLOP, 0, self.rreg(_EIP), self.cr2)
        elif err != ucc.UC_ERR_OK:
            raise CPUError(f"emulation failed at eip {self.rreg(_EIP):#x}: {err} "
                           f"(a page table maps memory beyond PHYSTOP?)")
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        if self.fault is not None:
            self._deliver_fault()
            # The faulting instruction does not retire. A fetch fault on the slice's
            # first instruction comes before unicorn counts it.
            return max(started - 1, 0)
        return min(started, self._slice_limit)

    def past_deadline(self) -> bool:
        """Has the host-time deadline passed (outside a slice: idling, say)? Sets `expired`."""
        if not self.expired and self.deadline is not None and time.perf_counter() >= self.deadline:
            self.expired = True
        return self.expired

    def consume(self, n: int) -> None:
        """The kernel did n instructions' worth of work (a charge, vtime.py) inside
        the running time slice: the slice has that many fewer to run, and ends when
        the trap being handled returns if that leaves none. Outside a slice, nothing."""
        if not self.running:
            return
        done = self._counter.value
        if self._slice_limit - done <= n:
            self._slice_limit = done
            self.stop()
        else:
            self._slice_limit -= n
            self._limit.value = self._slice_limit

    def stop(self) -> None:
        """End the current time slice once the trap being handled returns (xv6's sched()
        switches away at this point). Harmless outside a time slice."""
        self._stopped_at = self._counter.value
        uclib.uc_emu_stop(self.h)

    # ---- breakpoints (for the debugger) ---------------------------------------------------

    def add_breakpoint(self, va: int, should_stop) -> None:
        """Before the instruction at virtual address va runs -- in whatever process --
        call should_stop(va); if it answers true, end the time slice there, with the
        instruction not run and not counted. One breakpoint per address."""
        if va in self._breakpoints:
            raise ValueError(f"a breakpoint is already set at {va:#x}")

        def hit(uc, address, size, user_data):
            try:
                if should_stop(address):
                    # unicorn has counted the instruction, though it will not run it.
                    self._stopped_at = self._counter.value - 1
                    uclib.uc_emu_stop(self.h)
            except BaseException as e:          # noqa: BLE001 -- handed to run(), which re-raises
                self.failure = e
                self.stop()

        with as_cpu_error(f"hook_add of a breakpoint at {va:#x}"):
            handle = self.uc.hook_add(ucc.UC_HOOK_CODE, hit, None, va, va)
        self._breakpoints[va] = (handle, hit)
        # Code translated before the hook existed would run past it: translate again.
        with as_cpu_error(f"ctl_flush_tb after setting a breakpoint at {va:#x}"):
            self.uc.ctl_flush_tb()

    def remove_breakpoint(self, va: int) -> None:
        handle, _ = self._breakpoints.pop(va)
        with as_cpu_error(f"removing the breakpoint at {va:#x} (hook_del, ctl_flush_tb)"):
            self.uc.hook_del(handle)
            self.uc.ctl_flush_tb()

    def add_watchpoint(self, pa: int, length: int, *, read: bool, write: bool, should_stop) -> int:
        """On every user access to physical bytes [pa, pa + length) -- whatever
        virtual address, whatever process -- call should_stop(pa, size, is_write,
        value); if it answers true, end the time slice right after the accessing
        instruction, which retires normally. Returns a number for remove_watchpoint.

        unicorn hands memory hooks physical addresses (paging on), before a store
        is done. Asking unicorn to stop from a memory hook would end the slice in
        the middle of the instruction: a store done, but %eip still on the
        instruction, which would run again (`incl (x)` adding 2). Lowering the
        slice's instruction limit to the count so far instead ends it before the
        next instruction starts."""
        if length < 1 or not (read or write):
            raise ValueError("a watchpoint needs a length and read or write access")
        kinds = (ucc.UC_HOOK_MEM_READ if read else 0) | (ucc.UC_HOOK_MEM_WRITE if write else 0)

        def hit(uc, access, address, size, value, user_data):
            try:
                if should_stop(address, size, access == ucc.UC_MEM_WRITE, value):
                    self._stopped_at = self._counter.value      # this instruction included
                    self._limit.value = min(self._limit.value, self._counter.value)
            except BaseException as e:          # noqa: BLE001 -- handed to run(), which re-raises
                self.failure = e
                self.stop()

        number, self._next_watch = self._next_watch, self._next_watch + 1
        with as_cpu_error(f"hook_add of a watchpoint on pa {pa:#x}, {length} bytes"):
            handle = self.uc.hook_add(kinds, hit, None, pa, pa + length - 1)
        self._watches[number] = (handle, hit)
        return number

    def remove_watchpoint(self, number: int) -> None:
        handle, _ = self._watches.pop(number)
        with as_cpu_error(f"hook_del of watchpoint {number}"):
            self.uc.hook_del(handle)

    # ---- translated code ------------------------------------------------------------------

    def forget_code(self, pa: int) -> None:
        """The frame at `pa` is being reused: drop any code unicorn translated from it.

        unicorn notices when the guest writes over code it translated, but not when
        the host does (exec loading a program, fork copying one, kfree junk-filling a
        frame): without this, a frame that held one program's code would run that
        program again in the next. Dropped in batches, before the CPU runs again:
        when the trap being handled returns, or when the next process's registers
        are loaded (cheapest: none to keep), or when the next time slice starts.
        """
        self._stale_code.append(pa)
        self._code[pa // PGSIZE] = 0

    def written(self, pa: int) -> None:
        """The kernel wrote into the frame holding `pa` (copyout into a page a program
        already ran, say): if code was translated from that frame, drop it, so that
        the CPU runs the new bytes, as x86 would. Cheap when the frame holds no code.

        Frames are known to hold code from unicorn's reports of new edges between
        translated blocks (_on_new_edge), which cover every block reached by a jump,
        a call, a return or falling through; a block only ever entered at the start
        of a time slice or after a trap is not seen. (Reused frames do not depend
        on this: kfree drops the code of every frame it frees.)"""
        if self._code[pa // PGSIZE]:
            self.forget_code(pa & ~(PGSIZE - 1))
            self._marked = set()        # the page is mapped: its next block must mark it again

    def flush_code(self) -> None:
        """Drop every translated block (a fresh start of the kernel on this CPU)."""
        self._stale_code = []
        self._code[:] = bytes(len(self._code))
        self._marked = set()
        self.uc.ctl_flush_tb()

    def clear_memory(self, start: int, end: int) -> None:
        """Zero physical memory [start, end) (page aligned), as the host hands over
        new memory, and give the host back the pages: a fresh start of the kernel
        on this CPU. Where the host cannot drop pages, they are overwritten."""
        try:
            self.ram.madvise(mmap.MADV_REMOVE, start, end - start)
        except (AttributeError, OSError):        # not Linux, or not shared memory
            ctypes.memset(ctypes.addressof(self._ram_c) + start, 0, end - start)

    def _drop_stale_code(self, keep: bool = True) -> None:
        """Drop the code translated from the frames in _stale_code. keep: the CPU's
        registers are put back afterwards (load() has none to keep)."""
        # ctl_remove_cache takes a virtual address and translates it with the current
        # privilege level, so switch to the ring-0 context, whose page table maps all
        # of physical memory at KERNBASE + pa.
        frames, self._stale_code = sorted(set(self._stale_code)), []
        if keep:
            check(uclib.uc_context_save(self.h, self._scratch.context), "context_save")
        check(uclib.uc_context_restore(self.h, self._kernel_ctx.context), "context_restore")
        try:
            with as_cpu_error("ctl_remove_cache (dropping code translated from reused frames)"):
                start = prev = frames[0]
                for pa in frames[1:] + [None]:
                    if pa != prev + 0x1000:
                        self.uc.ctl_remove_cache(P2V(start), P2V(prev) + 0x1000)
                        start = pa
                    prev = pa
        finally:
            if keep:
                check(uclib.uc_context_restore(self.h, self._scratch.context), "context_restore")

    # ---- traps ----------------------------------------------------------------------------

    def _install_hooks(self) -> None:
        self._intr_cb = INTR_CALLBACK(self._on_interrupt)    # kept alive with the CPU
        self._edge_cb = EDGE_CALLBACK(self._on_new_edge)
        hook = ctypes.c_size_t()
        check(uclib.uc_hook_add(self.h, ctypes.byref(hook), ucc.UC_HOOK_INTR,
                                ctypes.cast(self._intr_cb, ctypes.c_void_p), None, 1, 0), "hook_add")
        check(uclib.uc_hook_add(self.h, ctypes.byref(hook), ucc.UC_HOOK_EDGE_GENERATED,
                                ctypes.cast(self._edge_cb, ctypes.c_void_p), None, 1, 0), "hook_add")
        # unicorn ignores IOPL: `in` and `out` run in ring 3 unless hooked, and
        # `syscall`/`sysenter` do nothing. Make them fault as on hardware.
        with as_cpu_error("hook_add for in, out, syscall and sysenter"):
            self.uc.hook_add(ucc.UC_HOOK_INSN, self._on_in, None, 1, 0, x86c.UC_X86_INS_IN)
            self.uc.hook_add(ucc.UC_HOOK_INSN, self._on_out, None, 1, 0, x86c.UC_X86_INS_OUT)
            self.uc.hook_add(ucc.UC_HOOK_INSN, self._on_syscall_insn, None, 1, 0, x86c.UC_X86_INS_SYSCALL)
            self.uc.hook_add(ucc.UC_HOOK_INSN, self._on_sysenter_insn, None, 1, 0,
                             x86c.UC_X86_INS_SYSENTER)

    def _on_new_edge(self, handle, cur, prev, user_data) -> None:
        """unicorn's hook on a new edge between translated blocks, `cur` reached from
        `prev` for the first time (each a uc_tb: pc, icount, size): charge the
        translation of `cur`, and note the frames it came from. A slice whose
        translation has cost more than its room stops. (On the path of every new
        block: kept short.)"""
        try:
            pc, icount, size = _UC_TB.unpack_from(self._tb_views.get(cur) or self._tb_view(cur))
            cost = COST_TB + COST_TB_INSN * icount
            self.translated += cost
            if self._room is not None:
                self._room -= cost
                if self._room < 0 and self.running:
                    self.stop()
            marked = self._marked
            if pc >> 12 not in marked or (pc + size - 1) >> 12 not in marked:
                self._mark_code(pc, size)
        except BaseException as e:          # noqa: BLE001 -- handed to run(), which re-raises
            self.failure = e
            self.stop()

    def _tb_view(self, address: int):
        """The bytes of the uc_tb at `address`. unicorn passes the same two places
        on its stack again and again: a view of each is made once."""
        view = self._tb_views.get(address)
        if view is None:
            if len(self._tb_views) > 16:
                self._tb_views.clear()
            view = self._tb_views[address] = (ctypes.c_char * _UC_TB.size).from_address(address)
        return view

    def _mark_code(self, pc: int, size: int) -> None:
        """Note in _code the frames of the pages that the block of `size` bytes at
        virtual address pc lies in (one page, or two), and the pages in _marked."""
        for page in {pc >> 12, (pc + max(size, 1) - 1) >> 12}:
            pa = self._frame_of(page << 12)
            if pa is not None and pa < self.phystop:
                self._code[pa // PGSIZE] = 1
                self._marked.add(page)

    def _on_interrupt(self, handle, intno, user_data) -> None:
        """unicorn's interrupt hook: `int n` and every exception arrive here, in ring 3.
        Nothing may be raised out of a ctypes callback, so failures are kept for `run`."""
        try:
            if intno in self.user_vectors:
                tf = self.loaded
                tf.trapno, tf.err = intno, 0
                tf.entry = self._read_entry()
                try:
                    self.trap_handler(tf)   # may call stop()
                finally:
                    tf.entry = None         # the registers change once user code runs on
                if self._stale_code:
                    self._drop_stale_code()
                return
            self._exception(intno)
        except BaseException as e:          # noqa: BLE001 -- handed to run(), which re-raises
            self.failure = e
        self.stop()

    def _read_entry(self) -> tuple[int, ...]:
        """The registers of ENTRY (trapframe.py), in one call into unicorn."""
        check(uc_reg_read_batch(self.h, self._entry_ids, self._entry_ptrs, len(ENTRY)), "reg_read_batch")
        vals = self._entry_vals
        return vals[0], vals[1]

    def _exception(self, intno: int) -> None:
        check(uclib.uc_context_save(self.h, self._scratch.context), "context_save")
        base = self._scratch.context.value
        err = ctypes.c_int32.from_address(base + self.offsets.error_code).value
        is_int = ctypes.c_int32.from_address(base + self.offsets.exception_is_int).value
        eip = self.rreg(_EIP)
        if is_int:
            # `int n` through a gate with DPL 0: #GP, error code = IDT index | IDT bit,
            # reported at the int instruction (unicorn has already stepped past it).
            self.fault = (T_GPFLT, (intno << 3) | 2, eip - self._int_length(eip, intno), self.cr2)
        else:
            if intno == T_PGFLT:
                self.cr2 = self.rcr2()
            self.fault = (intno, err & 0xFFFF if intno in _HAS_ERROR_CODE else 0, eip, self.cr2)

    def _int_length(self, next_eip: int, intno: int) -> int:
        """Length of the int instruction ending at next_eip: `int3` (0xCC) and `into`
        (0xCE) are one byte, `int n` (0xCD n) two."""
        last = self._read_user_byte(next_eip - 1)
        return 1 if (intno, last) in ((3, 0xCC), (4, 0xCE)) else 2

    def _read_user_byte(self, va: int):
        """A byte at a virtual address of the running process, walked as the MMU does."""
        pa = self._frame_of(va, PTE_ADDR(self.rcr3()))
        return self.ram[pa | (va & 0xFFF)] if pa is not None else None

    def _frame_of(self, va: int, pgdir: int | None = None) -> int | None:
        """The physical address of the page holding va in page directory pgdir
        (default: the one loaded), walked as the MMU does; None if not present."""
        pde = _U32.unpack_from(self.ram, (self._cr3 if pgdir is None else pgdir) + 4 * PDX(va))[0]
        if not pde & PTE_P:
            return None
        if pde & PTE_PS:
            return (pde & 0xFFC00000) | (va & 0x3FF000)
        pte = _U32.unpack_from(self.ram, PTE_ADDR(pde) + 4 * PTX(va))[0]
        return PTE_ADDR(pte) if pte & PTE_P else None

    def _gp_here(self, eip: int) -> None:
        self.fault = (T_GPFLT, 0, eip, self.cr2)
        self.stop()

    def _on_in(self, uc, port, size, user_data):
        self._gp_here(self.rreg(_EIP))
        return self.rreg(_EAX) & ((1 << (8 * size)) - 1)   # leave the destination as it was

    def _on_out(self, uc, port, size, value, user_data):
        self._gp_here(self.rreg(_EIP))

    def _on_syscall_insn(self, uc, user_data):
        self.fault = (T_ILLOP, 0, self.rreg(_EIP), self.cr2)    # SYSCALL is #UD outside long mode
        self.stop()

    def _on_sysenter_insn(self, uc, user_data):
        self._gp_here(self.rreg(_EIP))                   # SYSENTER with no MSR set up: #GP(0)

    def _deliver_fault(self) -> None:
        """Put the CPU at the faulting instruction, as hardware reports it, and clear the
        exception unicorn leaves "in flight" (else the next fault is a double fault)."""
        trapno, err, eip, cr2 = self.fault
        tf = self.loaded
        tf.trapno, tf.err, tf.cr2 = trapno, err, cr2
        self.wreg(_EIP, eip)
        check(uclib.uc_context_save(self.h, self._scratch.context), "context_save")
        self._clear_exception(self._scratch)
        check(uclib.uc_context_restore(self.h, self._scratch.context), "context_restore")

    def _clear_exception(self, ctx) -> None:
        """Mark no exception in flight and no error code in a saved context."""
        base = ctx.context.value
        ctypes.c_int32.from_address(base + self.offsets.old_exception).value = -1
        ctypes.c_int32.from_address(base + self.offsets.error_code).value = 0
