"""The system-call fuzzers at scale, with the kernel's invariant checker on.

    python bench/bench_fuzz.py                 # 10^6 calls of each fuzzer
    python bench/bench_fuzz.py --calls 20000   # fewer
    python bench/bench_fuzz.py --quick         # a few seconds (CI)

The calls are split over seeds (100,000 each for the program, userprogs/fuzz.c,
and 20,000 each for the Python driver through kcall), starting at --seed. Each
seed prints one line; a failure prints its seed and the one line that
reproduces it, and the script exits 1. At the end: calls per second of each
fuzzer, checker included. Nothing here asserts a time.
"""

import argparse
import sys
import time

from xv6py.testing.fuzz import fuzz_kcall, fuzz_program


def sweep(kind: str, fn, total: int, per_seed: int, seed: int) -> tuple[int, float, list]:
    """Run fn(seed, n) over seeds from seed until total calls: (calls, seconds, failures)."""
    done, failures = 0, []
    t0 = time.perf_counter()
    while done < total:
        n = min(per_seed, total - done)
        r = fn(seed, n)
        print(f"  {r}", flush=True)
        if r.problem is not None:
            failures.append(r)
        done += n
        seed += 1
    return done, time.perf_counter() - t0, failures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few thousand calls (for CI)")
    ap.add_argument("--calls", type=int, default=1_000_000, help="calls of each fuzzer (default 10^6)")
    ap.add_argument("--seed", type=int, default=1, help="the first seed (default 1)")
    args = ap.parse_args(argv)
    calls = 3000 if args.quick else args.calls
    failures = []
    for kind, fn, per_seed in (("program (fuzz.c)", fuzz_program, 100_000),
                               ("Python driver (kcall)", fuzz_kcall, 20_000)):
        print(f"{kind}: {calls} calls, seeds from {args.seed}")
        n, secs, bad = sweep(kind, fn, calls, min(per_seed, calls), args.seed)
        print(f"{kind}: {n} calls in {secs:.1f} s: {n / secs:,.0f} calls/s with the checker on, "
              f"{len(bad)} failing seeds")
        failures += bad
    for r in failures:
        print(f"FAILED: {r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
