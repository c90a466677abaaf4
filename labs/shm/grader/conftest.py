"""Fixtures of the shared-memory grader.

Every test gets a freshly booted machine (the plugin's xv6_machine) running the
kernel with the student's shm.py in place of the reference. `h` makes system
calls from Python as a process would (kcall.Syscaller); `p` is a process to
make them as: it exec'd /hello and has not run, so its address space is the
program's text, a guard page and a stack page, and everything above is free.
"""

import pytest

from xv6py.grading.checks import spawn


@pytest.fixture
def h(xv6_syscaller):
    return xv6_syscaller


@pytest.fixture
def p(h):
    return spawn(h)
