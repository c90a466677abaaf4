"""Grade one workspace, in a process of its own (started by grade.py).

    python -P -B -m xv6py.grading.worker --lab shm --workspace DIR --events FILE

Before anything imports the kernel, substitute.install() makes each kernel
module the lab names (xv6py.mm.shm, ...) load from the workspace's file
instead of the reference: every `from ..mm.shm import shm_fork` in the
kernel then gets the student's function. Then the lab's grader runs under
pytest, in this process.

What a student's module may do, and what happens:
- fail to import (syntax error, an exception at import, a missing file): the
  kernel gets the lab's starter in its place so that it still boots, and every
  test fails with the error;
- raise in a system call: the kernel reports a panic, the test fails;
- loop forever: an alarm ends the test after test_timeout seconds (the
  instruction budget cannot: this is Python inside a trap, not user code);
  if even that does not stop it, the parent kills this process.

Each event goes to FILE as one JSON line, flushed at once, so that the parent
keeps every result written before a crash or a kill:
    {"event": "import_error", "module": ..., "error": ...}
    {"event": "collected", "tests": [{"name", "nodeid", "points", "visibility", "doc"}]}
    {"event": "result", "name", "nodeid", "points", "passed", "outcome", "output", "seconds"}
(outcome: passed, failed, error -- in setup or teardown --, or skipped.)
"""

import argparse
import json
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from ..testing.report import short_message
from .spec import load_lab
from .substitute import WorkspaceFinder, install

__all__ = ["main", "GradeTimeout"]


class GradeTimeout(BaseException):
    """A test ran out of host time. A BaseException, so that the kernel's
    `except Exception` (a bug in kernel code is a panic) lets it through."""


class Recorder:
    """A pytest plugin (in this process only): writes the events, fails every test
    when a module did not import, and puts an alarm on each test.

    The alarm is armed only while a phase of the test runs (setup, call,
    teardown), against one deadline for the whole test: between the phases
    pytest builds its report, and an exception raised in there would be pytest's
    internal error, not the test's failure."""

    def __init__(self, out, finder: WorkspaceFinder, test_timeout: float):
        self.out, self.finder, self.test_timeout = out, finder, test_timeout
        self.current: dict | None = None
        self.deadline = 0.0

    def emit(self, **event) -> None:
        self.out.write(json.dumps(event) + "\n")
        self.out.flush()

    def pytest_collection_finish(self, session) -> None:
        for name, error in self.finder.errors.items():
            self.emit(event="import_error", module=name, error=error)
        self.emit(event="collected", tests=[_describe(item) for item in session.items])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        with self._alarm_armed():
            if self.finder.errors:
                pytest.fail("\n\n".join(self.finder.errors.values()), pytrace=False)
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        with self._alarm_armed():
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        with self._alarm_armed():
            yield

    @contextmanager
    def _alarm_armed(self):
        """SIGALRM at the test's deadline, then again every second, in case the
        student's code catches the exception and goes on looping."""
        previous = signal.signal(signal.SIGALRM, self._alarm)
        signal.setitimer(signal.ITIMER_REAL, max(self.deadline - time.perf_counter(), 1e-3), 1.0)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        cur = dict(_describe(item), passed=True, outcome="passed", output=[])
        self.current, start = cur, time.perf_counter()
        self.deadline = start + self.test_timeout
        try:
            yield
        finally:
            self.current = None
            self.emit(event="result", name=cur["name"], nodeid=cur["nodeid"], points=cur["points"],
                      passed=cur["passed"], outcome=cur["outcome"], output="\n".join(cur["output"]),
                      seconds=round(time.perf_counter() - start, 3))

    def pytest_runtest_logreport(self, report) -> None:
        cur = self.current
        if cur is None or report.passed:
            return
        if report.failed:
            cur["passed"] = False
            if cur["outcome"] in ("passed", "skipped"):
                cur["outcome"] = "failed" if report.when == "call" else "error"
            cur["output"].append(_failure(report))
        elif report.skipped and report.when != "teardown":
            cur["passed"] = False
            cur["outcome"] = "skipped"
            cur["output"].append(f"skipped: {short_message(report)}")

    def _alarm(self, signum, frame):
        raise GradeTimeout(f"this test ran for more than {self.test_timeout:g} s of host time "
                           "and was stopped: a loop that never ends in your kernel code?")


def _failure(report) -> str:
    """A failed phase for the student: the message first (the test's words for
    the mistake), then the short traceback."""
    text = report.longreprtext.rstrip()
    crash = getattr(report.longrepr, "reprcrash", None)
    head = crash.message if crash is not None else ""
    head = head.split("\nassert ", 1)[0].removeprefix("AssertionError: ").removeprefix("Failed: ")
    where = f"(in {report.when}) " if report.when != "call" else ""
    if not head or text.startswith(head):
        return where + text
    return f"{where}{head}\n\n{text}"


def _describe(item) -> dict:
    mark = item.get_closest_marker("points")
    points = float(mark.args[0]) if mark and mark.args else 0.0
    visibility = mark.kwargs.get("visibility", "visible") if mark else "visible"
    doc = (getattr(item, "function", None).__doc__ or "").strip() if hasattr(item, "function") else ""
    return {"name": item.name, "nodeid": item.nodeid, "points": points, "visibility": visibility, "doc": doc}


def _plugin_registered() -> bool:
    """Does pytest load the xv6py plugin by itself (the pytest11 entry point of an
    installed xv6py)? Naming it again with -p would register it twice."""
    from importlib.metadata import entry_points
    return any(ep.value == "xv6py.testing.plugin" for ep in entry_points(group="pytest11"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xv6py.grading.worker")
    ap.add_argument("--lab", required=True)
    ap.add_argument("--workspace", type=Path, default=None, help="default: grade the reference")
    ap.add_argument("--events", required=True, type=Path)
    ap.add_argument("--test-timeout", type=float, default=None)
    ap.add_argument("-k", default=None, help="only the tests matching this pytest expression")
    ap.add_argument("--collect-only", action="store_true")
    ns = ap.parse_args(argv)
    lab = load_lab(ns.lab)
    limit = ns.test_timeout or lab.test_timeout
    # pytest explains a failed assert in full (whole diffs, no truncation) when
    # CI or BUILD_NUMBER is set: a grade would read differently on such a
    # machine, and a diff of two pages of RAM takes it tens of seconds.
    for var in ("CI", "BUILD_NUMBER"):
        os.environ.pop(var, None)
    finder = install(lab, ns.workspace, limit, on_error=GradeTimeout)
    # Not hypothesis: the grader has no use for it, and it costs a second at start-up.
    args = [str(lab.tests), "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--tb=short",
            "-o", "addopts=", "--rootdir", str(lab.dir)]
    if not _plugin_registered():
        args += ["-p", "xv6py.testing.plugin"]
    if ns.k:
        args += ["-k", ns.k]
    if ns.collect_only:
        args.append("--collect-only")
    with open(ns.events, "w") as out:
        code = pytest.main(args, plugins=[Recorder(out, finder, limit)])
    return 0 if code in (0, 1) else int(code)


if __name__ == "__main__":
    sys.exit(main())
