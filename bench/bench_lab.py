"""Speed of lab grading: one workspace from the command line, a batch of them in
parallel, and the self-check of every lab.

    python bench/bench_lab.py            # all figures
    python bench/bench_lab.py --quick    # one workspace per lab, once

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ns = ap.parse_args()
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
