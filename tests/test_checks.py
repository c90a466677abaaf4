"""grading/checks.py: a crash in the student's code becomes a failed test whose
message says what was done and what went wrong, and guesses nothing."""

import pytest

from xv6py.grading.checks import call, kernel
from xv6py.panic import KernelPanic


class Fake:
    """A Syscaller whose calls answer from a table (an exception is raised)."""

    def __init__(self, answers: dict):
        self.answers = answers

    def call(self, p, name, *args):
        r = self.answers[name]
        if isinstance(r, Exception):
            raise r
        return r


def failure(fn, *args, **kwargs) -> str:
    with pytest.raises(pytest.fail.Exception) as e:
        fn(*args, **kwargs)
    return str(e.value)


def test_a_call_that_works_returns_its_result():
    assert call(Fake({"shm_create": 3}), None, "shm_create", 4096) == 3


def test_a_crash_names_the_call_and_the_error():
    h = Fake({"shm_attach": KernelPanic("remap 0x10000000")})
    text = failure(call, h, None, "shm_attach", 0, 0x10000000)
    assert text == "shm_attach(0, 0x10000000) crashed the kernel: panic: remap 0x10000000"


def test_a_hint_given_for_some_errors_is_shown_only_with_them():
    hint = {"remap": "the overlap was not checked"}
    h = Fake({"shm_attach": KernelPanic("remap 0x10000000"), "sbrk": ZeroDivisionError("division by zero")})
    assert failure(call, h, None, "shm_attach", 0, 0x10000000, hint=hint).endswith(
        "panic: remap 0x10000000\nthe overlap was not checked")
    assert "overlap" not in failure(call, h, None, "sbrk", 4096, hint=hint)
    assert failure(kernel, lambda: 1 // 0, what="f crashed", hint="always").endswith("\nalways")


def test_a_held_lock_names_the_call_before_and_drops_the_hint():
    """acquire panics when the lock is held: the message names the last call made
    (the likely culprit), allows that the call itself took it twice, and leaves
    out the hint, which was about this call's arguments."""
    h = Fake({"shm_destroy": -1, "shm_create": KernelPanic("acquire shm")})
    assert call(h, None, "shm_destroy", -2) == -1
    text = failure(call, h, None, "shm_create", 4096, hint="the size must be refused")
    assert text == ("shm_create(4096) crashed the kernel: panic: acquire shm\n"
                    "the lock 'shm' was held when shm_create tried to take it: a call before this one "
                    "returned without releasing it (the last one: shm_destroy(-2) = -1), or shm_create "
                    "takes it twice")
    other = Fake({"shm_create": KernelPanic("acquire shm")})       # no call before it on this one
    assert "(the last one" not in failure(call, other, None, "shm_create", 1)
