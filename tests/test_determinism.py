"""Same program, arguments, quantum and seed: same output, same counts, on every
run. A seed varies the timer's intervals, so different seeds interleave
differently; the seed that gave a result gives it again."""


import pytest

from xv6py.machine import Machine


def fingerprint(r):
    return (r.output, r.status, r.instructions, r.syscalls, r.faults, r.ticks, r.switches)


CASES = [(prog, args, quantum, seed)
         for prog, args in (("forktree", ["3"]), ("faults", []), ("spin", []), ("sbrktest", []))
         for quantum, seed in ((100_000, None), (1000, None), (997, 5), (50, 123))
         if quantum >= 997 or prog in ("forktree", "faults")]     # spin & sbrktest: long runs


@pytest.mark.parametrize("prog,args,quantum,seed", CASES)
def test_repeatable(prog, args, quantum, seed):
    a = Machine(quantum=quantum, seed=seed).run(prog, args)
    b = Machine(quantum=quantum, seed=seed).run(prog, args)
    assert fingerprint(a) == fingerprint(b)
    assert a == b and repr(a) == repr(b)            # host time (wall) is left out of both
    assert a.status == "exit"


def test_seeds_change_the_interleaving():
    """spin's child runs until its parent kills it: how far it gets depends on the
    timer, so different seeds give different instruction counts."""
    counts = {Machine(quantum=2000, seed=s).run("spin").instructions for s in range(6)}
    assert len(counts) > 1


def test_second_run_on_same_machine_is_clean(machine):
    a = machine.run("forktree", ["2"])
    b = machine.run("forktree", ["2"])
    assert a.free_frames_after == a.free_frames_before == b.free_frames_before == b.free_frames_after
    assert a == b                   # each run starts on a freshly booted kernel: pids from 1
