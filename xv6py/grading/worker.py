"""Grade one workspace, in a process of its own (started by grade.py).

    python -P -B -m xv6py.grading.worker --lab shm --workspace DIR --events FILE
    python -P -B -m xv6py.grading.worker --lab shm --serve     (see serve())

The student's code never runs in this process. The lab's grader (its pytest
tests) runs here; every machine a test uses is a RemoteMachine, whose kernel --
with the workspace's modules in place of the reference ones -- runs in a kernel
process (grading/kserver.py) that this process starts with less privilege and
bounded resources, sends the workspace's sources to, and asks for data. The
verdict of each test is reached here, from that data.

What a student's module may do, and what happens:
- fail to import (syntax error, a refusal of the gate, an exception at
  import, a missing file): the kernel gets the lab's starter in its place so
  that it still boots, and every test fails with the error;
- raise in a system call: the kernel reports a panic, the test fails;
- loop forever, exhaust memory, die: the request that waits for it ends at
  the test's deadline (test_timeout), the kernel process is killed, the test
  fails saying why, and the next test gets a new kernel process.

Each event goes to FILE as one JSON line, flushed at once, so that the parent
keeps every result written before a crash or a kill:
    {"event": "import_error", "module": ..., "error": ...}
    {"event": "collected", "tests": [{"name", "nodeid", "points", "visibility", "doc"}]}
    {"event": "result", "name", "nodeid", "points", "passed", "outcome", "output", "seconds"}
    {"event": "usage", "cpu": S, "kernel_cpu": S, "kernels": N, "timeouts": N}
(outcome: passed, failed, error -- in setup or teardown --, or skipped.)
"""

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

import pytest

from ..testing.plugin import MACHINE_FACTORY
from ..testing.report import short_message
from .remote import KernelProcess, RemoteMachine, _unprivileged, stop_zygotes, zygote
from .spec import load_lab
from .substitute import workspace_sources

__all__ = ["main", "GradeTimeout"]


class GradeTimeout(BaseException):
    """A test ran out of host time. A BaseException, so that a grader's
    `except Exception` does not swallow it."""


class Recorder:
    """A pytest plugin (in this process only): writes the events, gives the tests
    machines in the kernel process, fails every test when a module did not
    import, and puts a deadline on each test."""

    def __init__(self, out, kp: KernelProcess | None, test_timeout: float, limits: dict | None = None):
        self.out, self.kp, self.test_timeout = out, kp, test_timeout
        self.limits = limits or {}          # nodeid -> seconds, when not test_timeout (--limits)
        self.current: dict | None = None

    def emit(self, **event) -> None:
        self.out.write(json.dumps(event) + "\n")
        self.out.flush()

    def pytest_configure(self, config) -> None:
        if self.kp is not None:
            kp = self.kp
            config.stash[MACHINE_FACTORY] = lambda **options: RemoteMachine(kp, **options)

    def pytest_collection_finish(self, session) -> None:
        if self.kp is not None and session.items:
            if self.kp.proc is None:
                self.kp.spawn()
            self.kp.ready()
            for name, error in self.kp.errors.items():
                self.emit(event="import_error", module=name, error=error)
        self.emit(event="collected", tests=[_describe(item) for item in session.items])

    def pytest_runtest_setup(self, item):
        if self.kp is not None and self.kp.errors:
            pytest.fail("\n\n".join(self.kp.errors.values()), pytrace=False)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        cur = dict(_describe(item), passed=True, outcome="passed", output=[])
        self.current, start = cur, time.perf_counter()
        if self.kp is not None:
            limit = min(self.limits.get(item.nodeid, self.test_timeout), self.test_timeout)
            self.kp.deadline = start + limit
            self.kp.timeout_message = (f"this test ran for more than {limit:g} s of host time and was "
                                       "stopped: a loop that never ends in your kernel code?")
        try:
            yield
        finally:
            self.current = None
            self._end_test(cur, nextitem is not None)
            self.emit(event="result", name=cur["name"], nodeid=cur["nodeid"], points=cur["points"],
                      passed=cur["passed"], outcome=cur["outcome"], output="\n".join(cur["output"]),
                      seconds=round(time.perf_counter() - start, 3))

    def _end_test(self, cur: dict, more: bool) -> None:
        """The kernel process drops the test's machines; its notes go with the
        test. If it is gone and more tests follow, the next one is started now."""
        kp = self.kp
        if kp is None:
            return
        kp.deadline = time.perf_counter() + self.test_timeout
        try:
            if kp.proc is not None:
                kp.request("forget")
        except BaseException:           # noqa: BLE001 -- it is gone: the next test starts a new one
            kp.stop()
        kp.deadline = None
        if kp.proc is None and more:
            try:
                kp.spawn()              # the next test's, starting while this one is reported
            except OSError:
                pass                    # the next test's first request tries again, and says why
        cur["output"] += [f"note: {n}" for n in kp.notes]
        kp.notes.clear()

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


def _share_parsed_sources() -> None:
    """pytest finds the statement of each traceback line by parsing the whole
    file it is in, and forgets the parse when that failure is written: a
    workspace that fails every test has the grader's test file (a thousand
    lines) parsed twice per test. Keep each parse for the life of this worker
    (the files do not change while it runs); pytest's own cache is kept too."""
    from _pytest._code import code
    measure = getattr(code, "getstatementrange_ast", None)
    if measure is None or getattr(measure, "shared", False):
        return                      # another pytest than the one this was written for
    parsed: dict[str, object] = {}

    def getstatementrange_ast(lineno, source, assertion=False, astnode=None):
        text = str(source)
        node, start, end = measure(lineno, source, assertion, astnode or parsed.get(text))
        parsed.setdefault(text, node)
        return node, start, end
    getstatementrange_ast.shared = True
    code.getstatementrange_ast = getstatementrange_ast


def _failure(report) -> str:
    """A failed phase for the student: the message first (the test's words for
    the mistake), then the short traceback."""
    text = report.longreprtext.rstrip()
    crash = getattr(report.longrepr, "reprcrash", None)
    head = crash.message if crash is not None else ""
    head = head.split("\nassert ", 1)[0].removeprefix("AssertionError: ").removeprefix("Failed: ")
    where = f"(in {report.when}) " if report.when != "call" else ""
    printed = report.capstdout.strip()
    tail = f"\n\nyour code printed:\n{printed}" if printed else ""
    if not head or text.startswith(head):
        return where + text + tail
    return f"{where}{head}\n\n{text}{tail}"


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
    ap.add_argument("--serve", action="store_true", help="grade the workspaces named on stdin (serve())")
    ap.add_argument("--workspace", type=Path, default=None, help="default: grade the reference")
    ap.add_argument("--events", type=Path, default=None)
    ap.add_argument("--test-timeout", type=float, default=None)
    ap.add_argument("--limits", type=json.loads, default=None,
                    help="JSON {nodeid: seconds}: a test's own limit, when below the test timeout")
    ap.add_argument("-k", default=None, help="only the tests matching this pytest expression")
    ap.add_argument("--collect-only", action="store_true")
    ns = ap.parse_args(argv)
    if ns.serve:
        return serve(ns.lab)
    if ns.events is None:
        ap.error("--events is required")
    lab = load_lab(ns.lab)
    limit = ns.test_timeout or lab.test_timeout
    # pytest explains a failed assert in full (whole diffs, no truncation) when
    # CI or BUILD_NUMBER is set: a grade would read differently on such a
    # machine, and a diff of two pages of RAM takes it tens of seconds.
    for var in ("CI", "BUILD_NUMBER"):
        os.environ.pop(var, None)
    sources = workspace_sources(lab, ns.workspace) if ns.workspace is not None else {}
    kp = None if ns.collect_only else KernelProcess(lab, sources, test_timeout=limit, memory_mib=lab.memory,
                                                     cpu_seconds=lab.timeout, on_timeout=GradeTimeout)
    # Not hypothesis: the grader has no use for it, and it costs a second at start-up.
    args = [str(lab.tests), "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--tb=short",
            "-o", "addopts=", "--rootdir", str(lab.dir)]
    if not _plugin_registered():
        args += ["-p", "xv6py.testing.plugin"]
    if ns.k:
        args += ["-k", ns.k]
    if ns.collect_only:
        args.append("--collect-only")
    _share_parsed_sources()
    if kp is not None:
        kp.spawn()              # it imports the kernel while pytest collects the grader
    try:
        with open(ns.events, "w") as out:
            code = pytest.main(args, plugins=[Recorder(out, kp, limit, ns.limits)])
    finally:
        if kp is not None:
            kp.stop()
            stop_zygotes()      # this worker's own (reaped: its CPU time is counted), or let go of
    _usage(ns.events, kp)
    return 0 if code in (0, 1) else int(code)


def serve(lab: str) -> int:
    """Grade workspace after workspace, each in a child forked from this process,
    which has pytest, the kernel and the lab's grader imported already (a
    collection of the grader warmed it up): what a fresh worker spends starting,
    a child does not.

    Each line in is a job, {"argv": [...], "cwd": DIR, "log": FILE}: the
    arguments of one worker (main()), the directory to run it in and the file
    that takes its standard output and error. Out come {"pid": N} when its child
    is started and {"exit": CODE} when it has ended (a negative CODE: killed by
    that signal), one line each. The children are workers as any other: the
    student's code never runs in them, and each has a kernel process of its own
    (a fresh one, started by that child). Every child starts from the same warm
    state, so no workspace's grade sees anything of another's."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    quiet = os.open(os.devnull, os.O_RDWR)
    os.dup2(quiet, 1)               # the warm-up's printing goes nowhere
    _unprivileged()                 # whom the kernel processes run as: found once, here
    zygote(lab)                     # the kernel processes' zygote: every child shares it
    from .. import machine  # noqa: F401 -- what RemoteMachine.run imports in every child
    main(["--lab", lab, "--collect-only", "--events", os.devnull])
    sys.stdout.flush()
    # What the warm-up left (pytest, the kernel, the grader) is every child's:
    # out of the collector's sight, so that the collections pytest makes at the
    # end of each child's session walk only what that child made.
    gc.collect()
    gc.freeze()
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            os._exit(_child(job, proto.fileno(), quiet))
        proto.write(json.dumps({"pid": pid}) + "\n")
        _, status = os.waitpid(pid, 0)
        proto.write(json.dumps({"exit": os.waitstatus_to_exitcode(status)}) + "\n")
    stop_zygotes()
    return 0


def _child(job: dict, proto: int, quiet: int) -> int:
    """In a forked child of serve(): run one worker; its exit code."""
    try:
        os.close(proto)
        os.dup2(quiet, 0)
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(job["cwd"])
        code = main(job["argv"])
    except SystemExit as e:         # argparse, or pytest asking to leave
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:           # noqa: BLE001 -- the parent reports it as a crash, with this
        import traceback
        traceback.print_exc()
        code = 1
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except (OSError, ValueError):
            pass
    return code


def _usage(events: Path, kp: KernelProcess | None) -> None:
    """The last event: CPU seconds of this process and of its (reaped) kernel
    processes, how many kernel processes were started and how many requests
    were stopped at their deadline -- what a grade cost, for bench/bench_lab.py."""
    import resource
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    # The kernel processes are the zygote's children: it reported each one's CPU
    # time. A worker that started its own zygote has reaped it, and with it them.
    kernel = max(kids.ru_utime + kids.ru_stime, kp.kernel_cpu if kp else 0.0)
    with open(events, "a") as out:
        out.write(json.dumps({"event": "usage", "cpu": round(me.ru_utime + me.ru_stime, 3),
                              "kernel_cpu": round(kernel, 3),
                              "kernels": kp.generation if kp else 0,
                              "timeouts": kp.timeouts if kp else 0}) + "\n")


if __name__ == "__main__":
    sys.exit(main())
