"""Solution regions: the parts of the reference kernel a lab asks students to write.

A region is marked in the reference source with three comment lines at the
indentation of the code they surround::

    def sys_shm_destroy() -> int:
        \"\"\"shm_destroy(id): free segment id. -1 if it is free or still attached.\"\"\"
        # [lab shm] begin: refuse while attached, free the frames, free the slot
        id = argint(0)
        ...                               <- the solution: the reference runs it
        return 0
        # [lab shm] stub:
        # return -1                       <- the stub, commented out
        # [lab shm] end

- `# [lab NAME] begin: HINT` opens a region of lab NAME; the hint is optional.
- `# [lab NAME] stub:` (optional) ends the solution; every line up to `end` is
  `# ` followed by a line of the stub (a bare `#` is an empty line).
- `# [lab NAME] end` closes the region.

All three sit at the same indentation; regions do not nest. Being comments, the
markers change nothing in the reference. A region may surround the body of a
function (its stub then returns the "not implemented" answer, e.g. -1) or whole
functions at module level (helpers; no stub needed).

The starter of a lab is the reference with each of its regions replaced by the
hint, as a `# TODO [lab NAME]: HINT` comment, and the stub, uncommented. Regions
of other labs keep their solution and lose their markers. A stub must be valid
Python that leaves the kernel running: the starter imports, boots, and answers
every call politely (check_starter compiles it).

A student edition (`xv6py lab release`, release.py) goes further: every file of
the kernel is rewritten with edition(), which also stubs the regions of the
other labs it leaves out.
"""

import re
from dataclasses import dataclass

__all__ = ["Region", "RegionError", "parse", "starter", "edition", "strip_markers", "check_starter"]

LOOSE = re.compile(r"^\s*#\s*\[lab\b")      # anything that looks like a marker
MARKER = re.compile(r"^(?P<indent>[ \t]*)# \[lab (?P<lab>[\w-]+)\] "
                    r"(?P<kind>begin|stub|end)\b:?[ \t]*(?P<hint>.*?)\s*$")


class RegionError(ValueError):
    """The markers of a file are malformed; the message names the line."""


@dataclass(frozen=True)
class Region:
    lab: str
    hint: str
    indent: str
    begin: int                  # line index (0-based) of the begin marker
    stub_at: int | None         # line index of the stub marker, if any
    end: int                    # line index of the end marker
    solution: tuple[str, ...]   # the lines between begin and stub (or end)
    stub: tuple[str, ...]       # the stub's lines, uncommented and indented


def parse(source: str, filename: str = "<source>") -> list[Region]:
    """The regions of a source file, in order. Raises RegionError on a marker out
    of place: a stub or end with no begin, a begin inside a region, a region left
    open, markers of one region at different indentations or labs, or a stub line
    that is not a comment."""
    lines = source.splitlines(keepends=True)
    regions, cur = [], None
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if m is None and LOOSE.match(line):
            raise RegionError(f"{filename}:{i + 1}: malformed marker (expected `# [lab NAME] begin: HINT`, "
                              f"`# [lab NAME] stub:` or `# [lab NAME] end`)")
        if m is None:
            if cur is not None and cur["stub_at"] is not None:
                cur["stub"].append(_uncomment(line, cur["indent"], filename, i))
            continue
        kind, where = m["kind"], f"{filename}:{i + 1}"
        if kind == "begin":
            if cur is not None:
                raise RegionError(f"{where}: region opened inside the region of line {cur['begin'] + 1}")
            cur = {"lab": m["lab"], "hint": m["hint"], "indent": m["indent"], "begin": i,
                   "stub_at": None, "stub": []}
            continue
        if cur is None:
            raise RegionError(f"{where}: `{kind}` marker outside any region")
        if m["lab"] != cur["lab"] or m["indent"] != cur["indent"]:
            raise RegionError(f"{where}: `{kind}` marker does not match the begin of line "
                              f"{cur['begin'] + 1} (lab name and indentation must be the same)")
        if kind == "stub":
            if cur["stub_at"] is not None:
                raise RegionError(f"{where}: second stub in one region")
            cur["stub_at"] = i
            continue
        solution_end = cur["stub_at"] if cur["stub_at"] is not None else i
        regions.append(Region(cur["lab"], cur["hint"], cur["indent"], cur["begin"], cur["stub_at"], i,
                              tuple(lines[cur["begin"] + 1:solution_end]), tuple(cur["stub"])))
        cur = None
    if cur is not None:
        raise RegionError(f"{filename}:{cur['begin'] + 1}: region never ended")
    return regions


def _uncomment(line: str, indent: str, filename: str, i: int) -> str:
    """A stub line: `INDENT# code` becomes `INDENT code`, `INDENT#` an empty line."""
    body = line.rstrip("\r\n")
    if body == indent + "#":
        return "\n"
    if not body.startswith(indent + "# "):
        raise RegionError(f"{filename}:{i + 1}: a stub line must be `# ` and Python, at the "
                          f"indentation of its markers")
    return indent + body[len(indent) + 2:] + "\n"


def starter(source: str, lab: str, filename: str = "<source>") -> str:
    """The file a student starts from: each region of `lab` replaced by its hint
    and stub; other labs' regions keep their solutions, without markers."""
    return _rewrite(source, filename, lambda r: r.lab == lab)


def edition(source: str, lab: str, left_out, filename: str = "<source>") -> str:
    """The file of a student edition for `lab`: its regions become TODOs as in
    the starter; the regions of the labs in `left_out` are replaced by their stubs
    too, under a comment that says the lab is not part of this edition; the
    others keep their solutions, without markers."""
    def comment(r: Region) -> str:
        return _todo(r) if r.lab == lab else f"# (lab {r.lab} is not part of this edition: a stub)"
    return _rewrite(source, filename, lambda r: r.lab == lab or r.lab in left_out, comment)


def strip_markers(source: str, filename: str = "<source>") -> str:
    """The reference without markers or stubs (every solution kept)."""
    return _rewrite(source, filename, lambda r: False)


def _todo(r: Region) -> str:
    return f"# TODO [lab {r.lab}]" + (f": {r.hint}" if r.hint else "")


def _rewrite(source: str, filename: str, stubbed, comment=_todo) -> str:
    """source with each region for which stubbed(region) holds replaced by
    comment(region) and its stub, and every other region by its solution."""
    lines = source.splitlines(keepends=True)
    out, at = [], 0
    for r in parse(source, filename):
        out += lines[at:r.begin]
        if stubbed(r):
            out.append(r.indent + comment(r) + "\n")
            out += r.stub
        else:
            out += r.solution
        at = r.end + 1
    out += lines[at:]
    return "".join(out)


def check_starter(source: str, lab: str, filename: str = "<source>") -> str:
    """The starter of `lab`, after checking that it is valid Python and that the
    file has at least one region of `lab`. Raises RegionError otherwise."""
    if not any(r.lab == lab for r in parse(source, filename)):
        raise RegionError(f"{filename}: no region of lab {lab!r}")
    text = starter(source, lab, filename)
    try:
        compile(text, f"starter of {filename}", "exec")
    except SyntaxError as e:
        raise RegionError(f"{filename}: the starter of lab {lab!r} is not valid Python: {e}") from None
    return text
