"""Every run is bounded (issue 13): kernel work is charged to virtual time
(xv6py/vtime.py, the COST_* table in param.py), so an instruction budget bounds
the host time of a run, not only its user instructions; the host time itself can
be limited (Machine(timeout=)); console output is capped per run (max_output);
and unicorn's translation buffer is small, so that no run takes the host's memory.

The hostile programs are `hog MODE` (userprogs/hog.c). They run in a child
process under an address-space limit, which both proves the memory bound and
keeps a regression from taking the test machine with it."""

import json
import subprocess
import sys
import textwrap

import pytest
from helpers import run

from xv6py import vtime
from xv6py.cpu.x86 import TCG_BUFFER_SIZE
from xv6py.machine import Machine
from xv6py.param import COST_FRAME, COST_PAGE, COST_WALK, MAXOUTPUT
from xv6py.proc import proc as P
from xv6py.testing.kcall import Syscaller

MiB = 1 << 20
AS_LIMIT = 1024 * MiB        # the child's address space: RAM (224 MiB), TCG buffer, Python, copies
HOGS = {   # mode and args: budget
    "string": (["string"], 20_000_000),        # open() of an 8 MiB string with no NUL
    "fork": (["fork"], 10_000_000),            # ten forks of a 100 MiB process
    "sled": (["sled"], 20_000_000),            # 4 MiB of code, each instruction run once
    "flood": (["flood"], 50_000_000),          # 8 writes of 64 MiB to the console
    "sleep": (["sleep"], 10_000_000),          # sleep(0x7fffffff)
}

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from xv6py.machine import Machine
    m = Machine()
    out = {{}}
    for name, (args, budget) in {hogs!r}.items():
        t = time.perf_counter()
        r = m.run("hog", args, max_instructions=budget)
        out[name] = dict(status=r.status, reason=r.reason, output=r.output[-200:], outlen=len(r.output),
                         instructions=r.instructions, kernel=r.kernel, translation=r.translation,
                         wall=time.perf_counter() - t,
                         rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    r = m.run("hog", ["sleep"], timeout=0.5)
    out["timeout"] = dict(status=r.status, reason=r.reason, wall=r.wall)
    json.dump(out, sys.stdout)
""")


@pytest.fixture(scope="module")
def hogs():
    """Each hostile program's outcome, from one child process under AS_LIMIT."""
    code = CHILD.format(limit=AS_LIMIT, hogs=HOGS)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


def _ended_by_budget(h, budget):
    assert h["status"] == "budget", h
    assert h["reason"].startswith(f"instruction budget of {budget:,} exhausted (")


def test_an_unterminated_8_mib_string_is_scanned_once_and_charged(hogs):
    h = hogs["string"]
    assert h["status"] == "exit" and h["output"].endswith("hog: open = -1\nhog: string done\n")
    pages = 8 * MiB // 4096
    assert h["kernel"] >= (pages - 1) * (COST_WALK + COST_PAGE)      # the scan was charged
    assert h["wall"] < 5


def test_forks_of_a_100_mib_process_end_at_the_budget(hogs):
    h = hogs["fork"]
    _ended_by_budget(h, HOGS["fork"][1])
    assert h["instructions"] < 1000 and h["kernel"] >= 9_000_000      # the kernel's work used it
    assert h["wall"] < 5


def test_a_never_repeating_sled_is_charged_its_translation(hogs):
    h = hogs["sled"]
    _ended_by_budget(h, HOGS["sled"][1])
    assert h["translation"] > h["instructions"] > 4 * MiB              # past the memset, into the sled
    assert "code translation" in h["reason"]
    assert h["wall"] < 10


def test_a_console_flood_keeps_max_output_and_one_marker(hogs):
    h = hogs["flood"]
    assert h["status"] == "exit"
    marker = f"\n[xv6py: console output cut at {MAXOUTPUT:,} bytes (max_output); the rest is dropped]\n"
    assert h["output"].endswith(marker) and h["outlen"] == MAXOUTPUT + len(marker)
    assert h["kernel"] >= 8 * 64 * MiB // 4096 * COST_PAGE            # every write was charged
    assert h["wall"] < 10


def test_a_long_sleep_idles_to_the_budget_at_once(hogs):
    h = hogs["sleep"]
    _ended_by_budget(h, HOGS["sleep"][1])
    assert "idle" in h["reason"] and "sleep hog on &ticks" in h["reason"]
    assert h["wall"] < 2


def test_the_host_time_limit_ends_a_run_that_has_no_budget(hogs):
    h = hogs["timeout"]
    assert h["status"] == "timeout" and h["reason"].startswith("host time limit reached: ")
    assert 0.5 <= h["wall"] < 3


def test_host_memory_stays_bounded(hogs):
    """The whole child ran under AS_LIMIT of address space; what it touched at most
    is the RAM the fork case uses (two 100 MiB processes), and copies of a write."""
    assert max(h["rss"] for name, h in hogs.items() if name != "timeout") < 512 * MiB


# ---- the charges ----------------------------------------------------------------------------

@pytest.fixture
def h():
    m = Machine()
    m.activate()
    return Syscaller(m)


def test_a_charge_advances_the_clock_and_counts_as_kernel_work(h):
    with h.m.entered():
        c = vtime.clock
        now, kernel, insns = c.now, c.kernel, c.insns
        vtime.charge(123)
        assert (c.now, c.kernel, c.insns) == (now + 123, kernel + 123, insns)


def test_a_small_range_is_free_a_large_one_is_charged_per_page(h):
    with h.m.entered():
        c = vtime.clock
        before = c.kernel
        vtime.charge_range(4096)                 # a system call's first page: in COST_TRAP
        assert c.kernel == before
        vtime.charge_range(4096 * 3)
        assert c.kernel == before + 2 * (COST_WALK + COST_PAGE)


def test_fork_is_charged_for_every_page_it_copies(h):
    p = h.spawn()
    h.call(p, "sbrk", 40 * 4096)
    with h.m.entered():
        before = vtime.clock.kernel
    assert h.call(p, "fork") > 0
    with h.m.entered():
        pages = P.ptable.proc[1].sz // 4096
        assert vtime.clock.kernel - before >= pages * (COST_FRAME + COST_PAGE + COST_WALK)


def test_kernel_work_is_the_same_on_every_run():
    a, b = Machine(), Machine()
    ra, rb = run(a, "forktree", ["3"]), run(b, "forktree", ["3"])
    assert ra.kernel == rb.kernel > 0 and ra.ticks == rb.ticks
    assert run(a, "forktree", ["3"]).kernel == ra.kernel      # a reused machine too


def test_a_budget_below_one_or_a_time_limit_not_above_zero_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        Machine(max_instructions=0)
    with pytest.raises(ValueError, match="more than 0 seconds"):
        Machine(timeout=0)
    m = Machine()
    with pytest.raises(ValueError, match="at least 1"):
        m.run("hello", max_instructions=-5)
    with pytest.raises(ValueError, match="cannot be negative"):
        Machine(max_output=-1)


def test_max_output_is_per_run():
    m = Machine(max_output=5)
    r = m.run("hello")
    assert r.output.startswith("hello\n[xv6py: console output cut at 5 bytes")
    assert m.run("hello").output == r.output                  # every run boots a fresh console
    assert Machine(max_output=None).run("hello").output == "hello, world\n"


def test_the_translation_buffer_is_small():
    m = Machine()
    assert m.x86.uc.ctl_get_tcg_buffer_size() == TCG_BUFFER_SIZE <= 64 * MiB


def test_machines_fit_in_a_limited_address_space():
    """Each Machine maps its RAM (PHYSTOP) and unicorn's translation buffer; one
    no longer used holds them until Python's cycle collector runs. Under an
    address-space limit, creating a machine collects first when there is no
    room, and refuses cleanly (OSError) when there is none at all -- where
    unicorn itself would end the whole process."""
    code = textwrap.dedent("""
        import gc, resource, re
        gc.disable()                                   # as if the collector had not come by
        resource.setrlimit(resource.RLIMIT_AS, (700 << 20, 700 << 20))
        from xv6py.machine import Machine
        for i in range(20):
            assert Machine().run("hello").output == "hello, world\\n"
        keep = [Machine(), Machine()]
        try:
            Machine()
        except OSError:
            print("refused")
        print(keep[0].run("hello").status)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout) == (0, "refused\nexit\n"), r.stderr[-2000:]
