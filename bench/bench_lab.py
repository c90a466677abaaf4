"""Speed of lab grading: one workspace from the command line, a batch of them in
parallel, and the self-check of every lab.

    python bench/bench_lab.py            # all figures
    python bench/bench_lab.py --quick    # one workspace per lab, once
    python bench/bench_lab.py --class 100    # a class: N workspaces of every kind, -j cores

The class figure grades N shm workspaces -- references, starters, each mutant,
and broken ones (a syntax error, an exception, a loop) in turn -- as `xv6py lab
grade -j CORES` would, with a test timeout of 2 s: the wall time, the CPU time of
every process it took (what the wall time of a quiet machine with CORES cores
approaches, divided by CORES), and per kind of workspace the means of wall and
CPU time, the kernel processes' CPU time, how many kernel processes were started
and how many requests were stopped at their deadline. --save FILE / --compare FILE
keep and compare every workspace's status, score and per-test outcomes across
two versions.

    python bench/bench_lab.py --class 100 --save before.json     # on the old version
    python bench/bench_lab.py --class 100 --compare before.json  # on the new one

Then (or alone, with --sandbox-cost) the sandbox's cost, as CPU time of one
grade against CPU time of one grade, measured in pairs:

    python bench/bench_lab.py --sandbox-cost --pairs 4 --rounds 3

- sandboxed: `xv6py lab grade` of a batch grades a workspace in a child forked
  by a warm worker (worker.py serve()), whose tests ask a kernel process
  (kserver.py, forked by the zygote) for everything the kernel does. Counted:
  the CPU time of that worker child and of every kernel process it used (user
  and system, from the grade's usage event). Not counted: the warm worker's
  and the zygote's start-up, paid once per batch.
- in-process: the same grader run with the workspace's shm.py imported into
  pytest's own process (substitute.install: the gate, but no kernel process,
  no requests, no lower privilege, no limits) by a warm in-process grader: a
  process that imported pytest, the plugin and every kernel module it can
  before it knows the workspace (those the zygote imports), freezes them out
  of the collector's sight as the warm worker does, and forks a child per
  workspace (WARM_IN_PROCESS); the grader's byte code, asserts rewritten by
  pytest, is cached after the first grade, as a warm grader would keep it.
  Counted: that child's CPU time, its own children included (os.wait4).
  Such a child must import the rest of the kernel and the grader's test
  module after the workspace's module (the grader imports the kernel); the
  warm worker's child has both already (its tests never import the student's
  code), while its kernel process imports the rest of the kernel too. That
  start is counted on the in-process side (the first figure) and, for a
  bound, left out (the second: against the in-process tests alone, its start
  measured by the same child stopped after collection).
- The same N reference workspaces are graded R times each way, the two grades
  of a pair one right after the other (which goes first alternates), so that
  both see about the same load; the figure is the median over the pairs of
  sandboxed / in-process, with its quartiles and extremes, and the load
  average before and after. A ratio of CPU times, not of wall times: on a
  shared machine the wall time of one grade says more about the neighbours.

The other figures are host wall time. One workspace is graded by `xv6py lab grade DIR`
exactly as an instructor would type it (a Python process for the command, one
for the grader); a batch shows what parallel grading buys on this machine.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xv6py.grading.grade import grade_many
from xv6py.grading.selfcheck import selfcheck
from xv6py.grading.spec import init_workspace, lab_names, load_lab


def command_line(ws: Path, runs: int) -> list[float]:
    """Seconds for `xv6py lab grade WS`, each of `runs` times."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "xv6py", "lab", "grade", str(ws)], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


BROKEN = {          # edits of the reference shm.py that a class will hand in
    "syntax": ("def shm_fork(parent, child) -> int:", "def shm_fork(parent, child) ->:"),
    "raises": ("    # [lab shm] begin: refuse while attached, free the frames, free the slot\n",
               "    # [lab shm] begin: refuse while attached, free the frames, free the slot\n    1 // 0\n"),
    "loops": ("    return any(addr < hi and", "    while True:\n        pass\n    return any(addr < hi and"),
}


def class_of(tmp: Path, n: int) -> list[Path]:
    """n shm workspaces: reference, starter, every mutant, every broken kind, in turn."""
    lab = load_lab("shm")
    kinds = ["reference", "starter"] + [m.name for m in lab.mutants] + list(BROKEN)
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        ws = tmp / f"{i:03d}-{kind}"
        init_workspace(lab, ws, reference=kind != "starter")
        text = (ws / "shm.py").read_text()
        mutant = next((m for m in lab.mutants if m.name == kind), None)
        if mutant is not None:
            text = mutant.apply(text)
        elif kind in BROKEN:
            text = text.replace(*BROKEN[kind])
        (ws / "shm.py").write_text(text)
        out.append(ws)
    return out


def kind_of(ws: Path) -> str:
    return ws.name.split("-", 1)[1]


def children_cpu() -> float:
    """CPU seconds of every process this one started and reaped (workers, and the
    kernel processes they reaped), so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# A warm in-process grader (the baseline of the sandbox's cost): this script,
# started once, imports what it can before it knows a workspace -- pytest, the
# xv6py plugin, and every kernel module that does not depend on the lab's
# modules (what the zygote imports: zygote.prepare) -- and warms pytest up on
# an empty collection. Then, for each workspace path on its standard input, it
# forks a child that installs the workspace's modules in its own Python
# (substitute.install: the gate, no kernel process) and runs the grader with
# pytest (with {"ws": DIR, "collect": true}: only up to the collection of
# its tests); it answers {"cpu": S, "code": N}, S the CPU seconds of that
# child (os.wait4: user and system time, its own children included).
WARM_IN_PROCESS = """
import gc, json, os, sys, tempfile
from pathlib import Path
lab_name = sys.argv[1]
from xv6py.grading.zygote import prepare
prepare(lab_name)
import pytest
import xv6py.testing.plugin
from xv6py.grading.spec import load_lab
from xv6py.grading.substitute import install
from xv6py.grading.worker import _plugin_registered
lab = load_lab(lab_name)
for var in ("CI", "BUILD_NUMBER"):
    os.environ.pop(var, None)
args = [str(lab.tests), "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--tb=short",
        "-o", "addopts=", "--rootdir", str(lab.dir)]
if not _plugin_registered():
    args += ["-p", "xv6py.testing.plugin"]
proto = os.fdopen(os.dup(1), "w", buffering=1)
quiet = os.open(os.devnull, os.O_RDWR)
os.dup2(quiet, 1)
with tempfile.TemporaryDirectory() as empty:
    pytest.main([empty, "--collect-only", *args[1:]])
gc.collect()
gc.freeze()                     # as the warm worker does before it forks
for line in sys.stdin:
    job = json.loads(line)
    ws = Path(job["ws"])
    pid = os.fork()
    if pid == 0:
        os.dup2(quiet, 2)
        os.chdir(ws)
        try:
            install(lab, ws, limit=5)
            code = pytest.main(args + ["--collect-only"] * job["collect"])
        except BaseException:
            code = 99
        os._exit(int(code))
    _, status, usage = os.wait4(pid, 0)
    proto.write(json.dumps({"cpu": usage.ru_utime + usage.ru_stime,
                            "code": os.waitstatus_to_exitcode(status)}) + "\\n")
"""


class WarmInProcess:
    """The warm in-process grader of one lab (WARM_IN_PROCESS), graded one at a time."""

    def __init__(self, lab: str):
        # Byte code may be written: the grader's test module, its asserts rewritten
        # by pytest, is then compiled once (in the warm-up), as a warm grader would.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.proc = subprocess.Popen([sys.executable, "-c", WARM_IN_PROCESS, lab], text=True, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def grade(self, ws: Path, collect: bool = False) -> float:
        """CPU seconds of grading ws in-process (collect: of its start only, up to
        the collection of the grader's tests); raises unless every test passed."""
        self.proc.stdin.write(json.dumps({"ws": str(ws), "collect": collect}) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if reply["code"] != 0:
            raise RuntimeError(f"the in-process grade of {ws} ended with {reply['code']}, not 0")
        return reply["cpu"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def sandbox_cost(n: int, rounds: int) -> None:
    """The sandbox's cost, paired: n reference shm workspaces, each graded in turn
    sandboxed (a child of a warm worker, its kernel process forked by the zygote:
    the grade's usage event, the worker child's CPU time plus its kernel
    processes') and by the warm in-process grader (WarmInProcess: the forked
    child's CPU time), `rounds` times over, the order within each pair
    alternating. Each pair gives a ratio sandboxed / in-process, taken within
    a second or two of each other, so that the machine's load is about the same
    for both halves; the figure is the median of those ratios, and its spread
    the quartiles and extremes. A first grade each way warms both up and is
    not counted (the batch's limits are measured then: the reference is graded once)."""
    from xv6py.grading.grade import Servers, grade_one
    lab = load_lab("shm")
    with tempfile.TemporaryDirectory() as tmp:
        refs = []
        for i in range(n):
            ws = Path(tmp) / f"ref{i}"
            init_workspace(lab, ws, reference=True)
            refs.append(ws)
        servers, inproc = Servers(), WarmInProcess("shm")

        def sandboxed(ws: Path) -> float:
            g = grade_one(ws, servers=servers)
            if g.status != "graded" or g.score != g.max_score:
                raise RuntimeError(f"the sandboxed grade of {ws} is {g.score}/{g.max_score} {g.status}")
            return g.usage["cpu"] + g.usage["kernel_cpu"]

        load0 = os.getloadavg()[0]
        try:
            sandboxed(refs[0]), inproc.grade(refs[0])         # warm-up, not counted
            pairs = []                  # (sandboxed, in-process, in-process up to its tests)
            for r in range(rounds):
                for i, ws in enumerate(refs):
                    if (r + i) % 2 == 0:
                        s = sandboxed(ws)
                        pairs.append((s, inproc.grade(ws), inproc.grade(ws, collect=True)))
                    else:
                        ip, start = inproc.grade(ws), inproc.grade(ws, collect=True)
                        pairs.append((sandboxed(ws), ip, start))
        finally:
            inproc.close()
            servers.close()
        load1 = os.getloadavg()[0]
    print(f"  the sandbox's cost, paired: {len(pairs)} pairs ({n} reference shm workspaces x {rounds} "
          f"rounds; load average {load0:.1f} -> {load1:.1f}), CPU s of every process of one grade:")
    sb, ip, start = (statistics.median(p[k] for p in pairs) for k in range(3))
    print(f"    sandboxed (warm worker's child + kernel process): median {sb:.3f} s; warm in-process: "
          f"{ip:.3f} s, its start (the kernel's rest, importing and collecting the grader): {start:.3f} s")
    print("    " + spread("against the warm in-process grade", [s / i for s, i, _ in pairs]))
    print("    " + spread("against its tests alone (less its start)", [s / (i - c) for s, i, c in pairs]))


def spread(what: str, ratios: list[float]) -> str:
    """The median of ratios as a cost in %, with its quartiles and extremes."""
    ratios = sorted(ratios)
    q1, med, q3 = statistics.quantiles(ratios, n=4, method="inclusive") if len(ratios) > 1 else ratios * 3

    def pct(x: float) -> str:
        return f"{(x - 1) * 100:+.0f} %"
    return (f"{what}: median {pct(med)}, quartiles {pct(q1)} .. {pct(q3)}, "
            f"extremes {pct(ratios[0])} .. {pct(ratios[-1])}")


def outcomes(grades) -> dict[str, tuple]:
    """Per workspace: its score and the outcome of each test (what must not change)."""
    return {g.workspace.name: (g.status, g.score, tuple((t.name, t.outcome) for t in g.tests))
            for g in grades}


def kind_row(kind: str, gs: list) -> str:
    """One line of the per-kind table: means over the kind's workspaces."""
    def mean(key: str) -> float:
        return statistics.mean(g.usage.get(key, 0) for g in gs)
    wall = statistics.mean(g.seconds for g in gs)
    cpu = mean("cpu") + mean("kernel_cpu")
    return (f"{kind:24} {len(gs):3} {wall:6.2f} {cpu:6.2f} {mean('kernel_cpu'):6.2f} {mean('kernels'):7.1f} "
            f"{mean('timeouts'):7.1f}  {gs[0].score:g}/{gs[0].max_score:g} {gs[0].status}")


def grade_a_class(n: int, cores: int, compare: Path | None, save: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        batch = class_of(Path(tmp), n)
        cpu0, t0 = children_cpu(), time.perf_counter()
        grades = grade_many(batch, jobs=cores, test_timeout=2)
        dt, cpu = time.perf_counter() - t0, children_cpu() - cpu0
        mutants = len(load_lab("shm").mutants)
        print(f"  a class of {n} shm workspaces (references, starters, {mutants} mutants, broken), "
              f"-j {cores}: {dt:.1f} s wall (target <= 60 s), {cpu:.1f} s of CPU "
              f"({cpu / cores:.1f} s on {cores} idle cores)")
        print(f"  {'kind':24} {'n':>3} {'wall':>6} {'cpu':>6} {'kernel':>6} {'kernels':>7} "
              f"{'stopped':>7}  score")
        kinds: dict[str, list] = {}
        for g in grades:
            kinds.setdefault(kind_of(g.workspace), []).append(g)
        for kind, gs in sorted(kinds.items(), key=lambda kv: -sum(g.seconds for g in kv[1])):
            print("  " + kind_row(kind, gs))
        print("  (per workspace of the kind: wall s, CPU s of worker and kernel processes, CPU s of the\n"
              "   kernel processes alone, kernel processes started, requests stopped at their deadline)")
        same = outcomes(grades)
        if save is not None:
            save.write_text(json.dumps(same, indent=1))
        if compare is not None:
            old = {k: (v[0], v[1], tuple(map(tuple, v[2])))
                   for k, v in json.loads(compare.read_text()).items()}
            diff = sorted(k for k in old.keys() | same.keys() if old.get(k) != same.get(k))
            print(f"  per-test outcomes against {compare}: "
                  + ("all the same" if not diff else f"{len(diff)} workspace(s) differ: {', '.join(diff)}"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--class", dest="klass", type=int, default=0, metavar="N",
                    help="grade a class of N workspaces (and nothing else)")
    ap.add_argument("--save", type=Path, default=None,
                    help="with --class: write each workspace's outcomes here")
    ap.add_argument("--compare", type=Path, default=None,
                    help="with --class: compare each workspace's outcomes with those --save wrote")
    ap.add_argument("--sandbox-cost", action="store_true",
                    help="only the sandbox's cost, paired (what --class ends with)")
    ap.add_argument("--pairs", type=int, default=4, metavar="N",
                    help="the sandbox's cost: N reference workspaces (default 4)")
    ap.add_argument("--rounds", type=int, default=3, metavar="R",
                    help="the sandbox's cost: each graded R times either way (default 3)")
    ns = ap.parse_args()
    if ns.klass or ns.sandbox_cost:
        if ns.klass:
            grade_a_class(ns.klass, os.cpu_count() or 1, ns.compare, ns.save)
        sandbox_cost(ns.pairs, ns.rounds)
        return
    runs = 1 if ns.quick else 3
    cores = os.cpu_count() or 1
    print(f"lab grading on {cores} cores ({runs} run(s) each, host wall time)")
    with tempfile.TemporaryDirectory() as tmp:
        for name in lab_names():
            lab = load_lab(name)
            ws = Path(tmp) / name
            init_workspace(lab, ws, reference=True)
            times = command_line(ws, runs)
            print(f"  xv6py lab grade DIR ({name}, the reference, one workspace): "
                  f"median {statistics.median(times):.2f} s, best {min(times):.2f} s")
        if not ns.quick:
            batch = []
            for i in range(4 * cores):
                ws = Path(tmp) / f"student{i}"
                init_workspace(load_lab("shm"), ws, reference=i % 2 == 0)   # half starters
                batch.append(ws)
            for jobs in (1, cores):
                t0 = time.perf_counter()
                grade_many(batch, jobs=jobs)
                dt = time.perf_counter() - t0
                print(f"  {len(batch)} shm workspaces, {jobs} at a time: {dt:.1f} s "
                      f"({dt / len(batch):.2f} s per workspace)")
    t0 = time.perf_counter()
    checks = selfcheck()
    graded = sum(c.grade is not None for c in checks)
    print(f"  xv6py lab selfcheck ({graded} workspaces and {len(checks) - graded} releases, "
          f"{sum(c.ok for c in checks)} as expected): {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
