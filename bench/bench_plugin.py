"""What the xv6py pytest plugin costs a pytest run that does not use it.

    python bench/bench_plugin.py            # best of 9
    python bench/bench_plugin.py --quick    # best of 3

1. Importing the plugin (pytest already imported, as it is when pytest loads it),
   in a fresh interpreter: the plugin must not import unicorn or the machine.
   Twice: with the bytecode cache an installed package has, and compiled from
   source (what PYTHONDONTWRITEBYTECODE=1 makes every run do).
2. The wall time of a pytest run of 200 trivial tests (no xv6py fixture), with
   the plugin loaded (it is, through its pytest11 entry point) and with
   `-p no:xv6py`, alternating, in the same run of this script. Both leave out
   hypothesis's plugin, whose start-up (about a second here) would drown the
   difference.

Times are the best of several repetitions; nothing here asserts a time.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRIVIAL = '''
import pytest

@pytest.mark.parametrize("i", range(200))
def test_nothing(i):
    assert i >= 0
'''

IMPORT = ("import time, pytest\n"
          "t = time.perf_counter()\n"
          "import xv6py.testing.plugin\n"
          "print(time.perf_counter() - t)\n")


def import_time(reps: int, cache: str | None) -> float:
    """Seconds to import the plugin in a fresh interpreter that has pytest loaded:
    with compiled bytecode kept under `cache` (as an installed package has it),
    or compiled from source every time (cache None, PYTHONDONTWRITEBYTECODE)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = cache
    cmd = [sys.executable, "-c", IMPORT]
    subprocess.run(cmd, env=env, capture_output=True, check=True)      # writes the cache
    return min(float(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout)
               for _ in range(reps))


def pytest_wall(where: Path, extra: list[str]) -> float:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
           *extra, str(where)]
    t0 = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True, cwd=where)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    reps = 3 if ap.parse_args().quick else 9
    with tempfile.TemporaryDirectory() as cache:
        cached = import_time(reps, cache)
    print(f"plugin import (pytest already loaded): {cached * 1000:.2f} ms with bytecode cached, "
          f"{import_time(reps, None) * 1000:.2f} ms compiled from source")
    with tempfile.TemporaryDirectory() as d:
        where = Path(d)
        (where / "test_trivial.py").write_text(TRIVIAL)
        (where / "pytest.ini").write_text("[pytest]\n")
        with_plugin, without = [], []
        for _ in range(reps):
            with_plugin.append(pytest_wall(where, []))
            without.append(pytest_wall(where, ["-p", "no:xv6py"]))
    a, b = min(with_plugin), min(without)
    print(f"pytest, 200 trivial tests, plugin loaded:  {a * 1000:.0f} ms")
    print(f"pytest, 200 trivial tests, -p no:xv6py:    {b * 1000:.0f} ms")
    print(f"difference: {(a - b) * 1000:+.0f} ms ({(a - b) / b * 100:+.1f} %)")


if __name__ == "__main__":
    main()
