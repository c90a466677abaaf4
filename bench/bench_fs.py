"""The file system's speed figures, each next to the getpid round trip measured
in the same run (the cost of any system call).

    python bench/bench_fs.py            # about half a minute
    python bench/bench_fs.py --quick    # fewer repetitions

1. fstests: every test of userprogs/fstests.c, one after another, in one run --
   the file system work of xv6's usertests, written anew. Reference: real xv6's
   usertests under QEMU on this kind of machine, 22.6 s; target: a third of it.
2. create + write 1 KiB + close + unlink of one file: per iteration of a loop
   of 100 in a user program (fstests smallfile100, less smallfile0). Target
   <= 0.5 ms.
3. bigdir: 500 links to one file in one directory, then 500 unlinks (fstests
   bigdir, less the empty test's run). Reference: xv6's bigdir under QEMU,
   9.1 s; target <= 2 s.

Times are host seconds, the best of several repetitions: the CPU time of this
process (time.process_time: on a shared machine, wall time also counts other
programs' turns), and the wall time beside it. Each figure is a whole run's
time less the same run with no work, so booting, loading the program and the
test's own directory are left out. Nothing here asserts a time.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import per_iteration  # noqa: E402
from xv6py.machine import Machine  # noqa: E402

REFERENCE = {"fstests": "22.6 s (usertests)", "bigdir": "9.1 s"}
TARGET = {"fstests": "<= 7.5 s", "small": "<= 0.5 ms", "bigdir": "<= 2 s"}


def times(m: Machine, reps: int, *args: str) -> tuple[float, float]:
    """The best CPU time and the best wall time of `fstests ARGS`, in seconds."""
    cpu = wall = float("inf")
    for _ in range(reps):
        t = time.process_time()
        r = m.run("fstests", list(args))
        cpu = min(cpu, time.process_time() - t)
        wall = min(wall, r.wall)
        if r.status != "exit" or "FAILED" in r.output:
            raise SystemExit(f"fstests {' '.join(args)}: {r.status}: {r.output}")
    return cpu, wall


def less(a: tuple[float, float], b: tuple[float, float], n: int = 1) -> tuple[float, float]:
    return (a[0] - b[0]) / n, (a[1] - b[1]) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ns = ap.parse_args()
    reps = 2 if ns.quick else 5
    m = Machine()
    getpid = per_iteration(m, "getpidloop", 200_000 // (10 if ns.quick else 1), reps)
    t0 = time.perf_counter()
    r = m.run("fstests")
    whole = time.perf_counter() - t0
    assert r.output.endswith("fstests: all passed\n"), r.output
    empty = times(m, reps, "smallfile0")
    suite = less(times(m, 1 if ns.quick else 3), empty)
    small = less(times(m, reps, "smallfile100"), empty, 100)
    bigdir = less(times(m, reps, "bigdir"), empty)

    rows = [
        ("fstests, every test in turn (one run)", f"{suite[0]:.2f} s", f"{suite[1]:.2f} s",
         f"whole `xv6py run fstests` {whole:.2f} s; {r.instructions:,} instructions, "
         f"{r.syscalls:,} system calls", TARGET["fstests"], REFERENCE["fstests"]),
        ("create + write 1 KiB + unlink", f"{small[0] * 1e3:.3f} ms", f"{small[1] * 1e3:.3f} ms",
         f"getpid {getpid * 1e6:.2f} us", TARGET["small"], ""),
        ("bigdir: 500 links + 500 unlinks", f"{bigdir[0]:.2f} s", f"{bigdir[1]:.2f} s",
         f"getpid {getpid * 1e6:.2f} us", TARGET["bigdir"], REFERENCE["bigdir"]),
    ]
    print(f"{'figure':40} {'xv6py cpu':>10} {'wall':>10}  {'target':>9}  {'xv6 on QEMU':>18}  "
          f"baseline (same run)")
    for name, cpu, wall, baseline, target, ref in rows:
        print(f"{name:40} {cpu:>10} {wall:>10}  {target:>9}  {ref:>18}  {baseline}")


if __name__ == "__main__":
    main()
