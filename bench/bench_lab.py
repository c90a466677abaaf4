"""Speed of lab grading: one workspace from the command line, a batch of them in
parallel, and the self-check of every lab.

    python bench/bench_lab.py            # all figures
    python bench/bench_lab.py --quick    # one workspace per lab, once
    python bench/bench_lab.py --class 100    # a class: N workspaces of every kind, -j cores

The class figure grades N shm workspaces -- references, starters, each mutant,
and broken ones (a syntax error, an exception, a loop) in turn -- as `xv6py lab
grade -j CORES` would, and prints it beside the same grader run in-process on
the reference kernel (pytest with the plugin, no kernel process, no gate): what
the sandbox costs per workspace.

Each figure is host wall time. One workspace is graded by `xv6py lab grade DIR`
exactly as an instructor would type it (a Python process for the command, one
for the grader); a batch shows what parallel grading buys on this machine.
"""

import argparse
import os
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


def in_process(runs: int) -> float:
    """Seconds for the shm grader run in-process on the reference kernel (the
    plugin's own machines: no kernel process, no gate)."""
    lab = load_lab("shm")
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                        str(lab.tests), "--rootdir", str(lab.dir)], check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


def grade_a_class(n: int, cores: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        batch = class_of(Path(tmp), n)
        t0 = time.perf_counter()
        grades = grade_many(batch, jobs=cores, test_timeout=2)
        dt = time.perf_counter() - t0
    base = in_process(3)
    per = dt * cores / n
    statuses = statistics.multimode([g.status for g in grades])
    print(f"  a class of {n} shm workspaces (references, starters, {len(load_lab('shm').mutants)} mutants, "
          f"broken), -j {cores}: {dt:.1f} s (target <= 60 s); {per:.2f} s of a core per workspace")
    print(f"  the same grader in-process on the reference kernel (no sandbox): {base:.2f} s; "
          f"sandboxed, one workspace: {per:.2f} s of a core ({(per / base - 1) * 100:+.0f} %); "
          f"most common status: {statuses[0]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--class", dest="klass", type=int, default=0, metavar="N",
                    help="grade a class of N workspaces (and nothing else)")
    ns = ap.parse_args()
    if ns.klass:
        grade_a_class(ns.klass, os.cpu_count() or 1)
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
