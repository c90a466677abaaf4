"""Grading workspaces: one process each, several at once, a results file each.

    grades = grade_many([Path("alice"), Path("bob")], jobs=2)
    print(summary(grades))

Each workspace is graded by `python -m xv6py.grading.worker` in a process of its
own, under a wall-clock limit (the lab's `timeout`), so that one student's
crash or endless loop costs that student the tests it did not finish and never
touches anyone else's run. The worker reports each test as it ends; whatever it
did not report (it was killed, or it died) scores 0, with the reason.

The results file (results.json in the workspace) has Gradescope's format, written
by the same code as the pytest plugin's --gradescope-json (testing/report.py):
score, execution_time, output, one entry per test (name, score, max_score,
status, output, visibility, and its outcome); extra_data holds the lab, the
maximum and how grading ended.
"""

import json
import os
import select as selectmod
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..testing.report import TestRecord, results_document, write_results
from . import edition
from .spec import Lab, LabError, find_files, workspace_lab

__all__ = ["TestResult", "Grade", "grade_one", "grade_many", "summary", "cause", "collect"]

RESULTS = "results.json"


# A graded test: name, outcome, points, output, visibility, seconds (the results
# file's own record, so that `lab grade` and the plugin write the same thing).
TestResult = TestRecord


@dataclass
class Grade:
    workspace: Path
    lab: str
    status: str                 # "graded", "import error", "timeout", "crashed", "error"
    message: str = ""           # why, when the status is not "graded"
    tests: list[TestResult] = field(default_factory=list)
    seconds: float = 0.0
    usage: dict = field(default_factory=dict)   # the worker's "usage" event: CPU seconds, kernels, timeouts

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests)

    def test(self, name: str) -> TestResult:
        return next(t for t in self.tests if t.name == name)

    def results_json(self) -> dict:
        """This grade as a results file (Gradescope's format, testing/report.py)."""
        notes = [f"lab {self.lab}: {self.status}: {self.message}"] if self.status != "graded" else []
        return results_document(self.tests, self.seconds, notes=notes,
                                extra_data={"lab": self.lab, "status": self.status,
                                            "workspace": str(self.workspace)})


WORKER = [sys.executable, "-P", "-B", "-m", "xv6py.grading.worker"]


def _worker_command(lab: Lab, workspace: Path | None, events: Path, test_timeout: float | None,
                    extra=()) -> list[str]:
    cmd = [*WORKER, "--lab", lab.name, "--events", str(events), *extra]
    if workspace is not None:
        cmd += ["--workspace", str(workspace.resolve())]
    if test_timeout is not None:
        cmd += ["--test-timeout", str(test_timeout)]
    return cmd


def _env() -> dict:
    """The worker imports this very xv6py, whatever put it on sys.path."""
    import xv6py
    env = dict(os.environ)
    root = str(Path(xv6py.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def _read_events(path: Path) -> list[dict]:
    events = []
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                break               # a line cut short by a kill
    return events


_collected: dict[Path, list[dict]] = {}      # by the lab's directory: two labs dirs, two graders


def collect(lab: Lab) -> list[dict]:
    """The grader's tests (name, points), collected once against the reference."""
    if lab.dir not in _collected:
        with tempfile.TemporaryDirectory(prefix="xv6py-collect-") as tmp:
            events = Path(tmp) / "events.jsonl"
            proc = subprocess.run(_worker_command(lab, None, events, None, ["--collect-only"]), env=_env(),
                                  capture_output=True, text=True, timeout=120, cwd=tmp)
            found = [e for e in _read_events(events) if e["event"] == "collected"]
        if not found:
            _, why = _ended(proc.returncode or 1, proc.stdout, proc.stderr)
            raise LabError(f"lab {lab.name}: its grader's tests could not be collected: {why}")
        _collected[lab.dir] = found[0]["tests"]
    return _collected[lab.dir]


def grade_one(workspace: Path, lab: str | None = None, *, timeout: float | None = None,
              test_timeout: float | None = None, results: str | None = RESULTS,
              select: str | None = None, out: Path | None = None, servers: "Servers | None" = None) -> Grade:
    """Grade one workspace in a process of its own and write its results file:
    workspace/results (None: none), or out if given (Gradescope's
    /autograder/results/results.json). Never raises for what the workspace holds.

    With the lab named, the workspace may hold the lab's files one folder down
    (a submission uploaded as a folder): see spec.find_files. A lab file that is
    a symbolic link is refused: it could point at the reference."""
    t0 = time.perf_counter()
    grade, spec, files = _prepare(workspace, lab)
    if files is not None:
        grade = _run(workspace, spec, files, timeout, test_timeout, select, servers)
    grade.seconds = time.perf_counter() - t0
    if out is None and results is not None and files is not None:
        out = workspace / results       # not in a directory that is no workspace
    if out is not None:
        try:
            write_results(out, grade.results_json())
        except OSError as e:        # a read-only workspace: the grade stands, and says so
            grade.message += ("\n" if grade.message else "") + f"the results file was not written: {e}"
    return grade


def _prepare(workspace: Path, lab: str | None) -> tuple[Grade, Lab | None, Path | None]:
    """(a grade, the lab, the directory of the lab's files), or (an error grade,
    ..., None) when the workspace cannot be graded at all."""
    if not workspace.is_dir():
        return Grade(workspace, lab or "?", "error", f"{workspace}: no such directory"), None, None
    try:
        spec = workspace_lab(workspace, lab)
    except LabError as e:
        return Grade(workspace, lab or "?", "error", str(e)), None, None
    files = find_files(workspace, spec) if lab is not None else workspace
    links = [f for f in spec.files if (files / f).is_symlink()]
    if links:
        return Grade(workspace, spec.name, "error", f"{', '.join(links)}: a symbolic link, not a file: "
                     "hand in the file itself"), spec, None
    return Grade(workspace, spec.name, "graded"), spec, files


def _run(workspace: Path, spec: Lab, files: Path, timeout, test_timeout, select,
         servers: "Servers | None" = None) -> Grade:
    """Run a worker on the lab's files in files (a child of a warm worker from
    servers, if given); the grade from its events."""
    limit = timeout if timeout is not None else spec.timeout
    extra = ["-k", select] if select else []
    with tempfile.TemporaryDirectory(prefix="xv6py-grade-") as tmp:
        events = Path(tmp) / "events.jsonl"
        if servers is not None:
            extra += ["--limits", json.dumps(servers.limits(spec, test_timeout, select))]
        cmd = _worker_command(spec, files, events, test_timeout, extra)
        try:
            if servers is not None:
                code, out = servers.run(spec, cmd[len(WORKER):], Path(tmp), limit)
                status, message = _ended(code, out, "")
            else:
                proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=limit, cwd=tmp)
                status, message = _ended(proc.returncode, proc.stdout, proc.stderr)
        except subprocess.TimeoutExpired:
            status, message = "timeout", (f"the grader was stopped after {limit:g} s of host time "
                                          "(your code did not finish)")
        try:
            return _grade(workspace, spec, _read_events(events), status, message, select)
        except LabError as e:
            return Grade(workspace, spec.name, "error", f"{e} ({status}: {message})")


class WorkerServer:
    """A warm worker (worker.py --serve) of one lab: it forks a worker for each
    workspace it is given, so that none pays for starting Python, pytest and the
    kernel and collecting the grader. Used by one thread at a time."""

    def __init__(self, lab: Lab):
        self.lab = lab
        self.proc = subprocess.Popen([*WORKER, "--lab", lab.name, "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=_env(), start_new_session=True)
        self.buf = b""                  # what it wrote beyond the last line read

    def run(self, argv: list[str], cwd: Path, limit: float) -> tuple[int, str]:
        """Run one worker (its arguments) in cwd: (its exit code, what it printed).
        Raises subprocess.TimeoutExpired (after killing this server) if it takes
        more than limit seconds."""
        log = cwd / "worker.log"
        deadline = time.perf_counter() + limit
        job = {"argv": argv, "cwd": str(cwd), "log": str(log)}
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:         # it died before it got the job: _line says how
            pass
        while True:
            reply = self._line(deadline, argv, limit)
            if "exit" in reply:
                return reply["exit"], log.read_text(errors="replace") if log.is_file() else ""

    def _line(self, deadline: float, argv, limit) -> dict:
        """The server's next line, waiting no later than deadline."""
        while b"\n" not in self.buf:
            wait = deadline - time.perf_counter()
            if wait <= 0 or not selectmod.select([self.proc.stdout], [], [], wait)[0]:
                self.stop()
                raise subprocess.TimeoutExpired(argv, limit)
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:               # it died: its worker with it
                self.stop()
                return {"exit": self.proc.returncode if self.proc.returncode else -signal.SIGKILL}
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """End it, and the worker it is running with it (its process group)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()

    def close(self) -> None:
        """Let it end by itself (nothing more to grade)."""
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.stop()
        self.proc.stdout.close()


class Servers:
    """The warm workers of a batch, one per thread at a time; a server that was
    stopped (a workspace ran out of time) is replaced by a new one."""

    def __init__(self):
        self.idle: dict[Path, list[WorkerServer]] = {}
        self.lock = threading.Lock()
        self.measured: dict[Path, dict[str, float]] = {}    # by lab: nodeid -> the reference's seconds
        self.measuring = threading.Lock()

    def limits(self, lab: Lab, test_timeout: float | None, select: str | None) -> dict[str, float]:
        """Each test's limit in this batch (Lab.test_limit), from the reference's
        time on it, measured once per lab and batch (here, on this host, under
        today's load). Empty -- every test gets the test timeout -- in a student
        edition (it has no reference) or if the reference was not graded to the end."""
        ceiling = test_timeout if test_timeout is not None else lab.test_timeout
        with self.measuring:
            if lab.dir not in self.measured:
                self.measured[lab.dir] = {} if edition.STUDENT else self._measure(lab, test_timeout, select)
        return {nodeid: lab.test_limit(s, ceiling) for nodeid, s in self.measured[lab.dir].items()}

    def _measure(self, lab: Lab, test_timeout: float | None, select: str | None) -> dict[str, float]:
        with tempfile.TemporaryDirectory(prefix="xv6py-reference-") as tmp:
            events = Path(tmp) / "events.jsonl"
            extra = ["-k", select] if select else []
            argv = _worker_command(lab, None, events, test_timeout, extra)[len(WORKER):]
            try:
                code, _ = self.run(lab, argv, Path(tmp), lab.timeout)
            except subprocess.TimeoutExpired:
                return {}
            found = _read_events(events)
        if code != 0 or not any(e["event"] == "usage" for e in found):
            return {}
        return {e["nodeid"]: e["seconds"] for e in found if e["event"] == "result" and e["passed"]}

    def run(self, lab: Lab, argv: list[str], cwd: Path, limit: float) -> tuple[int, str]:
        with self.lock:
            pool = self.idle.setdefault(lab.dir, [])
            server = pool.pop() if pool else None
        server = server if server is not None and server.alive() else WorkerServer(lab)
        result = server.run(argv, cwd, limit)       # TimeoutExpired: it was stopped, not put back
        with self.lock:
            self.idle[lab.dir].append(server)
        return result

    def close(self) -> None:
        for pool in self.idle.values():
            for server in pool:
                server.close()


def _ended(returncode: int, stdout: str, stderr: str) -> tuple[str, str]:
    if returncode == 0:
        return "graded", ""
    if returncode < 0:
        why = f"the grader's process was killed by signal {-returncode}"
    else:
        why = f"the grader's process failed (exit status {returncode})"
    return "crashed", why + _tail(stderr, stdout)


def _tail(stderr: str | None, stdout: str | None, lines: int = 100) -> str:
    """What a process that failed printed last: enough for a whole traceback."""
    text = "\n".join(((stderr or "") + "\n" + (stdout or "")).strip().splitlines()[-lines:])
    return f":\n{text}" if text else ""


def _grade(workspace: Path, lab: Lab, events: list[dict], status: str, message: str,
           select: str | None) -> Grade:
    """Put the worker's events together: every test scored, the missing ones 0."""
    import_errors = [e["error"] for e in events if e["event"] == "import_error"]
    collected = next((e["tests"] for e in events if e["event"] == "collected"), None)
    if not collected and not select:
        try:
            collected = collect(lab)    # it died before (or while) collecting: the reference's list
        except LabError:
            collected = []              # the grader does not even collect: the crash says why
    done = {e["nodeid"]: e for e in events if e["event"] == "result"}
    tests = []
    for t in collected:
        r = done.get(t["nodeid"])
        vis = t.get("visibility", "visible")
        if r is not None:
            outcome = r.get("outcome") or ("passed" if r["passed"] else "failed")
            tests.append(TestResult(t["name"], outcome, t["points"], r["output"], vis, r["seconds"]))
        else:
            tests.append(TestResult(t["name"], "not run", t["points"],
                                    f"not run: {message or 'the grader ended before this test'}", vis))
    if status == "graded" and import_errors:
        status, message = "import error", import_errors[0].splitlines()[0]
    usage = next((e for e in events if e["event"] == "usage"), {})
    return Grade(workspace, lab.name, status, message, tests, usage=usage)


def grade_many(workspaces: list[Path], lab: str | None = None, *, jobs: int | None = None,
               timeout: float | None = None, test_timeout: float | None = None,
               results: str | None = RESULTS, select: str | None = None, on_done=None,
               out: Path | None = None) -> list[Grade]:
    """Grade several workspaces, `jobs` at a time (default: one per core). Each
    is a process of its own; on_done(grade) is called as each one ends. The
    grades come back in the order of `workspaces`. select: only the tests whose
    names match this pytest -k expression. out: the results file's path, for
    one workspace only."""
    jobs = jobs or os.cpu_count() or 1
    if out is not None and len(workspaces) != 1:
        raise ValueError("out names the results file of one workspace")

    # More than one workspace: warm workers fork one for each (WorkerServer).
    servers = Servers() if len(workspaces) > 1 else None

    def one(ws: Path) -> Grade:
        try:
            g = grade_one(ws, lab, timeout=timeout, test_timeout=test_timeout, results=results, select=select,
                          out=out, servers=servers)
        except Exception:           # noqa: BLE001 -- one row of the table, not everyone's grades lost
            g = Grade(ws, lab or "?", "error", "grading failed:\n" + traceback.format_exc().rstrip())
        if on_done is not None:
            on_done(g)
        return g

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(one, workspaces))
    finally:
        if servers is not None:
            servers.close()


def summary(grades: list[Grade]) -> "Table":  # noqa: F821 -- rich's, imported when used
    """A table of the grades: workspace, lab, score, tests passed, status, time."""
    from rich.table import Table
    table = Table(title="xv6py lab grade")
    for col, just in (("workspace", "left"), ("lab", "left"), ("score", "right"),
                      ("tests passed", "right"), ("status", "left"), ("seconds", "right")):
        table.add_column(col, justify=just)
    for g in grades:
        passed = sum(t.passed for t in g.tests)
        status = g.status + (f": {cause(g.message)}" if g.status != "graded" and g.message else "")
        table.add_row(str(g.workspace), g.lab, f"{_num(g.score)}/{_num(g.max_score)}",
                      f"{passed}/{len(g.tests)}", status, f"{g.seconds:.1f}")
    return table


def cause(message: str) -> str:
    """A why in one line: its first line and, when it goes on (a traceback), its
    last, where the exception is named."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else ""
    return f"{lines[0]} ... {lines[-1]}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"
