"""The pytest plugin (xv6py.testing.plugin), tested the way a grader uses it: small
test files run by an inner pytest (pytester), whose outcomes, report, points
table and results.json are checked here."""

import json
import re
import shlex
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from xv6py.machine import Machine

pytest_plugins = ["pytester"]

QUANTUM = 300        # short time slices: forktree's interleaving then depends on the seed


def run(pytester, *args):
    """Run pytest on the test files made in pytester's directory. Hypothesis's plugin
    is left out: it takes over a second to configure, and these files do not use it."""
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


def test_the_entry_point_names_the_plugin():
    eps = [ep for ep in entry_points(group="pytest11") if ep.name == "xv6py"]
    assert [ep.value for ep in eps] == ["xv6py.testing.plugin"]


def test_importing_the_plugin_loads_neither_unicorn_nor_the_machine():
    code = ("import sys, xv6py.testing.plugin, xv6py.testing.asserts, xv6py.testing.report, "
            "xv6py.testing.progress, xv6py.testing.runs\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('unicorn', 'capstone', 'rich')"
            " or m in ('xv6py.machine', 'xv6py.cpu')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_disabled_with_p_no(pytester):
    pytester.makepyfile("def test_m(xv6_machine):\n    pass\n")
    result = run(pytester, "-p", "no:xv6py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'xv6_machine' not found*"])


GRADED = '''
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("no such lab")

@pytest.mark.points(2)
def test_pass(xv6_run):
    assert xv6_run("hello").output == "hello, world\\n"

@pytest.mark.points(3, visibility="hidden")
def test_fail(xv6_run):
    assert xv6_run("echo", "hi").output == "bye\\n"

@pytest.mark.points(1.5)
def test_error(broken):
    pass

@pytest.mark.points(1)
def test_skip():
    pytest.skip("not this term")

def test_unpointed(xv6_machine):
    assert xv6_machine.run("hello").status == "exit"
'''


def test_points_table_and_gradescope_json(pytester):
    pytester.makepyfile(test_graded=GRADED)
    result = run(pytester, "--gradescope-json", "out/results.json")
    result.assert_outcomes(passed=2, failed=1, errors=1, skipped=1)
    doc = json.loads((pytester.path / "out" / "results.json").read_text())
    assert doc["score"] == 2 and doc["execution_time"] >= 0
    assert doc["output"] == "2 / 7.5 points; 2 of 5 tests passed (1 failed, 1 error, 1 skipped)"
    assert doc["extra_data"] == {"max_score": 7.5, "outcomes": {"passed": 2, "failed": 1, "error": 1,
                                                                "skipped": 1}}
    assert "leaderboard" not in doc
    tests = {t["name"].split("::")[1]: t for t in doc["tests"]}
    assert list(tests) == ["test_pass", "test_fail", "test_error", "test_skip", "test_unpointed"]
    for t in doc["tests"]:      # the schema `xv6py lab grade` writes too (tests/test_gradescope.py)
        assert set(t) == {"name", "score", "max_score", "status", "output", "visibility", "extra_data"}
        assert set(t["extra_data"]) == {"outcome", "seconds"} and t["extra_data"]["seconds"] >= 0
    rows = [(t["score"], t["max_score"], t["status"], t["extra_data"]["outcome"]) for t in tests.values()]
    assert rows == [
        (2, 2, "passed", "passed"), (0, 3, "failed", "failed"), (0, 1.5, "failed", "error"),
        (0, 1, "failed", "skipped"), (0, 0, "passed", "passed")]
    assert tests["test_fail"]["visibility"] == "hidden"
    assert tests["test_fail"]["output"].startswith("AssertionError: assert 'hi\\n' == 'bye\\n'")
    assert tests["test_error"]["output"] == "error in setup: RuntimeError: no such lab"
    assert tests["test_skip"]["output"] == "skipped: not this term"
    # the table: plain text (no colour codes) when the output is not a terminal
    out = result.stdout.str()
    assert "\x1b" not in out
    result.stdout.re_match_lines([r".*=+ xv6py points =+",
                                  r"\| test \(test_graded.py\) +\| result +\| +points \| visibility \|",
                                  r"\| test_pass +\| passed +\| +2 / 2 \| visible",
                                  r"\| test_fail +\| failed +\| +0 / 3 \| hidden",
                                  r"\| test_error +\| error +\| +0 / 1.5 \|",
                                  r"\| test_skip +\| skipped +\| +0 / 1 \|",
                                  r"\| total +\| +\| +2 / 7.5 \|"])
    assert "test_unpointed" not in out.split("xv6py points")[1]


def test_no_points_no_table(pytester):
    pytester.makepyfile("def test_a(xv6_run):\n    xv6_run('hello')\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert "xv6py points" not in result.stdout.str()


def test_gradescope_top_level_visibility_options(pytester):
    pytester.makepyfile("import pytest\n@pytest.mark.points(1)\ndef test_a():\n    pass\n")
    run(pytester, "--gradescope-json", "r.json", "--gradescope-visibility", "after_published",
                       "--gradescope-stdout-visibility", "hidden")
    doc = json.loads((pytester.path / "r.json").read_text())
    assert (doc["visibility"], doc["stdout_visibility"], doc["score"]) == ("after_published", "hidden", 1)


@pytest.mark.parametrize("marker", ["points('2')", "points(1, visibility='secret')", "points()", "budget(0)"])
def test_bad_markers_are_usage_errors(pytester, marker):
    pytester.makepyfile(f"import pytest\n@pytest.mark.{marker}\ndef test_a():\n    pass\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_a*marker*" if "budget" in marker else "*test_a*points*"])


def test_budget_marker_ends_a_runaway_with_a_clear_message(pytester):
    pytester.makepyfile('''
import pytest

@pytest.mark.budget(200_000)
def test_runaway(xv6_run):
    xv6_run("spin")
''')
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines([
        r"spin did not finish within its instruction budget of 200,000 instructions .*",
        r"processes when it stopped \(pid, state, name, where\):",
        r"  1 sleep init on wait\(1\)",
        r"  \d+ (run|runble) spin eip 0x[0-9a-f]+",
    ])


def test_budget_option_applies_to_the_machine_fixture(pytester):
    pytester.makepyfile('''
def test_direct(xv6_machine):
    r = xv6_machine.run("regloop", ["1000000000"])
    assert (xv6_machine.max_instructions, r.status) == (300_000, "budget")
''')
    run(pytester, "--xv6py-budget", "300_000").assert_outcomes(passed=1)


def test_a_kernel_panic_fails_the_test_with_its_message(pytester):
    pytester.makepyfile('''
from xv6py.panic import panic
from xv6py.syscalls import syscall

def boom():
    panic("boom from the test")

def test_panics(xv6_run, monkeypatch):
    table = {**syscall.syscalls, syscall.SYS_write: syscall.Syscall(boom, "write", "ipi")}
    monkeypatch.setattr(syscall, "syscalls", table)
    xv6_run("hello")
''')
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["kernel panic while running hello: panic: boom from the test"])


def test_stdin_is_given_per_run_on_the_same_machine(pytester):
    pytester.makepyfile('''
def test_cat(xv6_run, xv6_machine):
    assert xv6_run("cat", stdin="one\\ntwo\\n").output == "one\\ntwo\\n"
    assert xv6_run("cat", stdin=b"three\\n").output == "three\\n"
    assert xv6_run("cat").output == ""
    assert xv6_machine.processes() == []
''')
    run(pytester, ).assert_outcomes(passed=1)


def test_syscaller_fixture_drives_the_same_machine(pytester):
    pytester.makepyfile('''
from xv6py.testing.asserts import assert_shm

def test_shm(xv6_syscaller, xv6_machine):
    p = xv6_syscaller.spawn()
    seg = xv6_syscaller.call(p, "shm_create", 4096)
    assert_shm(xv6_machine, seg, npages=1, refcount=0)
''')
    run(pytester, ).assert_outcomes(passed=1)


# ---- reruns under seeds ------------------------------------------------------------------

def _switches(seed) -> int:
    return Machine(quantum=QUANTUM, seed=seed).run("forktree", ["2"]).switches


SEEDED = '''
import pytest

def test_switches(xv6_run):
    with open({log!r}, "a") as f:
        f.write("machine\\n")
    assert xv6_run("forktree", "2").switches <= {limit}

def test_plain():
    with open({log!r}, "a") as f:
        f.write("plain\\n")
'''


def test_seeds_name_the_first_failing_seed_and_the_command_that_reproduces_it(pytester):
    # A limit that the usual run and seed 1 meet, and some later seed does not.
    counts = [_switches(None)] + [_switches(s) for s in range(1, 9)]
    limit = max(counts[:2])
    first = next(s for s in range(2, 9) if counts[s] > limit)
    log = pytester.path / "runs.log"
    pytester.makepyfile(test_seeded=SEEDED.format(limit=limit, log=str(log)))
    result = run(pytester, "--xv6py-seeds", "8", "--xv6py-quantum", str(QUANTUM))
    result.assert_outcomes(passed=1, failed=1)
    assert log.read_text().split().count("machine") == 1 + first    # stopped at the failing seed
    assert log.read_text().split().count("plain") == 1               # no machine: not rerun
    command = (f"python -m pytest 'test_seeded.py::test_switches' --xv6py-seed {first} "
               f"--xv6py-quantum {QUANTUM}")
    result.stdout.fnmatch_lines([f"*fails under --xv6py-seed {first} (passed with the usual "
                                 f"scheduling and seeds 1..{first - 1})",
                                 f"reproduce with: {command}",
                                 "*xv6py: first failing seed*",
                                 f"test_seeded.py::test_switches: fails under seed {first}",
                                 f"    {command}"])
    # The command reproduces the failure; the seed before it passes.
    args = shlex.split(command)[3:]
    run(pytester, *args).assert_outcomes(failed=1)
    args[args.index("--xv6py-seed") + 1] = str(first - 1)
    run(pytester, *args).assert_outcomes(passed=1)


def test_seeds_that_all_pass_keep_the_points(pytester):
    pytester.makepyfile('''
import pytest

@pytest.mark.points(2)
def test_hello(xv6_run):
    assert xv6_run("hello").output == "hello, world\\n"
''')
    result = run(pytester, "--xv6py-seeds", "3", "--gradescope-json", "r.json")
    result.assert_outcomes(passed=1)
    test, = json.loads((pytester.path / "r.json").read_text())["tests"]
    assert (test["score"], test["output"]) == (2, "passed with the usual scheduling and seeds 1..3")


# ---- the progress bar --------------------------------------------------------------------

def screen(raw: str) -> list[str]:
    """What a terminal shows after printing raw: the moves the bar uses (newline,
    cursor up/down, to a column, erase line) are applied; colours are ignored."""
    rows, r, c = [[]], 0, 0
    for m in re.finditer(r"\x1b\[(\d*)([A-Za-z])|(\n)|([^\x1b\n])", raw):
        n, op, newline, ch = m.groups()
        if newline:
            r, c = r + 1, 0
        elif ch:
            rows[r][c:c + 1] = [ch] if c < len(rows[r]) else [" "] * (c - len(rows[r])) + [ch]
            c += 1
        elif op == "A":
            r -= int(n or 1)
        elif op == "B":
            r += int(n or 1)
        elif op == "G":
            c = int(n or 1) - 1
        elif op == "K":
            rows[r] = []
        while len(rows) <= r:
            rows.append([])
    return ["".join(row).rstrip() for row in rows]


def _stable(lines):
    """Lines without what differs between two runs: timings, object addresses."""
    return [re.sub(r"in \d+\.\d+s|at 0x[0-9a-f]+", "#", line).rstrip() for line in lines]


@pytest.mark.parametrize("verbosity", ["-q", "-v"])
def test_progress_bar_leaves_pytest_output_as_it_was(pytester, verbosity):
    pytester.makepyfile(test_a=GRADED, test_b=SEEDED.format(limit=10**6, log=str(pytester.path / "log")))
    runs = [run(pytester, verbosity, "--xv6py-seeds", "2", "--xv6py-progress", mode, "-p", "no:cacheprovider")
            for mode in ("off", "on")]
    plain, drawn = (r.stdout.str() for r in runs)
    assert "\x1b" not in plain
    # 7 tests, of which 4 use a machine and run twice more: 15 runs
    assert "\x1b[1A" in drawn and re.search(r" 0/15 0:00 test_a.py::test_pass", drawn)
    assert _stable(screen(drawn)) == _stable(plain.split("\n"))


def test_progress_bar_is_off_when_output_is_not_a_terminal(pytester):
    pytester.makepyfile(test_a=GRADED)
    assert "\x1b" not in run(pytester, "--xv6py-progress", "auto").stdout.str()


def test_the_readme_grader_example_passes_with_full_points(pytester):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.search(r"## Grading with pytest.*?```python\n(.*?)```", readme, re.S).group(1)
    pytester.makepyfile(test_readme=code)
    result = run(pytester, "--gradescope-json", "r.json")
    result.assert_outcomes(passed=3)
    assert json.loads((pytester.path / "r.json").read_text())["score"] == 6


def test_points_table_names_tests_in_full_when_they_come_from_several_files(pytester):
    pytester.makepyfile(test_one="import pytest\n@pytest.mark.points(1)\ndef test_a():\n    pass\n",
                        test_two="import pytest\n@pytest.mark.points(2)\ndef test_b():\n    assert 0\n")
    result = run(pytester)
    result.stdout.re_match_lines([r"\| test +\| result \| points \|",
                                  r"\| test_one.py::test_a +\| passed +\| +1 / 1 \|",
                                  r"\| test_two.py::test_b +\| failed +\| +0 / 2 \|",
                                  r"\| total +\| +\| +1 / 3 \|"])
