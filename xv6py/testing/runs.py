"""Running a program for a test: console input per run, and a clear verdict when
the run ran out of instructions or the kernel panicked.

    r = run_with_stdin(m, "spin", [], stdin=None)
    problem = trouble(r, budget=m.max_instructions)   # None, or a message

The budget is the Machine's own: the run stops itself after max_instructions
(virtual time), so a program that loops forever ends its test instead of hanging
it -- no signal and no timer thread is involved (DESIGN.md section 4: Python
signals are not delivered while the CPU runs). The kernel's reason for a budget
stop lists where every process was (its EIP, or what it sleeps on).
"""

import io

__all__ = ["run_with_stdin", "trouble", "set_stdin"]

TAIL_LINES = 5      # console lines quoted in a failure message


def set_stdin(m, stdin) -> None:
    """Make stdin (bytes or str) what the console of m reads from now on: in the
    console as it is, and in every later run (each starts on a fresh kernel)."""
    from ..dev import console
    data = stdin.encode() if isinstance(stdin, str) else bytes(stdin)
    m.stdin = data
    with m.entered():
        cons = console.cons
        cons.source, cons.line, cons.eof = io.BytesIO(data), bytearray(), False


def run_with_stdin(m, prog, args=(), *, stdin=None):
    """m.run(prog, args) with stdin as this run's console input (None: the
    machine's own, which is none unless it was made with some)."""
    from ..machine import Machine
    args = [str(a) if isinstance(a, int) else a for a in args]
    if not isinstance(m, Machine):      # a grader's machine in a kernel process takes it along
        return m.run(prog, args, stdin=stdin)
    if stdin is None:
        return m.run(prog, args)
    before = m.stdin
    set_stdin(m, stdin)
    try:
        return m.run(prog, args)
    finally:
        m.stdin = before


def trouble(r, budget: int | None) -> str | None:
    """Why run r must fail its test (it ran out of instructions, or the kernel
    panicked), in a message for the test report; None if it ended otherwise."""
    if r.status == "budget":
        limit = f"{budget:,} instructions" if budget is not None else "its instructions"
        lines = [f"{r.program} did not finish within its instruction budget of {limit} "
                 f"(raise it with @pytest.mark.budget(n) or --xv6py-budget N)",
                 "processes when it stopped (pid, state, name, where):"]
        listing = r.reason.partition(": ")[2]
        lines += [f"  {w}" for w in listing.split("; ") if w]
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
