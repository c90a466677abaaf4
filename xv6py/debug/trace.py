"""Trace mode: `xv6py run --trace syscalls,faults,pt PROG`.

    syscalls  each system call with its arguments and its result
    faults    after a kill line, why the CPU faulted: for a page fault the
              decoded error code and the walk of the faulting address; and each
              lazy fill of an mmap page (not an error: the page is mapped at its
              first touch, and the instruction runs again)
    pt        after each system call that changed a mapping, the page-table
              diff (ranges added, removed or changed, per process)

Lines go to `write` (the CLI passes standard error), each with its kind in
brackets, so they never mix with the program's own console output.
"""

from ..syscalls import syscall as sc
from ..traps import T_DIVIDE, T_GPFLT, T_ILLOP, T_PGFLT, TRAP_NAMES

__all__ = ["KINDS", "Trace", "explain_trap", "explain_fill"]

KINDS = ("syscalls", "faults", "pt")

# What the other traps that kill a user process mean.
_TRAP_MEANING = {
    T_DIVIDE: "divide error: division by zero (or a quotient too large)",
    T_ILLOP: "invalid opcode: the bytes at eip are not an instruction this CPU runs in ring 3",
    T_GPFLT: "general protection fault: a privileged instruction in ring 3 (in, out, hlt, "
             "cli, ...), or `int n` through a gate user mode may not use",
}


def explain_trap(m, p, tf) -> str:
    """Why process p of machine m was killed by the trap in tf, in a few lines."""
    if tf.trapno == T_PGFLT:
        from .commands import explain_fault
        from .ptdata import shm_of
        return explain_fault(m, p.pgdir, tf.cr2, tf.err, tf.eip, p.sz, shm_of(m, p))
    return _TRAP_MEANING.get(tf.trapno, TRAP_NAMES.get(tf.trapno, f"trap {tf.trapno}"))


def explain_fill(m, p, tf, v) -> str:
    """One line for a lazy fill: which access of process p touched which page of
    area v first, and the frame the kernel mapped there."""
    from ..mm.vma import protname, vma_label
    from .ptdata import walk
    access = "write" if tf.err & 2 else "read"
    w = walk(m, p.pgdir, tf.cr2, access, True)
    frame = f"frame {w.frame:#010x}" if w.ok else "no frame"
    return (f"lazy fill: pid {p.pid} {p.name}: {access} at {tf.cr2:#010x} (eip {tf.eip:#x}) in "
            f"{vma_label(v)} {v.start:#010x}-{v.end - 1:#010x} {protname(v.prot)}: "
            f"page {tf.cr2 & ~0xFFF:#010x} -> {frame}")


class Trace:
    """Tracing of one machine: installs itself on construction."""

    def __init__(self, machine, kinds, write):
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown trace {', '.join(sorted(unknown))} (known: {', '.join(KINDS)})")
        self.m, self.kinds, self.write = machine, set(kinds), write
        self._before = None
        from .. import trap
        with machine.entered():
            if "faults" in self.kinds:
                trap.faulttracer = self._on_fault
                trap.filltracer = self._on_fill
            if self.kinds & {"syscalls", "pt"}:
                sc.set_tracer(self._on_syscall)
        if "pt" in self.kinds:
            from .ptdata import snapshot
            self._before = snapshot(machine)

    def _on_syscall(self, t) -> None:
        if "syscalls" in self.kinds:
            self.write(f"[syscall] {t}")
        if "pt" in self.kinds:
            self._pt_changes()

    def _pt_changes(self) -> None:
        """Print the mappings that changed since the last look, if any did."""
        from .ptdata import ptdiff, snapshot
        from .render import render_ptdiff, text
        now = snapshot(self.m)
        changes = ptdiff(self._before, now)
        self._before = now
        if changes:
            for line in text(render_ptdiff(changes)).rstrip().splitlines():
                self.write(f"[pt] {line.rstrip()}")

    def _on_fill(self, p, tf, v) -> None:
        self.write(f"[fault] {explain_fill(self.m, p, tf, v)}")

    def _on_fault(self, p, tf) -> None:
        for line in explain_trap(self.m, p, tf).splitlines():
            self.write(f"[fault] {line}")
