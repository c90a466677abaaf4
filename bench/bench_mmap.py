"""mmap's speed figures, beside the getpid round trip of the same run.

    python bench/bench_mmap.py            # about half a minute
    python bench/bench_mmap.py --quick    # fewer iterations

From loops in userprogs/posix/mmaptest.c (`mmaptest bench WHAT N`) (a run with N = 0 subtracted, divided
by N; the best of several repetitions):

1. getpid: one system call round trip, the baseline.
2. a lazy fill: the page fault that maps a zeroed page of an anonymous area
   (the unicorn exception, the area looked up, a frame zeroed and mapped, CR3
   reloaded, the instruction run again), with the page's later munmap.
3. mmap+munmap of 1 MiB never touched: no frame is taken, so the cost is the
   two calls and the area bookkeeping.
4. every page of a 4 MiB anonymous area written once: frames per second.

Nothing here asserts a time.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import best  # noqa: E402
from xv6py.machine import Machine  # noqa: E402


def per_iteration(m: Machine, what: str, n: int, reps: int) -> float:
    """Seconds per loop iteration of `mmaptest bench WHAT N`, with the run of N = 0 subtracted."""
    def once(k):
        r = m.run("mmaptest", ["bench", what, str(k)])
        if r.status != "exit" or r.free_frames_after != r.free_frames_before:
            raise RuntimeError(f"mmaptest bench {what} {k}: {r.summary()}")
        return r.wall
    return (best(lambda: once(n), reps) - best(lambda: once(0), reps)) / n


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer iterations (for CI)")
    args = ap.parse_args(argv)
    n, reps = (1000, 2) if args.quick else (5000, 5)
    m = Machine()
    getpid = per_iteration(m, "getpid", n, reps)
    fill = per_iteration(m, "fill", n, reps)
    maps = per_iteration(m, "map", n // 5, reps)
    touch = per_iteration(m, "touch", 4 if args.quick else 10, reps)
    print(f"mmap (best of {reps}); getpid round trip {getpid * 1e6:.2f} us")
    print(f"  lazy fill of a page (fault + zeroed frame + its munmap), {n:,} pages: "
          f"{fill * 1e6:.2f} us = {fill / getpid:.1f}x getpid")
    print(f"  mmap+munmap of 1 MiB untouched, {n // 5:,} pairs: {maps * 1e6:.2f} us = "
          f"{maps / getpid:.1f}x getpid")
    print(f"  every page of 4 MiB anonymous touched: {touch * 1e3:.1f} ms = "
          f"{1024 / touch:,.0f} frames/s")


if __name__ == "__main__":
    main()
