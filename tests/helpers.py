"""Helpers shared by test modules."""

from contextlib import contextmanager

from xv6py.machine import Machine, RunResult
from xv6py.proc import proc as P
from xv6py.proc.scheduler import switchback, switchto
from xv6py.testing.asserts import at_once


def run(m: Machine, prog, args=(), **kw) -> RunResult:
    """Run and check what must hold after any run: no panic, no frame lost."""
    r = m.run(prog, list(args), **kw)
    assert r.status != "panic", r.reason
    assert r.free_frames_after == r.free_frames_before, r.summary()
    return r


# ---- driving processes at the kernel's level (with xv6py.testing.kcall.Syscaller) -----------

@contextmanager
def running(h, p):
    """Inside the block p is the running process, as during a system call: its
    registers and page table in the CPU, myproc() is p. After it, p is back in
    the table as the scheduler leaves it (RUNNABLE if it was still running)."""
    with h.m.entered():
        switchto(p)
        try:
            yield p
        finally:
            if p.state is P.RUNNING:
                p.state = P.RUNNABLE
            switchback()


def finish(h, p):
    """Let p, woken up in a system call it slept in, go on with that call as the
    scheduler would (no user instruction runs). Returns the call's result as a
    signed int, or None if p slept again or exited."""
    with running(h, p):
        if p.context is None:
            raise RuntimeError(f"pid {p.pid} is not in a system call")
        try:
            P.resume(p)
        except P.Exited:
            return None
        if p.state is not P.RUNNING or p.context is not None:
            return None
        eax = p.tf.eax
        return eax - (1 << 32) if eax & 0x80000000 else eax


def drain(gen):
    """Run a kernel generator (fileread, piperead, ...) that must not sleep to its
    end; returns its value."""
    try:
        while True:
            next(gen)
            raise AssertionError("the call slept")
    except StopIteration as done:
        return done.value


def script_of_many(m) -> list:
    """What a grader's helper does with kalloc_many / kfree_many, and what it sees
    (machine m has 16 frames): each answer, or the error's kind and message."""
    from xv6py.panic import KernelPanic
    seen = []

    def ask(name, *args):
        try:
            seen.append(m.kernel(name, *args))
        except KernelPanic as e:
            seen.append(("panic", str(e)))
        seen.append(m.free_frames)
    ask("kalloc_many", 3)
    ask("kfree_many", seen[0][::-1])
    ask("kalloc_many", 20)                       # more than there are: None for each call beyond
    ask("kfree_many", [pa for pa in seen[-2] if pa is not None])
    held = m.kernel("kalloc_many", 4)
    ask("kfree_many", [held[0], held[1], held[1], held[2]])   # a double free stops it there
    ask("kalloc_many", 0)
    ask("kalloc_many", -2)
    return seen



def looks_at_once(m, h) -> list:
    """What a grader's snapshot asks at once of machine m (h its Syscaller, of the
    same machine), after a segment is attached: the answers, then the error's
    kind and message for a batch whose third look fails, then for a name that
    is no inspection."""
    p = h.spawn()
    seg = h.call(p, "shm_create", 8192)
    h.call(p, "shm_attach", seg, 0x10000000)
    seen = [at_once(m, ("processes",), ("free_frames",), ("shm_segments",), ("shm_entry", seg),
                    ("pte", p.pid, 0x10000000), ("pte", p.pid, 0x30000000), ("isfree", 0),
                    ("read_phys", 0, 4))]
    for asks in ((("free_frames",), ("pte", p.pid, 0), ("pte", 999, 0), ("processes",)),
                 (("free_frames",), ("kernel", "kalloc"))):
        try:
            at_once(m, *asks)
        except (LookupError, ValueError) as e:
            seen.append((type(e).__name__, str(e)))
    return seen
