"""Fixtures of the page-table grader.

Every test gets a freshly booted machine (the plugin's xv6_machine) running the
kernel with the student's pgdir.py in place of the reference. `k` is that
machine with its kernel state installed, for calling walkpgdir, mappages and
vmprint directly; `h` makes system calls from Python (kcall.Syscaller).
"""

import pytest


@pytest.fixture
def k(xv6_machine):
    xv6_machine.activate()
    return xv6_machine


@pytest.fixture
def h(xv6_syscaller):
    return xv6_syscaller
