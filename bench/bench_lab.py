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
and how many requests were stopped at their deadline. Then the sandbox's cost:
one workspace of each kind that ends by itself graded again in a single process
with its shm.py imported into pytest's (no kernel process, no gate), CPU time
against CPU time. --save FILE / --compare FILE keep and compare every
workspace's status, score and per-test outcomes across two versions.

    python bench/bench_lab.py --class 100 --save before.json     # on the old version
    python bench/bench_lab.py --class 100 --compare before.json  # on the new one

Each figure is host wall time. One workspace is graded by `xv6py lab grade DIR`
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


IN_PROCESS = """
import sys
from pathlib import Path
from xv6py.grading.spec import load_lab
from xv6py.grading.substitute import install
lab = load_lab("shm")
install(lab, Path(sys.argv[1]), limit=5)
import pytest
sys.exit(pytest.main([str(lab.tests), "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                      "--tb=short", "-o", "addopts=", "--rootdir", str(lab.dir), *sys.argv[2:]]))
"""


def in_process(ws: Path, *extra: str) -> tuple[float, str]:
    """(CPU seconds, pytest's last line) of the shm grader run in one process with
    the workspace's shm.py imported into it: no kernel process, no sandbox (not
    for a looping workspace: nothing would stop it)."""
    before = children_cpu()
    p = subprocess.run([sys.executable, "-B", "-c", IN_PROCESS, str(ws), *extra], capture_output=True,
                       text=True, cwd=ws)
    return children_cpu() - before, (p.stdout.strip().splitlines() or [""])[-1]


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
        # The sandbox's cost: one workspace of each kind that ends by itself, graded
        # in one process with its module imported (no kernel process, no gate).
        firsts = {kind_of(g.workspace): g for g in reversed(grades) if kind_of(g.workspace) != "loops"}
        inside = sandboxed = 0.0
        for g in firsts.values():
            inside += in_process(g.workspace)[0]
            sandboxed += g.usage.get("cpu", 0) + g.usage.get("kernel_cpu", 0)
        k = len(firsts)
        # What a warm in-process grader would not pay again: Python, pytest, the
        # kernel and the grader's collection (the warm worker does not either).
        start = min(in_process(g.workspace, "--collect-only")[0] for g in list(firsts.values())[:3])
        each, alone = sandboxed / k, inside / k
        print(f"  the sandbox's cost, on {k} workspaces (one of each kind but loops): {each:.2f} s of CPU "
              f"each sandboxed, {alone:.2f} s in-process ({(each / alone - 1) * 100:+.0f} %); "
              f"in-process less its start-up and collection ({start:.2f} s), as a warm in-process "
              f"grader would pay: {alone - start:.2f} s ({(each / (alone - start) - 1) * 100:+.0f} %)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--class", dest="klass", type=int, default=0, metavar="N",
                    help="grade a class of N workspaces (and nothing else)")
    ap.add_argument("--save", type=Path, default=None,
                    help="with --class: write each workspace's outcomes here")
    ap.add_argument("--compare", type=Path, default=None,
                    help="with --class: compare each workspace's outcomes with those --save wrote")
    ns = ap.parse_args()
    if ns.klass:
        grade_a_class(ns.klass, os.cpu_count() or 1, ns.compare, ns.save)
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
