"""The scheduler (xv6py/proc/scheduler.py): round robin over the process table,
switching to and from a process, and how a run halts -- deadlock, budget -- and
idles until the next tick.

Processes are made with kcall.Syscaller; the scheduler is then run directly
(`for _ in scheduler(): pass`) on the machine's kernel, with a budget set on
the clock so that it stops.
"""

import pytest
from elfgen import program, syscall
from helpers import run, running

from xv6py import timer, vtime
from xv6py.cpu import x86 as X86_MODULE
from xv6py.machine import Machine
from xv6py.mm import pgdir as V
from xv6py.proc import proc as P
from xv6py.proc import scheduler as S
from xv6py.spinlock import Spinlock, acquire
from xv6py.syscalls.syscall import SYS_exit, SYS_pipe, SYS_read
from xv6py.testing.kcall import Syscaller

QUANTUM = 1000
SPIN = ["regloop", ["1000000000"]]          # never ends within these tests' budgets


@pytest.fixture
def h():
    m = Machine(quantum=QUANTUM)
    m.activate()
    return Syscaller(m)


@pytest.fixture(autouse=True)
def exact_budgets(monkeypatch):
    """These tests count budgets in user instructions exactly: translating code,
    which the CPU charges to the budget (vtime.py), is charged nothing here."""
    monkeypatch.setattr(X86_MODULE, "COST_TB", 0)
    monkeypatch.setattr(X86_MODULE, "COST_TB_INSN", 0)


def schedule(h, budget):
    """Run the scheduler until the machine halts, for at most `budget` instructions
    of virtual time from now, the first tick a quantum from now (not sooner for
    the kernel work charged while the test set up its processes). Returns
    (status, message)."""
    with h.m.entered():
        vtime.clock.set_budget(budget)
        vtime.clock.next_timer = vtime.clock.now + QUANTUM
        for _ in S.scheduler():
            pass
        return P.mycpu().halted


def on_a_tick(h) -> int:
    """Let virtual time run to the next tick, so that what follows starts on a tick
    as a fresh machine's first program would (loading programs from the disk took
    time). Returns the ticks so far."""
    with h.m.entered():
        vtime.clock.now = vtime.clock.next_timer
        timer.timerintr()
        return timer.ticks


def test_round_robin_in_table_order_not_pid_order(h, monkeypatch):
    """Slots 1..4 hold pids 2, 6, 4, 5 (pid 3's slot was reused by pid 6): each
    round runs them in slot order, one quantum each."""
    a, b, c, d = (h.spawn(*SPIN) for _ in range(4))
    init = P.ptable.initproc
    h.call(b, "exit")
    h.reap()
    e = h.spawn(*SPIN)
    assert P.ptable.proc.index(e) == 2 and e.pid == 6
    assert h.call(init, "wait") is None                     # init sleeps: only the spinners run
    order = []
    real = S.switchto
    monkeypatch.setattr(S, "switchto", lambda p: (order.append(p.pid), real(p))[1])
    status, _ = schedule(h, 6 * QUANTUM)
    assert status == "budget"
    assert order[:6] == [a.pid, e.pid, c.pid, d.pid, a.pid, e.pid]   # (then it finds the budget spent)
    assert [p.insns for p in (a, e, c, d)] == [2 * QUANTUM, 2 * QUANTUM, QUANTUM, QUANTUM]


def test_switchto_loads_the_process_and_switchback_the_kernel(h):
    p = h.spawn()
    p.tf.ebx = 0x1234
    c = P.mycpu()
    n = c.nswitch
    with h.m.entered():
        S.switchto(p)
        assert c.proc is p and p.state is P.RUNNING and c.nswitch == n + 1
        assert S.x86.rcr3() == p.pgdir
        assert S.x86.loaded is p.tf and p.tf.live and p.tf.ebx == 0x1234
        p.tf.ecx = 0x777                        # a register changed while it runs ...
        S.switchback()
        assert c.proc is None
        assert S.x86.rcr3() == V.kpgdir
        assert S.x86.loaded is None and not p.tf.live
        assert p.tf.ecx == 0x777 and p.tf.ebx == 0x1234   # ... is kept in its trap frame
    p.state = P.RUNNABLE


def test_budget_halts_the_run_exactly_at_the_budget(h):
    p = h.spawn(*SPIN)
    assert h.call(P.ptable.initproc, "wait") is None
    t0 = on_a_tick(h)
    status, message = schedule(h, 2500)
    assert status == "budget"
    assert message.startswith("instruction budget of 2,500 exhausted (")
    assert "): 1 sleep initcode on wait(1); 2 " in message
    assert vtime.clock.now == vtime.clock.limit
    assert p.insns == 2500 and vtime.clock.insns == 2500
    assert timer.ticks == t0 + 2                  # two full quanta ran; the third was cut short


def test_nothing_runnable_and_nobody_on_the_clock_is_a_deadlock(h):
    """init waits for p, p sleeps on a channel nothing will ever wake: the run
    halts at once, without a switch and without time passing."""
    p = h.spawn()
    assert h.call(P.ptable.initproc, "wait") is None
    lk = Spinlock("test")
    with running(h, p):
        acquire(lk)
        next(P.sleep("forever", lk))
    now, switches = vtime.clock.now, P.mycpu().nswitch
    status, message = schedule(h, 10**9)
    assert status == "deadlock"
    assert message == "no process can run: 1 sleep initcode on wait(1); 2 sleep hello on 'forever'"
    assert vtime.clock.now == now and P.mycpu().nswitch == switches


def test_idle_jumps_to_the_next_tick_when_someone_sleeps_on_the_clock(h):
    p = h.spawn()
    assert h.call(p, "sleep", 2) is None
    with h.m.entered():
        clock, t0 = vtime.clock, timer.ticks
        clock.next_timer = nxt = clock.now + QUANTUM      # (past the setup's kernel work)
        S.idle()
        assert clock.now == nxt and timer.ticks == t0 + 1
        assert clock.next_timer == nxt + QUANTUM and clock.insns == 0   # idle time is no instruction
        assert p.state is P.RUNNABLE                                    # woken to look at the clock
    assert P.mycpu().halted is None


def test_idle_stops_at_the_budget_if_the_next_tick_is_beyond_it(h):
    p = h.spawn()
    assert h.call(p, "sleep", 2) is None
    with h.m.entered():
        clock, t0 = vtime.clock, timer.ticks
        clock.next_timer = clock.now + QUANTUM             # (past the setup's kernel work)
        clock.limit = clock.next_timer - 1
        S.idle()
        assert P.mycpu().halted[0] == "budget"
        assert clock.now == clock.limit and timer.ticks == t0
        assert p.state is P.SLEEPING


def test_a_sleeper_on_the_clock_is_run_again_after_its_ticks(h):
    """The only runnable process sleeps 3 ticks: the scheduler idles through them
    (no instruction runs) and then runs it again; it spins to the budget."""
    p = h.spawn(*SPIN)
    assert h.call(P.ptable.initproc, "wait") is None
    t0 = on_a_tick(h)
    assert h.call(p, "sleep", 3) is None
    status, _ = schedule(h, 3 * QUANTUM + 10)
    assert status == "budget"
    assert timer.ticks == t0 + 3 and p.insns == 10 and p.context is None


def test_quantum_changes_the_interleaving_not_the_output():
    """forkmany has 62 children alive at once; how they interleave depends on
    the quantum, what the program prints does not."""
    results = [run(Machine(quantum=q), "forkmany") for q in (50, 997, 100_000)]
    assert len({r.output for r in results}) == 1
    assert all(r.status == "exit" for r in results)
    assert len({r.switches for r in results}) == 3
    assert results[0].ticks > results[1].ticks > results[2].ticks


def test_a_deadlocked_run_gives_the_same_result_every_time():
    """RunResult promises that everything but `wall` is deterministic."""
    buf = 0x800
    code = syscall(SYS_pipe, buf) + syscall(SYS_read, 3, buf + 8, 1) + syscall(SYS_exit)
    results = []
    for _ in range(2):
        m = Machine()
        m.add_program("selfpipe", program(code, bss=4096).to_bytes())
        results.append(m.run("selfpipe"))
    assert results[0].status == "deadlock"
    assert results[0] == results[1], (results[0].reason, results[1].reason)


@pytest.mark.parametrize("prog, args", [("fstests", ["createdelete"]), ("fstests", ["smallfile100"]),
                                        ("fstests", ["sharedfd"]), ("forktree", ["3"])])
def test_running_on_after_a_disk_wait_is_what_idling_and_switching_back_would_do(prog, args, monkeypatch):
    """A process that waits for the disk while nothing else can run goes on without
    switching away and back (_only_sleeper): the same run, to the instruction, as
    the scheduler's idle and round robin give."""
    def outcome():
        m = Machine(quantum=5000, seed=4)
        r = m.run(prog, args)
        return (r.output, r.status, r.instructions, r.ticks, r.switches, r.syscalls), m.disk_image()
    fast = outcome()
    monkeypatch.setattr(S, "_only_sleeper", lambda p: False)
    assert outcome() == fast
