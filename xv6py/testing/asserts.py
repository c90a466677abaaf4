"""Assertions on a machine's kernel state, for tests and graders.

    from xv6py.testing.asserts import assert_no_leak, assert_pte, assert_shm, assert_no_ipc

    r = xv6_run("shmtest")
    assert_no_leak(r)                                  # every frame came back
    assert_shm(m, 0, free=True)                        # the segment table row
    assert_pte(m, pid, 0x10000000, user=True, writable=True)
    assert_no_ipc(m)                                   # no System V object left

Each helper reads the kernel's own structures (the process table, the page
table in emulated RAM, the shm table) through the Machine's methods only
(processes, pte, shm_entry, read_phys, free_frames), so that it works as well
on a grader's machine in a kernel process of its own (grading/remote.py); an assert_*
helper fails with a message that shows what the kernel holds, not only that it
differs. Processes exist between runs only when a test made them (kcall's
Syscaller spawns and drives them); after Machine.run they are all torn down.

Importing this module is cheap: the kernel modules are imported by the helpers
that need them, and they never import unicorn.
"""

__all__ = ["at_once", "INSPECTIONS", "look",
           "free_frames", "assert_no_leak", "assert_free_frames", "assert_frame_filled",
           "processes", "proc_by_pid", "assert_proc", "assert_no_zombies",
           "pte", "describe_pte", "assert_pte", "shm_entry", "assert_shm",
           "ipc_objects", "assert_no_ipc", "assert_sysv_shm", "assert_sem", "assert_msgq"]


# ---- several looks at once ----------------------------------------------------------------

# What at_once() may ask a machine: its methods (and the property free_frames)
# that only read the kernel's state.
INSPECTIONS = frozenset({"processes", "shm_segments", "shm_entry", "pte", "read_phys", "isfree",
                         "console_output", "free_frames"})


def at_once(m, *asks) -> list:
    """Several looks at machine m's kernel state, each ask a tuple (name, *args)
    of one of INSPECTIONS: their answers, in order; the first that fails
    raises its error. m.at_once does it when m has it -- a machine in a grader's
    kernel process (grading/remote.py), where it is one request rather than
    one per ask; elsewhere each is asked in turn."""
    for name, *_ in asks:
        if name not in INSPECTIONS:
            raise ValueError(f"{name} is not an inspection ({', '.join(sorted(INSPECTIONS))})")
    batch = getattr(m, "at_once", None)
    if batch is not None:
        return batch(*asks)
    return [look(m, name, *args) for name, *args in asks]


def look(m, name: str, *args):
    """One of INSPECTIONS on machine m (free_frames is a property)."""
    return m.free_frames if name == "free_frames" else getattr(m, name)(*args)


# ---- physical frames ---------------------------------------------------------------------

def free_frames(m) -> int:
    """Free physical frames on machine m now."""
    return m.free_frames


def assert_no_leak(result) -> None:
    """The run gave back every frame it took (free frames after == before)."""
    before, after = result.free_frames_before, result.free_frames_after
    if after != before:
        what = "leaked" if after < before else "freed"
        raise AssertionError(f"{result.program} {what} {abs(before - after)} frame(s): "
                             f"{before} free before the run, {after} after ({result.status})")


def assert_free_frames(m, expected: int) -> None:
    """Machine m has exactly `expected` free frames now."""
    now = free_frames(m)
    if now != expected:
        raise AssertionError(f"{now} free frames, expected {expected} "
                             f"({expected - now:+d} frame(s) unaccounted for)")


def assert_frame_filled(m, pa: int, byte: int = 0, *, what: str = "") -> None:
    """Every byte of the 4 KiB frame at physical address pa holds `byte` (0: the
    frame was zero-filled; 1: kfree's junk). The message counts the bytes that
    differ and shows the first one, prefixed by `what` (the test's words).

    Use this rather than `assert ram[pa:pa + PGSIZE] == bytes(PGSIZE)`: when that
    fails, pytest diffs the two 4096-byte values, and where the environment names
    a CI system (CI or BUILD_NUMBER set) the full diff takes tens of seconds."""
    from ..mmu import PGSIZE
    frame = m.read_phys(pa, PGSIZE)
    fill = bytes([byte])
    wrong = PGSIZE - frame.count(fill)
    if wrong:
        first = next(i for i, b in enumerate(frame) if b != byte)
        raise AssertionError(f"{what + ': ' if what else ''}frame {pa:#x} holds {wrong} byte(s) "
                             f"other than {byte:#04x}; the first at offset {first:#x} is "
                             f"{frame[first]:#04x}")


# ---- the process table -------------------------------------------------------------------

def processes(m, state: str | None = None) -> list[dict]:
    """The processes of m (Machine.processes() rows), only those in `state` if given
    (a state's name, as "RUNNABLE", or its short form, as "runble")."""
    rows = m.processes()
    if state is None:
        return rows
    want = _state(state)
    return [row for row in rows if row["state"] == want]


def proc_by_pid(m, pid: int) -> dict | None:
    """The process table row of pid (pid, name, state, sz, ppid, insns, shm), or None."""
    return next((row for row in m.processes() if row["pid"] == pid), None)


def assert_proc(m, pid: int, *, state: str | None = None, name: str | None = None) -> dict:
    """pid is in the process table (in `state`, named `name`, when given); returns its row."""
    row = proc_by_pid(m, pid)
    if row is None:
        raise AssertionError(f"no process with pid {pid}; the table holds: {_listing(m)}")
    if state is not None and row["state"] != _state(state):
        raise AssertionError(f"pid {pid} ({row['name']}) is {row['state']}, expected {_state(state)}")
    if name is not None and row["name"] != name:
        raise AssertionError(f"pid {pid} is named {row['name']!r}, expected {name!r}")
    return row


def assert_no_zombies(m) -> None:
    """No process is a zombie (every exited child has been waited for)."""
    zombies = processes(m, "ZOMBIE")
    if zombies:
        raise AssertionError(f"{len(zombies)} zombie(s) nobody waited for: "
                             + ", ".join(f"pid {z['pid']} {z['name']} (parent {z['ppid']})" for z in zombies))


def _state(state) -> str:
    """The short form of a process state ("runble"), from a name, short form or ProcState."""
    from ..proc.proc import ProcState
    if isinstance(state, ProcState):
        return state.value
    try:
        return ProcState[str(state).upper()].value
    except KeyError:
        return ProcState(str(state)).value


def _listing(m) -> str:
    rows = m.processes()
    return "; ".join(f"{r['pid']} {r['state']} {r['name']}" for r in rows) or "nothing"


# ---- page tables -------------------------------------------------------------------------

def pte(m, pid: int, va: int) -> int | None:
    """The page-table entry that maps virtual address va in process pid, read from
    its page directory as the MMU would walk it (by hand: not with the kernel's
    walkpgdir, which a lab may have replaced): the PTE, or the PDE itself where a
    4 MiB page maps va (the kernel half). None when no page table covers va.
    The entry may be non-zero without PTE_P; test the bits. LookupError if no such pid."""
    return m.pte(pid, va)


def describe_pte(entry: int | None) -> str:
    """An entry in words: "0x00dff007 (frame 0xdff000, P W U)"."""
    from ..mmu import PTE_ADDR, PTE_FLAGS, PTE_P, PTE_PS, PTE_U, PTE_W
    if entry is None:
        return "no page table"
    names = [n for bit, n in ((PTE_P, "P"), (PTE_W, "W"), (PTE_U, "U"), (PTE_PS, "PS"))
             if PTE_FLAGS(entry) & bit]
    return f"{entry:#010x} (frame {PTE_ADDR(entry):#x}, {' '.join(names) or 'no flags'})"


def assert_pte(m, pid: int, va: int, *, present: bool = True, user: bool | None = None,
               writable: bool | None = None, frame: int | None = None) -> int | None:
    """va of process pid is mapped (present=True) or not (present=False); when given,
    user-accessible or not, writable or not, and onto physical frame `frame`.
    Returns the entry."""
    from ..mmu import PTE_ADDR, PTE_P, PTE_U, PTE_W
    entry = pte(m, pid, va)
    is_present = entry is not None and bool(entry & PTE_P)
    where = f"pid {pid} va {va:#x}: {describe_pte(entry)}"
    if is_present != present:
        raise AssertionError(f"{where}: expected {'present' if present else 'not present'}")
    if not present:
        return entry
    for want, bit, word in ((user, PTE_U, "user-accessible"), (writable, PTE_W, "writable")):
        if want is not None and bool(entry & bit) != want:
            raise AssertionError(f"{where}: expected {'' if want else 'not '}{word}")
    if frame is not None and PTE_ADDR(entry) != frame:
        raise AssertionError(f"{where}: expected frame {frame:#x}")
    return entry


# ---- shared memory -----------------------------------------------------------------------

def shm_entry(m, id: int) -> dict:
    """Row id of the shared-memory table: id, npages, frames, refcount, free (a slot is
    free when its page count is 0), attached [(pid, addr)]. IndexError if id is out of range."""
    return m.shm_entry(id)


def assert_shm(m, id: int, *, refcount: int | None = None, npages: int | None = None,
               free: bool | None = None) -> dict:
    """Row id of the shm table has the given reference count, page count and
    free/used state (those given). Returns the row."""
    row = shm_entry(m, id)
    for key, want in (("free", free), ("npages", npages), ("refcount", refcount)):
        if want is not None and row[key] != want:
            raise AssertionError(f"shm segment {id}: {key} is {row[key]}, expected {want} "
                                 f"(row: npages={row['npages']} refcount={row['refcount']} "
                                 f"attached={row['attached']})")
    return row


# ---- System V IPC ------------------------------------------------------------------------
# The tables of xv6py/ipc/, as Machine.ipc_objects() lists them (one dict per
# object; a machine in a grader's kernel process does not offer them yet).

def ipc_objects(m) -> dict[str, list[dict]]:
    """{"shm": [...], "sem": [...], "msg": [...]}: the System V objects of m now."""
    return m.ipc_objects()


def assert_no_ipc(m) -> None:
    """No System V segment, semaphore set (so no undo record) or queue is left."""
    left = {kind: objs for kind, objs in ipc_objects(m).items() if objs}
    if left:
        raise AssertionError("System V IPC objects left behind: " + "; ".join(
            f"{kind} id {o['id']} key {o['key']:#x}" for kind, objs in left.items() for o in objs))


def _ipc_object(m, kind: str, id: int) -> dict:
    objs = ipc_objects(m)[kind]
    row = next((o for o in objs if o["id"] == id), None)
    if row is None:
        raise AssertionError(f"no System V {kind} object with id {id}; there are: "
                             + (", ".join(str(o["id"]) for o in objs) or "none"))
    return row


def _check(what: str, row: dict, **want) -> dict:
    for key, value in want.items():
        if value is not None and row[key] != value:
            raise AssertionError(f"{what}: {key} is {row[key]!r}, expected {value!r} (row: {row})")
    return row


def assert_sysv_shm(m, id: int, *, nattch: int | None = None, segsz: int | None = None,
                    attached: list | None = None) -> dict:
    """System V segment id exists, with the given nattch, size (as asked) and
    attachments [(pid, addr, read-only)] (those given). Returns its row."""
    row = _ipc_object(m, "shm", id)
    if attached is not None:
        attached = [tuple(a) for a in attached]
    return _check(f"System V segment {id}", row, nattch=nattch, segsz=segsz, attached=attached)


def assert_sem(m, id: int, *, values: list | None = None, waiters: list | None = None,
               undo: dict | None = None) -> dict:
    """Semaphore set id exists, with the given values, waiters [(pid, semnum,
    waits for zero)] and SEM_UNDO records {pid: [adjustment of each semaphore]}
    (those given). Returns its row."""
    row = _ipc_object(m, "sem", id)
    if waiters is not None:
        waiters = [tuple(w) for w in waiters]
    return _check(f"semaphore set {id}", row, values=values, waiters=waiters, undo=undo)


def assert_msgq(m, id: int, *, qnum: int | None = None, cbytes: int | None = None,
                types: list | None = None) -> dict:
    """Message queue id exists, holding qnum messages of cbytes bytes of text,
    of these types in queue order (those given). Returns its row."""
    row = _ipc_object(m, "msg", id)
    got = {"qnum": len(row["messages"]), "cbytes": row["cbytes"],
           "types": [t for t, _ in row["messages"]]}
    _check(f"message queue {id}", got, qnum=qnum, cbytes=cbytes, types=types)
    return row
