"""xv6py.testing.asserts: the kernel-state helpers graders assert with, on processes
driven through kcall (the state a test looks at), and their failure messages."""

import dataclasses

import pytest

from xv6py.memlayout import KERNBASE
from xv6py.mmu import PGSIZE, PTE_ADDR, PTE_P, PTE_PS, PTE_U
from xv6py.testing.asserts import (
    assert_frame_filled,
    assert_free_frames,
    assert_no_leak,
    assert_no_zombies,
    assert_proc,
    assert_pte,
    assert_shm,
    describe_pte,
    free_frames,
    proc_by_pid,
    processes,
    pte,
    shm_entry,
)
from xv6py.testing.kcall import Syscaller

SHM_VA = 0x10000000


@pytest.fixture
def h(machine):
    return Syscaller(machine)


def test_no_leak_after_a_real_run_and_the_message_for_a_leak(machine):
    r = machine.run("forktree", ["2"])
    assert_no_leak(r)
    leaky = dataclasses.replace(r, free_frames_after=r.free_frames_before - 3)
    with pytest.raises(AssertionError, match=r"forktree leaked 3 frame\(s\): \d+ free before the run"):
        assert_no_leak(leaky)


def test_free_frames_follow_the_allocator(h):
    m = h.m
    h.spawn()                           # the Syscaller's root process now exists
    before = free_frames(m)
    p = h.spawn()
    assert free_frames(m) < before
    with pytest.raises(AssertionError, match=f"expected {before} .*unaccounted"):
        assert_free_frames(m, before)
    h.call(p, "exit")
    h.reap()
    assert_free_frames(m, before)


def test_frame_filled_counts_the_bytes_that_differ_and_shows_the_first(machine):
    from xv6py.mm import kalloc
    machine.activate()
    pa = kalloc.kalloc()
    kalloc.kfree(pa)                    # kfree junk-fills the frame with 0x01
    pa = kalloc.kalloc()
    assert_frame_filled(machine, pa, 1)
    with pytest.raises(AssertionError, match=rf"^not zeroed: frame {pa:#x} holds 4096 byte\(s\) "
                                             r"other than 0x00; the first at offset 0x0 is 0x01$"):
        assert_frame_filled(machine, pa, what="not zeroed")
    machine.x86.ram[pa + 0x123] = 0x7F
    with pytest.raises(AssertionError, match=r"holds 1 byte\(s\) other than 0x01; the first at offset "
                                             r"0x123 is 0x7f"):
        assert_frame_filled(machine, pa, 1)
    machine.x86.ram[pa:pa + PGSIZE] = bytes(PGSIZE)
    assert_frame_filled(machine, pa)
    kalloc.kfree(pa)


def test_process_table_helpers(h):
    m = h.m
    p = h.spawn("hello")
    row = assert_proc(m, p.pid, state="RUNNABLE", name="hello")
    assert row == proc_by_pid(m, p.pid) and row["ppid"] == 1
    assert [r["pid"] for r in processes(m, "runble")] == [1, p.pid]   # root, and p
    assert processes(m, "ZOMBIE") == []
    assert proc_by_pid(m, 999) is None
    with pytest.raises(AssertionError, match=f"pid {p.pid} \\(hello\\) is runble, expected zombie"):
        assert_proc(m, p.pid, state="zombie")
    with pytest.raises(AssertionError, match="no process with pid 999; the table holds: 1 "):
        assert_proc(m, 999)


def test_zombies_are_found_until_reaped(h):
    m = h.m
    p = h.spawn()
    assert_no_zombies(m)
    h.call(p, "exit")
    with pytest.raises(AssertionError, match=f"1 zombie\\(s\\) nobody waited for: pid {p.pid} hello"):
        assert_no_zombies(m)
    h.reap()
    assert_no_zombies(m)


def test_pte_of_a_shared_segment_matches_the_shm_table(h):
    m = h.m
    p = h.spawn()
    seg = h.call(p, "shm_create", 2 * PGSIZE)
    assert h.call(p, "shm_attach", seg, SHM_VA) == 0
    row = assert_shm(m, seg, refcount=1, npages=2, free=False)
    assert row == shm_entry(m, seg) and row["attached"] == [(p.pid, SHM_VA)]
    for i, frame in enumerate(row["frames"]):
        entry = assert_pte(m, p.pid, SHM_VA + i * PGSIZE, user=True, writable=True, frame=frame)
        assert PTE_ADDR(entry) == frame
    # the page after the segment: its page table exists, the entry is empty
    assert pte(m, p.pid, SHM_VA + 2 * PGSIZE) == 0
    assert_pte(m, p.pid, SHM_VA + 2 * PGSIZE, present=False)
    h.call(p, "shm_detach", seg)
    assert_pte(m, p.pid, SHM_VA, present=False)
    assert_shm(m, seg, refcount=0)
    h.call(p, "shm_destroy", seg)
    assert_shm(m, seg, free=True, npages=0)


def test_pte_messages_say_what_the_entry_holds(h):
    m = h.m
    p = h.spawn()
    with pytest.raises(AssertionError, match=r"pid \d+ va 0x0: 0x[0-9a-f]{8} \(frame 0x[0-9a-f]+, P W U\): "
                                             r"expected not user-accessible"):
        assert_pte(m, p.pid, 0, user=False)
    with pytest.raises(AssertionError, match="va 0x40000000: no page table: expected present"):
        assert_pte(m, p.pid, 0x40000000)
    with pytest.raises(LookupError, match="no process with pid 77"):
        pte(m, 77, 0)


def test_kernel_half_is_a_4mib_supervisor_page(h):
    m = h.m
    p = h.spawn()
    entry = assert_pte(m, p.pid, KERNBASE + 0x1234, user=False, writable=True)
    assert entry & PTE_PS and entry & PTE_P and not entry & PTE_U
    assert PTE_ADDR(entry) == 0                  # KERNBASE maps physical address 0
    assert "PS" in describe_pte(entry)


def test_shm_entry_checks_the_id(h):
    assert shm_entry(h.m, 0)["free"] is True
    with pytest.raises(IndexError, match="shm id 99 out of range"):
        shm_entry(h.m, 99)
    with pytest.raises(AssertionError, match="shm segment 0: free is True, expected False"):
        assert_shm(h.m, 0, free=False)


def test_at_once_answers_each_look_in_order_and_raises_the_first_error(machine):
    from helpers import looks_at_once
    seen = looks_at_once(machine, Syscaller(machine))
    answers = seen[0]
    assert answers[1] == machine.free_frames and answers[2] == machine.shm_segments()
    assert [r["pid"] for r in answers[0]] == [r["pid"] for r in machine.processes()]
    seg, entry = answers[3], answers[4]
    assert seg["npages"] == 2 and entry & PTE_P and PTE_ADDR(entry) == seg["frames"][0]
    assert answers[5] is None and answers[6] is False and answers[7] == machine.read_phys(0, 4)
    assert seen[1][0] == "LookupError" and "no process with pid 999" in seen[1][1]
    assert seen[2] == ("ValueError", seen[2][1]) and seen[2][1].startswith("kernel is not an inspection")
