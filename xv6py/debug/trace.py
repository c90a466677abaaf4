"""Trace mode: `xv6py run --trace syscalls,faults,pt PROG`.

    syscalls  each system call with its arguments and its result
    faults    after a kill line, why the CPU faulted: for a page fault the
              decoded error code and the walk of the faulting address
    pt        after each system call that changed a mapping, the page-table
              diff (ranges added, removed or changed, per process)

Lines go to `write` (the CLI passes standard error), each with its kind in
brackets, so they never mix with the program's own console output.
"""

from ..syscalls import syscall as sc
from ..traps import T_DIVIDE, T_GPFLT, T_ILLOP, T_PGFLT, TRAP_NAMES

__all__ = ["KINDS", "Trace", "explain_trap"]

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

    def _on_fault(self, p, tf) -> None:
        for line in explain_trap(self.m, p, tf).splitlines():
            self.write(f"[fault] {line}")
