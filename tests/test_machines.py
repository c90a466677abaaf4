"""Several machines in one Python process (machine.py: entered(), the lock, the
owner of a run), and a reused machine behaving as a fresh one for every run."""

import threading

import pytest

from xv6py.debug.debugger import Debugger
from xv6py.machine import Machine, MachineBusy
from xv6py.testing.kcall import Syscaller


def alone(prog, args=(), **options):
    return Machine(**options).run(prog, args)


# ---- two machines, driven in turn ------------------------------------------------------------

def test_two_started_runs_driven_in_turn_each_run_their_own_kernel():
    m1, m2 = Machine(), Machine(quantum=1000)
    r1 = m1.start("forktree", ["2"])
    r2 = m2.start("shmtest")            # installed last: m1's schedule must install m1 again
    for _ in r1.schedule:
        pass
    for _ in r2.schedule:
        pass
    b = m2.finish(r2)
    a = m1.finish(r1)
    assert a == alone("forktree", ["2"])
    assert b == alone("shmtest", quantum=1000)
    assert a.ok and b.ok


def test_two_debuggers_stepping_in_turn_give_what_each_gives_alone():
    d1 = Debugger(Machine(quantum=500), "shmtest")
    d2 = Debugger(Machine(quantum=700, seed=3), "forktree", ["2"])
    while not (d1.last.halted and d2.last.halted):
        for d in (d1, d2):
            if not d.last.halted:
                d.stepi(997)
    assert d1.result == alone("shmtest", quantum=500)
    assert d2.result == alone("forktree", ["2"], quantum=700, seed=3)


def test_a_look_at_one_machine_from_inside_another_puts_it_back():
    m1, m2 = Machine(), Machine()
    seen = []

    def tracer(t):                      # runs inside m1's kernel
        seen.append(len(m2.processes()))

    with m1.entered():
        from xv6py.syscalls import syscall
        syscall.set_tracer(tracer)
    r = m1.run("hello")
    assert r.ok and r.output == "hello, world\n"
    assert seen and set(seen) == {0}
    assert m2.run("echo", ["two"]).output == "two\n"


def test_activate_inside_another_machines_block_is_refused():
    m1, m2 = Machine(), Machine()
    with m1.entered(), pytest.raises(RuntimeError, match="use entered"):
        m2.activate()


# ---- threads ----------------------------------------------------------------------------------

def test_one_machine_per_thread_gives_the_same_results_as_one_thread():
    programs = [("forktree", ["2"]), ("shmtest", []), ("sbrktest", []), ("shmcall", [])]
    expected = [alone(p, a) for p, a in programs]
    results: dict[int, list] = {}

    def work(i):
        m = Machine()
        results[i] = [m.run(p, a) for p, a in programs for _ in range(3)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(results) == [0, 1, 2]
    for runs in results.values():
        assert runs == [r for r in expected for _ in range(3)]
        assert all(r.ok for r in runs)


def test_a_second_thread_using_a_machine_in_the_middle_of_a_run_is_refused():
    m = Machine()
    d = Debugger(m, "shmtest")              # a run in progress, owned by this thread
    errors = []

    def intrude():
        for look in (m.processes, lambda: m.run("hello"), lambda: m.free_frames):
            try:
                look()
            except MachineBusy as e:
                errors.append(str(e))

    t = threading.Thread(target=intrude)
    t.start()
    t.join(30)
    assert len(errors) == 3 and "another thread" in errors[0]
    r = d.finish_run()                      # the owner goes on undisturbed
    assert r == alone("shmtest")
    t = threading.Thread(target=lambda: errors.append(m.run("hello").output))
    t.start()
    t.join(30)
    assert errors[-1] == "hello, world\n"   # after the run, any thread may use it


# ---- a reused machine is a fresh one ----------------------------------------------------------

def test_a_reused_machine_runs_each_program_as_a_fresh_one_would():
    """Timer phase, the seed's random state, pids, frames: all as new."""
    m = Machine(quantum=300, seed=11)
    runs = [m.run("shmcall"), m.run("forkmany"), m.run("shmcall")]
    assert runs[0] == runs[2] == alone("shmcall", quantum=300, seed=11)
    assert runs[1] == alone("forkmany", quantum=300, seed=11)
    assert runs[0].ticks > 0 and runs[0].switches > 2       # the seed mattered


def test_leftover_segments_and_processes_do_not_carry_over():
    m = Machine()
    h = Syscaller(m)
    p = h.spawn()
    for _ in range(16):
        assert h.call(p, "shm_create", 4096) >= 0      # the table is full
    assert h.call(p, "shm_create", 4096) == -1
    r = m.run("shmtest")
    assert r == alone("shmtest") and r.ok
    assert m.shm_segments() == [] and m.processes() == []


def test_a_reused_machine_keeps_added_files_and_attached_tools(tmp_path):
    from xv6py.debug.trace import Trace
    m = Machine()
    m.add_program("note", b"kept across runs\n")
    lines = []
    Trace(m, ["syscalls"], lines.append)
    assert m.run("cat", ["note"]).output == "kept across runs\n"
    first = len(lines)
    assert m.run("cat", ["note"]).output == "kept across runs\n"
    assert first > 0 and len(lines) == 2 * first


def test_a_fresh_kernel_zeroes_the_memory_the_last_run_used():
    m = Machine()
    m.run("sbrktest")
    ram = m.x86.ram
    assert ram.find(b"\x01" * 4096) >= 0            # freed frames are junk-filled
    run = m.start("hello")                           # boots afresh first
    junk = ram.find(b"\x01" * 4096)
    assert junk < 0, f"junk left at {junk:#x} after a fresh boot"
    for _ in run.schedule:
        pass
    assert m.finish(run) == alone("hello")


def test_a_host_program_with_a_non_ascii_name_runs(tmp_path):
    from xv6py.programs import program_path
    prog = tmp_path / "prög-ünïcode-x"                 # 17 bytes in UTF-8: cut to 14 in "/"
    prog.write_bytes(program_path("hello").read_bytes())
    r = Machine().run(prog)
    assert r.ok and r.output == "hello, world\n"
    assert r.program == "prög-ünïcod"                  # its first 14 bytes
