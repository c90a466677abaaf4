"""Pin the unicorn behaviours the CPU core is built on (DESIGN.md section 4, and
what xv6py's cpu/x86.py says about them). Each test sets up bare unicorn by
hand -- no kernel -- so that an upgrade which changes a fact fails here, by name.
"""

import ctypes
import mmap
import struct

import pytest
from unicorn import Uc, UcError
from unicorn import unicorn_const as ucc
from unicorn import x86_const as x86c

from xv6py.cpu.probe import probe
from xv6py.cpu.uc import uclib

MB = 1 << 20
KERNBASE = 0x80000000
GDT, PGDIR, PGTAB, KSTACK = 0x1000, 0x2000, 0x3000, 0x6000
USER = 0x100000          # physical frames of the user pages
USER_PAGES = 16          # user VA [0, 64 KiB) -> USER...
RO_PAGE = 0x8000         # this user page is mapped read-only
SUP_PAGE = 0x9000        # this one without PTE_U


def _seg(typ, dpl):
    lo = 0xFFFF
    hi = (typ << 8) | (1 << 12) | (dpl << 13) | (1 << 15) | 0xF0000 | (0xC << 20)
    return lo | (hi << 32)


class Bare:
    """Unicorn with 16 MiB of RAM, a flat GDT, a page table mapping 16 user pages at
    0 and all RAM at KERNBASE (4 MiB pages, supervisor), paging on, in ring 3."""

    def __init__(self, model=None, exits=True):
        self.ram = mmap.mmap(-1, 16 * MB)
        self._c = (ctypes.c_char * (16 * MB)).from_buffer(self.ram)
        self.uc = uc = Uc(ucc.UC_ARCH_X86, ucc.UC_MODE_32)
        if model is not None:
            uc.ctl_set_cpu_model(model)
        if exits:
            uc.ctl_exits_enabled(True)
            uc.ctl_set_exits([])
        uc.mem_map_ptr(0, 16 * MB, ucc.UC_PROT_ALL, ctypes.addressof(self._c))
        for i, d in enumerate([0, _seg(0xA, 0), _seg(0x2, 0), _seg(0xA, 3), _seg(0x2, 3)]):
            struct.pack_into("<Q", self.ram, GDT + 8 * i, d)
        for i in range(4):
            self.w32(PGDIR + 4 * (512 + i), (i << 22) | 0x83)       # P|W|PS, supervisor
        self.w32(PGDIR, PGTAB | 7)
        for i in range(USER_PAGES):
            flags = 7
            if i * 4096 == RO_PAGE:
                flags = 5
            if i * 4096 == SUP_PAGE:
                flags = 3
            self.w32(PGTAB + 4 * i, (USER + i * 4096) | flags)
        uc.reg_write(x86c.UC_X86_REG_GDTR, (0, KERNBASE + GDT, 39, 0))
        uc.reg_write(x86c.UC_X86_REG_CR3, PGDIR)
        uc.reg_write(x86c.UC_X86_REG_CR4, 0x10 | 0x600)
        uc.reg_write(x86c.UC_X86_REG_CR0, uc.reg_read(x86c.UC_X86_REG_CR0) | 0x80010001)
        for reg, sel in ((x86c.UC_X86_REG_SS, 0x10), (x86c.UC_X86_REG_DS, 0x10),
                         (x86c.UC_X86_REG_ES, 0x10), (x86c.UC_X86_REG_CS, 0x08)):
            uc.reg_write(reg, sel)
        self.kernel = uc.context_save()
        self.traps = []
        self.stop_on_trap = True
        uc.hook_add(ucc.UC_HOOK_INTR, self._trap)

    def w32(self, pa, v):
        struct.pack_into("<I", self.ram, pa, v)

    def _trap(self, uc, intno, data):
        self.traps.append((intno, uc.reg_read(x86c.UC_X86_REG_EIP), uc.reg_read(x86c.UC_X86_REG_CS)))
        if self.stop_on_trap:
            uc.emu_stop()

    def enter_user(self, eip=0x100):
        """iret into ring 3 at eip (stopping there), and return the user context."""
        self.ram[0x100] = 0xCF
        for i, v in enumerate([eip, 0x1B, 0x202, 0x7000, 0x23]):
            self.w32(KSTACK + 4 * i, v)
        self.uc.reg_write(x86c.UC_X86_REG_ESP, KERNBASE + KSTACK)
        self.uc.ctl_set_exits([eip])
        self.uc.emu_start(KERNBASE + 0x100, 0)
        self.uc.ctl_set_exits([])
        self.user = self.uc.context_save()
        return self.user

    def code(self, data: bytes, va=0):
        pa = USER + va
        self.ram[pa:pa + len(data)] = data
        self.uc.ctl_remove_cache(va, va + len(data))


@pytest.fixture
def bare():
    b = Bare()
    b.enter_user()
    # enter_user's stop at an exit address leaves a phantom fault (see below): start clean
    offsets = probe_offsets()
    ctx = b.uc.context_save()
    ctypes.c_int32.from_address(ctx.context.value + offsets.old_exception).value = -1
    b.uc.context_restore(ctx)
    b.user = ctx
    return b


_offsets = None


def probe_offsets():
    global _offsets
    if _offsets is None:
        from xv6py.cpu import x86 as x86mod
        x86mod.X86(4 * MB)          # runs (and caches) the probe
        _offsets = x86mod._probed
    return _offsets


def old_exception(b):
    ctx = b.uc.context_save()
    return ctypes.c_int32.from_address(ctx.context.value + probe_offsets().old_exception).value


# -- fact 1: with paging on, mem_read/mem_write take physical addresses ---------------------

def test_mem_read_takes_physical_addresses(bare):
    bare.ram[USER + 0x10:USER + 0x14] = b"abcd"
    assert bytes(bare.uc.mem_read(USER + 0x10, 4)) == b"abcd"     # physical
    bare.ram[0x10:0x14] = b"wxyz"
    assert bytes(bare.uc.mem_read(0x10, 4)) == b"wxyz"             # VA 0x10 maps elsewhere


# -- fact 2: ring 3 is entered with iret; SS with RPL 3 cannot be written in ring 0 --------

def test_ss_rpl3_refused_in_ring0():
    b = Bare()
    with pytest.raises(UcError):
        b.uc.reg_write(x86c.UC_X86_REG_SS, 0x23)


def test_iret_enters_ring3_and_stays(bare):
    assert bare.uc.reg_read(x86c.UC_X86_REG_CS) == 0x1B
    assert bare.uc.reg_read(x86c.UC_X86_REG_SS) == 0x23
    bare.code(b"\x90\x90\xcd\x40")                  # nop; nop; int $64
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=100)
    assert bare.traps[-1] == (64, 4, 0x1B)         # still ring 3 in the hook


# -- fact 3: int $64 reaches the hook with EIP past it; execution continues after --------

def test_int64_hook_sees_next_eip_and_continues(bare):
    bare.stop_on_trap = False
    bare.code(b"\xcd\x40\x43\xcd\x40")              # int $64; inc %ebx; int $64
    bare.uc.context_restore(bare.user)
    bare.uc.reg_write(x86c.UC_X86_REG_EBX, 0)
    bare.uc.emu_start(0, 0, count=3)
    assert [t[:2] for t in bare.traps] == [(64, 2), (64, 5)]
    assert bare.uc.reg_read(x86c.UC_X86_REG_EBX) == 1


def test_eip_written_in_int_hook_is_honoured(bare):
    def hook(uc, intno, data):
        uc.reg_write(x86c.UC_X86_REG_EIP, 0x20)
    bare.uc.hook_add(ucc.UC_HOOK_INTR, hook)
    bare.stop_on_trap = False
    bare.code(b"\xcd\x40\x43" + b"\x90" * 29 + b"\x83\xc3\x64")   # at 0x20: add $100, %ebx
    bare.uc.context_restore(bare.user)
    bare.uc.reg_write(x86c.UC_X86_REG_EBX, 0)
    bare.uc.emu_start(0, 0, count=2)
    assert bare.uc.reg_read(x86c.UC_X86_REG_EBX) == 100


# -- fact 4: a hooked exception stays "in flight": the next one is a double fault ---------

LOAD_UNMAPPED = b"\x90\xa1\x00\x00\x40\x00"    # nop; mov 0x400000, %eax


def test_hooked_exception_makes_next_fault_double(bare):
    bare.code(LOAD_UNMAPPED)
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=100)
    assert bare.traps[-1][:2] == (14, 1)
    assert old_exception(bare) == 14
    bare.uc.reg_write(x86c.UC_X86_REG_EIP, 0)
    bare.uc.emu_start(0, 0, count=100)
    assert bare.traps[-1][0] == 8                   # double fault


def test_clearing_old_exception_fixes_it(bare):
    bare.code(LOAD_UNMAPPED)
    for _ in range(3):
        bare.uc.context_restore(bare.user)          # the remedy: a clean context each time
        bare.uc.emu_start(0, 0, count=100)
        assert bare.traps[-1][:2] == (14, 1)


def test_plain_until_leaves_a_phantom_fault():
    """With a plain `until` address unicorn translates until-1 as a user fetch when it
    stops; if that page is not user-mapped, CR2 and old_exception are left set."""
    b = Bare(exits=False)
    b.ram[0x100] = 0xCF
    for i, v in enumerate([0x100, 0x1B, 0x202, 0x7000, 0x23]):
        b.w32(KSTACK + 4 * i, v)
    b.ram[USER + 0x100:USER + 0x104] = b"\x90\x90\xcd\x40"
    b.uc.reg_write(x86c.UC_X86_REG_ESP, KERNBASE + KSTACK)
    b.uc.emu_start(KERNBASE + 0x100, 0xFFFFFFFF, count=4)
    assert b.traps[-1][0] == 64
    assert b.uc.reg_read(x86c.UC_X86_REG_CR2) == 0xFFFFFFFE
    assert old_exception(b) == 14


def test_exits_mode_leaves_no_phantom(bare):
    bare.code(b"\x90\x90\xcd\x40")
    bare.uc.context_restore(bare.user)
    bare.uc.reg_write(x86c.UC_X86_REG_CR2, 0)
    bare.uc.emu_start(0, 0, count=100)
    assert bare.uc.reg_read(x86c.UC_X86_REG_CR2) == 0
    assert old_exception(bare) == -1


# -- fact 5: count bounds a slice exactly; the counter says how many ran ------------------

def test_count_is_exact_and_counter_is_readable(bare):
    bare.code(b"\x43\xeb\xfd")                       # 1: inc %ebx; jmp 1b
    counter = ctypes.c_uint64.from_address(bare.uc._uch.value + probe_offsets().emu_counter)
    for count in (1, 2, 7, 1000, 100_000):
        bare.uc.context_restore(bare.user)
        bare.uc.reg_write(x86c.UC_X86_REG_EBX, 0)
        bare.uc.emu_start(0, 0, count=count)
        assert bare.uc.reg_read(x86c.UC_X86_REG_EBX) == (count + 1) // 2
        assert counter.value in (count, count + 1)


def test_counter_after_early_stop(bare):
    counter = ctypes.c_uint64.from_address(bare.uc._uch.value + probe_offsets().emu_counter)
    bare.code(b"\x43\x43\x43\xcd\x40\x43")          # inc x3; int $64; inc
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=1000)
    assert counter.value == 4                        # the int counts
    bare.code(b"\x43\x43" + LOAD_UNMAPPED[1:])      # inc x2; faulting load
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=1000)
    assert counter.value == 3                        # so does the faulting instruction


# -- fact 6: host writes do not invalidate translated code ----------------------------------

def test_host_write_keeps_stale_translation(bare):
    A, B = b"\xbb\x01\x00\x00\x00\xcd\x40", b"\xbb\x02\x00\x00\x00\xcd\x40"   # mov $n,%ebx; int $64

    def run():
        bare.uc.context_restore(bare.user)
        bare.uc.emu_start(0, 0, count=10)
        return bare.uc.reg_read(x86c.UC_X86_REG_EBX)

    bare.ram[USER:USER + 7] = A
    assert run() == 1
    bare.ram[USER:USER + 7] = B
    assert run() == 1                                # stale
    bare.uc.mem_write(USER, B)
    assert run() == 1                                # uc_mem_write does not help either
    # What works: remove the cache through the kernel's map, from a ring-0 context.
    bare.uc.context_restore(bare.kernel)
    bare.uc.ctl_remove_cache(KERNBASE + USER, KERNBASE + USER + 4096)
    assert run() == 2


# -- fact 7: a PTE changed from Python stays cached until CR3 is reloaded -----------------

def test_tlb_keeps_old_translation_until_cr3_reload(bare):
    bare.code(b"\xa1\x00\x50\x00\x00\xcd\x40")     # mov 0x5000, %eax; int $64
    bare.ram[USER + 0x5000:USER + 0x5004] = b"\x11\x11\x11\x11"
    bare.ram[USER + 0x6000:USER + 0x6004] = b"\x22\x22\x22\x22"

    def load():
        bare.uc.reg_write(x86c.UC_X86_REG_EIP, 0)
        bare.uc.emu_start(0, 0, count=10)
        return bare.uc.reg_read(x86c.UC_X86_REG_EAX)

    bare.uc.context_restore(bare.user)
    assert load() == 0x11111111
    bare.w32(PGTAB + 4 * 5, (USER + 0x6000) | 7)    # remap VA 0x5000
    assert load() == 0x11111111                      # the TLB still has the old entry
    bare.uc.reg_write(x86c.UC_X86_REG_CR3, PGDIR)
    assert load() == 0x22222222


def test_tlb_flush_control_in_a_hook_drops_the_old_translation(bare):
    """lcr3 of the value CR3 holds flushes with unicorn's TLB-flush control
    (uc_ctl, UC_CTL_TLB_FLUSH), from inside the `int $64` hook: the next
    instruction of the same time slice must see the new PTE, as it would after
    a CR3 reload. (The Python binding has no call for this control: ctypes.)"""
    from xv6py.cpu.uc import CTL_FLUSH_TLB, uc_ctl
    # mov 0x5000, %eax; mov %eax, %ebx; int $64; mov 0x5000, %eax; int $64
    bare.code(b"\xa1\x00\x50\x00\x00\x89\xc3\xcd\x40\xa1\x00\x50\x00\x00\xcd\x40")
    bare.ram[USER + 0x5000:USER + 0x5004] = b"\x11\x11\x11\x11"
    bare.ram[USER + 0x6000:USER + 0x6004] = b"\x22\x22\x22\x22"
    bare.stop_on_trap = False

    def remap(flush):
        def hook(uc, intno, data):
            if uc.reg_read(x86c.UC_X86_REG_EBX) == 0x11111111 and not remapped:
                remapped.append(1)
                bare.w32(PGTAB + 4 * 5, (USER + 0x6000) | 7)     # remap VA 0x5000
                if flush:
                    assert uc_ctl(uc._uch, CTL_FLUSH_TLB) == 0
            else:
                uc.emu_stop()
        remapped = []
        bare.w32(PGTAB + 4 * 5, (USER + 0x5000) | 7)
        bare.uc.reg_write(x86c.UC_X86_REG_CR3, PGDIR)
        handle = bare.uc.hook_add(ucc.UC_HOOK_INTR, hook)
        bare.uc.context_restore(bare.user)
        bare.uc.emu_start(0, 0, count=100)
        bare.uc.hook_del(handle)
        return bare.uc.reg_read(x86c.UC_X86_REG_EAX)

    assert remap(flush=False) == 0x11111111         # the TLB still has the old entry
    assert remap(flush=True) == 0x22222222


# -- what else the CPU core works around ------------------------------------------------------

def test_ud2_ends_emu_start_with_an_error(bare):
    bare.code(b"\x90\x0f\x0b")
    bare.uc.context_restore(bare.user)
    with pytest.raises(UcError) as e:
        bare.uc.emu_start(0, 0, count=10)
    assert e.value.errno == ucc.UC_ERR_INSN_INVALID
    assert bare.uc.reg_read(x86c.UC_X86_REG_EIP) == 1


def test_in_and_out_do_not_fault_in_ring3(bare):
    bare.code(b"\xe4\x60\xe6\x80\xcd\x40")          # in $0x60,%al; out %al,$0x80; int $64
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=10)
    assert bare.traps[-1][:2] == (64, 6)             # no #GP: IOPL is ignored


def test_software_int_is_flagged_in_the_context(bare):
    offsets = probe_offsets()
    seen = []

    def hook(uc, intno, data):
        ctx = uc.context_save()
        seen.append((intno, ctypes.c_int32.from_address(ctx.context.value + offsets.exception_is_int).value))
    bare.uc.hook_add(ucc.UC_HOOK_INTR, hook)
    bare.code(b"\xcd\x0e")                           # int $14: not a page fault
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=10)
    bare.code(LOAD_UNMAPPED)
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=10)
    assert seen == [(14, 1), (14, 0)]


def test_rdtsc_cannot_be_hooked(bare):
    with pytest.raises(UcError):
        bare.uc.hook_add(ucc.UC_HOOK_INSN, lambda uc, d: 1, None, 1, 0, x86c.UC_X86_INS_RDTSC)


def test_cpu_models_and_rdrand():
    def cpuid1_ecx(model):
        b = Bare(model=model)
        b.enter_user()
        b.code(b"\xb8\x01\x00\x00\x00\x0f\xa2\xcd\x40")   # mov $1,%eax; cpuid; int $64
        b.uc.context_restore(b.user)
        b.uc.emu_start(0, 0, count=10)
        return b.uc.reg_read(x86c.UC_X86_REG_ECX)
    assert cpuid1_ecx(None) & (1 << 30)                   # default model: RDRAND
    assert not cpuid1_ecx(x86c.UC_CPU_X86_WESTMERE) & (1 << 30)


def test_probe_finds_the_private_offsets():
    """The probe works on a fresh unicorn and agrees with itself."""
    ram = mmap.mmap(-1, 4 * MB)
    c = (ctypes.c_char * (4 * MB)).from_buffer(ram)
    uc = Uc(ucc.UC_ARCH_X86, ucc.UC_MODE_32)
    uc.ctl_exits_enabled(True)
    uc.ctl_set_exits([])
    uc.mem_map_ptr(0, 4 * MB, ucc.UC_PROT_ALL, ctypes.addressof(c))
    first = probe(uc, ram, 0x80000)
    second = probe(uc, ram, 0x80000)
    assert first == second == probe_offsets()
    assert first.exception_is_int == first.error_code + 4   # QEMU keeps them side by side
    assert ram[0x80000:0x81000] == bytes(4096)              # the scratch page is clean again
    del c


def test_raw_context_calls_match_the_binding(bare):
    """cpu/uc.py calls libunicorn directly: context save/restore through ctypes
    must round-trip registers like the binding does."""
    ctx = bare.uc.context_save()
    bare.uc.reg_write(x86c.UC_X86_REG_EBX, 0x1234)
    assert uclib.uc_context_save(bare.uc._uch, ctx.context) == ucc.UC_ERR_OK
    bare.uc.reg_write(x86c.UC_X86_REG_EBX, 0)
    assert uclib.uc_context_restore(bare.uc._uch, ctx.context) == ucc.UC_ERR_OK
    assert bare.uc.reg_read(x86c.UC_X86_REG_EBX) == 0x1234


# -- memory hooks (the debugger's watchpoints, X86.add_watchpoint) ---------------------------

INCL_X = b"\x43\xff\x05\x00\x10\x00\x00\x43\x43\xeb\xfe"   # inc %ebx; incl 0x1000; inc %ebx x2; 1: jmp 1b
X_PA = USER + 0x1000                                          # where user VA 0x1000 lives


def _incl(bare, on_write, count=1000):
    """Run INCL_X (0x1000 holds 5) with on_write as a write hook on X_PA; the
    hook's calls, then eip, the counter, and what 0x1000 holds."""
    counter = ctypes.c_uint64.from_address(bare.uc._uch.value + probe_offsets().emu_counter)
    calls = []

    def hook(uc, access, address, size, value, data):
        calls.append((address, size, value, counter.value))
        on_write(counter)

    bare.code(INCL_X)
    h = bare.uc.hook_add(ucc.UC_HOOK_MEM_WRITE, hook, None, X_PA, X_PA + 3)
    bare.ram[X_PA:X_PA + 4] = (5).to_bytes(4, "little")
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=count)
    bare.uc.hook_del(h)
    return calls, bare.uc.reg_read(x86c.UC_X86_REG_EIP), counter.value, bare.ram[X_PA]


def test_memory_hooks_take_physical_addresses_and_see_the_store_before_it_is_done(bare):
    calls, eip, _, x = _incl(bare, lambda counter: None, count=4)
    assert calls == [(X_PA, 4, 6, 2)]               # the physical address, the new value, 2nd insn
    assert eip == 0x9 and x == 6
    h = bare.uc.hook_add(ucc.UC_HOOK_MEM_WRITE, lambda *a: calls.append(a), None, 0x1000, 0x1003)
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=4)
    bare.uc.hook_del(h)
    assert len(calls) == 1                           # the virtual address: never


def test_a_stop_asked_in_a_memory_hook_leaves_eip_on_a_half_done_instruction(bare):
    """Why a watchpoint must not call uc_emu_stop: the store is done, %eip still
    points at `incl`, and resuming runs it again."""
    calls, eip, counter, x = _incl(bare, lambda counter: bare.uc.emu_stop())
    assert (eip, counter, x) == (0x1, 2, 6)
    bare.uc.emu_start(eip, 0, count=1)
    assert bare.ram[X_PA] == 7                       # 5 + 1, twice


def test_lowering_the_limit_in_a_memory_hook_ends_the_slice_after_the_instruction(bare):
    limit = ctypes.c_uint64.from_address(bare.uc._uch.value + probe_offsets().emu_counter + 8)

    def lower(counter):
        limit.value = counter.value

    calls, eip, counter, x = _incl(bare, lower)
    assert (eip, counter, x) == (0x7, 3, 6)          # incl retired; the next one counted, not run
    assert bare.uc.reg_read(x86c.UC_X86_REG_EBX) == 1


def test_a_memory_hook_added_after_the_code_was_translated_still_fires(bare):
    _incl(bare, lambda counter: None)                # translated, with a hook
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=4)                 # translated again, with no hook
    calls = []
    h = bare.uc.hook_add(ucc.UC_HOOK_MEM_WRITE, lambda *a: calls.append(a[2]), None, X_PA, X_PA + 3)
    bare.uc.context_restore(bare.user)
    bare.uc.emu_start(0, 0, count=4)
    bare.uc.hook_del(h)
    assert calls == [X_PA]


# -- the MMU sets the accessed and dirty bits of a PTE, as x86 hardware does --------------

def test_mmu_sets_accessed_on_a_read_and_dirty_on_the_first_write(bare):
    """mm/vma.py writes back only the shared file pages whose PTE has PTE_D: the
    emulated MMU must set it in the page table in RAM on the first write through
    an entry, even when a read had already put that entry in the TLB clean."""
    pte = PGTAB + 4 * 5
    bare.w32(pte, (USER + 0x5000) | 7)             # P|W|U, A and D clear
    bare.code(b"\xa1\x00\x50\x00\x00\xcd\x40"      # mov 0x5000, %eax; int $64
              b"\xa3\x00\x50\x00\x00\xcd\x40")     # mov %eax, 0x5000; int $64
    bare.uc.reg_write(x86c.UC_X86_REG_CR3, PGDIR)

    def entry():
        return struct.unpack_from("<I", bare.ram, pte)[0]

    bare.uc.context_restore(bare.user)
    bare.uc.reg_write(x86c.UC_X86_REG_EIP, 0)
    bare.uc.emu_start(0, 0, count=10)              # the read
    assert entry() & 0x60 == 0x20                  # PTE_A set, PTE_D still clear
    bare.uc.emu_start(bare.uc.reg_read(x86c.UC_X86_REG_EIP), 0, count=10)   # the write
    assert entry() & 0x60 == 0x60                  # PTE_D set by the write
