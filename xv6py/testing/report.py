"""Grading output: each test's outcome and message, the points table at the end
of a run, and the results file in Gradescope's format. One writer of results
files serves both the pytest plugin (--gradescope-json) and `xv6py lab grade`:

    doc = results_document([TestRecord("test_a", "passed", 2), ...], elapsed=1.5)
    write_results("results.json", doc)

The document follows Gradescope's autograder specification, without a leaderboard:

    score               the sum of the tests' scores
    execution_time      seconds
    output              for the whole submission: "S / M points; P of N tests passed",
                        the count of each other outcome, then notes (a crash, its cause)
    visibility, stdout_visibility     only when asked for
    extra_data          {"max_score": M, "outcomes": {outcome: count}} and the writer's own
                        (`lab grade`: lab, status, workspace)
    tests               one object per test: name, score, max_score, status, output,
                        visibility, and extra_data {"outcome", "seconds"}

A test passes when every phase passed (setup, call, teardown): it earns its
points. Every other outcome -- failed, error (in setup or teardown), skipped,
xfailed, not run -- earns 0. Gradescope knows two statuses, "passed" and
"failed", so a test that did not pass is "failed" there, whatever the reason;
its own outcome is kept in its extra_data ("skipped", ...) and its output says
it first ("skipped: why"). A test's visibility (the points marker's: visible,
hidden, after_due_date, after_published) is written as it is: a hidden test
stays hidden on Gradescope whichever writer wrote the file.
"""

import io
import json
import os
from dataclasses import dataclass

__all__ = ["outcome_of", "short_message", "TestRecord", "results_document", "write_results",
           "gradescope_results", "write_gradescope", "terminal_summary", "MAX_OUTPUT", "OUTCOMES"]

MAX_OUTPUT = 10_000     # characters of a test's message kept in a results file
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "not run")


@dataclass
class TestRecord:
    """One test, as a results file tells it."""

    name: str
    outcome: str                    # one of OUTCOMES
    points: float = 0.0             # what passing it earns (0 for a test with no points marker)
    output: str = ""                # why it did not pass (or a note, when it did)
    visibility: str = "visible"     # Gradescope's: visible, hidden, after_due_date, after_published
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def score(self) -> float:
        return self.points if self.passed else 0.0


def results_document(tests: list[TestRecord], elapsed: float, *, notes=(), extra_data=None,
                     visibility: str | None = None, stdout_visibility: str | None = None) -> dict:
    """The results file of these tests (see the module's docstring). notes: lines
    added to the top-level output, whole (a crash's cause is never cut short)."""
    score = sum(t.score for t in tests)
    total = sum(t.points for t in tests)
    counts = {o: n for o in OUTCOMES if (n := sum(t.outcome == o for t in tests))}
    others = ", ".join(f"{n} {o}" for o, n in counts.items() if o != "passed")
    head = (f"{_fmt(score)} / {_fmt(total)} points; {counts.get('passed', 0)} of {len(tests)} tests passed"
            + (f" ({others})" if others else ""))
    doc = {"score": score, "execution_time": round(elapsed, 3), "output": "\n".join([head, *notes]),
           "tests": [_test_entry(t) for t in tests],
           "extra_data": {"max_score": total, "outcomes": counts, **(extra_data or {})}}
    if visibility is not None:
        doc["visibility"] = visibility
    if stdout_visibility is not None:
        doc["stdout_visibility"] = stdout_visibility
    return doc


def _test_entry(t: TestRecord) -> dict:
    return {"name": t.name, "score": t.score, "max_score": t.points,
            "status": "passed" if t.passed else "failed", "output": _clip(t.output),
            "visibility": t.visibility,
            "extra_data": {"outcome": t.outcome, "seconds": round(t.seconds, 3)}}


def write_results(path, doc: dict) -> None:
    """Write a results document to path, whole or not at all (a reader never sees
    half a file): to a temporary file beside it, then renamed."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def short_message(report) -> str:
    """The readable part of why a report failed or skipped: the assertion or
    error line pytest puts in its short summary, not the whole traceback."""
    lr = report.longrepr
    if lr is None:
        return ""
    if isinstance(lr, tuple):                     # a skip: (path, line, reason)
        text = str(lr[2])
    else:
        crash = getattr(lr, "reprcrash", None)
        text = crash.message if crash is not None else str(lr)
    for prefix in ("Failed: ", "Skipped: "):      # pytest.fail / pytest.skip
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.strip()


def outcome_of(report, seed_failure: tuple[int, str] | None) -> tuple[str, str] | None:
    """(outcome, message) this phase's report says about its test, or None when it
    says nothing (a setup or teardown that passed). Outcomes: passed, failed,
    error, skipped, xfailed."""
    where = report.when
    if report.failed:
        message = short_message(report)
        if where != "call":
            message = f"error in {where}: {message}"
        if seed_failure is not None:
            seed, command = seed_failure
            message += f"\n(fails under --xv6py-seed {seed}; reproduce with: {command})"
        return ("failed" if where == "call" else "error"), message
    if report.skipped:
        if hasattr(report, "wasxfail"):
            return "xfailed", f"expected to fail: {report.wasxfail}".rstrip(": ")
        return "skipped", f"skipped: {short_message(report)}"
    return ("passed", "") if where == "call" else None


def _fmt(x: float) -> str:
    return f"{x:g}"


def _rows(state):
    """(nodeid, outcome, message, points or None, visibility) per test, in order."""
    for item in state.items:
        outcome, message = state.results.get(item.nodeid, ("not run", "not run"))
        pts, vis = state.points.get(item.nodeid, (None, "visible"))
        yield item.nodeid, outcome, message, pts, vis


def gradescope_results(state, elapsed: float) -> dict:
    """The results document of this session."""
    seeds = state.config.getoption("xv6py_seeds")
    tests = []
    for name, outcome, message, pts, vis in _rows(state):
        if outcome == "passed" and name in state.seeded:
            message = f"passed with the usual scheduling and seeds 1..{seeds}"
        tests.append(TestRecord(name, outcome, pts or 0, message, vis, state.durations.get(name, 0.0)))
    return results_document(tests, elapsed, notes=[f"collection error: {e}" for e in state.collect_errors],
                            visibility=state.config.getoption("gradescope_visibility"),
                            stdout_visibility=state.config.getoption("gradescope_stdout_visibility"))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT - 15] + "\n... (cut short)"


def write_gradescope(state, path: str, elapsed: float) -> None:
    """Write this session's results file to path."""
    write_results(path, gradescope_results(state, elapsed))


# ---- the terminal ------------------------------------------------------------------------

STYLE = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow",
         "xfailed": "yellow", "not run": "dim"}


def terminal_summary(state, tr) -> None:
    """The first failing seeds with their commands, and the points table."""
    if state.seed_failures:
        tr.write_sep("=", "xv6py: first failing seed")
        for nodeid, (seed, command) in state.seed_failures.items():
            tr.write_line(f"{nodeid}: fails under seed {seed}")
            tr.write_line(f"    {command}")
    if state.points:
        tw = state.config.get_terminal_writer()
        tr.write_sep("=", "xv6py points")
        tr.write(_points_table(state, tw.fullwidth, tw.hasmarkup))


def _points_table(state, width: int, markup: bool) -> str:
    """The points table, rendered with rich: colours and box lines on a terminal,
    plain ASCII when the output goes to a file or a pipe."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    # Tests from one file (a lab's grader) are named without it: the file goes in the header.
    files = {nodeid.split("::")[0] for nodeid in state.points}
    one_file = files.pop() if len(files) == 1 else None
    table = Table(box=box.SIMPLE_HEAD if markup else box.ASCII, show_footer=True)
    table.add_column(f"test ({one_file})" if one_file else "test", footer="total", overflow="fold")
    table.add_column("result")
    table.add_column("points", justify="right")
    hidden = any(vis != "visible" for _, vis in state.points.values())
    if hidden:
        table.add_column("visibility")
    score = total = 0
    for name, outcome, _, pts, vis in _rows(state):
        if pts is None:
            continue
        got = pts if outcome == "passed" else 0
        score, total = score + got, total + pts
        if one_file:
            name = name.split("::", 1)[-1]
        row = [name, f"[{STYLE[outcome]}]{outcome}[/]", f"{_fmt(got)} / {_fmt(pts)}"]
        table.add_row(*row + ([vis] if hidden else []))
    table.columns[2].footer = f"{_fmt(score)} / {_fmt(total)}"
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=markup, no_color=not markup,
                      color_system="standard" if markup else None, highlight=False, emoji=False)
    console.print(table)
    return buf.getvalue()
