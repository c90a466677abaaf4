"""The CPU core (xv6py/cpu/x86.py) on its own, with a hand-built page table:
every fault reported with the right vector, error code, EIP and CR2, a thousand
times in a row and across time slices of 1, 1,000 and 100,000 instructions;
system calls served inside the slice; x87 and SSE state kept per process."""

import ast
import struct
from pathlib import Path

import pytest
from unicorn import UcError
from unicorn import unicorn_const as ucc
from unicorn import x86_const as x86c

import xv6py
from xv6py.cpu.uc import CPUError
from xv6py.cpu.x86 import CR4_TSD, X86
from xv6py.memlayout import KERNBASE
from xv6py.mmu import (
    CR0_MP,
    CR0_PE,
    CR0_PG,
    CR0_WP,
    CR4_OSFXSR,
    CR4_OSXMMEXCPT,
    CR4_PSE,
    PTE_P,
    PTE_PS,
    PTE_U,
    PTE_W,
)
from xv6py.traps import T_DIVIDE, T_GPFLT, T_ILLOP, T_PGFLT, T_SYSCALL

MB = 1 << 20
PGDIR, PGTAB, USER = 0x10000, 0x11000, 0x200000
NOPS = 2500
TEXT, DATA, RO, SUP = 0x0000, 0x4000, 0x5000, 0x6000   # user pages (text spans 0x0-0x3fff)
UNMAPPED = 0x00400000


class Rig:
    """An X86 with 16 MiB, a kernel map of 4 MiB pages and a few user pages."""

    def __init__(self):
        x = self.x86 = X86(16 * MB)
        w = x.write32
        for i in range(4):
            w(PGDIR + 4 * (KERNBASE >> 22) + 4 * i, (i << 22) | PTE_PS | PTE_W | PTE_P)
        w(PGDIR, PGTAB | PTE_P | PTE_W | PTE_U)
        for va, flags in ((0x0000, 7), (0x1000, 7), (0x2000, 7), (0x3000, 7),
                          (DATA, PTE_P | PTE_W | PTE_U), (RO, PTE_P | PTE_U), (SUP, PTE_P | PTE_W),
                          (0x7000, 7)):
            w(PGTAB + 4 * (va >> 12), (USER + va) | flags)
        x.lcr3(PGDIR)
        x.lcr4(x.rcr4() | CR4_PSE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_TSD)
        x.lcr0(x.rcr0() | CR0_PE | CR0_MP | CR0_WP | CR0_PG)
        x.seginit()
        x.enter_user()
        self.syscalls = []
        x.set_trap_handler(self._trap, {T_SYSCALL})
        self.tf = x.user_frame()
        x.load(self.tf)
        x.lcr3(PGDIR)

    def _trap(self, tf):
        self.syscalls.append(tf.eax)

    def code(self, data: bytes, va: int = 0) -> None:
        self.x86.ram[USER + va:USER + va + len(data)] = data
        self.x86.forget_code(USER + (va & ~0xFFF))

    def run_to_fault(self, quantum: int) -> tuple[int, int]:
        """Run slices of `quantum` until a fault; returns (slices, instructions)."""
        slices = done = 0
        while self.x86.fault is None or slices == 0:
            done += self.x86.run(quantum)
            slices += 1
            if slices > 10_000:
                raise AssertionError("no fault")
        return slices, done


@pytest.fixture(scope="module")
def rig():
    return Rig()


# (name, code at the fault, trapno, err, cr2 or None, fault offset in the code)
MATRIX = [
    ("read not present", b"\xa1" + struct.pack("<I", UNMAPPED), T_PGFLT, 4, UNMAPPED),
    ("write not present", b"\xc7\x05" + struct.pack("<II", UNMAPPED, 1), T_PGFLT, 6, UNMAPPED),
    ("write read-only page", b"\xc7\x05" + struct.pack("<II", RO + 8, 1), T_PGFLT, 7, RO + 8),
    ("read supervisor page", b"\xa1" + struct.pack("<I", SUP), T_PGFLT, 5, SUP),
    ("write supervisor page", b"\xa3" + struct.pack("<I", SUP + 4), T_PGFLT, 7, SUP + 4),
    ("read kernel half", b"\xa1" + struct.pack("<I", KERNBASE), T_PGFLT, 5, KERNBASE),
    ("in", b"\xe4\x60", T_GPFLT, 0, None),
    ("out", b"\xe6\x80", T_GPFLT, 0, None),
    ("in dx", b"\xec", T_GPFLT, 0, None),
    ("hlt", b"\xf4", T_GPFLT, 0, None),
    ("cli", b"\xfa", T_GPFLT, 0, None),
    ("rdtsc", b"\x0f\x31", T_GPFLT, 0, None),
    ("divide by zero", b"\x31\xc9\xf7\xf1", T_DIVIDE, 0, None),        # xor ecx,ecx; div ecx
    ("ud2", b"\x0f\x0b", T_ILLOP, 0, None),
    ("rdrand", b"\x0f\xc7\xf0", T_ILLOP, 0, None),
    ("syscall instruction", b"\x0f\x05", T_ILLOP, 0, None),
    ("sysenter instruction", b"\x0f\x34", T_GPFLT, 0, None),
    ("int $0x21", b"\xcd\x21", T_GPFLT, 0x21 * 8 + 2, None),
    ("int $14 is not a page fault", b"\xcd\x0e", T_GPFLT, 14 * 8 + 2, None),
    ("int $0x80", b"\xcd\x80", T_GPFLT, 0x80 * 8 + 2, None),
    ("int3", b"\xcc", T_GPFLT, 3 * 8 + 2, None),
]


@pytest.mark.parametrize("quantum", [1, 1000, 100_000])
@pytest.mark.parametrize("name,code,trapno,err,cr2", MATRIX, ids=[m[0] for m in MATRIX])
def test_fault_matrix(rig, quantum, name, code, trapno, err, cr2):
    """Each fault, 1,000 times in a row (300 with one-instruction slices)."""
    nops = 3 if quantum == 1 else NOPS
    rig.code(b"\x90" * nops + code)
    setup = 1 if name == "divide by zero" else 0     # the xor before the div
    eip = nops + 2 * setup
    before = nops + setup                            # instructions that retire before it
    x, tf = rig.x86, rig.tf
    for _ in range(300 if quantum == 1 else 1000):
        tf.eip = 0
        slices, done = rig.run_to_fault(quantum)
        assert (tf.trapno, tf.err, tf.eip) == (trapno, err, eip), name
        if cr2 is not None:
            assert tf.cr2 == cr2
        assert x.fault == (trapno, err, eip, tf.cr2)
        assert done == before     # every instruction before the fault retired, not it
        assert slices == before // quantum + 1


def test_cr2_keeps_the_last_page_fault_address():
    """Only a page fault writes CR2, so the #GP after one reports that address (xv6
    prints rcr2() as the addr of every trap), and a #GP before any reports 0."""
    rig = Rig()         # a CPU of its own: no page fault before this test's
    x, tf = rig.x86, rig.tf
    rig.code(b"\xfa")                                              # cli: #GP
    tf.eip = 0
    rig.run_to_fault(1000)
    assert (tf.trapno, tf.cr2, x.fault[3]) == (T_GPFLT, 0, 0)
    rig.code(b"\xb8" + struct.pack("<I", UNMAPPED) + b"\x8b\x00")   # mov $UNMAPPED,%eax; mov (%eax),%eax
    tf.eip = 0
    rig.run_to_fault(1000)
    assert (tf.trapno, tf.cr2) == (T_PGFLT, UNMAPPED)
    for code, trapno in ((b"\xfa", T_GPFLT), (b"\x0f\x0b", T_ILLOP), (b"\xcd\x21", T_GPFLT),
                         (b"\xe4\x70", T_GPFLT)):                  # cli, ud2, int $0x21, in $0x70
        rig.code(code)
        tf.eip = 0
        rig.run_to_fault(1000)
        assert (tf.trapno, tf.cr2, x.fault[3]) == (trapno, UNMAPPED, UNMAPPED), code


def test_fault_then_fetch_fault_is_not_a_double_fault(rig):
    """A fetch from a not-present page right after another fault."""
    rig.code(b"\xb8" + struct.pack("<I", UNMAPPED) + b"\xff\xe0")   # mov $UNMAPPED,%eax; jmp *%eax
    for _ in range(100):
        rig.tf.eip = 0
        rig.run_to_fault(1000)
        assert (rig.tf.trapno, rig.tf.err, rig.tf.eip, rig.tf.cr2) == (T_PGFLT, 4, UNMAPPED, UNMAPPED)


@pytest.mark.parametrize("eip", [UNMAPPED, SUP, KERNBASE])
def test_a_slice_that_faults_on_its_first_fetch_retires_nothing(rig, eip):
    """The fetch faults before unicorn counts the instruction: 0 retired, not -1."""
    rig.tf.eip = eip
    assert rig.x86.run(1000) == 0
    assert (rig.tf.trapno, rig.tf.eip, rig.tf.cr2) == (T_PGFLT, eip, eip)


def test_syscalls_are_served_inside_the_slice(rig):
    # mov $7,%eax; int $64; mov $9,%eax; int $64; then loop forever
    rig.code(b"\xb8\x07\x00\x00\x00\xcd\x40\xb8\x09\x00\x00\x00\xcd\x40\xeb\xfe")
    rig.syscalls.clear()
    rig.tf.eip = 0
    assert rig.x86.run(1000) == 1000                 # not stopped by the system calls
    assert rig.syscalls == [7, 9]
    assert rig.x86.fault is None


def test_stop_ends_the_slice_after_the_trap(rig):
    rig.code(b"\xcd\x40\x43\x43\xeb\xfe")           # int $64; inc ebx; inc ebx; loop
    rig.x86.trap_handler = lambda tf: rig.x86.stop()
    try:
        rig.tf.eip = 0
        rig.tf.ebx = 0
        assert rig.x86.run(1000) == 1                # only the int retired
        assert rig.tf.eip == 2 and rig.tf.ebx == 0
    finally:
        rig.x86.trap_handler = rig._trap


def test_a_kernel_exception_in_a_hook_reaches_run(rig):
    rig.code(b"\xcd\x40\xeb\xfe")

    def broken(tf):
        raise RuntimeError("kernel bug")
    rig.x86.trap_handler = broken
    try:
        rig.tf.eip = 0
        with pytest.raises(RuntimeError, match="kernel bug"):
            rig.x86.run(100)
    finally:
        rig.x86.trap_handler = rig._trap


def test_forget_code_drops_stale_translations(rig):
    A = b"\xbb\x01\x00\x00\x00\xcd\x40\xeb\xfe"      # mov $1,%ebx; int $64; loop
    B = b"\xbb\x02\x00\x00\x00\xcd\x40\xeb\xfe"
    for data, want in ((A, 1), (B, 2), (A, 1)):
        rig.code(data)                               # writes and calls forget_code
        rig.tf.eip = 0
        rig.x86.run(3)
        assert rig.tf.ebx == want


# code; instructions until the access retires; %ebx then and 3 instructions later; the word at DATA
WATCH_CODE = {
    "incl": (b"\x43\xff\x05" + struct.pack("<I", DATA) + b"\x43\x43\xeb\xfe", 2, (1, 3), 6),
    "push": (b"\x43\xbc" + struct.pack("<I", DATA + 4) + b"\x53\x43\xeb\xfe", 3, (1, 2), 1),
    "rep stosl": (b"\xbf" + struct.pack("<I", DATA - 4) + b"\xb9\x03\x00\x00\x00\xf3\xab\x43\xeb\xfe",
                  4, (0, 1), 0x11223344),        # the 2nd of 3 stores: stopped inside the rep
}


@pytest.mark.parametrize("name", WATCH_CODE)
@pytest.mark.parametrize("quantum", [1, 1000])
def test_a_watchpoint_ends_the_slice_after_the_accessing_instruction(rig, name, quantum):
    """The instruction that touched the watched bytes retires once, whole: %eip
    past it, its store done once, the next instruction not run; then the
    program goes on as if never stopped."""
    code, upto, ebx, word = WATCH_CODE[name]
    rig.code(code)
    rig.x86.ram[USER + DATA:USER + DATA + 8] = struct.pack("<II", 5, 0)
    rig.tf.eip, rig.tf.ebx, rig.tf.eax = 0, 0, 0x11223344
    hits = []
    number = rig.x86.add_watchpoint(USER + DATA, 4, read=False, write=True,
                                    should_stop=lambda *hit: hits.append(hit) or True)
    try:
        done = 0
        while not hits:
            done += rig.x86.run(quantum)
        assert hits[0][:3] == (USER + DATA, 4, True) and done == upto
        assert rig.tf.ebx == ebx[0] and struct.unpack_from("<I", rig.x86.ram, USER + DATA)[0] == word
    finally:
        rig.x86.remove_watchpoint(number)
    done += rig.x86.run(3)
    assert rig.tf.eip == len(code) - 2                  # at the final loop, nothing ran twice
    assert rig.tf.ebx == ebx[1]
    assert struct.unpack_from("<I", rig.x86.ram, USER + DATA)[0] == word


def test_x87_and_sse_state_survive_preemption():
    """Two processes on one CPU, switched every few instructions: each keeps its own
    x87 stack and XMM registers."""
    r = Rig()
    x = r.x86
    # loop: paddd %xmm1,%xmm0; fadd %st(1),%st; jmp loop
    r.code(b"\x66\x0f\xfe\xc1\xd8\xc1\xeb\xf8")
    frames = []
    for k in (1, 2):
        tf = x.user_frame()
        x.load(tf)
        x.lcr3(PGDIR)
        x.uc.reg_write(x86c.UC_X86_REG_XMM0, k * 1000)
        x.uc.reg_write(x86c.UC_X86_REG_XMM1, k)
        r.code(b"\xd9\xe8\xd9\xee" + b"\xeb\xfe", 0x100)   # fld1; fldz -- st0=0, st1=1
        tf.eip = 0x100
        x.run(2)
        tf.eip = 0
        x.unload()
        frames.append([tf, 0])
    for step in range(200):
        tf_n = frames[step % 2]
        x.load(tf_n[0])
        x.lcr3(PGDIR)
        tf_n[1] += x.run(1 + step % 7)
        x.unload()
    for k, (tf, done) in enumerate(frames, start=1):
        x.load(tf)
        iterations = (done + 2) // 3              # paddd starts each 3-instruction round
        fadds = (done + 1) // 3
        assert x.uc.reg_read(x86c.UC_X86_REG_XMM0) & 0xFFFFFFFF == k * 1000 + k * iterations
        top = (x.uc.reg_read(x86c.UC_X86_REG_FPSW) >> 11) & 7      # ST(0) is FP[TOP]
        assert _x87_value(x.uc.reg_read(x86c.UC_X86_REG_FP0 + top)) == fadds
        x.unload()


def _x87_value(reg) -> float:
    """An 80-bit x87 register as unicorn returns it: (64-bit mantissa, 16-bit exponent)."""
    mantissa, exponent = reg
    return 0.0 if mantissa == 0 else mantissa * 2.0 ** ((exponent & 0x7FFF) - 16383 - 63)


# ---- unicorn's errors stay inside cpu/ ----------------------------------------------------

def test_a_unicorn_error_is_a_cpu_error():
    """unicorn refuses to map a memory size that is not a whole number of pages; the
    kernel hears it as a CPUError that says what was being done, never as a UcError."""
    with pytest.raises(CPUError, match=r"mem_map_ptr .*UC_ERR_ARG") as e:
        X86(16 * MB + 0x800)
    assert not isinstance(e.value, UcError)
    assert isinstance(e.value.__cause__, UcError)      # unicorn's own error, kept as the cause


class _Refusing:
    """unicorn's binding, except that the calls named in `refuse` fail as unicorn would."""

    def __init__(self, uc, refuse):
        self._uc, self._refuse = uc, refuse

    def __getattr__(self, name):
        if name in self._refuse:
            def refuse(*args, **kwargs):
                raise UcError(ucc.UC_ERR_ARG)
            return refuse
        return getattr(self._uc, name)


BINDING_CALLS = {     # what the kernel or the debugger asks of the CPU -> the binding calls it makes
    "add_breakpoint": (lambda x: x.add_breakpoint(0x1000, lambda va: True), ("hook_add", "ctl_flush_tb")),
    "remove_breakpoint": (lambda x: x.remove_breakpoint(0x1000), ("hook_del", "ctl_flush_tb")),
    "add_watchpoint": (lambda x: x.add_watchpoint(0x2000, 4, read=True, write=True,
                                                  should_stop=lambda *hit: True), ("hook_add",)),
    "remove_watchpoint": (lambda x: x.remove_watchpoint(1), ("hook_del",)),
    "lgdt": (lambda x: x.lgdt(0x1000, 0x28), ("reg_write",)),
    "user_frame": (lambda x: x.user_frame(), ("context_save",)),
}


@pytest.mark.parametrize("op,refused", [(op, call) for op, (_, calls) in BINDING_CALLS.items()
                                        for call in calls])
def test_every_binding_call_raises_cpu_error(op, refused):
    do, _ = BINDING_CALLS[op]
    x = X86(MB)
    x.add_breakpoint(0x1000, lambda va: True)           # something to remove
    x.add_watchpoint(0x2000, 4, read=False, write=True, should_stop=lambda *hit: True)
    if op == "add_breakpoint":
        x.remove_breakpoint(0x1000)
    x.uc = _Refusing(x.uc, {refused})
    with pytest.raises(CPUError, match=r"UC_ERR_ARG") as e:
        do(x)
    assert not isinstance(e.value, UcError)


def _imports(tree: ast.AST):
    """The modules a module imports, statically or through importlib/__import__."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            if getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__"):
                yield str(node.args[0].value)


def test_only_cpu_imports_unicorn():
    """DESIGN.md: cpu/ is the only place that calls unicorn. Checked over everything
    installed as xv6py: the package, and the labs' graders (labs/, as xv6py.labs)."""
    root = Path(xv6py.__file__).resolve().parent
    cpu = root / "cpu"
    files = [f for d in (root, root.parent / "labs") for f in d.rglob("*.py") if cpu not in f.parents]
    assert len(files) > 30
    offenders = sorted(f"{f.relative_to(root.parent)} imports {name}" for f in files
                       for name in _imports(ast.parse(f.read_text(), str(f)))
                       if name.split(".")[0] == "unicorn")
    assert offenders == []
