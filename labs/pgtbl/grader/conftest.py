"""Fixtures of the page-table grader.

Every test gets a freshly booted machine (the plugin's xv6_machine) running the
kernel with the student's pgdir.py in place of the reference -- when graded,
in a kernel process of its own. `k` is that machine: `k.kernel("walkpgdir",
...)` calls a kernel function, `k.read32(pa)` reads physical memory; `h` makes
system calls from Python (kcall.Syscaller).
"""

import pytest


@pytest.fixture
def k(xv6_machine):
    return xv6_machine


@pytest.fixture
def h(xv6_syscaller):
    return xv6_syscaller
