"""Kernel panic: a broken invariant stops the whole machine (xv6's panic() in console.c).

xv6 prints the message and spins forever. xv6py raises KernelPanic, which unwinds
to the Machine; the run then ends with status "panic" and the message, and the
machine's state is left as it was for inspection.
"""

__all__ = ["KernelPanic", "panic"]


class KernelPanic(Exception):
    """The kernel found one of its own invariants broken."""


def panic(msg: str):
    """Stop the machine: `msg` names the broken invariant, as xv6's do ("remap", "kfree")."""
    raise KernelPanic(msg)
