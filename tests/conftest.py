"""Shared fixtures: a fresh machine, and one whose kernel can be called directly."""

import pytest

from xv6py.machine import Machine


@pytest.fixture
def machine():
    """A freshly booted machine."""
    return Machine()


@pytest.fixture
def kernel():
    """A freshly booted machine whose kernel globals are installed, for calling
    kernel functions (kalloc, walkpgdir, ...) directly from a test."""
    m = Machine()
    m.activate()
    return m
