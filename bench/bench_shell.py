"""Sessions at xv6's shell (`xv6py boot`): how long each takes.

    python bench/bench_shell.py            # about half a minute
    python bench/bench_shell.py --quick    # fewer repetitions (what CI runs)

1. boot to the first prompt: Machine(session=True) made, init and sh started,
   "$ " printed (machine start-up only); and the whole command
   `python -m xv6py boot < /dev/null`, with Python's own start-up (`python -c
   pass`) and the import of the kernel printed separately.
2. usertests from the prompt to "ALL TESTS PASSED", with the time of each of
   its parts (from the console output as it is written).
3. `ls` at the prompt: a session typing `ls`, less one typing nothing.

Reference figures for real xv6 under QEMU on this kind of machine (from the
shell issue): boot to the shell 1.33 s, usertests 22.6 s.
Times are the best of several repetitions; nothing here asserts a time.
"""

import argparse
import subprocess
import sys
import time

from xv6py.machine import Machine


def best(fn, reps: int) -> float:
    return min(fn() for _ in range(reps))


def boot_to_prompt() -> float:
    t0 = time.perf_counter()
    r = Machine(session=True, stdin=b"").session_run()
    assert r.output.endswith("$ "), r.output
    return time.perf_counter() - t0


def session_time(typed: bytes) -> float:
    m = Machine(session=True, stdin=typed)
    t0 = time.perf_counter()
    m.session_run()
    return time.perf_counter() - t0


def command(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


class Stamps:
    """A console output stream that notes when each usertests part starts."""

    def __init__(self):
        self.text, self.marks = b"", []

    def write(self, data: bytes) -> None:
        self.text += data
        while True:
            i = self.text.find(b"test ", self.marks[-1][2] if self.marks else 0)
            j = self.text.find(b"\n", i)
            if i < 0 or j < 0:
                break
            self.marks.append((self.text[i + 5:j].decode(), time.perf_counter(), j))

    def flush(self) -> None:
        pass


def usertests_parts() -> tuple[float, list[tuple[str, float]]]:
    out = Stamps()
    m = Machine(session=True, stdin=b"usertests\n", echo=out)
    t0 = time.perf_counter()
    r = m.session_run()
    end = time.perf_counter()
    assert "ALL TESTS PASSED" in r.output, r.output[-400:]
    marks = out.marks + [("", end, 0)]
    return end - t0, [(a[0], b[1] - a[1]) for a, b in zip(marks, marks[1:], strict=False)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    reps = 2 if ap.parse_args().quick else 5
    py = sys.executable
    print("boot to the first prompt")
    print(f"  machine start-up (Machine(session=True) to '$ '):  "
          f"{best(boot_to_prompt, reps) * 1e3:7.1f} ms   (xv6 under QEMU: 1330 ms)")
    print(f"  python -c pass:                                   "
          f"{best(lambda: command([py, '-c', 'pass']), reps) * 1e3:7.1f} ms")
    print(f"  python -c 'import xv6py.machine':                 "
          f"{best(lambda: command([py, '-c', 'import xv6py.machine']), reps) * 1e3:7.1f} ms")
    print(f"  python -m xv6py boot < /dev/null (all of it):     "
          f"{best(lambda: command([py, '-m', 'xv6py', 'boot']), reps) * 1e3:7.1f} ms")
    total, parts = min((usertests_parts() for _ in range(max(1, reps // 2))), key=lambda x: x[0])
    print(f"usertests from the prompt to ALL TESTS PASSED:      {total:7.2f} s    (xv6 under QEMU: 22.6 s)")
    for name, t in parts:
        print(f"  {name:12} {t * 1e3:8.1f} ms")
    empty = best(lambda: session_time(b""), reps)
    ls = best(lambda: session_time(b"ls\n"), reps)
    print(f"ls at the prompt:                                   {(ls - empty) * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
