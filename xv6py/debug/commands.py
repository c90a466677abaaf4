"""The debugger's page-table commands: data from ptdata.py, shown by render.py.

    command(machine, "walk 0x2010 3 write", since)  -> a rich renderable
    COMMANDS                                         name -> (handler, usage)
    explain_fault(m, pgdir, cr2, err, eip, sz, shm)  -> a page fault in words

The REPL (repl.py), gdb's `monitor` (gdbstub.py) and the debugger's fault stops
(debugger.py, trace.py) all come here, so each shows the same text.
"""

from rich.console import RenderableType
from rich.text import Text

from ..machine import Machine
from ..memlayout import KERNBASE
from ..mmu import PGSIZE
from .ptdata import (
    ACCESSES,
    FEC_I,
    FEC_P,
    FEC_U,
    FEC_W,
    Range,
    Snapshot,
    Walk,
    decode_err,
    frames,
    kalloc_diff,
    mappings,
    owners,
    pt,
    ptdiff,
    shm_view,
    snapshot,
    walk,
    walk_va,
)
from .render import (
    render_frames,
    render_ipcs,
    render_kalloc,
    render_pt,
    render_ptdiff,
    render_sem,
    render_shm,
    render_walk,
    text,
)

__all__ = ["COMMANDS", "command", "explain_fault"]


# ---- commands, for the REPL and the CLI -----------------------------------------------------

def _arg_int(word: str, what: str) -> int:
    try:
        return int(word, 0)
    except ValueError:
        raise ValueError(f"{what}: not a number: {word!r}") from None


def _cmd_pt(machine, args, since):
    return render_pt(pt(machine, _arg_int(args[0], "pid") if args else None))


def _cmd_walk(machine, args, since):
    if not args:
        raise ValueError("usage: " + COMMANDS["walk"][1])
    access = next((a for a in args[1:] if a in ACCESSES), "read")
    pids = [a for a in args[1:] if a not in ACCESSES]
    pid = _arg_int(pids[0], "pid") if pids else None
    return render_walk(walk_va(machine, _arg_int(args[0], "va"), pid, access))


def _cmd_ptdiff(machine, args, since):
    if since is None:
        return Text("no earlier stop to compare with")
    return render_ptdiff(ptdiff(since, snapshot(machine)))


def _cmd_kalloc(machine, args, since):
    now = snapshot(machine)
    if since is None:
        return Text(f"free frames: {now.free.count(1)}")
    return render_kalloc(kalloc_diff(since, now), owners(machine))


def _cmd_frames(machine, args, since):
    return render_frames(frames(machine), shared_only="shared" in args)


def _cmd_shm(machine, args, since):
    return render_shm(shm_view(machine))


def _cmd_ipcs(machine, args, since):
    return render_ipcs(machine.ipc_objects())


def _cmd_sem(machine, args, since):
    if not args:
        raise ValueError("usage: " + COMMANDS["sem"][1])
    id = _arg_int(args[0], "semid")
    sets = machine.ipc_objects()["sem"]
    found = next((o for o in sets if o["id"] == id), None)
    if found is None:
        ids = ", ".join(str(o["id"]) for o in sets) or "none"
        raise ValueError(f"no semaphore set with id {id} (ids: {ids})")
    return render_sem(found)


# name -> (handler(machine, args, since), usage). `since` is the Snapshot taken at
# the previous stop (None before the first), for ptdiff and kalloc.
COMMANDS = {
    "pt": (_cmd_pt, "pt [PID]: the page directory and the mapped ranges of a process"),
    "walk": (_cmd_walk, "walk VA [PID] [read|write|fetch]: translate VA level by level"),
    "ptdiff": (_cmd_ptdiff, "ptdiff: mappings added, removed or changed since the last stop"),
    "frames": (_cmd_frames, "frames [shared]: which processes map which frame"),
    "shm": (_cmd_shm, "shm: the segment table, reference counts, who maps each segment where"),
    "kalloc": (_cmd_kalloc, "kalloc: free frames; frames allocated and freed since the last stop"),
    "ipcs": (_cmd_ipcs, "ipcs: the System V tables: segments, semaphore sets, message queues"),
    "sem": (_cmd_sem, "sem ID: a semaphore set's values, waiters and undo records per process"),
}


def command(machine, line: str, since: Snapshot | None = None) -> RenderableType:
    """Run one view command (a line such as "walk 0x2010 3 write", see COMMANDS)
    on machine. Raises ValueError for an unknown command or bad arguments."""
    words = line.split()
    if not words or words[0] not in COMMANDS:
        raise ValueError("commands: " + "; ".join(usage for _, usage in COMMANDS.values()))
    return COMMANDS[words[0]][0](machine, words[1:], since)


# ---- the fault explainer --------------------------------------------------------------------

def explain_fault(m: Machine, pgdir: int, cr2: int, err: int, eip: int, sz: int | None = None,
                  shm=None) -> str:
    """Explain a page fault of a process of m whose page directory is at pgdir
    (call it before exit frees it): the error code decoded, the walk of cr2 for
    the access the code describes (a fetch when eip == cr2), which part of the
    address space cr2 is in, and a note when the page table now disagrees with
    the fault."""
    access = "fetch" if err & FEC_I or eip == cr2 else "write" if err & FEC_W else "read"
    w = walk(m, pgdir, cr2, access, bool(err & FEC_U))
    lines = [f"page fault: err {err} = {decode_err(err)}; addr {cr2:#010x}, eip {eip:#010x}"]
    where = next((r for r in mappings(m, pgdir, sz, shm) if r.start <= cr2 < r.end), None)
    if where is None:           # not present: an mmap area whose page is not faulted in yet?
        where = next((Range(a, a + n * PGSIZE, (), 0, name) for name, a, n in shm or ()
                      if isinstance(name, str) and a <= cr2 < a + n * PGSIZE), None)
    if where is not None:
        lines.append(f"{cr2:#010x} is in {where.label} {where.start:#010x}-{where.end - 1:#010x}"
                     + _HINTS.get(where.label, _MMAP_HINT if where.label.startswith("mmap") else ""))
    elif cr2 >= KERNBASE:
        lines.append(f"{cr2:#010x} is in the kernel half (from KERNBASE {KERNBASE:#x} up)")
    lines.append(text(render_walk(w)).rstrip("\n"))
    note = _disagreement(w, err)
    if note:
        lines.append(note)
    return "\n".join(lines)


_MMAP_HINT = ("\n  (an mmap area: a page is mapped at its first touch -- a lazy fill, not an error --"
              " when the area allows the access; the kernel's line after the kill says why it did not)")

_HINTS = {
    "guard": "\n  (the page exec leaves without PTE_U below the stack: the stack overflowed, "
             "or a pointer ran below it)",
    "beyond sz": "\n  (mapped above the process size, where the kernel accounts for nothing)",
}


def _disagreement(w: Walk, err: int) -> str | None:
    """A note when the page table does not explain the fault (a stale TLB entry:
    a PTE changed without a CR3 reload or TLB flush)."""
    if w.ok:
        return ("note: the page table allows this access now; the CPU used an older "
                "translation (a PTE changed without reloading CR3?)")
    if bool(err & FEC_P) != w.present:
        return ("note: the error code says the page was " + ("present" if err & FEC_P else "not present")
                + "; the page table now says otherwise (a PTE changed without reloading CR3?)")
    return None
