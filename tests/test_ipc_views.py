"""Looking inside System V IPC: the debugger's views name System V segments by key
and id (pt, frames, shm, owners), the new views `ipcs` and `sem ID`, the pytest
helpers of testing/asserts.py, and `--trace syscalls` with decoded flags and
error names."""

import struct

import pytest
from helpers import finish

from xv6py.debug import commands, ptdata, render
from xv6py.debug.trace import Trace
from xv6py.errno import EIDRM
from xv6py.ipc import ipc as I
from xv6py.ipc import sem as M
from xv6py.machine import Machine
from xv6py.memlayout import KERNBASE
from xv6py.mmu import PGSIZE, PTE_P, PTE_U, PTE_W
from xv6py.testing import asserts as A
from xv6py.testing.kcall import Syscaller

PWU = PTE_P | PTE_W | PTE_U


@pytest.fixture
def h():
    return Syscaller(Machine())


def text(renderable) -> str:
    return render.text(renderable, width=160)


def sops(*ops) -> bytes:
    return b"".join(struct.pack("<HhH", *op) for op in ops)


def scratch(h, p, data: bytes) -> int:
    addr = (p.tf.esp - 1024) & ~15
    assert h.poke(p, addr, data)
    return addr


def test_page_table_views_name_system_v_segments_by_key_and_id(h):
    p = h.spawn()
    id = h.call(p, "shmget", 0x2A, 2 * PGSIZE, I.IPC_CREAT | 0o600)
    va = h.call(p, "shmat", id, 0, 0)
    name = f"shm key 0x0000002a id {id}"
    ranges = ptdata.mappings(h.m, p.pgdir, p.sz, ptdata.shm_of(h.m, p))
    assert (va, va + 2 * PGSIZE, name, PWU) in [(r.start, r.end, r.label, r.flags) for r in ranges]
    assert name in text(render.render_pt(ptdata.pt(h.m, p.pid)))
    seg = A.assert_sysv_shm(h.m, id, nattch=1, segsz=2 * PGSIZE, attached=[(p.pid, va, False)])
    fs = {f.pa: f for f in ptdata.frames(h.m)}
    assert [fs[pa].shm for pa in seg["frames"]] == [f"key 0x0000002a id {id}"] * 2
    assert ptdata.owners(h.m)[seg["frames"][1]] == f"{name} page 1"
    shown = text(commands.command(h.m, "frames"))
    assert f"shm key 0x0000002a id {id}" in shown


def test_the_shm_view_lists_both_kinds_and_checks_read_only_attachments(h):
    p = h.spawn()
    lab = h.call(p, "shm_create", PGSIZE)
    h.call(p, "shm_attach", lab, 0x10000000)
    id = h.call(p, "shmget", 0, PGSIZE, 0o600)
    va = h.call(p, "shmat", id, 0, 0o10000)          # SHM_RDONLY
    views = ptdata.shm_view(h.m)
    assert [v.id for v in views] == [lab, f"key 0x00000000 id {id}"]
    (att,) = views[1].attached
    assert (att.pid, att.addr, att.mapped) == (p.pid, va, True)
    out = text(commands.command(h.m, "shm"))
    assert "key 0x00000000 id" in out and "NOT MAPPED" not in out


def test_ipcs_view(h):
    p = h.spawn()
    shm = h.call(p, "shmget", 0x1234, 100, I.IPC_CREAT | 0o640)
    h.call(p, "shmat", shm, 0, 0)
    semid = h.call(p, "semget", 0x5678, 2, I.IPC_CREAT | 0o600)
    q = h.call(p, "msgget", 0, 0o600)
    h.call(p, "msgsnd", q, scratch(h, p, struct.pack("<i", 7) + b"hi"), 2, 0)
    out = text(commands.command(h.m, "ipcs"))
    assert "System V shared memory" in out and "0x00001234" in out and f"{p.pid} @ " in out
    assert "System V semaphore sets" in out and "0x00005678" in out and "0 0" in out
    assert "System V message queues" in out and " 7" in out
    assert (shm, semid, q) == (0, 0, 0)
    empty = text(commands.command(Machine(), "ipcs"))
    assert empty.count("none") == 3


def test_sem_view_shows_values_waiters_and_undo_records(h):
    a = h.spawn()
    id = h.call(a, "semget", 0, 3, 0o600)
    b = h.fork(a)
    assert h.call(a, "semop", id, scratch(h, a, sops((0, 2, M.SEM_UNDO))), 1) == 0
    assert h.call(b, "semop", id, scratch(h, b, sops((1, -1, 0))), 1) is None
    out = text(commands.command(h.m, f"sem {id}"))
    assert "3 semaphores" in out
    assert f"{a.pid}" in out and "-2" in out                      # a's adjustment of semaphore 0
    row = A.assert_sem(h.m, id, values=[2, 0, 0], waiters=[(b.pid, 1, False)], undo={a.pid: [-2, 0, 0]})
    assert row["pids"] == [a.pid, 0, 0]
    with pytest.raises(ValueError, match="no semaphore set with id 99"):
        commands.command(h.m, "sem 99")
    with pytest.raises(ValueError, match="usage"):
        commands.command(h.m, "sem")
    h.call(a, "semctl", id, 0, I.IPC_RMID)
    assert finish(h, b) == -EIDRM


def test_assertion_helpers(h):
    p = h.spawn()
    A.assert_no_ipc(h.m)
    q = h.call(p, "msgget", 0x77, I.IPC_CREAT | 0o600)
    for t in (3, 1, 2):
        h.call(p, "msgsnd", q, scratch(h, p, struct.pack("<i", t) + b"abc"), 3, 0)
    A.assert_msgq(h.m, q, qnum=3, cbytes=9, types=[3, 1, 2])
    with pytest.raises(AssertionError, match="qnum is 3, expected 2"):
        A.assert_msgq(h.m, q, qnum=2)
    with pytest.raises(AssertionError, match="left behind: msg id 0 key 0x77"):
        A.assert_no_ipc(h.m)
    with pytest.raises(AssertionError, match="no System V sem object with id 5"):
        A.assert_sem(h.m, 5)
    id = h.call(p, "shmget", 0, 10, 0o600)
    with pytest.raises(AssertionError, match="nattch is 0, expected 1"):
        A.assert_sysv_shm(h.m, id, nattch=1)
    assert A.ipc_objects(h.m)["shm"][0]["segsz"] == 10


def test_trace_decodes_ipc_flags_commands_and_errors():
    m = Machine()
    lines = []
    Trace(m, ["syscalls"], lines.append)
    m.run("ipcdemo")
    trace = "\n".join(lines)
    assert "shmget(0x1234, 10000, IPC_CREAT|0640) = 0" in trace
    assert "msgget(IPC_PRIVATE, 0600) = 0" in trace
    assert "shmctl(0, IPC_RMID, 0x0) = 0" in trace
    assert "semctl(0, 0, SEM_STAT_ANY," in trace
    m = Machine()
    lines.clear()
    Trace(m, ["syscalls"], lines.append)
    m.run("ipctest", ["sem"])
    trace = "\n".join(lines)
    assert "semctl(0, 0, SETVAL, 32768) = -34 (ERANGE)" in trace
    assert "semop(" in trace and "(woke up, EIDRM)" in trace
    assert "semget(0x58360003, 1, 0600) = -2 (ENOENT)" in trace


def test_kernel_chosen_addresses_are_below_kernbase(h):
    p = h.spawn()
    id = h.call(p, "shmget", 0, PGSIZE, 0o600)
    assert h.call(p, "shmat", id, 0, 0) == KERNBASE - PGSIZE


def test_the_picture_draws_a_system_v_segment_once_for_all_its_attachments(h, tmp_path):
    import xml.etree.ElementTree as ET

    from xv6py.debug import svg
    p = h.spawn()
    id = h.call(p, "shmget", 0x2A, 2 * PGSIZE, I.IPC_CREAT | 0o600)
    h.call(p, "shmat", id, 0, 0)
    h.fork(p)
    path = tmp_path / "pt.svg"
    svg.draw(h.m, path)
    text = path.read_text()
    ET.parse(path)                                   # well-formed
    assert text.count(f"shm key 0x0000002a id {id}") >= 2    # each process's range names it


# ---- no bad argument gets an exception out of the kernel --------------------------------------

def test_random_arguments_give_numbers_not_exceptions():
    """Every IPC call with arguments drawn from the edges (ids, keys, sizes,
    flags, commands, pointers into text, stack, guard, kernel, nowhere): each
    returns an int (a value or a negated errno) and the kernel never panics."""
    import random

    from xv6py.proc import proc as P
    rng = random.Random(1)
    m = Machine()
    h = Syscaller(m)
    p = h.spawn()
    words = [0, 1, 2, 3, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, -1, -2, 0x7FFFFFFF, -0x80000000,
             4096, 4097, 1 << 22, (1 << 22) + 1, 0o1000, 0o3600, 0o4000, 0o10000, 0o20000, 0o40000,
             0x1000, 32768, 32767, 99, 0x10000000, 0x7FFFF000, 0x80000000, 0xFFFFF000, 0x40000000]
    calls = {"shmget": 3, "shmat": 3, "shmdt": 1, "shmctl": 3, "semget": 3, "semop": 3,
             "semctl": 4, "msgget": 2, "msgsnd": 4, "msgrcv": 5, "msgctl": 3}
    words.append((p.tf.esp - 2048) & ~15)               # a buffer on the stack: valid
    seen = set()
    for _ in range(4000):
        if p.state is not P.RUNNABLE or p.context is not None:
            p = h.spawn()                                # asleep in a call, or killed: a new one
        name = rng.choice(sorted(calls))
        args = [rng.choice(words) for _ in range(calls[name])]
        if name in ("semop", "msgsnd", "msgrcv") and rng.random() < 0.9:
            args[-1] |= 0o4000                           # mostly IPC_NOWAIT, so few sleep
        r = h.call(p, name, *args)
        assert r is None or isinstance(r, int)
        assert r is None or r >= -4095, (name, args, r)
        if name.endswith("get") and r is not None and r >= 0:
            words.append(r)                              # real ids, for the calls to come
        seen.add((name, r is not None and r >= 0))
    worked = {name for name, ok in seen if ok}
    assert len(worked) >= 8, sorted(worked)              # not only errors were tried
    assert m.processes() is not None                     # the kernel still answers


def test_trace_tells_a_call_that_slept_from_one_that_did_not():
    """semop and msgsnd/msgrcv return at once when they need not wait, and only
    a call that must wait sleeps: the trace shows both, each with its result."""
    m = Machine()
    lines = []
    Trace(m, ["syscalls"], lines.append)
    assert m.run("ipcbench", ["sempp", "2"]).status == "exit"
    semops = [line for line in lines if "semop(" in line]
    assert any(line.endswith(": sleeps") for line in semops)
    assert any(line.endswith(" = 0 (woke up)") for line in semops)
    assert any(line.endswith(" = 0") for line in semops)          # did not have to wait
    lines.clear()
    assert m.run("ipcbench", ["msgpp", "2"]).status == "exit"
    assert any("msgrcv(" in line and line.endswith(" = 64 (woke up)") for line in lines)
    assert any("msgsnd(" in line and line.endswith(" = 0") for line in lines)
