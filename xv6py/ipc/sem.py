"""System V semaphores: semget, semop, semctl (Linux's ipc/sem.c).

    id = semget(p, key, nsems, flag)    find or make a set of nsems semaphores (value 0)
    r = semop_try(p, set, sops)         apply every operation, or none of them
    semctl(p, id, semnum, cmd, arg)     GETVAL, SETVAL, GETALL, SETALL, GETPID, GETNCNT,
                                        GETZCNT, IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO,
                                        SEM_INFO, SEM_STAT, SEM_STAT_ANY

A semop call is a list of operations (sem_num, sem_op, sem_flg): sem_op > 0
adds to the value; sem_op < 0 takes from it, waiting while that would make it
negative; sem_op == 0 waits until the value is 0. They are applied in order,
on a copy, and the copy replaces the values only if every one could go on: all
or none. When one cannot, the call fails with EAGAIN if that operation has
IPC_NOWAIT, and otherwise waits: syscalls/sysipc.py sleeps on the set and tries
again whenever something changes it (a semop that altered it, SETVAL, SETALL, an
exit's undo, IPC_RMID -- after which the sleeper gets EIDRM). While it sleeps
it is listed among the set's waiters, on the first operation that could not go
on: what GETNCNT and GETZCNT count.

SEM_UNDO: an operation with it also records, per process and set, the opposite
adjustment; exit_sem() applies them when the process exits (killed or not),
clamped to 0..SEMVMX, so that a process killed while holding a semaphore gives
it back. SETVAL and SETALL reset the adjustments of the semaphores they set. A
process's records go away at its exit, a set's with the set.
"""

import struct
from typing import NamedTuple

from ..errno import EACCES, EAGAIN, EFAULT, EFBIG, EINVAL, ENOSPC, ERANGE
from ..mm.vma import vma_copyin, vma_copyout
from .ipc import (
    IPC_INFO,
    IPC_NOWAIT,
    IPC_RMID,
    IPC_SET,
    IPC_STAT,
    S_IRUGO,
    S_IWUGO,
    Ids,
    ipc_obtain,
    ipc_setperm,
    ipc_stat,
    ipc_time,
    ipcget,
    ipcperms,
    newperm,
)
from .limits import SEMAEM, SEMMAP, SEMMNI, SEMMNS, SEMMNU, SEMMSL, SEMOPM, SEMUME, SEMUSZ, SEMVMX

__all__ = ["SEM_UNDO", "GETPID", "GETVAL", "GETALL", "GETNCNT", "GETZCNT", "SETVAL", "SETALL",
           "SEM_STAT", "SEM_INFO", "SEM_STAT_ANY", "Sem", "Waiter", "SemSet", "sem_init",
           "semget", "parse_sops", "semop_find", "semop_try", "wait_begin", "wait_end", "semctl",
           "exit_sem"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("sem_ids", "used_sems")
sem_ids: Ids = None         # the table of sets
used_sems = 0               # semaphores of all sets together (at most SEMMNS)

SEM_UNDO = 0x1000           # sem_flg: undo the operation when the process exits

# semctl commands (with ipc.py's IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO)
GETPID = 11                 # pid of the last process that operated on the semaphore
GETVAL = 12
GETALL = 13
GETNCNT = 14                # processes waiting for the value to grow
GETZCNT = 15                # processes waiting for the value to be 0
SETVAL = 16
SETALL = 17
SEM_STAT = 18               # IPC_STAT of the set in slot semid; returns its id
SEM_INFO = 19               # struct seminfo with usage; returns the highest slot in use
SEM_STAT_ANY = 20           # SEM_STAT without the read permission check

SEMBUF = struct.Struct("<HhH")             # struct sembuf: sem_num, sem_op, sem_flg (6 bytes)
# struct semid_ds of i386 glibc, 64 bytes: sem_perm; sem_otime, sem_ctime (each with a
# reserved high word); sem_nsems; two reserved words.
SEMID_DS = struct.Struct("<36siIiIIII")
SEMINFO = struct.Struct("<10i")            # semmap semmni semmns semmnu semmsl semopm semume
                                           # semusz semvmx semaem


class Sem:
    """One semaphore."""

    __slots__ = ("val", "pid")

    def __init__(self):
        self.val = 0        # its value, 0..SEMVMX
        self.pid = 0        # the last process to operate on it (GETPID)


class Waiter(NamedTuple):
    """A process asleep in semop, and the operation it waits on."""

    pid: int
    num: int
    zero: bool      # waits for the value to be 0 (else for it to grow)


class SemSet:
    """A semaphore set (Linux's struct sem_array)."""

    __slots__ = ("slot", "perm", "sems", "otime", "ctime", "undo", "waiters", "removed")

    def __init__(self, nsems: int):
        self.slot, self.perm = 0, None      # set by Ids.add
        self.sems = [Sem() for _ in range(nsems)]
        self.otime = 0                      # last semop (0: never)
        self.ctime = ipc_time()             # creation, last SETVAL, SETALL, IPC_SET
        self.undo: dict[int, list[int]] = {}  # pid -> SEM_UNDO adjustment of each semaphore
        self.waiters: list[Waiter] = []
        self.removed = False                # IPC_RMID: sleepers wake with EIDRM

    @property
    def nsems(self) -> int:
        return len(self.sems)

    def __repr__(self) -> str:              # a sleep channel in process listings
        return f"semset {self.slot}"


def sem_init() -> None:
    global sem_ids, used_sems
    sem_ids = Ids("sem ids", SEMMNI)
    used_sems = 0


def semget(p, key: int, nsems: int, flag: int) -> int:
    """The id of the set of key (or a new one of nsems semaphores), as ipcget()
    says; -EINVAL for nsems out of 0..SEMMSL (0 only to find a set) or more
    than the found set has, -ENOSPC when the table or SEMMNS is full."""
    if not 0 <= nsems <= SEMMSL:
        return -EINVAL

    def more_checks(s):
        return -EINVAL if nsems > s.nsems else 0
    return ipcget(sem_ids, p, key, flag, lambda: _newary(p, key, nsems, flag), more_checks)


def _newary(p, key: int, nsems: int, flag: int) -> int:
    global used_sems
    if nsems == 0:
        return -EINVAL
    if used_sems + nsems > SEMMNS:
        return -ENOSPC
    r = sem_ids.add(SemSet(nsems), key, *newperm(p, flag))
    if r >= 0:
        used_sems += nsems
    return r


def _freeary(s: SemSet) -> None:
    """IPC_RMID: the set leaves the table with its undo records; sleepers, once
    woken (by the caller), see `removed` and fail with EIDRM."""
    global used_sems
    sem_ids.remove(s)
    used_sems -= s.nsems
    s.removed = True
    s.undo.clear()


# ---- semop -----------------------------------------------------------------------------------

def parse_sops(raw: bytes) -> list[tuple[int, int, int]]:
    """The struct sembuf array a program passed: (num, op, flg) for each operation."""
    return list(SEMBUF.iter_unpack(raw))


def semop_find(p, semid: int, sops: list[tuple[int, int, int]]):
    """The set semop works on, checked for these operations: the set, or -EINVAL
    (bad id), -EFBIG (a sem_num beyond the set), -EACCES (write permission to
    alter, read permission to wait for zero)."""
    s = sem_ids.lookup(semid)
    if s is None:
        return -EINVAL
    nsems, alter = len(s.sems), False
    for num, op, _ in sops:
        if num >= nsems:
            return -EFBIG
        alter = alter or op != 0
    if ipcperms(p, s.perm, S_IWUGO if alter else S_IRUGO) < 0:
        return -EACCES
    return s


def semop_try(p, s: SemSet, sops: list[tuple[int, int, int]]):
    """Apply the operations to a copy of the values; if every one can go on,
    install the copy (and p's undo adjustments) and return 0. Else change nothing
    and return -EAGAIN (the blocked operation has IPC_NOWAIT), -ERANGE (a value or
    an adjustment out of range), or the operation (num, op, flg) that must wait."""
    vals = [sem.val for sem in s.sems]
    adj = None                  # a copy of p's adjustments, made at the first SEM_UNDO
    for sop in sops:
        num, op, flg = sop
        v = vals[num] + op
        if (op == 0 and vals[num] != 0) or v < 0:
            return -EAGAIN if flg & IPC_NOWAIT else sop
        if v > SEMVMX:
            return -ERANGE
        if flg & SEM_UNDO:
            if adj is None:
                adj = list(s.undo.get(p.pid, [0] * s.nsems))
            adj[num] -= op
            if not -SEMAEM - 1 <= adj[num] <= SEMAEM:
                return -ERANGE
        vals[num] = v
    for num, _, _ in sops:      # only these semaphores changed
        sem = s.sems[num]
        sem.val, sem.pid = vals[num], p.pid
    if adj is not None:
        s.undo[p.pid] = adj
    s.otime = ipc_time()
    return 0


def wait_begin(s: SemSet, p, sop: tuple[int, int, int]) -> Waiter:
    """List p among the set's waiters, on operation sop, while it sleeps."""
    num, op, _ = sop
    w = Waiter(p.pid, num, op == 0)
    s.waiters.append(w)
    return w


def wait_end(s: SemSet, w: Waiter) -> None:
    if w in s.waiters:
        s.waiters.remove(w)


def exit_sem(p) -> list[SemSet]:
    """p exits: apply its undo adjustments, clamped to 0..SEMVMX, and forget its
    records and waiter rows. Returns the sets whose values changed: their
    sleepers must be woken."""
    changed = []
    for s in sem_ids.live():
        s.waiters = [w for w in s.waiters if w.pid != p.pid]
        adj = s.undo.pop(p.pid, None)
        if adj is None or not any(adj):
            continue
        for sem, a in zip(s.sems, adj, strict=True):
            if a:
                sem.val = min(max(sem.val + a, 0), SEMVMX)
                sem.pid = p.pid
        changed.append(s)
    return changed


# ---- semctl ----------------------------------------------------------------------------------

def semctl(p, semid: int, semnum: int, cmd: int, arg: int) -> int:
    """The semctl commands; arg is the fourth argument (union semun): a value for
    SETVAL, else the address of the caller's buffer. Returns 0, a value (GET*),
    an id or index (*_STAT, *_INFO), or -EINVAL, -EACCES, -EPERM, -ERANGE, -EFAULT.
    The caller wakes the set's sleepers after SETVAL, SETALL and IPC_RMID."""
    if semid < 0:
        return -EINVAL
    if cmd in (IPC_INFO, SEM_INFO):
        return _info(p, cmd, arg)
    if cmd in (IPC_STAT, SEM_STAT, SEM_STAT_ANY):
        return ipc_stat(p, sem_ids, semid, cmd, arg, SEM_STAT_ANY, _semid_ds)
    if cmd in (GETALL, GETVAL, GETPID, GETNCNT, GETZCNT, SETALL):
        return _semctl_main(p, semid, semnum, cmd, arg)
    if cmd == SETVAL:
        return _setval(p, semid, semnum, arg)
    if cmd in (IPC_SET, IPC_RMID):
        return _down(p, semid, cmd, arg)
    return -EINVAL


def _semctl_main(p, semid: int, semnum: int, cmd: int, arg: int) -> int:
    s = sem_ids.lookup(semid)
    if s is None:
        return -EINVAL
    if ipcperms(p, s.perm, S_IWUGO if cmd == SETALL else S_IRUGO) < 0:
        return -EACCES
    if cmd == GETALL:
        raw = struct.pack(f"<{s.nsems}H", *(sem.val for sem in s.sems))
        return -EFAULT if vma_copyout(p, arg, raw) < 0 else 0
    if cmd == SETALL:
        raw = vma_copyin(p, arg, 2 * s.nsems)
        if raw is None:
            return -EFAULT
        vals = struct.unpack(f"<{s.nsems}H", raw)
        if any(v > SEMVMX for v in vals):
            return -ERANGE
        for i, v in enumerate(vals):
            _set(s, p, i, v)
        s.ctime = ipc_time()
        return 0
    if not 0 <= semnum < s.nsems:
        return -EINVAL
    if cmd == GETVAL:
        return s.sems[semnum].val
    if cmd == GETPID:
        return s.sems[semnum].pid
    return sum(w.num == semnum and w.zero == (cmd == GETZCNT) for w in s.waiters)


def _set(s: SemSet, p, i: int, v: int) -> None:
    """Set semaphore i to v; every process's adjustment of it is reset."""
    s.sems[i].val, s.sems[i].pid = v, p.pid
    for adj in s.undo.values():
        adj[i] = 0


def _setval(p, semid: int, semnum: int, val: int) -> int:
    if not 0 <= val <= SEMVMX:
        return -ERANGE
    s = sem_ids.lookup(semid)
    if s is None or not 0 <= semnum < s.nsems:
        return -EINVAL
    if ipcperms(p, s.perm, S_IWUGO) < 0:
        return -EACCES
    _set(s, p, semnum, val)
    s.ctime = ipc_time()
    return 0


def _down(p, semid: int, cmd: int, buf: int) -> int:
    """IPC_SET and IPC_RMID: for the owner, the creator and root only."""
    err, s, raw = ipc_obtain(p, sem_ids, semid, cmd, buf, SEMID_DS.size)
    if err:
        return err
    if cmd == IPC_RMID:
        _freeary(s)
    else:
        ipc_setperm(s.perm, raw)
        s.ctime = ipc_time()
    return 0


def _semid_ds(s: SemSet) -> bytes:
    """The set's struct semid_ds (IPC_STAT, SEM_STAT, SEM_STAT_ANY)."""
    return SEMID_DS.pack(s.perm.pack(), s.otime, 0, s.ctime, 0, s.nsems, 0, 0)


def _info(p, cmd: int, buf: int) -> int:
    """IPC_INFO: the limits. SEM_INFO: the same, with semusz the sets in use and
    semaem the semaphores in use (Linux's convention). The highest slot in use."""
    usz, aem = (SEMUSZ, SEMAEM) if cmd == IPC_INFO else (sem_ids.in_use(), used_sems)
    raw = SEMINFO.pack(SEMMAP, SEMMNI, SEMMNS, SEMMNU, SEMMSL, SEMOPM, SEMUME, usz, SEMVMX, aem)
    if vma_copyout(p, buf, raw) < 0:
        return -EFAULT
    return sem_ids.max_index()

