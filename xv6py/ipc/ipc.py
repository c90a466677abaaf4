"""System V IPC: what shared memory, semaphores and message queues have in common
(Linux's ipc/util.c): keys and ids, owners and permissions, the get and ctl rules.

An object (a segment, a semaphore set, a queue) sits in a slot of its kind's
fixed table (Ids). Its id is seq * IPCMNI + slot, where seq counts the objects
that table has ever made: when a slot is reused the id changes, and a program
still holding the old id gets EINVAL instead of someone else's object.

Each object carries an IpcPerm: its key, owner (uid, gid), creator (cuid,
cgid) and mode (rwx bits for owner, group, other, as for files). A process may
use an object if the bits of its class allow it -- owner (euid is uid or cuid),
else group (egid is gid or cgid), else other; the owner is not exempt from its
own bits -- and root (euid 0) may do anything. Only the owner, the creator or
root may change the owner and mode (IPC_SET) or remove the object (IPC_RMID).

Where Linux leaves a choice this code makes the same one, so that a program
prints the same results on both. Times (shm_atime, sem_otime, ...) are timer
ticks since boot, counted from 1: 0 keeps meaning "never".

This package sits below proc/ among the kernel's layers: proc's fork, exit and
exec call into it (to copy, detach and undo), so it cannot call back into proc.
Its tables never sleep; the system calls that block (semop, msgsnd, msgrcv)
sleep in syscalls/sysipc.py, around the non-blocking steps offered here.
"""

import struct

from ..errno import EACCES, EEXIST, EFAULT, EINVAL, ENOENT, ENOSPC, EPERM
from ..mm.vma import vma_copyin, vma_copyout
from ..spinlock import Spinlock
from .limits import IPCMNI

__all__ = ["IPC_PRIVATE", "IPC_CREAT", "IPC_EXCL", "IPC_NOWAIT", "IPC_RMID", "IPC_SET",
           "IPC_STAT", "IPC_INFO", "S_IRUGO", "S_IWUGO", "S_IRWXUGO", "IpcPerm", "Ids",
           "ipcinit", "ipc_time", "ipcperms", "ipc_owner", "ipc_obtain", "ipc_stat", "ipcget", "newperm",
           "ipc_setperm"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("ticks",)
ticks = None                # the timer: a function returning ticks since boot (ipcinit)

IPC_PRIVATE = 0           # key: always a new object, which no key finds

# Flags of shmget, semget, msgget (and IPC_NOWAIT of semop, msgsnd, msgrcv).
IPC_CREAT = 0o1000        # create the object if the key has none
IPC_EXCL = 0o2000         # with IPC_CREAT: fail (EEXIST) if the key has one
IPC_NOWAIT = 0o4000       # fail (EAGAIN, ENOMSG) rather than sleep

# Commands of shmctl, semctl, msgctl.
IPC_RMID = 0              # remove the object
IPC_SET = 1               # set owner, group, mode (and a queue's msg_qbytes)
IPC_STAT = 2              # fill the caller's *id_ds
IPC_INFO = 3              # fill the caller's *info with the limits

S_IRUGO = 0o444           # read permission, for whichever class applies
S_IWUGO = 0o222           # write permission
S_IRWXUGO = 0o777         # the mode bits a program sets


class IpcPerm:
    """struct ipc_perm: key, owner, creator, mode, sequence number."""

    # i386 glibc's layout, 36 bytes: __key, uid, gid, cuid, cgid, mode, __seq,
    # padding, two reserved words.
    FORMAT = struct.Struct("<iIIIIIHHII")
    __slots__ = ("key", "uid", "gid", "cuid", "cgid", "mode", "seq")

    def __init__(self, key: int, uid: int, gid: int, mode: int, seq: int):
        self.key = key
        self.uid, self.gid = uid, gid           # owner: IPC_SET may change it
        self.cuid, self.cgid = uid, gid         # creator: never changes
        self.mode = mode                        # the 9 rwx bits (and kind-specific flags above them)
        self.seq = seq                          # which use of the slot this is

    def pack(self) -> bytes:
        return self.FORMAT.pack(self.key, self.uid, self.gid, self.cuid, self.cgid, self.mode,
                                self.seq & 0xFFFF, 0, 0, 0)


class Ids:
    """One kind's table (Linux's struct ipc_ids): fixed slots, each empty or holding
    an object (which has .slot and .perm), and the count of objects ever made."""

    __slots__ = ("lock", "entries", "seq")

    def __init__(self, name: str, size: int):
        self.lock = Spinlock(name)
        self.entries: list = [None] * size
        self.seq = 0

    def add(self, obj, key: int, uid: int, gid: int, mode: int) -> int:
        """Put obj in the lowest free slot with a new IpcPerm; its id, or -ENOSPC."""
        slot = next((i for i, e in enumerate(self.entries) if e is None), None)
        if slot is None:
            return -ENOSPC
        obj.slot, obj.perm = slot, IpcPerm(key, uid, gid, mode, self.seq)
        self.seq = (self.seq + 1) % (0x7FFFFFFF // IPCMNI + 1)
        self.entries[slot] = obj
        return self.id_of(obj)

    @staticmethod
    def id_of(obj) -> int:
        return obj.perm.seq * IPCMNI + obj.slot

    def lookup(self, id: int):
        """The object with this id, or None (a bad id, or a removed object's)."""
        if id < 0 or id % IPCMNI >= len(self.entries):
            return None
        obj = self.entries[id % IPCMNI]
        return obj if obj is not None and obj.perm.seq == id // IPCMNI else None

    def at(self, index: int):
        """The object in slot index, or None (the *_STAT commands take an index)."""
        return self.entries[index] if 0 <= index < len(self.entries) else None

    def find_key(self, key: int):
        return next((e for e in self.entries if e is not None and e.perm.key == key), None)

    def remove(self, obj) -> None:
        self.entries[obj.slot] = None

    def in_use(self) -> int:
        return sum(e is not None for e in self.entries)

    def max_index(self) -> int:
        """The highest slot in use, or 0 if none is (what IPC_INFO returns)."""
        return max((i for i, e in enumerate(self.entries) if e is not None), default=0)

    def live(self) -> list:
        return [e for e in self.entries if e is not None]


def ipcinit(ticks_fn) -> None:
    """Set the clock IPC times are read from (a function returning timer ticks)."""
    global ticks
    ticks = ticks_fn


def ipc_time() -> int:
    """Now, as the *_ds times say it: timer ticks since boot plus one (0 is never)."""
    return ticks() + 1


def ipcperms(p, perm: IpcPerm, flag: int) -> int:
    """May process p have the access the rwx bits of flag ask for (S_IRUGO, S_IWUGO,
    or a get call's mode)? 0, or -EACCES."""
    requested = (flag >> 6 | flag >> 3 | flag) & 0o7
    granted = perm.mode
    if p.euid in (perm.uid, perm.cuid):
        granted >>= 6
    elif p.egid in (perm.gid, perm.cgid):
        granted >>= 3
    if requested & ~granted & 0o7 and p.euid != 0:
        return -EACCES
    return 0


def ipc_owner(p, perm: IpcPerm) -> bool:
    """May p change or remove the object (IPC_SET, IPC_RMID)? Its owner, its
    creator and root may."""
    return p.euid in (0, perm.uid, perm.cuid)


def ipc_obtain(p, ids: "Ids", id: int, cmd: int, buf: int, size: int):
    """The common start of IPC_SET and IPC_RMID in shmctl, semctl and msgctl
    (Linux's ipcctl_obtain_check): for IPC_SET, the caller's *id_ds of `size`
    bytes read from buf; the object; and the owner check. Returns (0, object,
    bytes or None), or (-errno, None, None): EFAULT, EINVAL, EPERM."""
    raw = None
    if cmd == IPC_SET:
        raw = vma_copyin(p, buf, size)
        if raw is None:
            return -EFAULT, None, None
    obj = ids.lookup(id)
    if obj is None:
        return -EINVAL, None, None
    if not ipc_owner(p, obj.perm):
        return -EPERM, None, None
    return 0, obj, raw


def ipc_stat(p, ids: "Ids", id: int, cmd: int, buf: int, stat_any: int, pack) -> int:
    """The *_STAT commands of shmctl, semctl and msgctl: IPC_STAT finds the object
    by id, the others (SHM_STAT, ...) by slot and return its id; stat_any (the
    kind's *_STAT_ANY) skips the read permission check. pack(obj) is the *id_ds
    copied out to buf. Returns 0 or the id, or -EINVAL, -EACCES, -EFAULT."""
    obj = ids.lookup(id) if cmd == IPC_STAT else ids.at(id)
    if obj is None:
        return -EINVAL
    if cmd != stat_any and ipcperms(p, obj.perm, S_IRUGO) < 0:
        return -EACCES
    if vma_copyout(p, buf, pack(obj)) < 0:
        return -EFAULT
    return 0 if cmd == IPC_STAT else ids.id_of(obj)


def newperm(p, flag: int) -> tuple[int, int, int]:
    """(uid, gid, mode) of an object p creates with the get call's flag."""
    return p.euid, p.egid, flag & S_IRWXUGO


def ipc_setperm(perm: IpcPerm, raw: bytes) -> None:
    """IPC_SET: take uid, gid and the rwx bits of mode from the caller's ipc_perm."""
    _, uid, gid, _, _, mode, *_ = IpcPerm.FORMAT.unpack(raw[:IpcPerm.FORMAT.size])
    perm.uid, perm.gid = uid, gid
    perm.mode = (perm.mode & ~S_IRWXUGO) | (mode & S_IRWXUGO)


def ipcget(ids: Ids, p, key: int, flag: int, newobj, more_checks=None) -> int:
    """The rule of shmget, semget and msgget (Linux's ipcget). IPC_PRIVATE makes a
    new object (newobj() returns its id or an error); another key finds its
    object, or makes one with IPC_CREAT (else -ENOENT). A found object gives
    -EEXIST under IPC_CREAT|IPC_EXCL; then more_checks(obj) (a size, a count:
    its error or 0) and the permission check of the mode in flag; then its id."""
    if key == IPC_PRIVATE:
        return newobj()
    obj = ids.find_key(key)
    if obj is None:
        return newobj() if flag & IPC_CREAT else -ENOENT
    if flag & IPC_CREAT and flag & IPC_EXCL:
        return -EEXIST
    err = more_checks(obj) if more_checks is not None else 0
    if err == 0:
        err = ipcperms(p, obj.perm, flag)
    return err if err < 0 else ids.id_of(obj)
