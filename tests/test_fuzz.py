"""The system-call fuzzers (userprogs/fuzz.c and xv6py/testing/fuzz.py) at a
small size, with the kernel's invariant checker on: the kernel must come
through every seed with no panic, leak or broken invariant. bench/bench_fuzz.py
runs them at 10^6 calls."""

import pytest

from xv6py.machine import Machine
from xv6py.testing import fuzz


@pytest.mark.parametrize("seed", [1, 38])
def test_the_fuzz_program_finds_nothing(seed):
    r = fuzz.fuzz_program(seed, 1500)
    assert r.problem is None, str(r)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_python_driver_finds_nothing(seed):
    r = fuzz.fuzz_kcall(seed, 300)
    assert r.problem is None, str(r)


def test_the_fuzz_program_is_deterministic_and_makes_every_kind_of_call():
    m = Machine(check=True)
    a, b = (m.run("fuzz", ["7", "400"]) for _ in range(2))
    assert a == b and a.status == "exit" and "fuzz: done: 2 rounds" in a.output
    assert a.syscalls > 400
    assert "unknown sys call" in a.output       # numbers past the table's end too


def test_a_failure_names_its_seed_and_the_line_that_reproduces_it():
    r = fuzz.FuzzResult("prog", 5, 100, 0.1, "panic: check: something", "xv6py run --check fuzz 5 100")
    assert "seed 5" in str(r) and "reproduce: xv6py run --check fuzz 5 100" in str(r)
    r = fuzz.fuzz_program(3, 100, budget=10_000)   # a budget too small for it: a failure
    assert r.problem is not None and r.command == "xv6py run --check fuzz 3 100"


def test_the_command_line(capsys):
    assert fuzz.main(["prog", "x", "1"]) == 2
    assert "usage" in capsys.readouterr().err
    assert fuzz.main(["kcall", "3", "50"]) == 0
    assert "fuzz kcall seed 3: 50 calls" in capsys.readouterr().out
