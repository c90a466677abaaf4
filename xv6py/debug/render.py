"""Page-table views as text: the data of ptdata.py turned into `rich` renderables.

    render_walk(Walk), render_pt(PageDir), render_ptdiff([Change]),
    render_kalloc(KallocDiff, owners), render_frames([Frame]), render_shm([ShmView]),
    render_ipcs(Machine.ipc_objects()), render_sem(one set of it)

Print them on a rich Console (colours on a terminal only), or turn them into
plain text with text(). Nothing here reads a machine: every fact shown comes
from the data passed in. flagstr() and frames_text() write flags and frame
lists the same way everywhere (the SVG picture uses them too).
"""

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..memlayout import KERNBASE
from ..mmu import PDX, PDXSHIFT, PGSIZE, PGSIZE_4M, PTE_A, PTE_ADDR, PTE_D, PTE_P, PTE_PS, PTE_U, PTE_W, PTX
from .ptdata import Change, Frame, KallocDiff, KernelHalf, PageDir, Range, ShmView, Step, Walk

__all__ = [
    "flagstr", "frames_text", "text",
    "render_walk", "render_pt", "render_ptdiff", "render_kalloc", "render_frames", "render_shm",
    "render_ipcs", "render_sem",
]


# ---- plain text, flags, frame lists -----------------------------------------------------------

def text(renderable: RenderableType, width: int = 100) -> str:
    """A renderable as plain text: no colours, no terminal codes, width columns."""
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, force_terminal=False, force_jupyter=False,
            highlight=False, emoji=False, markup=False).print(renderable)
    return buf.getvalue()


def flagstr(entry: int, every: bool = False) -> str:
    """The permission flags of an entry as `P W U`, a dash for each clear one
    (`P - U`). With every=True also A, D and PS, named when set, e.g. `P W U A D`."""
    out = [name if entry & bit else "-" for bit, name in ((PTE_P, "P"), (PTE_W, "W"), (PTE_U, "U"))]
    if every:
        out += [name for bit, name in ((PTE_A, "A"), (PTE_D, "D"), (PTE_PS, "PS")) if entry & bit]
    return " ".join(out)


def _span(start: int, size: int) -> str:
    return f"{start:#010x}-{start + size - 1:#010x}"


def frames_text(fs, most: int = 3) -> str:
    """A frame list, runs of consecutive frames (up or down) written first..last:
    '0x0dff7000..0x0dff5000 (3)'; after `most` runs, '+ N more'."""
    runs: list[list[int]] = []
    for f in fs:
        r = runs[-1] if runs else None
        if r and (len(r) == 1 and abs(f - r[-1]) == PGSIZE or len(r) > 1 and f - r[-1] == r[1] - r[0]):
            r.append(f)
        else:
            runs.append([f])
    parts = [f"{r[0]:#010x}" if len(r) == 1 else f"{r[0]:#010x}..{r[-1]:#010x} ({len(r)})"
             for r in runs[:most]]
    rest = sum(len(r) for r in runs[most:])
    return ", ".join(parts) + (f", + {rest} more" if rest else "")


# ---- renderables ------------------------------------------------------------------------------

_LABEL_STYLE = {"guard": "bold red", "stack": "green", "heap": "yellow", "text/data": "cyan",
                "beyond sz": "bold magenta"}


def _label(name: str) -> Text:
    return Text(name, style=_LABEL_STYLE.get(name, "bold blue" if name.startswith("shm") else ""))


def render_walk(w: Walk) -> RenderableType:
    """A walk, one line per level: which index, which entry at which address, its
    value and every flag; then the frame and physical address, or the failure."""
    va = w.va
    lines = [Text(f"walk {va:#010x} ({'user' if w.user else 'kernel'} {w.access}) "
                  f"in page directory {w.pgdir:#010x}"),
             Text(f"  va {va:#010x} = PDX {PDX(va)} | PTX {PTX(va)} | offset {va & 0xFFF:#05x}")]
    for s in w.steps:
        base = "pgdir" if s.level == "PDE" else "table"
        lines.append(Text(f"  {s.level}[{s.index}] at {base} {s.table:#010x} + 4*{s.index} = {s.addr:#010x}"
                          f" holds {s.value:#010x}"))
        lines.append(Text(f"       {_bits(s)}"))
    if w.ok:
        size = "4 MiB page" if w.large else "frame"
        lines.append(Text(f"  -> {size} {w.frame:#010x} + {w.pa - w.frame:#x} = pa {w.pa:#010x}",
                          style="green"))
    else:
        lines.append(Text(f"  fault at the {w.failed}: {w.fault}", style="bold red"))
    return Group(*lines)


def _bits(s: Step) -> str:
    """Every flag of an entry, and where it points."""
    e = s.value
    if not e & PTE_P:
        return "P=0 (not present)"
    names = [("P", PTE_P), ("W", PTE_W), ("U", PTE_U), ("A", PTE_A), ("D", PTE_D)]
    if s.level == "PDE":
        names.append(("PS", PTE_PS))
    bits = " ".join(f"{n}={int(bool(e & b))}" for n, b in names)
    if s.level == "PDE" and e & PTE_PS:
        return f"{bits} -> 4 MiB page {e & ~(PGSIZE_4M - 1) & 0xFFFFFFFF:#010x}"
    return f"{bits} -> {'page table' if s.level == 'PDE' else 'frame'} {PTE_ADDR(e):#010x}"


def _range_row(r: Range) -> list:
    return [_span(r.start, r.end - r.start), str(r.npages), flagstr(r.flags), _label(r.label),
            frames_text(r.frames)]


def render_pt(pd: PageDir) -> RenderableType:
    """A page directory: one row per present user PDE, its mapped ranges under it,
    then the kernel half in one line."""
    who = f"pid {pd.pid} {pd.name} " if pd.pid is not None else ""
    size = f", sz {pd.sz:#x}" if pd.sz is not None else ""
    t = Table(title=f"{who}page directory {pd.pgdir:#010x}{size}", title_justify="left",
              box=None, show_edge=False, pad_edge=False)
    for col in ("entry / range", "pages", "flags", "label", "page table / frames"):
        t.add_column(col, no_wrap=col != "page table / frames")
    for d in pd.pdes:
        t.add_row(Text(f"PDE {d.index} at {d.addr:#010x}: {_span(d.index << PDXSHIFT, PGSIZE_4M)}",
                       style="bold"), "", flagstr(d.value), "",
                  f"page table {PTE_ADDR(d.value):#010x}" if not d.value & PTE_PS else "4 MiB page")
        for r in d.ranges:
            row = _range_row(r)
            t.add_row("  " + row[0], *row[1:])
    if not pd.pdes:
        t.add_row("(no user mappings)", "", "", "", "")
    if not pd.areas:
        return Group(t, Text(_kernel_line(pd.kernel)))
    return Group(t, Text(_kernel_line(pd.kernel)), render_areas(pd.areas))


def render_areas(areas) -> RenderableType:
    """mmap areas (ptdata.AreaView): range, pages, protection, what is behind it,
    and how many pages are faulted in -- the rest have no PTE yet."""
    t = _table("mmap area", "pages", "prot", "label", "faulted in")
    for a in areas:
        faulted = ("not yet faulted in" if a.resident == 0
                   else "all" if a.resident == a.npages else f"{a.resident} of {a.npages}")
        t.add_row(_span(a.start, a.end - a.start), str(a.npages), a.prot, _label(a.label), faulted)
    return t


def _kernel_line(k: KernelHalf) -> str:
    who = "supervisor only" if k.user == 0 else f"{k.user} entries WITH PTE_U"
    small = k.present - k.large
    return (f"{KERNBASE:#010x}-0xffffffff: kernel, {k.large} x 4 MiB pages"
            + (f" and {small} page tables" if small else "")
            + f" mapping {KERNBASE:#010x}-{k.end - 1:#010x}, {who}")


def render_ptdiff(changes: list[Change]) -> RenderableType:
    """What ptdiff() found: one row per added, removed or changed range."""
    if not changes:
        return Text("no mapping changed")
    t = Table(box=None, show_edge=False, pad_edge=False)
    for col in ("pid", "", "range", "pages", "flags", "label", "frames"):
        t.add_column(col)
    style = {"added": "green", "removed": "red", "changed": "yellow"}
    for c in changes:
        r = c.new or c.old
        flags = flagstr(r.flags) if c.kind != "changed" else f"{flagstr(c.old.flags)} -> {flagstr(r.flags)}"
        fr = frames_text(r.frames) if c.kind != "changed" or c.old.frames == r.frames else \
            f"{frames_text(c.old.frames)} -> {frames_text(r.frames)}"
        t.add_row(str(c.pid), Text(c.kind, style=style[c.kind]), _span(r.start, r.end - r.start),
                  str(r.npages), flags, _label(r.label), fr)
    return t


def render_kalloc(d: KallocDiff, owner: dict[int, str] | None = None, most: int = 20) -> RenderableType:
    """Free-frame count, frames allocated (with what holds them now, from owners())
    and frames freed since the earlier snapshot. At most `most` allocated frames
    are listed one per line."""
    head = Text(f"free frames: {d.free_after} (was {d.free_before}); "
                f"{len(d.allocated)} allocated, {len(d.freed)} freed since the last stop")
    parts: list[RenderableType] = [head]
    if d.allocated:
        t = Table(box=None, show_edge=False, pad_edge=False, show_header=False)
        for f in d.allocated[:most]:
            t.add_row(Text("  allocated", style="green"), f"{f:#010x}", (owner or {}).get(f, ""))
        parts.append(t)
        if len(d.allocated) > most:
            parts.append(Text(f"  ... and {len(d.allocated) - most} more: {frames_text(d.allocated, 8)}"))
    if d.freed:
        parts.append(Text(f"  freed: {frames_text(d.freed, 8)}", style="red"))
    return Group(*parts)


def render_frames(fs: list[Frame], shared_only: bool = False) -> RenderableType:
    """Which processes map which frame; shared frames are marked (and styled)."""
    t = Table(box=None, show_edge=False, pad_edge=False)
    for col in ("frame", "", "mapped by (pid: va flags)", "segment"):
        t.add_column(col)
    for f in fs:
        if shared_only and not f.shared:
            continue
        who = ", ".join(f"{pid}: {va:#010x} {flagstr(fl)}" for pid, va, fl in f.maps) or "(not mapped)"
        t.add_row(f"{f.pa:#010x}", Text("shared", style="bold magenta") if f.shared else "",
                  who, _segment(f.shm), style="bold" if f.shared else None)
    return t


def _segment(shm) -> str:
    """A frame's segment column: "shm 0", "shm key 0x... id N", "mmap /name page 0"."""
    if shm is None:
        return ""
    return shm if isinstance(shm, str) and shm.startswith("mmap") else f"shm {shm}"


def render_shm(segs: list[ShmView]) -> RenderableType:
    """The segment table: pages, frames, reference count, and each attachment,
    marked when the count or the page table disagrees with the attachments."""
    if not segs:
        return Text("no shm segments")
    t = Table(box=None, show_edge=False, pad_edge=False)
    for col in ("id", "pages", "refs", "frames", "attached (pid name @ addr)"):
        t.add_column(col)
    for s in segs:
        att = [f"{a.pid} {a.name} @ {a.addr:#010x}" + ("" if a.mapped else " NOT MAPPED THERE")
               for a in s.attached]
        refs = str(s.refcount) if s.refcount == len(s.attached) else \
            f"{s.refcount} (but {len(s.attached)} attached)"
        t.add_row(str(s.id), str(s.npages), refs, frames_text(s.frames), "\n".join(att) or "(none)")
    return t


# ---- System V IPC (the dicts of Machine.ipc_objects()) ----------------------------------------

def _table(*cols: str) -> Table:
    t = Table(box=None, show_edge=False, pad_edge=False)
    for col in cols:
        t.add_column(col)
    return t


def _owner(o: dict) -> tuple[str, str, str]:
    return f"{o['key']:#010x}", str(o["id"]), f"{o['uid']}/{o['gid']} {o['mode'] & 0o777:03o}"


def render_ipcs(objs: dict) -> RenderableType:
    """The three System V tables: for each object its key, id, owner/group and
    mode, and what it holds, with the processes concerned."""
    parts: list[RenderableType] = []
    t = _table("key", "id", "owner mode", "bytes", "pages", "nattch", "cpid", "lpid",
               "attached (pid @ addr)", "")
    for o in objs["shm"]:
        att = ", ".join(f"{pid} @ {addr:#010x}" + (" ro" if ro else "") for pid, addr, ro in o["attached"])
        dest = "dest" if o["mode"] & 0o1000 else ""
        t.add_row(*_owner(o), str(o["segsz"]), str(len(o["frames"])), str(o["nattch"]), str(o["cpid"]),
                  str(o["lpid"]), att or "(none)", dest)
    parts += [Text("System V shared memory", style="bold"), t if objs["shm"] else Text("  none")]
    t = _table("key", "id", "owner mode", "values", "waiting (pid: sem)", "undo (pid: adjustments)")
    for o in objs["sem"]:
        undo = "; ".join(f"{pid}: {' '.join(map(str, adj))}" for pid, adj in o["undo"].items())
        t.add_row(*_owner(o), " ".join(map(str, o["values"])), _waiters(o) or "(none)", undo or "(none)")
    parts += [Text("System V semaphore sets", style="bold"), t if objs["sem"] else Text("  none")]
    t = _table("key", "id", "owner mode", "messages", "bytes", "limit", "lspid", "lrpid", "types")
    for o in objs["msg"]:
        types = " ".join(str(mtype) for mtype, _ in o["messages"][:12])
        types += " ..." if len(o["messages"]) > 12 else ""
        t.add_row(*_owner(o), str(len(o["messages"])), str(o["cbytes"]), str(o["qbytes"]), str(o["lspid"]),
                  str(o["lrpid"]), types)
    parts += [Text("System V message queues", style="bold"), t if objs["msg"] else Text("  none")]
    return Group(*parts)


def _waiters(o: dict) -> str:
    return ", ".join(f"{pid}: {num}{' =0' if zero else ''}" for pid, num, zero in o["waiters"])


def render_sem(o: dict) -> RenderableType:
    """One semaphore set: each semaphore's value, the last pid to operate on it
    and who waits on it (to take from it, or for it to be 0); then the SEM_UNDO
    adjustments each process holds."""
    head = Text(f"semaphore set {o['id']} (key {o['key']:#010x}, owner {o['uid']}/{o['gid']}, "
                f"mode {o['mode'] & 0o777:03o}), {len(o['values'])} semaphores")
    t = _table("sem", "value", "last pid", "waiting to take (GETNCNT)", "waiting for 0 (GETZCNT)")
    for i, (val, pid) in enumerate(zip(o["values"], o["pids"], strict=True)):
        take = [str(w) for w, num, zero in o["waiters"] if num == i and not zero]
        zero = [str(w) for w, num, z in o["waiters"] if num == i and z]
        t.add_row(str(i), str(val), str(pid), " ".join(take) or "-", " ".join(zero) or "-")
    undo = _table("pid", "SEM_UNDO adjustment of each semaphore (applied at its exit)")
    for pid, adj in o["undo"].items():
        undo.add_row(str(pid), " ".join(f"{a:+d}" if a else "0" for a in adj))
    return Group(head, t, undo if o["undo"] else Text("no undo records"))
