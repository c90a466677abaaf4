"""Every mistake on the command line (issue 13) gets one line on stderr, no
traceback, and an exit status that says what happened (xv6py/cli.py: 2 a mistake
on the command line, 3 a rejected program, 130 interrupted). Each case runs the
real console script, as a user would; they run side by side."""

import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from elfgen import program, write_exit

from xv6py.param import MAXARG

XV6PY = Path(sys.executable).with_name("xv6py")
if not XV6PY.exists():
    XV6PY = Path(shutil.which("xv6py") or "xv6py")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "empty").write_bytes(b"")
    (d / "elf64").write_bytes(program(write_exit(b"hi\n"), elfclass=2, machine=62).to_bytes())
    (d / "file").write_text("a file, not a folder\n")
    return d


def cases(d: Path) -> dict:
    """name: (arguments, exit status, what the one line on stderr says)."""
    return {
        "quantum -1": (["run", "--quantum", "-1", "hello"], 2, "--quantum: must be at least 1, not -1"),
        "quantum 0": (["run", "--quantum", "0", "hello"], 2, "--quantum: must be at least 1, not 0"),
        "boot quantum 0": (["boot", "--quantum", "0"], 2, "--quantum: must be at least 1, not 0"),
        "boot budget 0": (["boot", "--max-instructions", "0"], 2, "must be at least 1, not 0"),
        "no stdin file": (["run", "--stdin", str(d / "nope"), "cat"], 2, "--stdin: no such file"),
        "no script file": (["debug", "--script", str(d / "nope"), "hello"], 2, "--script: no such file"),
        "debug empty": (["debug", str(d / "empty")], 3, "an empty file, not a program"),
        "svg folder": (["pt", "--svg", str(d / "nowhere" / "pt.svg"), "hello"], 2, "no such folder"),
        "lab init": (["lab", "init", "shm", str(d / "file" / "alice")], 2, "Not a directory"),
        "gdb port": (["run", "--gdb", "99999", "hello"], 2, "a TCP port is 1 to 65535, not 99999"),
        "budget -5": (["run", "--max-instructions", "-5", "hello"], 2, "must be at least 1, not -5"),
        "timeout 0": (["run", "--timeout", "0", "hello"], 2, "must be more than 0 seconds"),
        "passwd": (["run", "/etc/passwd"], 3, "passwd: rejected (not an ELF file)"),
        "empty": (["run", str(d / "empty")], 3, "rejected (an empty file, not a program)"),
        "x86-64": (["run", str(d / "elf64")], 3, "rejected (not an i386 ELF executable)"),
        "too many args": (["run", "echo", *map(str, range(MAXARG - 2))], 2, "too many arguments: 30"),
        "option after PROG": (["run", "shmtest", "-w", "alice"], 2,
                              "-w after the program name: options go before PROG"),
        "no such program": (["run", "nosuch"], 2, "no program named 'nosuch'"),
        "no PROG": (["run"], 2, "the following arguments are required: prog"),
        "bad number": (["run", "--quantum", "lots", "hello"], 2, "not a number: 'lots'"),
    }


def xv6py(args, **kw):
    return subprocess.run([str(XV6PY), *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=120, **kw)


@pytest.fixture(scope="module")
def results(files):
    todo = cases(files)
    with ThreadPoolExecutor(4) as pool:
        done = dict(zip(todo, pool.map(lambda c: xv6py(c[0], cwd=files), todo.values()), strict=True))
    return todo, done


@pytest.mark.parametrize("name", list(cases(Path("/x"))))
def test_a_mistake_is_one_line_and_an_exit_status(results, name):
    todo, done = results
    args, status, says = todo[name]
    r = done[name]
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and says in lines[0], r.stderr
    assert r.returncode == status, (r.returncode, r.stderr)


def test_interrupting_a_run_is_one_line_and_130():
    p = subprocess.Popen([str(XV6PY), "run", "regloop", "1000000000"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(1.0)                              # past start-up: inside the run
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert (p.returncode, err) == (130, "xv6py: interrupted\n")


def test_arguments_after_a_double_dash_go_to_the_program():
    r = xv6py(["run", "-q", "echo", "--", "-n", "--quiet"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "-n --quiet\n", "")
    r = xv6py(["run", "-q", "--", "echo", "a", "--", "b"])
    assert (r.returncode, r.stdout) == (0, "a -- b\n")


def test_version():
    r = xv6py(["--version"])
    assert r.returncode == 0 and r.stdout.startswith("xv6py ")


def test_the_default_budget_is_named_when_it_ends_a_run():
    r = xv6py(["run", "hog", "sleep"])
    assert r.returncode == 1
    assert "instruction budget of 1,000,000,000 exhausted" in r.stderr
    assert "[the default budget of `xv6py run`: --max-instructions N for more]" in r.stderr


def test_fail_and_check_options():
    bad = xv6py(["run", "--fail", "frames:1", "hello"])
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "kinds: kalloc, balloc, ialloc" in bad.stderr and "Traceback" not in bad.stderr
    ok = xv6py(["run", "--check", "--fail", "kalloc:1000000", "forktree", "2"])
    assert ok.returncode == 0 and "forktree: exit" in ok.stderr
