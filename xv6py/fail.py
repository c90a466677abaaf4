"""Fault injection: make the N-th allocation of one kind fail, as if the resource
had run out at that moment, to test that every path that allocates gives its
error back and undoes what it had done (no frame, block or inode leaked).

    Machine(fail="kalloc:3")        # the run's 3rd kalloc() returns None
    xv6py run --fail balloc:1 ...   # the run's first disk block allocation returns 0

The kinds, and what a failure returns (what each allocator returns when its
resource is exhausted):

    kalloc   a physical frame (mm/kalloc.py)     None
    balloc   a disk block (fs/fs.py)             0
    ialloc   an inode on the disk (fs/fs.py)     None

Allocations are counted from the first process's first step (making that
process is boot, which panics when out of memory, as xv6's userinit does), so
N names the same allocation in every run of the same program.
Only the N-th fails: the ones after it succeed again, as memory freed by
someone else would. When injection is off (`failing` is None) an allocator
pays one global lookup.
"""

__all__ = ["KINDS", "Failing", "failinit", "fails", "parse"]

KINDS = ("kalloc", "balloc", "ialloc")

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("failing",)
failing: "Failing | None" = None     # the failure planned for this run, or None: off


class Failing:
    """One planned failure: the n-th allocation of `kind`. `seen` counts the
    allocations of that kind so far; `failed` says whether the n-th came."""

    __slots__ = ("kind", "n", "seen", "failed")

    def __init__(self, kind: str, n: int):
        self.kind, self.n = kind, n
        self.seen = 0
        self.failed = False


def parse(spec) -> tuple[str, int]:
    """("kalloc", 3) from "kalloc:3" (or from the tuple itself). Raises ValueError
    naming the kinds for anything else."""
    if isinstance(spec, str):
        kind, _, n = spec.partition(":")
        try:
            spec = (kind, int(n))
        except ValueError:
            raise ValueError(f"--fail wants KIND:N (KIND one of {', '.join(KINDS)}; N from 1), "
                             f"not {spec!r}") from None
    kind, n = spec
    if kind not in KINDS:
        raise ValueError(f"no allocation kind {kind!r} to fail (kinds: {', '.join(KINDS)})")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"the allocation to fail is counted from 1, not {n!r}")
    return kind, n


def failinit(spec: tuple[str, int] | None) -> None:
    """Plan this run's failure (None: injection off)."""
    global failing
    failing = Failing(*spec) if spec is not None else None


def fails(kind: str) -> bool:
    """Called by the allocator of `kind` when injection is on (`failing` is not
    None): count this allocation, and say whether it is the one to fail."""
    f = failing
    if f.kind != kind:
        return False
    f.seen += 1
    if f.seen == f.n:
        f.failed = True
        return True
    return False
