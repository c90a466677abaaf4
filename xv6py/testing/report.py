"""Grading output of the xv6py pytest plugin: each test's outcome and message, the
points table at the end of a run, and Gradescope's results.json.

results.json follows Gradescope's autograder specification: a top-level "score"
(the sum of the tests' scores), "execution_time" in seconds, an "output" for the
whole submission, optional "visibility" and "stdout_visibility", and "tests", one
object per test with "name", "score", "max_score", "status" ("passed"/"failed"),
"output" (a failed test's message, short) and "visibility".

A test passes when every phase passed (setup, call, teardown): it earns its
points; failed, error, skipped and not run earn 0.
"""

import io
import json
import os

__all__ = ["outcome_of", "short_message", "gradescope_results", "write_gradescope",
           "terminal_summary", "MAX_OUTPUT"]

MAX_OUTPUT = 2000       # characters of a test's message kept in results.json


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
    """The results.json document for this session."""
    seeds = state.config.getoption("xv6py_seeds")
    tests, score, total, failed = [], 0, 0, 0
    for name, outcome, message, pts, vis in _rows(state):
        pts = pts or 0
        got = pts if outcome == "passed" else 0
        score, total, failed = score + got, total + pts, failed + (outcome != "passed")
        if outcome == "passed" and name in state.seeded:
            message = f"passed with the usual scheduling and seeds 1..{seeds}"
        entry = {"name": name, "score": got, "max_score": pts,
                 "status": "passed" if outcome == "passed" else "failed",
                 "output": _clip(message), "visibility": vis}
        tests.append(entry)
    summary = [f"{_fmt(score)} / {_fmt(total)} points; {len(tests) - failed} of {len(tests)} tests passed"]
    summary += [f"collection error: {e}" for e in state.collect_errors]
    doc = {"score": score, "execution_time": round(elapsed, 2), "output": _clip("\n".join(summary)),
           "tests": tests}
    for key in ("visibility", "stdout_visibility"):
        value = state.config.getoption(f"gradescope_{key}")
        if value is not None:
            doc[key] = value
    return doc


def _clip(text: str) -> str:
    return text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT - 15] + "\n... (cut short)"


def write_gradescope(state, path: str, elapsed: float) -> None:
    """Write results.json to path (whole or not at all: a reader never sees half a file)."""
    doc = gradescope_results(state, elapsed)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


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
