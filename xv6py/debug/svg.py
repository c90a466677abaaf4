"""A picture of the page tables of a machine's live processes, as SVG.

    draw(machine, "pt.svg")

One band per process, left to right: its page directory (one row per present
user PDE, the kernel half in one row), the page table of each PDE (one row per
labelled range, as ptdata.mappings() coalesces them), and the frames of each
range. Frames that belong to a shm segment, or that more than one page maps,
are drawn once, in a column on the right, and every range that maps them is
connected to them: shared frames stand out as lines that cross bands.

The SVG is written by hand (no dependency), with a monospace font the viewer
already has; nothing is fetched.
"""

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from ..mmu import PDXSHIFT, PGSIZE, PGSIZE_4M, PTE_ADDR, PTE_PS
from . import ptdata
from .render import flagstr, frames_text

__all__ = ["draw", "render"]

ROW = 18                 # height of one row of text, px
CHAR = 7.3               # width of one character of the 12 px monospace font, px
PAD = 6                  # inner margin of a box
GAP = 14                 # vertical space between boxes
MAX_ROWS = 12            # ranges listed per page table; the rest are counted
# Columns: x and width of page directories, page tables, frames, shared frames.
PD_X, PD_W = 20, 250
PT_X, PT_W = 320, 380
FR_X, FR_W = 740, 250
BUS_X = FR_X + FR_W + 16  # links to shared frames run level to here, then curve
SH_X, SH_W = 1110, 270
WIDTH = SH_X + SH_W + 20

COLOURS = {"text/data": "#5b9bd5", "guard": "#e15759", "stack": "#59a14f", "heap": "#edc948",
           "beyond sz": "#b07aa1", "shm": "#d63384", "mmap private": "#f28e2b"}
STYLE = """
text { font-family: 'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace; font-size: 12px; fill: #222; }
.title { font-size: 14px; font-weight: bold; }
.head { font-weight: bold; }
.dim { fill: #777; }
.box { fill: #fafafa; stroke: #555; stroke-width: 1; }
.band { fill: none; stroke: #ccc; stroke-dasharray: 4 3; }
.link { fill: none; stroke: #666; stroke-width: 1.2; marker-end: url(#arrow); }
.share { fill: none; stroke: #d63384; stroke-width: 2.2; }
.single { fill: none; stroke: #d63384; stroke-width: 1.2; stroke-dasharray: 5 3; }
.shared-box { fill: #fde7f1; stroke: #d63384; stroke-width: 2; }
"""


def draw(machine, path) -> None:
    """Write the picture of machine's live processes to the file at path."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(machine))


@dataclass
class _Link:
    """A range's connection to a group of shared frames."""

    pid: int
    x: float
    y: float
    group: str


@dataclass
class _Canvas:
    parts: list[str] = field(default_factory=list)
    links: list[_Link] = field(default_factory=list)

    def text(self, x, y, s, cls=None, anchor=None) -> None:
        c = f' class="{cls}"' if cls else ""
        a = f' text-anchor="{anchor}"' if anchor else ""
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}"{c}{a}>{escape(s)}</text>')

    def rect(self, x, y, w, h, cls="box", fill=None) -> None:
        f = f' style="fill:{fill}"' if fill else ""
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                          f'rx="3" class="{cls}"{f}/>')

    def curve(self, x1, y1, x2, y2, cls="link", attrs="") -> None:
        mid = (x1 + x2) / 2
        self.parts.append(f'<path class="{cls}"{attrs} d="M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} '
                          f'{mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"/>')


def render(machine) -> str:
    """The SVG text of the picture of machine's live processes."""
    groups = _groups(ptdata.frames(machine))
    members = _members(machine, groups)
    top = 20 + 2 * ROW
    procs: list[str] = []
    links: list[_Link] = []
    for p in ptdata.live_procs(machine):
        c = _Canvas()
        height = _band(c, machine, p, top, groups)
        procs.append(f'<g class="proc" id="pid-{p.pid}" data-pid="{p.pid}">{"".join(c.parts)}</g>')
        links += c.links
        top += height + 2 * GAP
    shared, bottom = _shared_column(members, links, 20 + 2 * ROW)
    height = max(top, bottom) + 20
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}">',
        f"<style>{STYLE}</style>", _DEFS, f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        _legend(), *procs, shared, "</svg>", ""])


_DEFS = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
         'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#666"/>'
         '</marker></defs>')


def _legend() -> str:
    c = _Canvas()
    c.text(PD_X, 24, "page directory -> page tables -> frames (user half; shared frames on the right)",
           "title")
    x = PD_X
    for name, colour in COLOURS.items():
        c.rect(x, 34, 12, 12, "box", colour)
        c.text(x + 16, 44, name if name != "shm" else "shm / shared")
        x += 30 + CHAR * len(name if name != "shm" else "shm / shared")
    return f'<g class="legend">{"".join(c.parts)}</g>'


def _groups(frames) -> dict[int, str]:
    """frame -> the name of its group in the shared column: "shm-N" for a
    segment's frames, "mmap-/name" for an mmap object's, "frame-0x..." for
    another frame that several pages map."""
    out = {}
    for f in frames:
        if isinstance(f.shm, str) and f.shm.startswith("mmap "):
            out[f.pa] = "mmap-" + f.shm[5:].rsplit(" page ", 1)[0]     # one group per object
        elif f.shm is not None:
            out[f.pa] = f"shm-{f.shm}"
        elif f.shared:
            out[f.pa] = f"frame-{f.pa:#010x}"
    return out


def _members(machine, groups: dict[int, str]) -> dict[str, list[int]]:
    """group -> its frames: a segment's in page order, any other group's by address."""
    out: dict[str, list[int]] = {f"shm-{s['id']}": list(s["frames"]) for s in machine.shm_segments()}
    for pa, g in sorted(groups.items()):
        if g not in out:
            out.setdefault(g, []).append(pa)
    return out


def _band(c: _Canvas, machine, p, top: float, groups: dict[int, str]) -> float:
    """Draw process p of machine from y=top: title, page directory, page tables, frames.
    Returns the height used."""
    pd = ptdata.pagedir(machine, p.pgdir, p.sz, ptdata.shm_of(machine, p), p.pid, p.name)
    c.text(PD_X, top + 12, f"pid {p.pid} {p.name} ({p.state.value}), sz {p.sz:#x}", "title")
    y0 = top + ROW + 4
    for a in ptdata.areas_of(machine, p):      # mmap areas, faulted in or not
        faulted = "not yet faulted in" if a.resident == 0 else f"{a.resident} of {a.npages} pages faulted in"
        c.text(PD_X, y0 + 10, f"{a.label} {a.start:#010x}-{a.end - 1:#010x} {a.prot}: {faulted}", "dim")
        y0 += ROW
    pde_y = _pd_box(c, pd, y0)
    y = y0
    for d in pd.pdes:
        c.curve(PD_X + PD_W, pde_y[d.index], PT_X, y + ROW / 2 + PAD / 2)
        y = _pt_box(c, d, y, p.pid, groups) + GAP
    bottom = max(y - GAP, y0 + (len(pd.pdes) + 2) * ROW + PAD)
    c.rect(PD_X - 10, top - 6, SH_X - PD_X - 10, bottom - top + 14, "band")
    return bottom - top


def _pd_box(c: _Canvas, pd: ptdata.PageDir, y: float) -> dict[int, float]:
    """The page directory box at y; returns the y of each PDE's row, for the arrows."""
    rows = len(pd.pdes) + 2
    c.rect(PD_X, y, PD_W, rows * ROW + PAD)
    c.text(PD_X + PAD, y + ROW, f"page directory {pd.pgdir:#010x}", "head")
    ys = {}
    for i, d in enumerate(pd.pdes, start=1):
        ys[d.index] = y + i * ROW + ROW / 2 + PAD / 2 - 4
        c.text(PD_X + PAD, y + (i + 1) * ROW,
               f"[{d.index:3d}] {d.index << PDXSHIFT:#010x}-{((d.index + 1) << PDXSHIFT) - 1:#010x}")
    k = pd.kernel
    c.text(PD_X + PAD, y + rows * ROW,
           f"[512+] kernel: {k.large} x 4 MiB" + (", no U" if k.user == 0 else f", {k.user} with U!"), "dim")
    return ys


def _pt_box(c: _Canvas, d: ptdata.Pde, y: float, pid: int, groups) -> float:
    """The page table of PDE d at y, one row per range (and its frames or its link
    to the shared column). Returns the bottom of the box."""
    ranges = d.ranges[:MAX_ROWS]
    more = len(d.ranges) - len(ranges)
    rows = 1 + len(ranges) + (1 if more else 0)
    c.rect(PT_X, y, PT_W, rows * ROW + PAD)
    what = "4 MiB page" if d.value & PTE_PS else f"page table {PTE_ADDR(d.value):#010x}"
    c.text(PT_X + PAD, y + ROW, f"{what} (PDE {d.index})", "head")
    for i, r in enumerate(ranges, start=1):
        _range_row(c, r, y + i * ROW, pid, groups)
    if more:
        c.text(PT_X + PAD, y + rows * ROW, f"... {more} more ranges", "dim")
    return y + rows * ROW + PAD


def _colour(label: str) -> str:
    if label.startswith(("shm", "mmap shared")):
        return COLOURS["shm"]           # shared frames, whichever call made them
    if label.startswith("mmap private"):
        return COLOURS["mmap private"]
    return COLOURS.get(label, "#999")


def _range_row(c: _Canvas, r: ptdata.Range, y: float, pid: int, groups) -> None:
    """One range in a page table at row y: a colour stripe, PTE indexes, virtual
    range, flags, label; then its private frames, or links to shared ones."""
    first = (r.start % PGSIZE_4M) // PGSIZE
    c.rect(PT_X + 2, y + 6, 5, ROW - 4, "box", _colour(r.label))
    ptes = f"[{first}]" if r.npages == 1 else f"[{first}-{first + r.npages - 1}]"
    c.text(PT_X + PAD + 6, y + ROW, f"{ptes:<11} {r.start:#010x} {r.npages:4d}p {flagstr(r.flags)}")
    c.text(PT_X + PT_W - PAD, y + ROW, r.label, anchor="end")
    mid = y + ROW / 2 + 4
    shared = sorted({groups[f] for f in r.frames if f in groups})
    for g in shared:
        c.links.append(_Link(pid, PT_X + PT_W, mid, g))
    private = [f for f in r.frames if f not in groups]
    if private:
        c.curve(PT_X + PT_W, mid, FR_X, mid)
        c.rect(FR_X, y + 4, FR_W, ROW, "box", _tint(r.label))
        c.text(FR_X + PAD, y + ROW, _frames(private))


def _tint(label: str) -> str:
    """A light version of the label's colour, as a background behind text."""
    h = _colour(label).lstrip("#")
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{(v + 3 * 255) // 4:02x}" for v in rgb)


def _frames(fs) -> str:
    """Frames in about 33 characters: the run notation of the text views, or how many
    and the span of addresses they lie in."""
    s = frames_text(fs, most=2)
    if len(s) <= 33 and "more" not in s:
        return s
    return f"{len(fs)} frames in {min(fs):#010x}-{max(fs):#010x}"


def _shared_column(members: dict[str, list[int]], links: list[_Link], top: float) -> tuple[str, float]:
    """The shared frames, one box per group, each placed level with the mean of the
    rows that link to it (pushed down where boxes would overlap), and the links.
    Returns the SVG group and the bottom of the column."""
    want = {g: sum(lk.y for lk in links if lk.group == g) / n if (n := _count(links, g)) else top
            for g in members}
    c, y, at = _Canvas(), top, {}
    for g in sorted(members, key=lambda g: (want[g], g)):
        h = (1 + min(len(members[g]), MAX_ROWS)) * ROW + PAD
        y = max(y, want[g] - h / 2)
        at[g] = y + ROW / 2 + 4
        _shared_box(c, g, members[g], y, {lk.pid for lk in links if lk.group == g})
        y += h + GAP
    for lk in links:
        pids = len({x.pid for x in links if x.group == lk.group})
        mid, y2 = (BUS_X + SH_X) / 2, at[lk.group]
        c.parts.append(f'<path class="{"share" if pids > 1 else "single"}" data-pid="{lk.pid}" '
                       f'data-to={quoteattr(lk.group)} d="M{lk.x:.1f},{lk.y:.1f} H{BUS_X:.1f} '
                       f'C{mid:.1f},{lk.y:.1f} {mid:.1f},{y2:.1f} {SH_X:.1f},{y2:.1f}"/>')
    return f'<g class="shared">{"".join(c.parts)}</g>', y


def _count(links: list[_Link], g: str) -> int:
    return sum(1 for lk in links if lk.group == g)


def _shared_box(c: _Canvas, g: str, frames: list[int], y: float, pids: set[int]) -> None:
    rows = 1 + min(len(frames), MAX_ROWS)
    c.parts.append(f'<g class="segment" id={quoteattr(g)}>')
    c.rect(SH_X, y, SH_W, rows * ROW + PAD, "shared-box")
    who = f"pids {', '.join(map(str, sorted(pids)))}" if pids else "not mapped"
    c.text(SH_X + PAD, y + ROW, f"{g.replace('-', ' ', 1)}: {who}", "head")
    for i, f in enumerate(frames[:MAX_ROWS]):
        c.text(SH_X + PAD, y + (i + 2) * ROW - 2, f"page {i}: frame {f:#010x}" if g.startswith("shm")
               else f"frame {f:#010x}")
    c.parts.append("</g>")
