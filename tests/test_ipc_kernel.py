"""System V IPC at the kernel's level (xv6py/ipc/, syscalls/sysipc.py), through
kcall.Syscaller: system calls made for processes that never run user code, and
the kernel's tables and page tables checked directly. The user programs of the
conformance suite (tests/test_ipc_*.py) check the same rules from C."""

import struct

import pytest
from helpers import finish

from xv6py.errno import E2BIG, EACCES, EEXIST, EFAULT, EIDRM, EINVAL, ENOENT, ENOMEM, ENOMSG, ENOSPC, EPERM
from xv6py.ipc import ipc as I
from xv6py.ipc import msg as Q
from xv6py.ipc import sem as M
from xv6py.ipc import shm as S
from xv6py.ipc.limits import IPCMNI, SEMMNI, SHMMNI
from xv6py.machine import Machine
from xv6py.memlayout import KERNBASE
from xv6py.mm import kalloc as K
from xv6py.mm import pgdir as V
from xv6py.mmu import PGSIZE, PTE_ADDR, PTE_P, PTE_U, PTE_W
from xv6py.proc import proc as P
from xv6py.testing.asserts import assert_frame_filled
from xv6py.testing.kcall import Syscaller

CREAT = I.IPC_CREAT | 0o600


@pytest.fixture
def h():
    return Syscaller(Machine())


def pte(p, va):
    e = V.walkpgdir(p.pgdir, va, False)
    return V.x86.read32(e) if e is not None else 0


def buf(h, p, data: bytes = b"", at: int = 1024) -> int:
    """A scratch buffer on p's stack, below what Syscaller's calls use, holding data."""
    addr = (p.tf.esp - at) & ~15
    assert h.poke(p, addr, data) if data else True
    return addr


def sops(*ops) -> bytes:
    return b"".join(struct.pack("<HhH", *op) for op in ops)


# ---- ids, keys, permissions -----------------------------------------------------------------

def test_ids_change_when_a_slot_is_reused(h):
    p = h.spawn()
    a = h.call(p, "semget", 0, 1, 0o600)
    assert a == 0
    assert h.call(p, "semctl", a, 0, I.IPC_RMID) == 0
    b = h.call(p, "semget", 0, 1, 0o600)
    assert b % IPCMNI == 0 and b != a                   # same slot, new id
    assert h.call(p, "semctl", a, 0, M.GETVAL) == -EINVAL   # the stale id
    assert h.call(p, "semctl", b, 0, M.GETVAL) == 0


def test_keys_creat_excl_and_enoent(h):
    p = h.spawn()
    assert h.call(p, "msgget", 1234, 0o600) == -ENOENT
    q = h.call(p, "msgget", 1234, CREAT)
    assert q >= 0
    assert h.call(p, "msgget", 1234, 0) == q
    assert h.call(p, "msgget", 1234, CREAT) == q
    assert h.call(p, "msgget", 1234, CREAT | I.IPC_EXCL) == -EEXIST
    assert h.call(p, "msgget", 0, CREAT) != q            # IPC_PRIVATE: always new


def test_permissions_owner_group_other_and_root(h):
    owner = h.spawn()
    key = 99
    assert h.call(owner, "setgid", 10) == 0 and h.call(owner, "setuid", 100) == 0
    id = h.call(owner, "shmget", key, 100, I.IPC_CREAT | 0o640)
    seg = S.shm_ids.lookup(id)
    assert (seg.perm.uid, seg.perm.gid, seg.perm.mode) == (100, 10, 0o640)
    group, other, root = h.spawn(), h.spawn(), h.spawn()
    h.call(group, "setgid", 10), h.call(group, "setuid", 200)
    h.call(other, "setgid", 20), h.call(other, "setuid", 300)
    assert h.call(group, "shmget", key, 0, 0o040) == id          # group may read
    assert h.call(group, "shmget", key, 0, 0o060) == -EACCES     # not write
    assert h.call(other, "shmget", key, 0, 0o004) == -EACCES     # others nothing
    assert h.call(other, "shmget", key, 0, 0) == id              # asking for nothing is fine
    assert h.call(root, "shmget", key, 0, 0o666) == id           # root bypasses
    assert h.call(other, "shmctl", id, I.IPC_RMID, 0) == -EPERM
    assert h.call(group, "shmctl", id, I.IPC_RMID, 0) == -EPERM
    # The owner is not exempt from its own bits.
    h.call(root, "shmget", 77, 8, I.IPC_CREAT | 0o000)
    assert h.call(owner, "shmget", 77, 0, 0o400) == -EACCES
    assert h.call(owner, "shmctl", id, I.IPC_RMID, 0) == 0


def test_tables_fill_up_with_enospc(h):
    p = h.spawn()
    assert [h.call(p, "semget", 0, 1, 0o600) >= 0 for _ in range(SEMMNI)] == [True] * SEMMNI
    assert h.call(p, "semget", 0, 1, 0o600) == -ENOSPC
    assert [h.call(p, "shmget", 0, 1, 0o600) >= 0 for _ in range(SHMMNI)] == [True] * SHMMNI
    assert h.call(p, "shmget", 0, 1, 0o600) == -ENOSPC


def test_bad_stack_gives_efault_not_an_exception(h):
    from helpers import running

    from xv6py.syscalls import syscall as SC
    p = h.spawn()
    for name in ("shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl", "msgget",
                 "msgsnd", "msgrcv", "msgctl", "setuid", "waitpid"):
        with running(h, p):
            esp = p.tf.esp
            p.tf.esp, p.tf.eax = 0x40000000, getattr(SC, f"SYS_{name}")   # unmapped: no argument
            SC.syscall()
            p.tf.esp = esp
            assert p.tf.eax == (-EFAULT) & 0xFFFFFFFF, name


# ---- shared memory ---------------------------------------------------------------------------

def test_shmget_zero_fills_whole_pages_and_reports_the_size_asked(h):
    p = h.spawn()
    n = K.kfreecount()
    id = h.call(p, "shmget", 0, 2 * PGSIZE + 5, 0o600)
    seg = S.shm_ids.lookup(id)
    assert seg.segsz == 2 * PGSIZE + 5 and seg.npages == 3 and K.kfreecount() == n - 3
    for pa in seg.frames:
        assert_frame_filled(h.m, pa, 0)
    assert h.call(p, "shmget", 0, 0, 0o600) == -EINVAL
    assert h.call(p, "shmget", 0, (4 << 20) + 1, 0o600) == -EINVAL
    k = h.call(p, "shmget", 5, 100, CREAT)
    assert h.call(p, "shmget", 5, 101, 0o600) == -EINVAL          # more than it has
    assert h.call(p, "shmget", 5, 0, 0o600) == k


def test_shmat_kernel_chosen_address_is_the_highest_free_range(h):
    p = h.spawn()
    id = h.call(p, "shmget", 0, 3 * PGSIZE, 0o600)
    va = h.call(p, "shmat", id, 0, 0)
    assert va == KERNBASE - 3 * PGSIZE
    va2 = h.call(p, "shmat", id, 0, S.SHM_RDONLY)                 # attached twice: below the first
    assert va2 == va - 3 * PGSIZE
    seg = S.shm_ids.lookup(id)
    for i, pa in enumerate(seg.frames):
        assert PTE_ADDR(pte(p, va + i * PGSIZE)) == pa
        assert pte(p, va + i * PGSIZE) & (PTE_P | PTE_U | PTE_W) == PTE_P | PTE_U | PTE_W
        assert pte(p, va2 + i * PGSIZE) & (PTE_P | PTE_U | PTE_W) == PTE_P | PTE_U   # read-only
    assert seg.nattch == 2 and seg.lpid == p.pid and seg.atime > 0


def test_shmat_addresses(h):
    p = h.spawn()
    id = h.call(p, "shmget", 0, PGSIZE, 0o600)
    assert h.call(p, "shmat", id, 0x10000010, 0) == -EINVAL          # not aligned
    assert h.call(p, "shmat", id, 0x10000010, S.SHM_RND) == 0x10000000
    assert h.call(p, "shmat", id, 0x10000000, 0) == -EINVAL          # overlaps the first
    assert h.call(p, "shmat", id, PGSIZE, 0) == -EINVAL               # over the program
    assert h.call(p, "shmat", id, KERNBASE, 0) == -ENOMEM   # beyond user space
    assert h.call(p, "shmat", id, 0x20000000, S.SHM_REMAP) == -EINVAL
    assert h.call(p, "shmat", id + IPCMNI, 0x20000000, 0) == -EINVAL   # no such id
    assert h.call(p, "shmdt", 0x10000004) == -EINVAL
    assert h.call(p, "shmdt", 0x20000000) == -EINVAL
    assert h.call(p, "shmdt", 0x10000000) == 0
    assert pte(p, 0x10000000) == 0


def test_shmat_finds_a_mapped_page_in_every_page_table_its_range_meets(h):
    """The overlap check reads the PTEs below the first one of each page table
    without walking again: a page mapped low in the lower of two tables counts,
    at a fixed address and when the kernel picks one."""
    p = h.spawn()
    one = h.call(p, "shmget", 0, PGSIZE, 0o600)
    four = h.call(p, "shmget", 0, 4 * PGSIZE, 0o600)
    edge = 0x20000000                                            # a page table's boundary
    assert h.call(p, "shmat", one, edge - 3 * PGSIZE, 0) == edge - 3 * PGSIZE
    assert h.call(p, "shmat", four, edge - 3 * PGSIZE, 0) == -EINVAL   # its lowest page below the edge
    assert pte(p, edge) == 0                                     # nothing mapped by the refusal
    assert h.call(p, "shmat", four, edge - 2 * PGSIZE, 0) == edge - 2 * PGSIZE
    assert h.call(p, "shmdt", edge - 2 * PGSIZE) == 0
    assert h.call(p, "shmat", one, KERNBASE - 2 * PGSIZE, 0) == KERNBASE - 2 * PGSIZE
    assert h.call(p, "shmat", four, 0, 0) == KERNBASE - 6 * PGSIZE     # below the mapped page


def test_fork_exit_exec_keep_nattch_exact(h):
    p = h.spawn()
    id = h.call(p, "shmget", 0, PGSIZE, 0o600)
    va = h.call(p, "shmat", id, 0, 0)
    seg = S.shm_ids.lookup(id)
    children = [h.fork(p) for _ in range(3)]
    assert seg.nattch == 4
    assert all(PTE_ADDR(pte(c, va)) == seg.frames[0] for c in children)
    h.call(children[0], "exit")
    assert seg.nattch == 3
    assert h.call(children[1], "exec", "/hello", ["hello"]) == 0
    assert seg.nattch == 2 and pte(children[1], va) == 0
    with h.m.entered():
        P.kill(children[2].pid)
    assert h.call(children[2], "getpid") is None
    assert seg.nattch == 1 and [a.pid for a in seg.attaches] == [p.pid]


def test_rmid_marks_then_the_last_detach_frees(h):
    p = h.spawn()
    n = K.kfreecount()
    id = h.call(p, "shmget", 42, PGSIZE, CREAT)
    va = h.call(p, "shmat", id, 0, 0)
    c = h.fork(p)
    assert h.call(p, "shmctl", id, I.IPC_RMID, 0) == 0
    seg = S.shm_ids.lookup(id)
    assert seg.perm.mode & S.SHM_DEST and seg.perm.key == 0
    assert h.call(p, "shmget", 42, 0, 0) == -ENOENT                 # the key finds nothing now
    assert h.call(p, "shmdt", va) == 0
    assert S.shm_ids.lookup(id) is seg                              # the child still has it
    h.call(c, "exit")
    assert S.shm_ids.lookup(id) is None and S.shm_tot == 0
    h.reap()
    assert K.kfreecount() >= n - 2            # only the page table made for va may stay (p's)


def test_sbrk_does_not_grow_into_an_attachment(h):
    p = h.spawn()
    id = h.call(p, "shmget", 0, PGSIZE, 0o600)
    top = p.sz + 2 * PGSIZE
    assert h.call(p, "shmat", id, top, 0) == top
    sz = p.sz
    assert h.call(p, "sbrk", 3 * PGSIZE) == -1 and p.sz == sz
    assert h.call(p, "sbrk", 2 * PGSIZE) == sz


def test_shmctl_stat_set_lock(h):
    p = h.spawn()
    id = h.call(p, "shmget", 7, 5000, CREAT)
    b = buf(h, p)
    assert h.call(p, "shmctl", id, I.IPC_STAT, b) == 0
    raw = h.peek(p, b, S.SHMID_DS.size)
    f = S.SHMID_DS.unpack(raw)
    key, uid, gid, cuid, cgid, mode = I.IpcPerm.FORMAT.unpack(f[0])[:6]
    assert (key, mode, f[1], f[8], f[10]) == (7, 0o600, 5000, p.pid, 0)
    new = I.IpcPerm(7, 55, 66, 0o640, 0).pack() + raw[36:]
    h.poke(p, b, new)
    assert h.call(p, "shmctl", id, I.IPC_SET, b) == 0
    seg = S.shm_ids.lookup(id)
    assert (seg.perm.uid, seg.perm.gid, seg.perm.mode, seg.perm.cuid) == (55, 66, 0o640, 0)
    assert h.call(p, "shmctl", id, S.SHM_LOCK, 0) == 0 and seg.perm.mode & S.SHM_LOCKED
    assert h.call(p, "shmctl", id, S.SHM_UNLOCK, 0) == 0 and not seg.perm.mode & S.SHM_LOCKED
    assert h.call(p, "shmctl", id, I.IPC_STAT, 0x7FFFF000) == -EFAULT
    assert h.call(p, "shmctl", id, I.IPC_SET, 0x7FFFF000) == -EFAULT
    assert h.call(p, "shmctl", id, 99, b) == -EINVAL
    assert h.call(p, "shmctl", -1, I.IPC_STAT, b) == -EINVAL
    assert h.call(p, "shmctl", 0, S.SHM_STAT, b) == id              # by slot: the id
    assert h.call(p, "shmctl", 0, I.IPC_INFO, b) == 0                # highest slot in use
    assert struct.unpack_from("<5I", h.peek(p, b, 20)) == (4 << 20, 1, SHMMNI, SHMMNI, 4096)


# ---- semaphores ------------------------------------------------------------------------------

def test_semop_is_all_or_none(h):
    p = h.spawn()
    id = h.call(p, "semget", 0, 3, 0o600)
    s = M.sem_ids.lookup(id)
    b = buf(h, p, sops((0, 1, 0), (1, 2, 0), (2, -1, I.IPC_NOWAIT)))
    assert h.call(p, "semop", id, b, 3) == -11                       # EAGAIN: nothing changed
    assert [x.val for x in s.sems] == [0, 0, 0]
    b = buf(h, p, sops((0, 1, 0), (0, -1, 0), (1, 5, M.SEM_UNDO)))
    assert h.call(p, "semop", id, b, 3) == 0
    assert [x.val for x in s.sems] == [0, 5, 0] and s.undo[p.pid] == [0, -5, 0]
    assert h.call(p, "semop", id, b, 0) == -EINVAL
    assert h.call(p, "semop", id, b, 33) == -E2BIG
    assert h.call(p, "semop", id, buf(h, p, sops((3, 1, 0))), 1) == -27    # EFBIG
    assert h.call(p, "semop", id, buf(h, p, sops((0, 32767, 0), (0, 1, 0))), 2) == -34   # ERANGE
    assert h.call(p, "semop", id, 0x7FFFF000, 1) == -EFAULT


def test_semop_sleeps_counts_and_wakes(h):
    a = h.spawn()
    id = h.call(a, "semget", 0, 2, 0o600)
    b = h.fork(a)
    c = h.fork(a)
    assert h.call(b, "semop", id, buf(h, b, sops((0, -1, 0))), 1) is None   # asleep
    assert h.call(c, "semop", id, buf(h, c, sops((1, 0, 0), (0, -1, 0))), 2) is None
    assert b.state is P.SLEEPING and c.state is P.SLEEPING
    assert h.call(a, "semctl", id, 0, M.GETNCNT) == 2
    assert h.call(a, "semctl", id, 1, M.GETZCNT) == 0            # c waits on its second op
    assert h.call(a, "semop", id, buf(h, a, sops((0, 1, 0))), 1) == 0
    assert b.state is P.RUNNABLE and c.state is P.RUNNABLE        # both woken: one will win


def test_killed_while_blocked_leaves_the_wait_and_its_undo_is_applied(h):
    a = h.spawn()
    id = h.call(a, "semget", 0, 2, 0o600)
    s = M.sem_ids.lookup(id)
    v = h.fork(a)
    assert h.call(v, "semop", id, buf(h, v, sops((0, 1, M.SEM_UNDO))), 1) == 0
    assert h.call(v, "semop", id, buf(h, v, sops((1, -1, M.SEM_UNDO))), 1) is None
    assert s.sems[0].val == 1 and len(s.waiters) == 1
    with h.m.entered():
        P.kill(v.pid)
    assert finish(h, v) is None and v.state is P.ZOMBIE
    assert s.sems[0].val == 0 and s.waiters == [] and v.pid not in s.undo


def test_rmid_wakes_sleepers_with_eidrm(h):
    a = h.spawn()
    id = h.call(a, "semget", 0, 1, 0o600)
    b = h.fork(a)
    assert h.call(b, "semop", id, buf(h, b, sops((0, -1, 0))), 1) is None
    assert h.call(a, "semctl", id, 0, I.IPC_RMID) == 0
    assert finish(h, b) == -EIDRM


def test_semctl_commands(h):
    p = h.spawn()
    id = h.call(p, "semget", 0, 3, 0o600)
    b = buf(h, p, struct.pack("<3H", 4, 5, 6))
    assert h.call(p, "semctl", id, 0, M.SETALL, b) == 0
    assert [h.call(p, "semctl", id, i, M.GETVAL) for i in range(3)] == [4, 5, 6]
    assert h.call(p, "semctl", id, 1, M.SETVAL, 9) == 0
    assert h.call(p, "semctl", id, 1, M.GETPID) == p.pid
    assert h.call(p, "semctl", id, 0, M.GETALL, b) == 0 and h.peek(p, b, 6) == struct.pack("<3H", 4, 9, 6)
    assert h.call(p, "semctl", id, 1, M.SETVAL, 32768) == -34
    assert h.call(p, "semctl", id, 1, M.SETVAL, -1) == -34
    assert h.call(p, "semctl", id, 3, M.GETVAL) == -EINVAL
    assert h.call(p, "semctl", id, 0, 99) == -EINVAL
    assert h.call(p, "semctl", id, 0, I.IPC_STAT, b) == 0
    f = M.SEMID_DS.unpack(h.peek(p, b, M.SEMID_DS.size))
    assert f[5] == 3 and f[3] > 0                                  # nsems, ctime
    assert h.call(p, "semctl", 0, 0, M.SEM_STAT, b) == id
    assert h.call(p, "semctl", 0, 0, M.SEM_INFO, b) == 0
    assert struct.unpack("<10i", h.peek(p, b, 40))[7:10:2] == (1, 3)   # sets, sems in use


def test_exit_undo_is_clamped_and_setval_resets_adjustments(h):
    a = h.spawn()
    id = h.call(a, "semget", 0, 1, 0o600)
    s = M.sem_ids.lookup(id)
    c = h.fork(a)
    assert h.call(c, "semop", id, buf(h, c, sops((0, 3, M.SEM_UNDO))), 1) == 0
    assert s.undo[c.pid] == [-3]
    assert h.call(a, "semctl", id, 0, M.SETVAL, 1) == 0
    assert s.undo[c.pid] == [0]
    assert h.call(c, "semop", id, buf(h, c, sops((0, 2, M.SEM_UNDO))), 1) == 0   # value 3, adj -2
    assert h.call(a, "semctl", id, 0, M.SETVAL, 0) == 0
    assert h.call(c, "semop", id, buf(h, c, sops((0, 1, M.SEM_UNDO))), 1) == 0   # value 1, adj -1
    h.call(c, "exit")
    assert s.sems[0].val == 0 and s.undo == {}


# ---- message queues --------------------------------------------------------------------------

def message(mtype: int, text: bytes) -> bytes:
    return struct.pack("<i", mtype) + text


def test_msgrcv_picks_by_type(h):
    p = h.spawn()
    q = h.call(p, "msgget", 0, 0o600)
    for t, text in ((3, b"c1"), (1, b"a1"), (2, b"b1"), (1, b"a2"), (3, b"c2")):
        assert h.call(p, "msgsnd", q, buf(h, p, message(t, text)), len(text), 0) == 0
    b = buf(h, p, at=2048)

    def rcv(t, flg=0, size=64):
        n = h.call(p, "msgrcv", q, b, size, t, flg | I.IPC_NOWAIT)
        return n if n < 0 else (struct.unpack("<i", h.peek(p, b, 4))[0], h.peek(p, b + 4, n))
    assert rcv(2) == (2, b"b1")
    assert rcv(-3) == (1, b"a1")                      # the lowest type not above 3
    assert rcv(1, Q.MSG_EXCEPT) == (3, b"c1")
    assert rcv(3, size=1) == -E2BIG                   # stays queued
    assert rcv(3, Q.MSG_NOERROR, size=1) == (3, b"c")
    assert rcv(0) == (1, b"a2")
    assert rcv(0) == -ENOMSG
    assert h.call(p, "msgrcv", q, b, 8, 0, Q.MSG_COPY | I.IPC_NOWAIT) == -38


def test_msgrcv_efault_keeps_the_message(h):
    p = h.spawn()
    q = h.call(p, "msgget", 0, 0o600)
    h.call(p, "msgsnd", q, buf(h, p, message(5, b"hello")), 5, 0)
    assert h.call(p, "msgrcv", q, 0x7FFFF000, 64, 0, 0) == -EFAULT
    assert len(Q.msg_ids.lookup(q).messages) == 1


def test_msgsnd_blocks_on_a_full_queue_and_a_receiver_wakes_it(h):
    p = h.spawn()
    q = h.call(p, "msgget", 0, 0o600)
    queue = Q.msg_ids.lookup(q)
    queue.qbytes = 10
    assert h.call(p, "msgsnd", q, buf(h, p, message(1, b"x" * 8)), 8, 0) == 0
    assert h.call(p, "msgsnd", q, buf(h, p, message(1, b"y" * 8)), 8, I.IPC_NOWAIT) == -11
    c = h.fork(p)
    assert h.call(c, "msgsnd", q, buf(h, c, message(1, b"y" * 8)), 8, 0) is None
    assert h.call(p, "msgrcv", q, buf(h, p, at=2048), 64, 0, 0) == 8
    assert c.state is P.RUNNABLE and finish(h, c) == 0
    assert [m.text for m in queue.messages] == [b"y" * 8]


def test_msgctl_set_qbytes_needs_root_above_msgmnb(h):
    p = h.spawn()
    q = h.call(p, "msgget", 0, 0o666)
    b = buf(h, p)
    assert h.call(p, "msgctl", q, I.IPC_STAT, b) == 0
    raw = bytearray(h.peek(p, b, Q.MSQID_DS.size))
    struct.pack_into("<I", raw, 68, 1 << 20)
    h.poke(p, b, bytes(raw))
    c = h.fork(p)
    h.call(c, "setuid", 5)
    assert h.call(c, "msgctl", q, I.IPC_SET, b) == -EPERM        # not the owner
    assert h.call(p, "msgctl", q, I.IPC_SET, b) == 0              # root
    assert Q.msg_ids.lookup(q).qbytes == 1 << 20
    assert h.call(c, "msgsnd", q, buf(h, c, message(0, b"")), 0, 0) == -EINVAL   # type 0
    assert h.call(c, "msgsnd", q, buf(h, c, message(1, b"")), 8193, 0) == -EINVAL
    assert h.call(c, "msgsnd", q, buf(h, c, message(1, b"")), -1, 0) == -EINVAL


def test_msgsnd_errors_come_in_linuxs_order_when_the_message_runs_off_user_memory(h):
    p = h.spawn()
    q = h.call(p, "msgget", 0, 0o600)
    end = p.sz                                  # the top of the stack page: nothing above it
    assert h.poke(p, end - 4, struct.pack("<i", 1))
    assert h.call(p, "msgsnd", q, end - 4, 8, 0) == -EFAULT      # the text cannot be read
    assert h.call(p, "msgsnd", -1, end - 4, 8, 0) == -EINVAL     # a bad id comes first
    assert h.call(p, "msgsnd", q, end - 4, -1, 0) == -EINVAL     # so does a bad size
    assert h.call(p, "msgsnd", q, end, 8, 0) == -EFAULT          # the type cannot be read
    assert h.call(p, "msgsnd", q, end - 4, 0, 0) == 0            # no text: the type is enough
    assert h.poke(p, end - 4, struct.pack("<i", 0))
    assert h.call(p, "msgsnd", q, end - 4, 8, 0) == -EINVAL      # type 0, before the text
    assert len(Q.msg_ids.lookup(q).messages) == 1                # the empty one alone
