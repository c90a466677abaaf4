"""Running a program for a test: console input per run, and a clear verdict when
the run ran out of instructions or the kernel panicked.

    r, where = run_watched(m, "spin", [], stdin=None)
    problem = trouble(r, where, budget=m.max_instructions)   # None, or a message

The budget is the Machine's own: the run stops itself after max_instructions
(virtual time), so a program that loops forever ends its test instead of hanging
it -- no signal and no timer thread is involved (DESIGN.md section 4: Python
signals are not delivered while the CPU runs).

A Machine tears its processes down at the end of every run. run_watched keeps
the listing of the processes (with each one's EIP) as they were when the machine
stopped, so that a budget failure can say where every process was.
"""

import io

__all__ = ["run_watched", "trouble", "set_stdin", "where_processes"]

TAIL_LINES = 5      # console lines quoted in a failure message


def set_stdin(m, stdin) -> None:
    """Make stdin (bytes or str) what the console of m reads from now on."""
    from ..dev import console
    m.activate()
    data = stdin.encode() if isinstance(stdin, str) else bytes(stdin)
    cons = console.cons
    cons.source, cons.line, cons.eof = io.BytesIO(data), bytearray(), False


def where_processes(m) -> list[str]:
    """One line per live process of m: pid, name, state, where it is (EIP, or
    what it sleeps on)."""
    from ..proc import proc
    m.activate()
    live = [p for p in proc.ptable.proc if p.state is not proc.UNUSED]
    # procdump lists the same processes in the same order: add each one's EIP.
    return ["pid " + line + _eip(p) for p, line in zip(live, proc.procdump(), strict=True)]


def _eip(p) -> str:
    try:
        return f" at eip {p.tf.eip:#010x}" if p.tf is not None else ""
    except Exception:               # an embryo, or a context that was never saved
        return ""


def run_watched(m, prog, args=(), *, stdin=None):
    """m.run(prog, args) with stdin as console input (if not None). Returns the
    RunResult and where_processes() as it was when the machine stopped."""
    if stdin is not None:
        set_stdin(m, stdin)
    seen: list[str] = []
    teardown = m._teardown

    def watched():
        seen.extend(where_processes(m))
        teardown()

    m._teardown = watched           # the one moment the processes still exist
    try:
        r = m.run(prog, [str(a) if isinstance(a, int) else a for a in args])
    finally:
        del m._teardown
    return r, seen


def trouble(r, where: list[str], budget: int | None) -> str | None:
    """Why run r must fail its test (it ran out of instructions, or the kernel
    panicked), in a message for the test report; None if it ended otherwise."""
    if r.status == "budget":
        limit = f"{budget:,} instructions" if budget is not None else "its instructions"
        lines = [f"{r.program} did not finish within its instruction budget of {limit} "
                 f"(raise it with @pytest.mark.budget(n) or --xv6py-budget N)",
                 f"kernel: {r.reason}"]
        if where:
            lines += ["processes when it stopped:"] + [f"  {w}" for w in where]
        return "\n".join(lines + _tail(r.output))
    if r.status == "panic":
        return "\n".join([f"kernel panic while running {r.program}: {r.reason}"] + _tail(r.output))
    return None


def _tail(output: str) -> list[str]:
    lines = output.rstrip("\n").split("\n") if output else []
    if not lines:
        return ["console output: (none)"]
    head = f"console output (last {TAIL_LINES} lines):" if len(lines) > TAIL_LINES else "console output:"
    return [head] + [f"  {line}" for line in lines[-TAIL_LINES:]]
