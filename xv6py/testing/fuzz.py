"""The system-call fuzzers: random calls with edge-case arguments, with the
kernel's invariant checker on after every trap (check.py).

    fuzz_program(seed, n)   runs userprogs/fuzz.c: n calls from user code
    fuzz_kcall(seed, n)     n calls made from Python through kcall.Syscaller

Both are deterministic from their seed, and both fuzz whatever the syscall
table holds (the program every number from 0 to 63, the driver every name in
SYSCALL_NAMES), so a call added to the table is fuzzed the day it lands.

Each returns a FuzzResult; `problem` says what went wrong (a panic, an
exception that escaped the kernel, a leaked frame, block or inode, a broken
invariant, a run that did not end within its budget), and `command` is the one
line that does it again:

    xv6py run --check fuzz SEED N
    python -m xv6py.testing.fuzz kcall SEED N

    python -m xv6py.testing.fuzz prog|kcall SEED N [SEEDS]   from the command line
"""

from __future__ import annotations

import random
import re
import sys
import time
from dataclasses import dataclass

from ..fsck import fsck
from ..ipc import posixshm
from ..machine import Machine
from ..memlayout import KERNBASE
from ..mmu import PGSIZE
from ..panic import KernelPanic
from ..proc import proc as P
from ..proc.scheduler import switchback, switchto
from ..syscalls.syscall import SYSCALL_NAMES
from .kcall import Syscaller

__all__ = ["FuzzResult", "fuzz_program", "fuzz_kcall", "BUDGET_PER_CALL"]

BUDGET_PER_CALL = 200_000       # virtual instructions a call of fuzz.c may take, on average
PER_WORKER = 200                # calls of one fuzz.c worker (its default)


@dataclass
class FuzzResult:
    kind: str                   # "prog" or "kcall"
    seed: int
    calls: int
    seconds: float
    problem: str | None         # None: the kernel came through
    command: str                # the line that does the same run again

    def __str__(self) -> str:
        head = f"fuzz {self.kind} seed {self.seed}: {self.calls} calls in {self.seconds:.1f} s"
        if self.problem is None:
            return f"{head}: ok"
        return f"{head}: FAILED: {self.problem}\n  reproduce: {self.command}"


def _leftover_frames(m: Machine) -> int:
    """Frames held by what a run may leave behind on purpose: segments (the lab's
    and System V's) that nobody destroyed."""
    lab = sum(len(s["frames"]) for s in m.shm_segments())
    return lab + sum(len(s["frames"]) for s in m.ipc_objects()["shm"])


def fuzz_program(seed: int, n: int, machine: Machine | None = None, budget: int | None = None) -> FuzzResult:
    """Run `fuzz SEED N` with the checker on; see the module docstring. The run's
    budget (virtual instructions) is BUDGET_PER_CALL a call unless given: a run
    that does not end within it is a failure (a call that hangs)."""
    m = machine or Machine(check=True)
    command = f"xv6py run --check fuzz {seed} {n}"
    t0 = time.perf_counter()
    r = m.run("fuzz", [str(seed), str(n)], max_instructions=budget or 10_000_000 + n * BUDGET_PER_CALL)
    problem = None
    # (the program's lines carry numbers: a random write() of its own memory can
    # print the text of a format, never the number printf puts in)
    fail = re.search(r"fuzz: FAIL: .* \(pid \d+\)", r.output)
    if r.status != "exit" or not re.search(rf"fuzz: done: {-(-n // PER_WORKER)} rounds", r.output):
        problem = f"{r.status}: {r.reason}"
    elif fail:
        problem = fail.group(0)
    elif r.free_frames_after + _leftover_frames(m) != r.free_frames_before:
        problem = (f"frames leaked: {r.free_frames_before} free before, {r.free_frames_after} after, "
                   f"{_leftover_frames(m)} in segments")
    elif r.inodes_in_use:
        problem = f"{r.inodes_in_use} in-memory inodes still referenced"
    else:
        errors = fsck(m.image())
        if errors:
            problem = "fsck: " + "; ".join(errors[:3])
    return FuzzResult("prog", seed, n, time.perf_counter() - t0, problem, command)


# ---- the Python driver ------------------------------------------------------------------------

INTS = (0, 1, -1, 2, 3, 7, 16, 100, 511, 512, 4095, 4096, 4097, 8192, 1 << 20, 1 << 24,
        0x7FFFFFFF, -0x80000000, -4096, KERNBASE - PGSIZE, KERNBASE - 1, KERNBASE, 0x40000000)
STRINGS = ("", "/", ".", "..", "console", "fz", "fzd", "fzd/f", "/fz", "//", "no-such", "x" * 200)


def _arg(rng: random.Random, p):
    """One edge-case argument for a call of p: an int (a pointer, a size, an fd,
    a pid, flags), a string, or an argv array (kcall copies those onto the stack)."""
    k = rng.randrange(12)
    if k < 5:
        return rng.choice(INTS)
    if k == 5:
        return rng.randrange(-20, 20)
    if k == 6:                              # the guard page, the stack, the last byte of the image
        return rng.choice((p.sz - 2 * PGSIZE, p.sz - PGSIZE, p.sz - 1, p.sz, p.tf.esp - 4))
    if k == 7:
        return rng.getrandbits(32)
    if k == 8:
        return rng.choice(STRINGS)
    if k == 9:
        return [rng.choice(STRINGS[:9]) for _ in range(rng.choice((0, 1, 3, 40)))]
    if k == 10:
        return rng.choice((0x21, 0x22, 0x01, 0x02, 0x11, 0x32, 0o100 | 2, 0x200 | 2))
    return rng.randrange(0, 16)             # an fd, a segment id, a small count


def _finish(h: Syscaller, p) -> None:
    """Kill p and run its exit now, as its next trap would (its stack may be
    gone: the fuzz shrank it), or let the call it sleeps in run to its exit."""
    with h.m.entered():
        P.kill(p.pid)
        if p.state is P.ZOMBIE:
            return
        switchto(p)
        try:
            if p.context is None:
                p.context = P.exit("killed")
            h._settle(p)
        finally:
            if p.state is P.RUNNING:
                p.state = P.RUNNABLE
            switchback()


def fuzz_kcall(seed: int, n: int) -> FuzzResult:
    """n random calls from Python (kcall) on a fresh machine with the checker on;
    then every process is killed and reaped and the frames counted."""
    command = f"python -m xv6py.testing.fuzz kcall {seed} {n}"
    t0 = time.perf_counter()
    try:
        problem = _kcall_run(random.Random(seed), n)
    except KernelPanic as e:
        problem = f"panic: {e}"
    except Exception as e:                  # an exception that escaped the kernel
        problem = f"{type(e).__name__}: {e}"
    return FuzzResult("kcall", seed, n, time.perf_counter() - t0, problem, command)


def _kcall_run(rng: random.Random, n: int) -> str | None:
    m = Machine(check=True)
    h = Syscaller(m)
    names = sorted(SYSCALL_NAMES.values())
    base = None
    live = []
    for _ in range(n):
        live = [p for p in live if p.state is not P.UNUSED]
        ready = [p for p in live if p.state is P.RUNNABLE and p.context is None]
        if not ready or (len(ready) < 3 and rng.randrange(8) == 0):
            if base is None:
                first = h.spawn("hello")    # (the machine's root is made by the first spawn)
                root = first.parent.pid
                _finish(h, first)
                h.reap()
                base = m.free_frames
            try:
                ready.append(h.spawn("hello"))
            except RuntimeError:
                _cleanup(h, live)           # the table or memory is full of our processes
                continue
            live.append(ready[-1])
        p = rng.choice(ready)
        name = rng.choice(names)
        if name == "fork":
            try:
                live.append(h.fork(p))
            except RuntimeError:
                pass
            continue
        args = [_arg(rng, p) for _ in range(rng.randrange(7))]
        if name.endswith("kill") and not args:     # kill, posix_kill
            args = [rng.choice(INTS)]       # (with none, kill would read an old word of the stack)
        if name.endswith("kill") and args[0] in (root, p.pid):
            args[0] = -1                    # not the machine's init, nor itself (it would
            #                                 not see the kill: kcall runs no user code)
        try:
            h.call(p, name, *args)
        except (ValueError, RuntimeError) as e:
            if "arguments" not in str(e):   # (kcall could not lay them out on the stack)
                raise
        asleep = [q for q in live if q.context is not None and q.state is not P.ZOMBIE]
        if len(asleep) > 4:
            _cleanup(h, live)
    _cleanup(h, live)
    with m.entered():
        posixshm.shm_clear()                # (a run's end takes the names away too)
    if base is not None and m.free_frames + _leftover_frames(m) != base:
        return f"frames leaked: {base} free at the start, {m.free_frames} at the end"
    return None


def _cleanup(h: Syscaller, live: list) -> None:
    """Kill and reap every process but the machine's root (the driver's, and any
    a failed spawn left: forked, its exec refused -- the inode table full, say)."""
    with h.m.entered():
        procs = [p for p in P.ptable.proc if p.state is not P.UNUSED and p is not P.ptable.initproc]
    for p in procs:
        if p.state is not P.UNUSED and p.state is not P.ZOMBIE:
            _finish(h, p)
    h.reap()
    live[:] = [p for p in live if p.state is not P.UNUSED]


def main(argv=None) -> int:
    """python -m xv6py.testing.fuzz prog|kcall SEED N [SEEDS]: fuzz SEEDS seeds from
    SEED (default 1); one line each, the command to reproduce a failure; exit 1 if any."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (3, 4) or argv[0] not in ("prog", "kcall") or not all(a.isdigit() for a in argv[1:]):
        print("usage: python -m xv6py.testing.fuzz prog|kcall SEED N [SEEDS]", file=sys.stderr)
        return 2
    seed, n = int(argv[1]), int(argv[2])
    seeds = int(argv[3]) if len(argv) == 4 else 1
    bad = 0
    for s in range(seed, seed + seeds):
        r = fuzz_program(s, n) if argv[0] == "prog" else fuzz_kcall(s, n)
        print(r, flush=True)
        bad += r.problem is not None
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
