"""System V IPC system calls: thin wrappers that fetch the arguments and call into
ipc/ (as sysproc.c's wrappers call into proc.c), and the three calls that may
sleep -- semop, msgsnd, msgrcv -- whose waiting loop is here: ipc/ sits below
proc/ and offers only steps that never sleep.

Each of the three tries its step once, as a plain function (_semop_try,
_msgsnd_try, _msgrcv_try), and returns the result when the step need not wait:
the usual case costs no generator. Only when the step must wait does the call
return the rest of itself, its loop run by _waiting(), a generator that
syscall.py runs like any call that sleeps: the process sleeps on the object
(the semaphore set, the queue) with the table's lock, and tries again when
woken. Whatever changes an object wakes its sleepers: a semop that
altered a set, SETVAL, SETALL, an exit's undo (proc/proc.py), a message sent
or received, IPC_SET, IPC_RMID. A sleeper that wakes to find its object
removed returns -EIDRM; one that was killed returns -EINTR and exits on its
way out (syscall.py's _blocking), its SEM_UNDO adjustments applied.

Every call returns a negated error number on failure (errno.py); an argument
that cannot be read, or a pointer the caller may not use, gives -EFAULT.
"""

import struct
from types import MappingProxyType

from ..errno import E2BIG, EAGAIN, EFAULT, EIDRM, EINTR, EINVAL, ENOMSG, ENOSYS
from ..ipc import msg, sem
from ..ipc.ipc import IPC_CREAT, IPC_EXCL, IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, S_IRUGO, S_IWUGO
from ..ipc.limits import MSGMAX, SEMOPM
from ..ipc.shm import SHM_RDONLY, SHM_REMAP, SHM_RND, shmat, shmctl, shmdt, shmget
from ..mm.vma import vma_copyin, vma_copyout
from ..proc.proc import myproc, sleep, wakeup
from ..spinlock import acquire, release
from .args import argint, argints

__all__ = ["sys_shmget", "sys_shmat", "sys_shmdt", "sys_shmctl", "sys_semget", "sys_semop",
           "sys_semctl", "sys_msgget", "sys_msgsnd", "sys_msgrcv", "sys_msgctl", "ARG_KINDS"]

U32 = 0xFFFFFFFF          # a pointer or a size_t argument is unsigned
_LONG = struct.Struct("<i")     # a message's type (long on i386)


# ---- shared memory ---------------------------------------------------------------------------

def sys_shmget() -> int:
    """shmget(key, size, shmflg): the id of a segment."""
    a = argints(3)
    if a is None:
        return -EFAULT
    key, size, flag = a
    return shmget(myproc(), key, size & U32, flag)


def sys_shmat() -> int:
    """shmat(shmid, addr, shmflg): the address the segment is attached at."""
    a = argints(3)
    if a is None:
        return -EFAULT
    shmid, addr, flag = a
    return shmat(myproc(), shmid, addr & U32, flag)


def sys_shmdt() -> int:
    """shmdt(addr): detach the segment attached at addr."""
    a = argints(1)
    if a is None:
        return -EFAULT
    return shmdt(myproc(), a[0] & U32)


def sys_shmctl() -> int:
    """shmctl(shmid, cmd, buf)."""
    a = argints(3)
    if a is None:
        return -EFAULT
    shmid, cmd, buf = a
    return shmctl(myproc(), shmid, cmd, buf & U32)


# ---- semaphores ------------------------------------------------------------------------------

def sys_semget() -> int:
    """semget(key, nsems, semflg): the id of a semaphore set."""
    a = argints(3)
    if a is None:
        return -EFAULT
    key, nsems, flag = a
    return sem.semget(myproc(), key, nsems, flag)


def sys_semop():
    """semop(semid, sops, nsops): apply nsops operations at once, waiting until
    they can all go on (unless IPC_NOWAIT). Returns the result, or, when they
    must wait, the rest of the call: a generator that sleeps (see above)."""
    p = myproc()
    a = argints(3)
    if a is None:
        return -EFAULT
    semid, addr, nsops = a[0], a[1] & U32, a[2] & U32
    if nsops < 1 or semid < 0:
        return -EINVAL
    if nsops > SEMOPM:
        return -E2BIG
    raw = vma_copyin(p, addr, sem.SEMBUF.size * nsops)
    if raw is None:
        return -EFAULT
    sops = sem.parse_sops(raw)
    lk = sem.sem_ids.lock
    acquire(lk)
    r = _semop_try(p, semid, sops)
    release(lk)
    return r if isinstance(r, int) else _waiting(lk, _semop(p, semid, sops, lk, r))


def _semop_try(p, semid: int, sops):
    """One try, with the table's lock held: the result, or (set, the operation
    that must wait)."""
    s = sem.semop_find(p, semid, sops)
    if isinstance(s, int):
        return s
    r = sem.semop_try(p, s, sops)
    if not isinstance(r, int):
        return s, r
    if r == 0 and s.waiters and any(op != 0 for _, op, _ in sops):
        wakeup(s)                       # values changed: every sleeper looks again
    return r


def _semop(p, semid: int, sops, lk, r):
    """semop's loop, with lk held, from a try that must wait (r): sleep on the
    set, try again when woken, until a try gives the result."""
    while not isinstance(r, int):
        if p.killed:
            return -EINTR
        s, op = r
        w = sem.wait_begin(s, p, op)
        yield from sleep(s, lk)
        sem.wait_end(s, w)
        if s.removed:
            return -EIDRM
        r = _semop_try(p, semid, sops)
    return r


def sys_semctl() -> int:
    """semctl(semid, semnum, cmd, arg). The fourth argument is read only when it
    can be: commands such as IPC_RMID do not pass one."""
    a = argints(3)
    if a is None:
        return -EFAULT
    semid, semnum, cmd = a
    arg = argint(3)
    lk = sem.sem_ids.lock
    acquire(lk)
    s = sem.sem_ids.lookup(semid)
    r = sem.semctl(myproc(), semid, semnum, cmd, arg if arg is not None else -1)
    if r == 0 and s is not None and cmd in (sem.SETVAL, sem.SETALL, IPC_RMID):
        wakeup(s)
    release(lk)
    return r


# ---- message queues --------------------------------------------------------------------------

def sys_msgget() -> int:
    """msgget(key, msgflg): the id of a queue."""
    a = argints(2)
    if a is None:
        return -EFAULT
    key, flag = a
    return msg.msgget(myproc(), key, flag)


def sys_msgsnd():
    """msgsnd(msqid, msgp, msgsz, msgflg): queue the message at msgp (a long type,
    then msgsz bytes), waiting for room unless IPC_NOWAIT.
    Returns the result, or the rest of the call, a generator that sleeps (see
    above)."""
    p = myproc()
    a = argints(4)
    if a is None:
        return -EFAULT
    msqid, addr, msgsz, flag = a[0], a[1] & U32, a[2], a[3]
    # The type and the text in one copy (one page walk, usually), unless the
    # size is bad or the copy fails: then _msgsnd_error finds the error.
    raw = vma_copyin(p, addr, 4 + msgsz) if 0 <= msgsz <= MSGMAX else None
    if raw is None:
        return _msgsnd_error(p, msqid, addr, msgsz)
    mtype = _LONG.unpack_from(raw)[0]
    if msqid < 0 or mtype < 1:
        return -EINVAL
    text = raw[4:]
    lk = msg.msg_ids.lock
    acquire(lk)
    r = _msgsnd_try(p, msqid, mtype, text, flag)
    release(lk)
    return r if isinstance(r, int) else _waiting(lk, _msgsnd(p, msqid, mtype, text, flag, lk, r))


def _msgsnd_error(p, msqid: int, addr: int, msgsz: int) -> int:
    """msgsnd's error when the message cannot be copied in whole, in Linux's
    order: the type cannot be read (EFAULT), a bad size or id (EINVAL), a bad
    type (EINVAL), the text cannot be read (EFAULT)."""
    head = vma_copyin(p, addr, 4)
    if head is None:
        return -EFAULT
    if not 0 <= msgsz <= MSGMAX or msqid < 0 or _LONG.unpack(head)[0] < 1:
        return -EINVAL
    return -EFAULT


def _msgsnd_try(p, msqid: int, mtype: int, text: bytes, flag: int):
    """One try, with the table's lock held: the result, or the queue to wait on
    (it is full)."""
    q = msg.msg_find(p, msqid, S_IWUGO)
    if isinstance(q, int):
        return q
    if msg.msg_fits(q, len(text)):
        msg.msg_put(q, p, mtype, text)
        if q.sleepers:
            wakeup(q)
        return 0
    return -EAGAIN if flag & IPC_NOWAIT else q


def _msgsnd(p, msqid: int, mtype: int, text: bytes, flag: int, lk, q):
    """msgsnd's loop, with lk held, from a try that must wait on queue q: sleep
    on it, try again when woken, until a try gives the result."""
    while not isinstance(q, int):
        if p.killed:
            return -EINTR
        yield from _sleep_on(q, lk)
        if q.removed:
            return -EIDRM
        q = _msgsnd_try(p, msqid, mtype, text, flag)
    return q


def sys_msgrcv():
    """msgrcv(msqid, msgp, msgsz, msgtyp, msgflg): take a message of the type
    msgtyp asks for into msgp (its type, then at most msgsz bytes of text),
    waiting for one unless IPC_NOWAIT. Returns the bytes of text copied. A
    message that cannot be copied out (EFAULT) stays queued.
    Returns the result, or the rest of the call, a generator that sleeps (see
    above)."""
    p = myproc()
    a = argints(5)
    if a is None:
        return -EFAULT
    msqid, addr, bufsz, msgtyp, flag = a[0], a[1] & U32, a[2], a[3], a[4]
    if msqid < 0 or bufsz < 0:
        return -EINVAL
    if flag & msg.MSG_COPY:
        return -ENOSYS
    lk = msg.msg_ids.lock
    acquire(lk)
    r = _msgrcv_try(p, msqid, addr, bufsz, msgtyp, flag)
    release(lk)
    return r if isinstance(r, int) else _waiting(lk, _msgrcv(p, msqid, addr, bufsz, msgtyp, flag, lk, r))


def _msgrcv_try(p, msqid: int, addr: int, bufsz: int, msgtyp: int, flag: int):
    """One try, with the table's lock held: the result, or the queue to wait on
    (it holds no message msgtyp asks for)."""
    q = msg.msg_find(p, msqid, S_IRUGO)
    if isinstance(q, int):
        return q
    i = msg.find_msg(q, msgtyp, flag)
    if i is None:
        return -ENOMSG if flag & IPC_NOWAIT else q
    m = q.messages[i]
    if len(m.text) > bufsz and not flag & msg.MSG_NOERROR:
        return -E2BIG                   # the message stays queued
    n = min(bufsz, len(m.text))
    if vma_copyout(p, addr, _LONG.pack(m.mtype) + m.text[:n]) < 0:
        return -EFAULT
    msg.msg_take(q, i, p)
    if q.sleepers:
        wakeup(q)                       # room for a waiting sender
    return n


def _msgrcv(p, msqid: int, addr: int, bufsz: int, msgtyp: int, flag: int, lk, q):
    """msgrcv's loop, with lk held, from a try that must wait on queue q: sleep
    on it, try again when woken, until a try gives the result."""
    while not isinstance(q, int):
        if p.killed:
            return -EINTR
        yield from _sleep_on(q, lk)
        if q.removed:
            return -EIDRM
        q = _msgrcv_try(p, msqid, addr, bufsz, msgtyp, flag)
    return q


def _waiting(lk, loop):
    """The rest of a call whose try must wait: its loop (a generator, which
    sleeps and tries again) run with the table's lock lk held. The try released
    lk, but syscall.py starts this at once, before any other code runs: what
    the try found (the object to sleep on) still holds when the loop begins."""
    acquire(lk)
    r = yield from loop
    release(lk)
    return r


def _sleep_on(q, lk):
    """Sleep on queue q, counted among its sleepers (so that a change with nobody
    asleep on the queue need not scan the process table to wake no one)."""
    q.sleepers += 1
    yield from sleep(q, lk)
    q.sleepers -= 1


def sys_msgctl() -> int:
    """msgctl(msqid, cmd, buf)."""
    a = argints(3)
    if a is None:
        return -EFAULT
    msqid, cmd, buf = a
    lk = msg.msg_ids.lock
    acquire(lk)
    q = msg.msg_ids.lookup(msqid)
    r = msg.msgctl(myproc(), msqid, cmd, buf & U32)
    if r == 0 and q is not None and cmd in (IPC_SET, IPC_RMID):
        wakeup(q)                       # (q.sleepers is not kept once it is removed)
    release(lk)
    return r


# ---- how --trace syscalls shows the arguments -------------------------------------------------
# syscall.py's table gives each argument a kind; these are System V's, each a
# function from the argument word to its text: "IPC_CREAT|IPC_EXCL|0600".

def _flags(word: int, names) -> str:
    """The named bits of word joined with |, then the rest (the mode) in octal."""
    parts = [name for bit, name in names if word & bit]
    rest = word & ~sum(bit for bit, _ in names)
    if rest or not parts:
        parts.append(f"0{rest:o}" if rest > 0 else str(rest))     # the mode, as C writes it
    return "|".join(parts)


def _command(word: int, names: dict) -> str:
    return names.get(word, str(word))


_GET_FLAGS = ((IPC_CREAT, "IPC_CREAT"), (IPC_EXCL, "IPC_EXCL"))
_SHMAT_FLAGS = ((SHM_RDONLY, "SHM_RDONLY"), (SHM_RND, "SHM_RND"), (SHM_REMAP, "SHM_REMAP"))
_MSG_FLAGS = ((IPC_NOWAIT, "IPC_NOWAIT"), (msg.MSG_NOERROR, "MSG_NOERROR"),
              (msg.MSG_EXCEPT, "MSG_EXCEPT"), (msg.MSG_COPY, "MSG_COPY"))
_CTL = {IPC_RMID: "IPC_RMID", IPC_SET: "IPC_SET", IPC_STAT: "IPC_STAT", IPC_INFO: "IPC_INFO"}
_SHMCTL = MappingProxyType({**_CTL, 11: "SHM_LOCK", 12: "SHM_UNLOCK", 13: "SHM_STAT", 14: "SHM_INFO",
                            15: "SHM_STAT_ANY"})
_SEMCTL = MappingProxyType({**_CTL, sem.GETPID: "GETPID", sem.GETVAL: "GETVAL", sem.GETALL: "GETALL",
           sem.GETNCNT: "GETNCNT", sem.GETZCNT: "GETZCNT", sem.SETVAL: "SETVAL", sem.SETALL: "SETALL",
           sem.SEM_STAT: "SEM_STAT", sem.SEM_INFO: "SEM_INFO", sem.SEM_STAT_ANY: "SEM_STAT_ANY"})
_MSGCTL = MappingProxyType({**_CTL, msg.MSG_STAT: "MSG_STAT", msg.MSG_INFO: "MSG_INFO",
                            msg.MSG_STAT_ANY: "MSG_STAT_ANY"})
_CTL = MappingProxyType(_CTL)

ARG_KINDS = MappingProxyType({
    "k": lambda w: "IPC_PRIVATE" if w == 0 else f"{w & U32:#x}",            # a key
    "g": lambda w: _flags(w, _GET_FLAGS),                                    # *get flags and mode
    "a": lambda w: _flags(w, _SHMAT_FLAGS),                                  # shmat flags
    "n": lambda w: _flags(w, _MSG_FLAGS),                                    # msgsnd, msgrcv flags
    "S": lambda w: _command(w, _SHMCTL),                                     # shmctl command
    "M": lambda w: _command(w, _SEMCTL),                                     # semctl command
    "Q": lambda w: _command(w, _MSGCTL),                                     # msgctl command
})
