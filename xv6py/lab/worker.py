"""Grade one workspace, in a process of its own (started by grade.py).

    python -I -B -m xv6py.lab.worker --lab shm --workspace DIR --events FILE

Before anything imports the kernel, a finder at the head of sys.meta_path makes
each kernel module the lab names (xv6py.syscalls.shm, ...) load from the
workspace's file instead of the reference: every `from ..syscalls.shm import
shm_fork` in the kernel then gets the student's function. Then the lab's grader
runs under pytest, in this process.

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
    {"event": "import_error", "file": ..., "error": ...}
    {"event": "collected", "tests": [{"name", "nodeid", "points", "doc"}]}
    {"event": "result", "name", "nodeid", "points", "passed", "output", "seconds"}
"""

import argparse
import importlib
import importlib.abc
import importlib.util
import json
import signal
import sys
import time
import traceback
from pathlib import Path

import pytest

from .spec import load_lab, module_path

__all__ = ["main", "GradeTimeout"]


class GradeTimeout(BaseException):
    """A test ran out of host time. A BaseException, so that the kernel's
    `except Exception` (a bug in kernel code is a panic) lets it through."""


class WorkspaceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Loads the lab's kernel modules from the workspace's files."""

    def __init__(self, modules: dict[str, Path], starters: dict[str, str]):
        self.modules = modules            # module name -> the workspace's file
        self.starters = starters          # module name -> the lab's starter source
        self.errors: dict[str, str] = {}  # module name -> why the student's file did not import

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.modules:
            return None
        return importlib.util.spec_from_file_location(fullname, self.modules[fullname], loader=self)

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        name, path = module.__name__, self.modules[module.__name__]
        try:
            code = compile(path.read_bytes(), str(path), "exec")
            exec(code, module.__dict__)
        except BaseException as e:   # noqa: BLE001 -- anything a student's module may raise
            self.errors[name] = _import_error(path, e)
            for key in [k for k in module.__dict__ if not k.startswith("__")]:
                del module.__dict__[key]
            exec(compile(self.starters[name], f"<starter of {path.name}>", "exec"), module.__dict__)


def _import_error(path: Path, e: BaseException) -> str:
    """The error, with the frames of the student's file only."""
    if isinstance(e, FileNotFoundError) and e.filename == str(path):
        return f"{path.name} is missing from the workspace"
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == str(path)]
    text = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(e))
    return f"{path.name} did not import:\n{text.rstrip()}"


class Recorder:
    """A pytest plugin (in this process only): writes the events, fails every test
    when a module did not import, and puts an alarm on each test."""

    def __init__(self, out, finder: WorkspaceFinder, test_timeout: float):
        self.out, self.finder, self.test_timeout = out, finder, test_timeout
        self.current: dict | None = None

    def emit(self, **event) -> None:
        self.out.write(json.dumps(event) + "\n")
        self.out.flush()

    def pytest_collection_finish(self, session) -> None:
        for name, error in self.finder.errors.items():
            self.emit(event="import_error", module=name, error=error)
        self.emit(event="collected", tests=[_describe(item) for item in session.items])

    def pytest_runtest_setup(self, item) -> None:
        if self.finder.errors:
            pytest.fail("\n\n".join(self.finder.errors.values()), pytrace=False)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        cur = dict(_describe(item), passed=True, output=[])
        self.current, start = cur, time.perf_counter()
        previous = signal.signal(signal.SIGALRM, self._alarm)
        # Again every second after the first alarm, in case the student's code
        # catches the exception and goes on looping.
        signal.setitimer(signal.ITIMER_REAL, self.test_timeout, 1.0)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            self.current = None
            self.emit(event="result", name=cur["name"], nodeid=cur["nodeid"], points=cur["points"],
                      passed=cur["passed"], output="\n".join(cur["output"]),
                      seconds=round(time.perf_counter() - start, 3))

    def pytest_runtest_logreport(self, report) -> None:
        cur = self.current
        if cur is None or report.passed:
            return
        if report.failed:
            cur["passed"] = False
            cur["output"].append(_failure(report))
        elif report.skipped and report.when != "teardown":
            cur["passed"] = False
            why = report.longrepr[-1] if isinstance(report.longrepr, tuple) else ""
            cur["output"].append(f"skipped: {why}")

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
    if report.when != "call":
        head = f"(in {report.when}) {head}"
    if not head or text == head or text.startswith(head):
        return text
    return f"{head}\n\n{text}"


def _describe(item) -> dict:
    mark = item.get_closest_marker("points")
    points = float(mark.args[0]) if mark and mark.args else 0.0
    doc = (getattr(item, "function", None).__doc__ or "").strip() if hasattr(item, "function") else ""
    return {"name": item.name, "nodeid": item.nodeid, "points": points, "doc": doc}


def _import_now(finder: WorkspaceFinder, limit: float) -> None:
    """Import the workspace's modules now, before pytest starts: pytest's own
    import hook (assertion rewriting) would otherwise find xv6py's modules first.
    A module that takes more than `limit` seconds to import did not import."""
    def alarm(signum, frame):
        raise GradeTimeout(f"importing it took more than {limit:g} s (a loop at module level?)")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, limit, 1.0)
    try:
        for name in finder.modules:
            importlib.import_module(name)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    for name, path in finder.modules.items():
        if Path(sys.modules[name].__file__) != path:
            raise RuntimeError(f"{name} was loaded from {sys.modules[name].__file__}, not {path}")


def _plugin_registered() -> bool:
    """Does pytest load the xv6py plugin by itself (the pytest11 entry point of an
    installed xv6py)? Naming it again with -p would register it twice."""
    from importlib.metadata import entry_points
    return any(ep.value == "xv6py.testing.plugin" for ep in entry_points(group="pytest11"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xv6py.lab.worker")
    ap.add_argument("--lab", required=True)
    ap.add_argument("--workspace", type=Path, default=None, help="default: grade the reference")
    ap.add_argument("--events", required=True, type=Path)
    ap.add_argument("--test-timeout", type=float, default=None)
    ap.add_argument("-k", default=None, help="only the tests matching this pytest expression")
    ap.add_argument("--collect-only", action="store_true")
    ns = ap.parse_args(argv)
    lab = load_lab(ns.lab)
    modules = {} if ns.workspace is None else {
        mod: (ns.workspace / f).resolve() for f, mod in lab.files.items()
        if (ns.workspace / f).resolve() != module_path(mod)}
    if any(m in sys.modules for m in modules):
        raise RuntimeError("a kernel module was imported before the workspace's could replace it")
    finder = WorkspaceFinder(modules, {mod: lab.starter(f) for f, mod in lab.files.items()})
    sys.meta_path.insert(0, finder)
    _import_now(finder, ns.test_timeout or lab.test_timeout)
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
        code = pytest.main(args, plugins=[Recorder(out, finder, ns.test_timeout or lab.test_timeout)])
    return 0 if code in (0, 1) else int(code)


if __name__ == "__main__":
    sys.exit(main())
