"""System V message queues: msgget, msgsnd, msgrcv, msgctl (Linux's ipc/msg.c).

    id = msgget(p, key, flag)               find or make a queue (ipc.py's rule)
    q = msg_find(p, id, S_IWUGO)            the queue a send (or receive) works on
    msg_fits(q, n), msg_put(q, p, type, text)
    i = find_msg(q, msgtyp, flag); msg_take(q, i, p)
    msgctl(p, id, cmd, buf)                 IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO, MSG_INFO,
                                            MSG_STAT, MSG_STAT_ANY

A message is a positive type and up to MSGMAX bytes of text; a queue holds them
in the order they were sent, up to msg_qbytes bytes of text (and as many
messages). A sender waits while its message does not fit; a receiver picks
by type -- msgtyp 0: the first message; > 0: the first of that type (with
MSG_EXCEPT: of any other type); < 0: the first of the lowest type not above
-msgtyp -- and waits while there is none. The waiting itself is done by
syscalls/sysipc.py, which sleeps on the queue and looks again at each change;
a queue removed under a sleeper wakes it with EIDRM.

Messages live in the kernel's (Python) memory, not in frames: MSGMNI queues of
at most MSGMNB bytes bound them.
"""

import struct

from ..errno import EACCES, EFAULT, EINVAL, EPERM
from ..mm.vma import vma_copyout
from .ipc import (
    IPC_INFO,
    IPC_RMID,
    IPC_SET,
    IPC_STAT,
    Ids,
    ipc_obtain,
    ipc_setperm,
    ipc_stat,
    ipc_time,
    ipcget,
    ipcperms,
    newperm,
)
from .limits import MSGMAP, MSGMAX, MSGMNB, MSGMNI, MSGPOOL, MSGSEG, MSGSSZ, MSGTQL

__all__ = ["MSG_NOERROR", "MSG_EXCEPT", "MSG_COPY", "MSG_STAT", "MSG_INFO", "MSG_STAT_ANY",
           "Message", "MsgQueue", "msg_init", "msgget", "msg_find", "msg_fits", "msg_put",
           "find_msg", "msg_take", "msgctl"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("msg_ids",)
msg_ids: Ids = None         # the table of queues

# msgrcv flags
MSG_NOERROR = 0o10000       # cut a message that is too long instead of failing with E2BIG
MSG_EXCEPT = 0o20000        # msgtyp > 0: the first message of any other type
MSG_COPY = 0o40000          # copy the message at position msgtyp: not supported (ENOSYS)

# msgctl commands (with ipc.py's IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO)
MSG_STAT = 11               # IPC_STAT of the queue in slot msqid; returns its id
MSG_INFO = 12               # struct msginfo with usage; returns the highest slot in use
MSG_STAT_ANY = 13           # MSG_STAT without the read permission check

# struct msqid_ds of i386 glibc, 88 bytes: msg_perm; msg_stime, msg_rtime, msg_ctime
# (each with a reserved high word); __msg_cbytes, msg_qnum, msg_qbytes; msg_lspid,
# msg_lrpid; two reserved words.
MSQID_DS = struct.Struct("<36siIiIiIIIIiiII")
MSGINFO = struct.Struct("<7iH2x")   # msgpool msgmap msgmax msgmnb msgmni msgssz msgtql msgseg


class Message:
    __slots__ = ("mtype", "text")

    def __init__(self, mtype: int, text: bytes):
        self.mtype = mtype
        self.text = text


class MsgQueue:
    """A message queue (Linux's struct msg_queue)."""

    __slots__ = ("slot", "perm", "messages", "cbytes", "qbytes", "lspid", "lrpid", "stime",
                 "rtime", "ctime", "removed", "sleepers")

    def __init__(self):
        self.slot, self.perm = 0, None      # set by Ids.add
        self.messages: list[Message] = []   # in the order they were sent
        self.cbytes = 0                     # bytes of text in the queue
        self.qbytes = MSGMNB                # at most this many (IPC_SET may change it)
        self.lspid, self.lrpid = 0, 0       # last sender, last receiver
        self.stime, self.rtime = 0, 0       # last msgsnd, last msgrcv (0: never)
        self.ctime = ipc_time()             # creation, last IPC_SET
        self.removed = False                # IPC_RMID: sleepers wake with EIDRM
        self.sleepers = 0                   # processes asleep on it (sysipc.py), to wake

    def __repr__(self) -> str:              # a sleep channel in process listings
        return f"msgqueue {self.slot}"


def msg_init() -> None:
    global msg_ids
    msg_ids = Ids("msg ids", MSGMNI)


def msgget(p, key: int, flag: int) -> int:
    """The id of the queue of key (or a new one), as ipcget() says."""
    return ipcget(msg_ids, p, key, flag, lambda: msg_ids.add(MsgQueue(), key, *newperm(p, flag)))


def msg_find(p, msqid: int, access: int):
    """The queue msqid, if p has the access (S_IWUGO to send, S_IRUGO to
    receive): the queue, or -EINVAL (bad id), -EACCES."""
    q = msg_ids.lookup(msqid)
    if q is None:
        return -EINVAL
    if ipcperms(p, q.perm, access) < 0:
        return -EACCES
    return q


def msg_fits(q: MsgQueue, n: int) -> bool:
    """Is there room for a message of n bytes (and one more message)?"""
    return q.cbytes + n <= q.qbytes and len(q.messages) + 1 <= q.qbytes


def msg_put(q: MsgQueue, p, mtype: int, text: bytes) -> None:
    q.messages.append(Message(mtype, text))
    q.cbytes += len(text)
    q.lspid, q.stime = p.pid, ipc_time()


def find_msg(q: MsgQueue, msgtyp: int, flag: int) -> int | None:
    """The position of the message msgrcv takes for msgtyp (see the module's
    docstring), or None if the queue holds none."""
    best = None
    for i, m in enumerate(q.messages):
        if msgtyp == 0:
            return i
        if msgtyp > 0 and (m.mtype != msgtyp if flag & MSG_EXCEPT else m.mtype == msgtyp):
            return i
        if msgtyp < 0 and m.mtype <= -msgtyp and (best is None or m.mtype < q.messages[best].mtype):
            best = i
    return best


def msg_take(q: MsgQueue, i: int, p) -> Message:
    m = q.messages.pop(i)
    q.cbytes -= len(m.text)
    q.lrpid, q.rtime = p.pid, ipc_time()
    return m


def _freeque(q: MsgQueue) -> None:
    """IPC_RMID: the queue and its messages go; sleepers, once woken (by the
    caller), see `removed` and fail with EIDRM."""
    msg_ids.remove(q)
    q.removed = True
    q.messages, q.cbytes = [], 0


# ---- msgctl ----------------------------------------------------------------------------------

def msgctl(p, msqid: int, cmd: int, buf: int) -> int:
    """The msgctl commands; buf is the caller's msqid_ds or msginfo. Returns 0, an
    id or index (*_STAT, *_INFO), or -EINVAL, -EACCES, -EPERM, -EFAULT. The
    caller wakes the queue's sleepers after IPC_SET and IPC_RMID."""
    if msqid < 0 or cmd < 0:
        return -EINVAL
    if cmd in (IPC_INFO, MSG_INFO):
        return _info(p, cmd, buf)
    if cmd in (IPC_STAT, MSG_STAT, MSG_STAT_ANY):
        return ipc_stat(p, msg_ids, msqid, cmd, buf, MSG_STAT_ANY, _msqid_ds)
    if cmd not in (IPC_SET, IPC_RMID):
        return -EINVAL
    err, q, raw = ipc_obtain(p, msg_ids, msqid, cmd, buf, MSQID_DS.size)
    if err:
        return err
    if cmd == IPC_RMID:
        _freeque(q)
        return 0
    qbytes = MSQID_DS.unpack(raw)[9]
    if qbytes > MSGMNB and p.euid != 0:
        return -EPERM                       # only root may raise a queue above MSGMNB
    ipc_setperm(q.perm, raw)
    q.qbytes, q.ctime = qbytes, ipc_time()
    return 0


def _msqid_ds(q: MsgQueue) -> bytes:
    """The queue's struct msqid_ds (IPC_STAT, MSG_STAT, MSG_STAT_ANY)."""
    return MSQID_DS.pack(q.perm.pack(), q.stime, 0, q.rtime, 0, q.ctime, 0, q.cbytes,
                         len(q.messages), q.qbytes, q.lspid, q.lrpid, 0, 0)


def _info(p, cmd: int, buf: int) -> int:
    """IPC_INFO: the limits. MSG_INFO: the same, with msgpool the queues in use,
    msgmap the messages and msgtql their bytes (Linux's convention). The highest
    slot in use."""
    if cmd == IPC_INFO:
        pool, map_, tql = MSGPOOL, MSGMAP, MSGTQL
    else:
        live = msg_ids.live()
        pool, map_, tql = len(live), sum(len(q.messages) for q in live), sum(q.cbytes for q in live)
    raw = MSGINFO.pack(pool, map_, MSGMAX, MSGMNB, MSGMNI, MSGSSZ, tql, MSGSEG)
    if vma_copyout(p, buf, raw) < 0:
        return -EFAULT
    return msg_ids.max_index()
