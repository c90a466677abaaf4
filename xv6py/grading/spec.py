"""Labs, workspaces and mutants: where they live and what they hold.

A lab is a directory labs/NAME/ with

    lab.toml        its title, the workspace files and the kernel modules they
                    stand in for, the grader's directory and its time limits
                    ([grader]: timeout per workspace, test_timeout per test,
                    limit_factor and limit_floor for a test in a batch: see
                    Lab.test_limit), and
                    [release.keep]: the other labs whose solutions its student
                    edition keeps, each with why (the kernel needs them);
                    [release.allow]: lines of its solutions that the edition may
                    hold all the same (a public test has one), each with why
    README.md       the handout
    grader/         the grader: an ordinary pytest suite (points, budgets and
                    fixtures from the xv6py pytest plugin); tests marked
                    points(n, visibility="hidden") stay out of a student edition
    mutants.toml    hand-made mistakes, as small edits of the reference, each
                    with the test that must catch it (see Mutant)

A workspace is a student's directory: the lab's files (the starter to begin
with), the handout, and xv6py-lab.toml, which names the lab.

The labs come from the package's labs/ unless the environment variable
XV6PY_LABS names another directory (`xv6py lab ... --labs DIR` sets it: an
instructor's own labs, or their own grader for one of ours). Being in the
environment, the choice reaches every grader process started from here.
"""

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import edition, regions

__all__ = ["Lab", "Mutant", "LabError", "labs_dir", "use_labs_dir", "lab_names", "load_lab",
           "workspace_lab", "find_files", "init_workspace", "WORKSPACE_FILE", "LABS_ENV"]

WORKSPACE_FILE = "xv6py-lab.toml"
LABS_ENV = "XV6PY_LABS"         # a labs directory other than the package's


class LabError(Exception):
    """A lab or a workspace that cannot be used; the message says why."""


def labs_dir() -> Path:
    """The labs directory: $XV6PY_LABS if set; else the package's own, beside
    xv6py/ in a source tree (and an editable install), inside it as xv6py/labs
    when installed."""
    if os.environ.get(LABS_ENV):
        return Path(os.environ[LABS_ENV])
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "labs", here / "labs"):
        if candidate.is_dir():
            return candidate
    return here.parent / "labs"


def use_labs_dir(path: Path) -> None:
    """Take the labs from path from now on, in this process and in every process
    it starts (graders, workers). Raises LabError if path is not a directory."""
    if not Path(path).is_dir():
        raise LabError(f"{path}: no such labs directory")
    os.environ[LABS_ENV] = str(Path(path).resolve())


def lab_names() -> list[str]:
    root = labs_dir()
    return sorted(d.name for d in root.iterdir() if (d / "lab.toml").is_file()) if root.is_dir() else []


def module_path(module: str) -> Path:
    """The source file of a kernel module (xv6py.mm.shm -> .../xv6py/mm/shm.py),
    found without importing it: a worker must substitute it before anyone does."""
    top, *rest = module.split(".")
    if top != "xv6py" or not rest:
        raise LabError(f"{module}: a lab can only stand in for modules of xv6py")
    return Path(__file__).resolve().parent.parent.joinpath(*rest).with_suffix(".py")


@dataclass(frozen=True)
class Mutant:
    """A deliberate mistake: `find` (which must occur exactly once in the reference
    of `file`) replaced by `replace`. Grading it must fail `test` with a message
    that contains `message` (case-insensitive), naming the mistake."""

    name: str
    mistake: str
    file: str
    find: str
    replace: str
    test: str
    message: str

    def apply(self, source: str) -> str:
        n = source.count(self.find)
        if n != 1:
            raise LabError(f"mutant {self.name}: its `find` text occurs {n} times in {self.file} "
                           "(it must occur exactly once)")
        return source.replace(self.find, self.replace)


@dataclass(frozen=True)
class Lab:
    name: str
    title: str
    dir: Path
    files: dict[str, str]                # workspace file -> kernel module
    tests: Path                          # the grader's directory
    test_timeout: float                  # seconds of host time per test
    timeout: float                       # seconds of host time per workspace
    memory: int = 4096                   # MiB of data memory for the kernel process
    limit_factor: float = 10             # a test's limit in a batch: this many times the reference's
    limit_floor: float = 1               # time on the test, and never less than this (see test_limit)
    mutants: list[Mutant] = field(default_factory=list)
    keep: dict[str, str] = field(default_factory=dict)    # [release.keep]: lab -> why its solutions stay
    allow: dict[str, str] = field(default_factory=dict)   # [release.allow]: solution line -> why a
                                                          # student edition may hold it

    def reference(self, filename: str) -> str:
        """The reference source of a workspace file (with its region markers).
        A student edition has none: LabError."""
        if edition.STUDENT:
            raise LabError(f"this is the student edition of xv6py for lab {edition.LAB}: "
                           "it holds no reference solution")
        return module_path(self.files[filename]).read_text()

    def starter(self, filename: str) -> str:
        """What a student starts from: the reference with this lab's regions
        stubbed (in a student edition, the kernel's file is that already)."""
        if edition.STUDENT:
            return module_path(self.files[filename]).read_text()
        return regions.check_starter(self.reference(filename), self.name, filename)

    def handout(self) -> Path:
        return self.dir / "README.md"

    def test_limit(self, reference_seconds: float, test_timeout: float) -> float:
        """The host seconds a test may take when a batch is graded, given the
        reference's time on it, measured at the start of the same batch: the
        reference's time times limit_factor, at least limit_floor, at most the
        test timeout."""
        return min(test_timeout, max(self.limit_floor, self.limit_factor * reference_seconds))


def load_lab(name: str) -> Lab:
    """The lab called name. Raises LabError if there is none or its lab.toml is bad."""
    d = labs_dir() / name
    spec = d / "lab.toml"
    if not name or "/" in name or not spec.is_file():
        raise LabError(f"no lab named {name!r} in {labs_dir()} "
                       f"(labs: {', '.join(lab_names()) or 'none found'})")
    try:
        t = tomllib.loads(spec.read_text())
        grader = t.get("grader", {})
        mutants = []
        if (d / "mutants.toml").is_file():
            for m in tomllib.loads((d / "mutants.toml").read_text()).get("mutant", []):
                mutants.append(Mutant(m["name"], m["mistake"], m["file"], m["find"], m["replace"],
                                      m["test"], m["message"]))
        return Lab(name=name, title=t.get("title", name), dir=d, files=dict(t["files"]),
                   tests=d / grader.get("tests", "grader"),
                   test_timeout=float(grader.get("test_timeout", 5)),
                   timeout=float(grader.get("timeout", 60)), memory=int(grader.get("memory", 4096)),
                   limit_factor=float(grader.get("limit_factor", 10)),
                   limit_floor=float(grader.get("limit_floor", 1)),
                   mutants=mutants, keep=dict(t.get("release", {}).get("keep", {})),
                   allow=dict(t.get("release", {}).get("allow", {})))
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as e:
        raise LabError(f"{spec}: {e}") from None


def workspace_lab(workspace: Path, lab: str | None = None) -> Lab:
    """The lab of a workspace: `lab` if given, else the one its xv6py-lab.toml names."""
    if lab is None:
        f = workspace / WORKSPACE_FILE
        if not f.is_file():
            raise LabError(f"{workspace}: no {WORKSPACE_FILE} (made by `xv6py lab init`); "
                           "name the lab with --lab")
        try:
            lab = tomllib.loads(f.read_text())["lab"]
        except (KeyError, ValueError) as e:        # ValueError: not TOML, or not even UTF-8
            raise LabError(f"{f}: {e}") from None
    return load_lab(lab)


def find_files(workspace: Path, lab: Lab) -> Path:
    """Where in workspace the lab's files are: workspace itself if it holds any
    of them; else the one folder below it, at any depth, that holds all of them
    (a submission uploaded as a folder, or a repository); workspace when there
    is no such folder or more than one (grading then says which file is missing).
    Hidden folders and __MACOSX (zip debris) are not looked in."""
    names = list(lab.files)
    if not names or any((workspace / n).exists() or (workspace / n).is_symlink() for n in names):
        return workspace
    found = {p.parent for p in workspace.rglob(names[0])
             if not any(part.startswith(".") or part == "__MACOSX" for part in p.relative_to(workspace).parts)
             and all((p.parent / n).is_file() for n in names)}
    return found.pop() if len(found) == 1 else workspace


def init_workspace(lab: Lab, workspace: Path, *, reference: bool = False, force: bool = False) -> list[Path]:
    """Write a student workspace: the starter of each file (or the reference, for
    instructors), the handout, and xv6py-lab.toml. Refuses to overwrite a file
    unless force. Returns the files written."""
    contents = {name: lab.reference(name) if reference else lab.starter(name) for name in lab.files}
    contents["README.md"] = lab.handout().read_text() if lab.handout().is_file() else f"# {lab.title}\n"
    contents[WORKSPACE_FILE] = f'lab = "{lab.name}"\n'
    existing = [n for n in contents if (workspace / n).exists()]
    if existing and not force:
        raise LabError(f"{workspace}: would overwrite {', '.join(existing)} (use --force)")
    workspace.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in contents.items():
        (workspace / name).write_text(text)
        written.append(workspace / name)
    return written
