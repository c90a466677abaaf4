"""The machine's four speed figures, each next to a baseline measured in the same run.

    python bench/bench.py            # about half a minute
    python bench/bench.py --quick    # fewer iterations (what CI runs)

1. start: Machine() to the first user instruction (and a cold `python -c` start,
   imports included).
2. getpid: one system call round trip, from a loop of getpid() in a user program.
   Baseline: the same trap served through unicorn's Python binding (its hook
   wrapper and reg_read/reg_write) instead of xv6py's direct ctypes path.
3. fork+exit+wait of a small program, from a loop in a user program; and a byte
   written into a pipe and read back (pipeloop: the read and write paths, a
   copy in and a copy out of user memory). Baseline: two getpid round trips.
4. a register-only user loop, in instructions per second, with preemption on
   (the default quantum). Baselines: the same loop on bare unicorn, free-running
   (no preemption possible) and bounded by instruction count (unicorn's count
   hook, which xv6py's deterministic preemption uses).
5. shared memory: shm_attach + shm_detach, and shm_create + shm_destroy of a
   one-page segment, each a round trip from a loop in a user program. Baseline:
   the getpid round trip (the cost of any system call).
6. the debugger: Debugger.stepi() per instruction (target <= 50 us), and the
   register loop run to its end with the debugger attached and a breakpoint set
   that is never hit. Baseline: the same loop without the debugger. And
   shmcall (a spinning, memory-bound handshake) run to its end under the
   debugger with a write watchpoint that is never hit: unicorn's memory hooks
   slow every memory access. Baseline: the same without the watchpoint.

Reference figures for real xv6 under QEMU on this kind of machine (from the
machine issue): boot to shell 1.33 s, getpid 4.5 us, fork+exit+wait 1.30 ms.
Times are the best of several repetitions; nothing here asserts a time.
"""

import argparse
import ctypes
import mmap
import statistics
import subprocess
import sys
import time

from xv6py.machine import Machine

REFERENCE = {"start": "1.33 s (boot to shell)", "getpid": "4.5 us", "fork": "1.30 ms"}
TARGET = {"start": "<= 50 ms", "getpid": "<= 3 us", "fork": "<= 0.65 ms", "loop": ">= 150 M/s",
          "stepi": "<= 50 us"}


def best(fn, reps: int) -> float:
    return min(fn() for _ in range(reps))


def per_iteration(m: Machine, prog: str, n: int, reps: int, *pre: str) -> float:
    """Seconds per loop iteration of `prog PRE... N`, with the empty run (N=0) subtracted."""
    def once(k):
        return m.run(prog, [*pre, str(k)]).wall
    return (best(lambda: once(n), reps) - best(lambda: once(0), reps)) / n


def first_instruction_time() -> float:
    """Seconds from Machine() to the first user instruction: initcode's first trap
    comes after 4 instructions, so time it there."""
    from xv6py import trap
    t0 = time.perf_counter()
    m = Machine()
    seen = []
    real = trap.syscall

    def first(*a):
        if not seen:
            seen.append(time.perf_counter())
        return real(*a)
    trap.syscall = first
    try:
        m.run("hello")
    finally:
        trap.syscall = real
    return seen[0] - t0


def cold_start() -> float:
    code = ("import time; t=time.perf_counter(); from xv6py.machine import Machine; Machine(); "
            "print(time.perf_counter()-t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)


def binding_syscall_cost(n: int) -> float:
    """The getpid round trip with unicorn's binding doing the work: hook wrapper,
    reg_read of eax, reg_write of the result."""
    from unicorn import Uc
    from unicorn import unicorn_const as ucc
    from unicorn import x86_const as x86c
    uc = Uc(ucc.UC_ARCH_X86, ucc.UC_MODE_32)
    ram = mmap.mmap(-1, 1 << 20)
    buf = (ctypes.c_char * (1 << 20)).from_buffer(ram)
    uc.mem_map_ptr(0, 1 << 20, ucc.UC_PROT_ALL, ctypes.addressof(buf))
    # 1: call getpid; dec %ecx; jnz 1b; hlt    getpid: mov $11,%eax; int $64; ret
    code = b"\xe8\x05\x00\x00\x00\x49\x75\xf8\xf4\x90\xb8\x0b\x00\x00\x00\xcd\x40\xc3"
    ram[0x1000:0x1000 + len(code)] = code

    def hook(uc, intno, data):
        uc.reg_read(x86c.UC_X86_REG_EAX)
        uc.reg_write(x86c.UC_X86_REG_EAX, 1)
    uc.hook_add(ucc.UC_HOOK_INTR, hook)
    uc.reg_write(x86c.UC_X86_REG_ESP, 0x8000)
    uc.reg_write(x86c.UC_X86_REG_ECX, n)
    t = time.perf_counter()
    uc.emu_start(0x1000, 0x1008)
    dt = time.perf_counter() - t
    del buf
    return dt / n


def bare_loop_rate(n: int, count: int) -> float:
    """Instructions per second of the 3-instruction register loop on bare unicorn;
    count=0 runs free, otherwise in slices bounded by unicorn's instruction count."""
    from unicorn import Uc
    from unicorn import unicorn_const as ucc
    from unicorn import x86_const as x86c
    uc = Uc(ucc.UC_ARCH_X86, ucc.UC_MODE_32)
    ram = mmap.mmap(-1, 1 << 20)
    buf = (ctypes.c_char * (1 << 20)).from_buffer(ram)
    uc.mem_map_ptr(0, 1 << 20, ucc.UC_PROT_ALL, ctypes.addressof(buf))
    ram[0x1000:0x1006] = b"\x01\xc3\x49\x75\xfb\xf4"     # 1: add %eax,%ebx; dec %ecx; jnz 1b; hlt
    uc.reg_write(x86c.UC_X86_REG_ECX, n)
    t = time.perf_counter()
    if count == 0:
        uc.emu_start(0x1000, 0x1005)
    else:
        eip = 0x1000
        while eip != 0x1005:
            uc.emu_start(eip, 0x1005, count=count)
            eip = uc.reg_read(x86c.UC_X86_REG_EIP)
    dt = time.perf_counter() - t
    del buf
    return 3 * n / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    ns = ap.parse_args()
    reps = 2 if ns.quick else 5
    scale = 10 if ns.quick else 1

    start = best(first_instruction_time, reps)
    cold = statistics.median(cold_start() for _ in range(reps))
    m = Machine()
    getpid = per_iteration(m, "getpidloop", 200_000 // scale, reps)
    binding = best(lambda: binding_syscall_cost(200_000 // scale), reps)
    fork = per_iteration(m, "forkloop", 2000 // scale, reps)
    pipe = per_iteration(m, "pipeloop", 100_000 // scale, reps)
    n = 30_000_000 // scale
    r = m.run("regloop", [str(n)])
    loop = best(lambda: (lambda r: r.instructions / r.wall)(m.run("regloop", [str(n)])), reps)
    free = best(lambda: bare_loop_rate(n, 0), reps)
    counted = best(lambda: bare_loop_rate(n, m_quantum()), reps)
    attach = per_iteration(m, "shmbench", 20_000 // scale, reps, "attach")
    create = per_iteration(m, "shmbench", 20_000 // scale, reps, "create")
    stepi = best(lambda: stepi_cost(20_000 // scale), reps)
    attached = best(lambda: attached_loop_rate(n), reps)
    unwatched = best(lambda: watched_run_time("shmcall", False), reps)
    watched = best(lambda: watched_run_time("shmcall", True), reps)

    rows = [
        ("start: Machine() to first user instruction", f"{start * 1e3:.1f} ms",
         f"cold python start incl. imports {cold * 1e3:.0f} ms", TARGET["start"], REFERENCE["start"]),
        ("getpid round trip", f"{getpid * 1e6:.2f} us",
         f"through unicorn's binding {binding * 1e6:.2f} us", TARGET["getpid"], REFERENCE["getpid"]),
        ("fork+exit+wait (small program)", f"{fork * 1e3:.3f} ms", "", TARGET["fork"], REFERENCE["fork"]),
        ("pipe write+read of a byte", f"{pipe * 1e6:.2f} us", f"two getpid {2 * getpid * 1e6:.2f} us",
         "", ""),
        ("register loop, preemption on", f"{loop / 1e6:.1f} M/s",
         f"bare unicorn: free {free / 1e6:.0f} M/s, count-bounded {counted / 1e6:.1f} M/s",
         TARGET["loop"], ""),
        ("shm_attach + shm_detach", f"{attach * 1e6:.1f} us", f"getpid {getpid * 1e6:.2f} us", "", ""),
        ("shm_create + shm_destroy (1 page)", f"{create * 1e6:.1f} us", f"getpid {getpid * 1e6:.2f} us",
         "", ""),
        ("debugger stepi (API), per instruction", f"{stepi * 1e6:.1f} us", "", TARGET["stepi"], ""),
        ("register loop, debugger attached", f"{attached / 1e6:.1f} M/s",
         f"without the debugger {loop / 1e6:.1f} M/s", "", ""),
        ("shmcall under the debugger, a watchpoint set", f"{watched * 1e3:.1f} ms",
         f"no watchpoint {unwatched * 1e3:.1f} ms", "", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'xv6py':>10}  {'target':>11}  {'xv6 on QEMU':>22}  baseline (same run)")
    for name, value, base, target, ref in rows:
        print(f"{name:<{width}}  {value:>10}  {target:>11}  {ref:>22}  {base}")
    print(f"(regloop {n:,} iterations: {r.instructions:,} instructions, {r.ticks} ticks, "
          f"status {r.status}; quantum {m_quantum():,})")


def stepi_cost(n: int) -> float:
    """Seconds per Debugger.stepi() in the register loop."""
    from xv6py.debug.debugger import Debugger
    d = Debugger(Machine(), "regloop", [str(n)])
    d.break_at("main")
    d.cont()
    t = time.perf_counter()
    for _ in range(n):
        d.stepi()
    return (time.perf_counter() - t) / n


def attached_loop_rate(n: int) -> float:
    """Instructions per second of regloop run to the end under the debugger, with
    a breakpoint (on exit) that the loop never reaches."""
    from xv6py.debug.debugger import Debugger
    d = Debugger(Machine(), "regloop", [str(n)])
    d.break_at("exit")
    t = time.perf_counter()
    d.cont()
    wall = time.perf_counter() - t
    return d.m.processes()[1]["insns"] / wall


def watched_run_time(prog: str, watch: bool) -> float:
    """Seconds to run prog to its end under the debugger, with or without a
    write watchpoint that is never hit (memory hooks slow every access)."""
    from xv6py.debug.debugger import Debugger
    d = Debugger(Machine(), prog)
    if watch:
        d.watch(d.registers()["esp"] & ~0xFFF, 4)       # the lowest word of the stack page
    t = time.perf_counter()
    while not d.cont().halted:
        pass
    return time.perf_counter() - t


def m_quantum() -> int:
    from xv6py.param import QUANTUM
    return QUANTUM


if __name__ == "__main__":
    main()
