"""Helpers shared by test modules."""

from xv6py.machine import Machine, RunResult


def run(m: Machine, prog, args=(), **kw) -> RunResult:
    """Run and check what must hold after any run: no panic, no frame lost."""
    r = m.run(prog, list(args), **kw)
    assert r.status != "panic", r.reason
    assert r.free_frames_after == r.free_frames_before, r.summary()
    return r
