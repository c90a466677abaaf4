"""System calls with bad arguments, and processes that push the kernel's limits.

userprogs/badargs makes every system call with bad pointers, sizes, descriptors,
ids and numbers, and prints one line per case; its whole output is pinned below,
so that a regression shows which case changed. Then: fork past NPROC, fork
running out of frames at each of its allocations, programs that never stop, and
`int $64` with %esp somewhere the arguments cannot be read.

After every run the kernel must not have panicked and every frame must be back.
"""

import pytest
from elfgen import program, syscall
from helpers import run

from xv6py.machine import Machine
from xv6py.syscalls.syscall import (
    SYS_exit,
    SYS_fork,
    SYS_getpid,
    SYS_kill,
    SYS_pipe,
    SYS_read,
    SYS_sleep,
    SYS_write,
)

PGSIZE = 4096
KERNEND = 0x100000          # physical memory below this is not for kalloc
NPROC = 64


# ---- badargs -------------------------------------------------------------------------------

def _lines(text: str) -> str:
    return "".join(f"badargs: {line.strip()}\n" for line in text.strip().splitlines())


# Pointers: kernel 0x80000000, khigh 0xffffff00, unmapped 0x40000000, guard (the
# page below the stack), straddle (the last 8 bytes of the stack page, 16 asked),
# wrap (0xfffffff0 + 32 wraps to 0x10). See userprogs/badargs.c.
#
# Where xv6py differs from x86 xv6 on purpose (DESIGN.md 5: pointers are checked
# through the page table):
#   * the guard page is refused (xv6 checks against p->sz and accepts it);
# and where xv6's C arithmetic would do something odd:
#   * sleep(-1) returns 0 at once (xv6 compares an unsigned tick count with n
#     converted to unsigned, and sleeps for 2^32 - 1 ticks);
#   * kill(0) is -1 (xv6 finds a free slot, whose pid is 0, and returns 0);
#   * an %esp near 2^32 does not wrap the argument addresses around to 0.
BADARGS = _lines("""
    write kernel = -1
    write khigh = -1
    write unmapped = -1
    write guard = -1
    write straddle = -1
    write wrap = -1
    write n=-1 = -1
    write n=-2^31 = -1
    write n=2^31-1 = -1
    write kernel n=0 = -1
    write fd=-1 = -1
    write fd=16 = -1
    write fd=100 = -1
    read kernel = -1
    read khigh = -1
    read unmapped = -1
    read guard = -1
    read straddle = -1
    read wrap = -1
    read n=-1 = -1
    read n=-2^31 = -1
    read fd=-1 = -1
    read fd=16 = -1
    read fd=100 = -1
    close dup of 1 = 0
    write closed fd = -1
    read closed fd = -1
    close closed fd = -1
    close fd=-1 = -1
    close fd=16 = -1
    dup closed fd = -1
    dup fd=-1 = -1
    dup fd=100 = -1
    write read-only file = -1
    open kernel = -1
    open khigh = -1
    open unmapped = -1
    open guard = -1
    open nonexistent = -1
    open console O_CREATE = -1
    open / O_RDWR = -1
    open unterminated = -1
    chdir unterminated = -1
    chdir kernel = -1
    chdir unmapped = -1
    mkdir kernel = -1
    unlink unmapped = -1
    link kernel = -1
    link unmapped new = -1
    mknod guard = -1
    exec path kernel = -1
    exec path unmapped = -1
    exec path guard = -1
    exec argv kernel = -1
    exec argv unmapped = -1
    exec argv guard = -1
    exec argv wrap = -1
    exec argv[1] kernel = -1
    exec argv[1] unmapped = -1
    exec no NULL in 32 = -1
    exec argv runs off memory = -1
    fstat kernel = -1
    fstat unmapped = -1
    fstat guard = -1
    fstat straddle = -1
    fstat wrap = -1
    fstat fd=-1 = -1
    fstat fd=16 = -1
    pipe kernel = -1
    pipe khigh = -1
    pipe unmapped = -1
    pipe guard = -1
    pipe straddle = -1
    pipe wrap = -1
    fstat pipe = -1
    pipe after bad pipes ok
    kill pid 9999 = -1
    kill pid -1 = -1
    kill pid 0 = -1
    sleep -1 = 0
    sleep -2^31 = 0
    sbrk 0x7fffffff = -1
    sbrk KERNBASE-break = -1
""") + "allocuvm out of memory\n" + _lines("""
    sbrk 0x7fff0000 = -1
    sbrk -0x7fffffff = -1
    sbrk -2^31 = -1
    sbrk -(break+1) = -1
    break unchanged ok
    shm_create 0 = -1
    shm_create -1 = -1
    shm_create -2^31 = -1
    shm_create SHM_MAX pages + 1 = -1
    shm_attach id -1 = -1
    shm_attach id SHM_N = -1
    shm_attach id 100 = -1
    shm_attach id unused = -1
    shm_detach id -1 = -1
    shm_detach id SHM_N = -1
    shm_detach id unused = -1
    shm_destroy id -1 = -1
    shm_destroy id SHM_N = -1
    shm_destroy id unused = -1
    shm_create 2 pages = 0
    shm_attach kernel = -1
    shm_attach unaligned = -1
    shm_attach address 0 = -1
    shm_attach over the program = -1
    shm_attach over the stack = -1
    shm_attach across KERNBASE = -1
    shm_attach negative = -1
    shm_detach not attached = -1
    shm_attach good = 0
    shm_attach twice = -1
    shm_destroy attached = -1
    shm_detach good = 0
    shm_detach again = -1
    shm_destroy good = 0
    shm_destroy again = -1
""") + "2 badargs: unknown sys call 99\n" + _lines("syscall 99 = -1") \
    + "2 badargs: unknown sys call -1\n" + _lines("syscall -1 = -1") \
    + "2 badargs: unknown sys call 0\n" + _lines("syscall 0 = -1") \
    + "2 badargs: unknown sys call 1000\n" + _lines("""
    syscall 1000 = -1
    write esp kernel = -1
    write esp khigh = -1
    write esp unmapped = -1
    write esp guard = -1
    write esp top = -1
    kill esp kernel = -1
    sbrk esp unmapped = -1
    getpid esp kernel = 2
    uptime esp unmapped = 1
    break ok
    lowest free fd is 3 ok
    fstat 1 ok
    read after = 11 input line
    write 1 works
    write 1 ok
    done
""")


def test_badargs():
    """Every bad call returns -1 (or its harmless result) and changes nothing: the
    break, the descriptors, the console input (the line is still there to read
    after the failed reads) and the shared-memory table are as before.
    Memory is small so that sbrk(0x7fff0000) runs out quickly."""
    m = Machine(stdin=b"input line\n", phystop=KERNEND + 2000 * PGSIZE)
    r = run(m, "badargs")
    assert r.status == "exit", r.summary()
    assert r.output == BADARGS
    assert r.faults == 0
    assert m.shm_segments() == [] and m.processes() == []


# ---- int $64 with %esp where nothing can be read --------------------------------------------

def _esp_program(esp: int, num: int, expect: int, then_push: bool) -> bytes:
    """Machine code: %esp = esp; a system call num; if %eax != expect, ud2 (trap 6);
    else optionally a push (which faults where esp points), then exit (which
    needs no arguments)."""
    tail = (b"\x50" if then_push else b"") + b"\xb8" + SYS_exit.to_bytes(4, "little") + b"\xcd\x40"
    return (b"\xbc" + esp.to_bytes(4, "little")                 # mov $esp, %esp
            + b"\xb8" + num.to_bytes(4, "little")               # mov $num, %eax
            + b"\xcd\x40"                                       # int $64
            + b"\x3d" + (expect & 0xFFFFFFFF).to_bytes(4, "little")  # cmp $expect, %eax
            + b"\x74\x02" + b"\x0f\x0b"                         # je ok; ud2
            + tail)


PUSH_EIP = 5 + 5 + 2 + 5 + 2 + 2      # offset of the push in _esp_program


@pytest.mark.parametrize("esp", [0x80000000, 0xFFFFFF00, 0x40000000, 0xFFFFFFFC])
def test_syscall_with_unreadable_stack_fails_without_killing(machine, esp):
    """write's arguments cannot be read: -1, and the process goes on (here to exit,
    which reads no argument)."""
    machine.add_program("badesp", program(_esp_program(esp, SYS_write, -1, False)).to_bytes())
    r = run(machine, "badesp")
    assert (r.status, r.output, r.faults) == ("exit", "", 0)


def test_syscall_without_arguments_works_with_any_stack(machine):
    machine.add_program("badesp", program(_esp_program(0x80000000, SYS_getpid, 2, False)).to_bytes())
    r = run(machine, "badesp")
    assert (r.status, r.output, r.faults) == ("exit", "", 0)


@pytest.mark.parametrize("esp, addr, err", [
    (0x40000000, 0x3FFFFFFC, 6),      # not present, write, user
    (0x80000004, 0x80000000, 7),      # present (kernel), write, user
])
def test_bad_stack_kills_only_when_the_program_uses_it(machine, esp, addr, err):
    machine.add_program("badesp", program(_esp_program(esp, SYS_write, -1, True)).to_bytes())
    r = run(machine, "badesp")
    line = f"pid 2 badesp: trap 14 err {err} on cpu 0 eip {PUSH_EIP:#x} addr {addr:#x}--kill proc"
    assert (r.status, r.output, r.faults) == ("killed", line + "\n", 1)


# ---- fork past NPROC and out of memory ----------------------------------------------------

def _forkmany(n: int, failed: bool, again: str, pages: int = 4, shm: bool = False) -> str:
    out = f"forkmany: {pages} pages\nforkmany: forked {n} children\n"
    if failed:
        out += f"forkmany: fork {n + 1} returned -1\n"
    out += f"forkmany: reaped {n} children\nforkmany: fork again {again}\n"
    return out + ("forkmany: shm destroyed\n" if shm else "")


@pytest.mark.parametrize("shm", [False, True])
def test_fork_until_the_process_table_is_full(machine, shm):
    """init (pid 1) and forkmany hold two of the NPROC slots: 62 children fit, all
    alive at once; the 63rd fork fails. Once they are reaped, fork works again
    and every frame is back. With -m every child shares a segment, which can be
    destroyed at the end (no reference left behind)."""
    r = run(machine, "forkmany", ["-m"] if shm else [])
    assert r.status == "exit"
    assert r.output == _forkmany(NPROC - 2, True, "ok", shm=shm)
    assert machine.processes() == [] and machine.shm_segments() == []


def test_fork_runs_out_of_memory_at_every_point():
    """forkmany -g 8 -n 1 -m: 12 pages of memory and a shared segment whose page
    table is separate. fork allocates the page directory, then for each of the 12
    pages a frame (the page table after the first), then the segment's page table
    in shm_fork: 15 frames. On machines one frame apart, the smallest on which the
    program gets to fork has no frame free; so fork fails at each allocation in
    turn (15 machines), then succeeds. A failed fork must leave no frame and no
    segment reference behind."""
    pages, frames_needed = 12, 12 + 1 + 1 + 1
    outcomes = []
    for frames in range(16, 16 + 40):
        m = Machine(phystop=KERNEND + frames * PGSIZE)
        r = run(m, "forkmany", ["-g", "8", "-n", "1", "-m"])
        assert r.status in ("exit", "not started"), r.summary()
        assert m.shm_segments() == []
        if r.output == _forkmany(1, False, "ok", pages, True):
            outcomes.append("ok")
            if outcomes.count("ok") == 3:
                break
        elif r.output == _forkmany(0, True, "-1", pages, True):
            outcomes.append("-1")
        else:
            assert "forkmany: forked" not in r.output, r.output
            outcomes.append("setup")
    first = outcomes.index("-1")
    assert outcomes == ["setup"] * first + ["-1"] * frames_needed + ["ok"] * 3, outcomes


# ---- programs that never stop ---------------------------------------------------------------

def _loop(body: bytes) -> bytes:
    """body, then a jump back to its start, forever."""
    return body + b"\xeb" + ((-(len(body) + 2)) & 0xFF).to_bytes(1, "little")


NEVER_STOPS = {
    "spinner": _loop(b""),                                    # jmp .
    "sleeper": _loop(syscall(SYS_sleep, 1)),                  # sleep(1) forever: time jumps ahead
    "forkspin": syscall(SYS_fork) + _loop(b""),               # two spinners
    "forkbomb": _loop(syscall(SYS_fork)),                     # fills the process table, spins
}


@pytest.mark.parametrize("name", NEVER_STOPS)
def test_budget_ends_a_program_that_never_stops(machine, name):
    machine.add_program(name, program(NEVER_STOPS[name]).to_bytes())
    r = run(machine, name, max_instructions=300_000)
    assert (r.status, r.output) == ("budget", "")
    assert r.reason.startswith("instruction budget of 300,000 exhausted (")
    assert "): 1 sleep init on wait(1); 2 " in r.reason
    assert machine.processes() == []
    # Later runs on the same machine are not disturbed.
    assert run(machine, "hello").output == "hello, world\n"


def test_a_process_blocked_forever_is_a_deadlock(machine):
    """read on a pipe whose write end the reader itself holds: nothing can ever
    run again (no process sleeps on the clock), and the run ends at once."""
    buf = 0x800
    code = syscall(SYS_pipe, buf) + syscall(SYS_read, 3, buf + 8, 1) + syscall(SYS_exit)
    machine.add_program("selfpipe", program(code, bss=PGSIZE).to_bytes())
    r = run(machine, "selfpipe", max_instructions=10**9)
    assert r.status == "deadlock"
    assert r.reason.startswith("no process can run: 1 sleep init on wait(")
    assert "2 sleep selfpipe on " in r.reason
    assert r.instructions < 100_000
    assert machine.processes() == []


# ---- kill(1) --------------------------------------------------------------------------------

def _kills_init() -> bytes:
    """write "before", kill(1), 2M instructions of loop (past the next tick, so that
    init runs, sees it was killed and exits), write "after", exit."""
    loop = b"\xb9\x40\x42\x0f\x00" + b"\x49\x75\xfd"          # mov $1000000, %ecx; 1: dec; jnz 1b

    def code(before: int, after: int) -> bytes:
        return (syscall(SYS_write, 1, before, 7) + syscall(SYS_kill, 1) + loop
                + syscall(SYS_write, 1, after, 6) + syscall(SYS_exit))
    n = len(code(0, 0))
    return code(n, n + 7) + b"before\nafter\n"


def test_kill_of_init_ends_the_run_cleanly(machine):
    """kill(1) is allowed (xv6 would panic: "init exiting"). Here init exits, which
    ends the run; the program still running is torn down, its frames come back."""
    machine.add_program("killinit", program(_kills_init()).to_bytes())
    r = run(machine, "killinit")
    assert r.output == "before\n"
    assert machine.processes() == []


def test_kill_of_init_is_not_reported_as_not_started(machine):
    """The program kills init: init exits, the run ends, the program is torn down."""
    machine.add_program("killinit", program(_kills_init()).to_bytes())
    r = run(machine, "killinit")
    assert r.status == "killed", r.summary()
    assert r.reason == "init exited (killed) while the program ran; torn down"
