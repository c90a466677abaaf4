"""Locks (xv6py/spinlock.py): they never spin on one emulated CPU, but they catch
xv6's lock mistakes -- taking a lock twice, releasing one that is not held --
with a kernel panic."""

import pytest

from xv6py.panic import KernelPanic
from xv6py.spinlock import Spinlock, acquire, holding, release


def test_a_new_lock_is_free():
    lk = Spinlock("fresh")
    assert not holding(lk)
    assert lk.name == "fresh"


def test_acquire_and_release_follow_holding():
    lk = Spinlock("x")
    acquire(lk)
    assert holding(lk)
    release(lk)
    assert not holding(lk)
    acquire(lk)                 # free again: it can be taken again
    assert holding(lk)


def test_acquire_twice_panics_naming_the_lock():
    lk = Spinlock("ptable")
    acquire(lk)
    with pytest.raises(KernelPanic, match="^acquire ptable$"):
        acquire(lk)
    assert holding(lk)          # still held by the first acquire


def test_release_when_not_held_panics_naming_the_lock():
    lk = Spinlock("kmem")
    with pytest.raises(KernelPanic, match="^release kmem$"):
        release(lk)
    acquire(lk)
    release(lk)
    with pytest.raises(KernelPanic, match="^release kmem$"):
        release(lk)             # a second release is as wrong as the first
    assert not holding(lk)


def test_locks_are_independent():
    a, b = Spinlock("a"), Spinlock("b")
    acquire(a)
    acquire(b)                  # holding one lock does not block another
    release(a)
    assert holding(b) and not holding(a)
    release(b)


def test_repr_says_whether_it_is_held():
    lk = Spinlock("pipe")
    assert repr(lk) == "<Spinlock pipe>"
    acquire(lk)
    assert repr(lk) == "<Spinlock pipe held>"
