"""`xv6py lab release LAB OUT`: the student edition of xv6py for one lab.

    rel = write_release(load_lab("shm"), Path("shm-edition"))
    assert leaks(rel) == []

OUT is a source tree that `pip install OUT` installs, holding

    README.md           for students: install, start, run, grade; what the edition holds
    grade.sh            `make grade`: the lab's public tests on a workspace (`xv6py lab grade`)
    pyproject.toml      xv6py's, with this lab's packages only
    xv6py/              the kernel. Every file with regions of LAB has them replaced by
                        their TODO and stub (the package itself, not only a workspace);
                        the regions of every other lab by their stubs too, unless LAB's
                        lab.toml keeps them ([release.keep]: the kernel needs them) or
                        the instructor does (--keep: a lab the students have done).
                        grading/edition.py says it is a student edition.
    userprogs/          the user programs: C sources, the user library, the built ELFs
    labs/LAB/           lab.toml, the handout, and the grader without its hidden tests
                        (its files other than Python are copied as they are: data
                        that only hidden tests may see belongs inside them)
    XV6PY.md            xv6py's own README

Left out: every other lab, mutants.toml, the project's tests and benchmarks,
compiled files, and every test marked points(n, visibility=V) with V other
than "visible" (their source would tell what the hidden tests check; the
autograder has them). A student edition has no reference solution, so its
`xv6py lab init` cannot write one and has no --reference.

leaks() is the proof, run by `lab release` and the self-check: it searches
every file of a release for every line of every solution region it left out,
and for every line of every hidden test (see leaks() for what counts).
"""

import ast
import importlib.metadata
import json
import os
import re
import shutil
import stat
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import regions
from .spec import Lab, LabError

__all__ = ["Release", "HiddenTest", "source_tree", "tree_files", "write_release", "public_tests",
           "leaks"]

VISIBLE = "visible"


@dataclass(frozen=True)
class HiddenTest:
    """A test a release leaves out: in `file` (relative to the grader's directory)."""

    file: str
    name: str
    visibility: str
    source: str                 # its lines, decorators and the comments just above included


@dataclass
class Release:
    lab: str
    dir: Path
    kept: dict[str, str]                            # other labs whose solutions stay -> why
    left_out: list[str]                             # other labs whose regions became stubs
    todo: list[str] = field(default_factory=list)          # kernel files with the lab's TODOs
    hidden: list[HiddenTest] = field(default_factory=list)
    allowed: dict[str, str] = field(default_factory=dict)  # solution lines it may hold -> why
    public: set[str] = field(default_factory=set)          # the public tests' lines, compared form


def source_tree() -> Path:
    """The source tree of this xv6py (pyproject.toml, xv6py/, userprogs/ side by
    side): a clone, or the directory of an editable install. LabError if xv6py
    was installed without one."""
    root = Path(__file__).resolve().parent.parent.parent
    if (root / "pyproject.toml").is_file() and (root / "userprogs").is_dir():
        return root
    raise LabError(f"xv6py at {root / 'xv6py'} was installed without its source tree; "
                   "a release is written from a clone of xv6py (pip install -e .)")


# The package's directory; installed, its subpackages userprogs and labs are the
# tree's userprogs/ and labs/ (pyproject.toml's package-dir).
_PACKAGE = Path(__file__).resolve().parent.parent
_NOT_KERNEL = ("userprogs", "labs")


def _kernel_files():
    """The kernel's files (xv6py/), as paths relative to _PACKAGE: a clone's, or,
    in an install without a source tree, the package's less its userprogs/ and
    labs/."""
    return (rp for rp in tree_files(_PACKAGE) if rp.parts[0] not in _NOT_KERNEL)


def _userprogs_dir() -> Path:
    """The user programs' directory: a clone's userprogs/, or the installed package's."""
    try:
        return source_tree() / "userprogs"
    except LabError:
        return _PACKAGE / "userprogs"


def _skipped(rel: Path) -> bool:
    """Never copied: compiled files, hidden files, build debris."""
    return any(part.startswith(".") or part == "__pycache__" or part.endswith(".egg-info")
               for part in rel.parts) or rel.suffix in (".pyc", ".pyo")


def tree_files(top: Path):
    """The files under top worth copying, as paths relative to top, sorted."""
    for path in sorted(top.rglob("*")):
        rel = path.relative_to(top)
        if path.is_file() and not _skipped(rel):
            yield rel


def _marked(rp: Path, text: str) -> bool:
    """Does the kernel file rp (relative to xv6py/) hold regions? Not the grading
    machinery's own files: their docstrings show markers as examples."""
    return rp.parts[0] != "grading" and any(regions.LOOSE.match(line) for line in text.splitlines())


def _region_labs() -> set[str]:
    """Every lab that has regions somewhere in the kernel."""
    found = set()
    for rp in _kernel_files():
        if rp.suffix == ".py" and _marked(rp, text := (_PACKAGE / rp).read_text()):
            found |= {r.lab for r in regions.parse(text, str(rp))}
    return found


def write_release(lab: Lab, out: Path, *, keep: dict[str, str] | None = None) -> Release:
    """Write the student edition of lab into out (a new or empty directory).
    keep: more labs whose solutions stay (-> why), besides lab.keep. Raises
    LabError for a lab with no regions, a kept lab that has none, or a grader
    whose hidden tests cannot be told apart (see public_tests)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise LabError(f"{out}: exists and is not an empty directory")
    everyone = _region_labs()
    kept = {**lab.keep, **(keep or {})}
    if lab.name not in everyone:
        raise LabError(f"lab {lab.name}: no region of the kernel is marked `# [lab {lab.name}]`")
    if unknown := sorted(set(kept) - everyone):
        raise LabError(f"lab {lab.name}: cannot keep {', '.join(unknown)}: no region of the kernel is theirs")
    rel = Release(lab.name, out, {k: kept[k] for k in sorted(kept) if k != lab.name},
                  sorted(everyone - set(kept) - {lab.name}), allowed=dict(lab.allow))
    _write_kernel(rel)
    userprogs = _userprogs_dir()
    for rp in tree_files(userprogs):
        _copy(userprogs / rp, out / "userprogs" / rp)
    _write_lab(lab, rel)
    (out / "pyproject.toml").write_text(_pyproject(out))
    (out / "XV6PY.md").write_text(_xv6py_readme())
    (out / "README.md").write_text(_readme(lab, rel))
    (out / "grade.sh").write_text(GRADE_SH.format(lab=lab.name))
    (out / "grade.sh").chmod(0o755)
    return rel


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    if os.stat(src).st_mode & stat.S_IXUSR:
        dst.chmod(0o755)


def _write_kernel(rel: Release) -> None:
    """xv6py/: each file with regions rewritten for the edition, edition.py
    rewritten, the rest copied."""
    for rp in _kernel_files():
        src, dst = _PACKAGE / rp, rel.dir / "xv6py" / rp
        if rp == Path("grading", "edition.py"):
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(EDITION.format(lab=rel.lab, kept=tuple(rel.kept)))
        elif rp.suffix == ".py" and _marked(rp, text := src.read_text()):
            new = regions.edition(text, rel.lab, set(rel.left_out), str(rp))
            try:
                compile(new, str(dst), "exec")
            except SyntaxError as e:
                raise LabError(f"xv6py/{rp}: its student edition is not valid Python: {e}") from None
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(new)
            if any(r.lab == rel.lab for r in regions.parse(text, str(rp))):
                rel.todo.append(f"xv6py/{rp}")
        else:
            _copy(src, dst)


def _write_lab(lab: Lab, rel: Release) -> None:
    """labs/LAB/: lab.toml, the handout, the grader's public tests. Every
    directory gets an __init__.py, as installed labs have: each is a package."""
    try:
        grader = lab.tests.relative_to(lab.dir)
    except ValueError:
        raise LabError(f"lab {lab.name}: its grader {lab.tests} is not inside {lab.dir}") from None
    out = rel.dir / "labs" / lab.name
    out.mkdir(parents=True)
    (rel.dir / "labs" / "__init__.py").write_text("")
    for name in ("lab.toml", "README.md", "__init__.py"):
        if (lab.dir / name).is_file():
            _copy(lab.dir / name, out / name)
    for rp in tree_files(lab.tests):
        src, dst = lab.tests / rp, out / grader / rp
        if rp.suffix != ".py":
            _copy(src, dst)
            continue
        public, hidden = public_tests(src.read_text(), str(grader / rp))
        rel.hidden += hidden
        rel.public |= {_norm(line) for line in (public or "").splitlines()}
        if public is not None:
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(public)
    for d in {out, *(p for p in out.rglob("*") if p.is_dir() and not _skipped(p.relative_to(out)))}:
        (d / "__init__.py").touch()


# The edition's directories and the packages they install as (pyproject's package-dir).
_PACKAGE_DIRS = {"xv6py": "xv6py", "userprogs": "xv6py.userprogs", "labs": "xv6py.labs"}


def _pyproject(out: Path) -> str:
    """The edition's pyproject.toml: this xv6py's name, version, dependencies and
    entry points, from its installed metadata (an install without a source tree
    has no pyproject.toml), and each package of the edition's tree with its
    data files. LabError if xv6py is not installed."""
    try:
        dist = importlib.metadata.distribution("xv6py")
    except importlib.metadata.PackageNotFoundError:
        raise LabError("xv6py is not installed (pip install -e .): a release takes its "
                       "dependencies and entry points from the installed metadata") from None
    meta = dist.metadata
    q = json.dumps                  # a TOML basic string is a JSON string
    lines = ["# Written by `xv6py lab release`.", "[build-system]", 'requires = ["setuptools>=68"]',
             'build-backend = "setuptools.build_meta"', "", "[project]",
             f"name = {q(meta['Name'])}", f"version = {q(dist.version)}",
             f"description = {q(meta['Summary'] or '')}", 'readme = "README.md"']
    if meta["Requires-Python"]:
        lines.append(f"requires-python = {q(meta['Requires-Python'])}")
    if meta["License"]:
        lines.append(f"license = {{ text = {q(meta['License'])} }}")
    needs = [r for r in dist.requires or [] if "extra ==" not in r]     # not the extras' (tests, lint)
    lines.append(f"dependencies = [{', '.join(map(q, needs))}]")
    groups: dict[str, list] = {}
    for ep in dist.entry_points:
        groups.setdefault(ep.group, []).append(ep)
    for group, eps in sorted(groups.items()):
        head = "project.scripts" if group == "console_scripts" else f"project.entry-points.{q(group)}"
        lines += ["", f"[{head}]", *(f"{q(ep.name)} = {q(ep.value)}" for ep in eps)]
    packages, data = _packages(out)
    lines += ["", "[tool.setuptools]", f"packages = [{', '.join(map(q, packages))}]",
              "package-dir = { " + ", ".join(f"{q(pkg)} = {q(d)}" for d, pkg in _PACKAGE_DIRS.items()
                                             if d != "xv6py") + " }",
              "", "[tool.setuptools.package-data]",
              *(f"{q(pkg)} = [{', '.join(map(q, pats))}]" for pkg, pats in data.items())]
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)             # (a mistake here is ours: let it show here, not in pip)
    return text


def _packages(out: Path) -> tuple[list[str], dict[str, list[str]]]:
    """The packages of the edition in out (its directories with an __init__.py),
    and the data files of each: globs of its files other than Python, directory
    by directory, down to the next package."""
    packages, data = [], {}
    for top, name in _PACKAGE_DIRS.items():
        for init in sorted((out / top).rglob("__init__.py")):
            d = init.parent
            pkg = ".".join((name, *d.relative_to(out / top).parts))
            packages.append(pkg)
            pats = set()
            for f in d.rglob("*"):
                owner = f.parent
                while owner != d and not (owner / "__init__.py").exists():
                    owner = owner.parent
                if f.is_file() and owner == d and not (f.parent == d and f.suffix == ".py"):
                    rel = f.relative_to(d)
                    pats.add(f"{rel.parent.as_posix()}/*" if rel.parent != Path(".") else
                             f"*{rel.suffix}" if rel.suffix else rel.name)
            if pats:
                data[pkg] = sorted(pats)
    return packages, data


def _xv6py_readme() -> str:
    """xv6py's own README: a clone's file, or the description in the installed metadata."""
    try:
        return (source_tree() / "README.md").read_text()
    except (LabError, OSError):
        return importlib.metadata.metadata("xv6py").get_payload() or ""


# ---- hidden tests --------------------------------------------------------------------------------

def _is_points(node) -> bool:
    """Is node a call of the points marker (pytest.mark.points(...), points(...))?"""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    return isinstance(f, ast.Attribute) and f.attr == "points" or isinstance(f, ast.Name) and f.id == "points"


def _visibility(call: ast.Call, filename: str) -> str:
    for kw in call.keywords:
        if kw.arg is None or kw.arg == "visibility" and not (
                isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)):
            raise LabError(f"{filename}:{call.lineno}: write a test's visibility as a string, "
                           "points(n, visibility=\"hidden\"): a release must see which tests are hidden")
        if kw.arg == "visibility":
            return kw.value.value
    return VISIBLE


def _marks(nodes, filename: str, seen: set[int]) -> str:
    """The visibility that the points calls anywhere in nodes give: the first
    that is not visible, else visible. Each call found is added to seen."""
    found = []
    for node in nodes:
        for n in ast.walk(node):
            if _is_points(n):
                seen.add(id(n))
                found.append(_visibility(n, filename))
    return next((v for v in found if v != VISIBLE), VISIBLE)


def _pytestmark(stmt) -> bool:
    return isinstance(stmt, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets)


def _hidden_nodes(tree, filename: str, seen: set[int]) -> list[tuple[ast.AST, str, str]]:
    """(node, name, visibility) of each test function or class that is not visible:
    by its decorators, or a class by its own pytestmark, or a method by its
    decorators (a class whose every statement is a hidden method goes whole)."""
    out = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        marks = [d for d in node.decorator_list if _is_points(d)]     # not one nested in another mark
        if isinstance(node, ast.ClassDef):
            marks += [s for s in node.body if _pytestmark(s)]
        vis = _marks(marks, filename, seen)
        if vis != VISIBLE:
            out.append((node, node.name, vis))
        elif isinstance(node, ast.ClassDef):
            methods = _hidden_nodes(node, filename, seen)
            body = [s for s in node.body
                    if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]     # a docstring
            if methods and len(methods) == len(body):
                out.append((node, node.name, methods[0][2]))
            else:
                out += [(m, f"{node.name}::{name}", v) for m, name, v in methods]
    return out


def public_tests(source: str, filename: str) -> tuple[str | None, list[HiddenTest]]:
    """A grader file without its hidden tests: (the public source, or None when
    the whole file is hidden; the tests left out). Hidden: every test whose
    points marker has a visibility other than "visible" -- on the function or
    class as a decorator, in a class's pytestmark, or for the whole file in the
    module's pytestmark. A non-visible points marker anywhere else (a parameter
    of one case, a visibility that is not a literal string) is refused with
    LabError: the release could not be sure to leave that test out."""
    tree = ast.parse(source, filename)
    seen: set[int] = set()
    for stmt in tree.body:
        if _pytestmark(stmt) and (vis := _marks([stmt], filename, seen)) != VISIBLE:
            return None, [HiddenTest(filename, "<every test of the file>", vis, source)]
    hidden = _hidden_nodes(tree, filename, seen)
    for n in ast.walk(tree):
        if _is_points(n) and id(n) not in seen and _visibility(n, filename) != VISIBLE:
            raise LabError(f"{filename}:{n.lineno}: a hidden points marker that is not on a test function "
                           "or class (nor a pytestmark): a release cannot leave out just that test")
    lines = source.splitlines(keepends=True)
    cut, tests = set(), []
    for node, name, vis in hidden:
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1                  # the comments just above a test are its own
        cut |= set(range(start, node.end_lineno))
        tests.append(HiddenTest(filename, name, vis, "".join(lines[start:node.end_lineno])))
    text = "".join(line for i, line in enumerate(lines) if i not in cut)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    compile(text, filename, "exec")
    return text, tests


# ---- the proof: no solution line survives ------------------------------------------------------

def _norm(line: str) -> str:
    """A line as leaks() compares it: without indentation, comment marks in
    front (a solution commented out is still a solution) and a trailing comment."""
    s = line.strip().lstrip("#").strip()
    return re.sub(r"\s{2,}#.*$", "", s)


def _telling(line: str, common: set[str]) -> bool:
    s = _norm(line)
    return len(re.findall(r"\w+", s)) > 2 and s not in common


def leaks(rel: Release) -> list[str]:
    """Every trace of what a release must not hold, one line each ([] if none).

    Searched: each line of each solution region of the labs the release stubs
    (its own and the ones it leaves out), from the reference kernel, and each
    line of each hidden test, from the lab's grader. A line is found when some
    line of some file of the release, compared the same way, equals it: both
    without indentation, leading `#` (a solution commented out is still a
    solution) and trailing comment. Not searched, because a release holds them
    on purpose or they tell nothing:
    - a line of a stub, or one that the reference has outside the regions the
      release stubs (kernel code it keeps anyway: `return 0`, `pass`,
      `release(shmtable.lock)` where the kernel has it elsewhere), or, for a
      hidden test, one that the public part of the grader has (as
      public_tests() cut it when the release was written);
    - a line of at most two words (`return id`, `a += PGSIZE`, `else:`): every
      kernel has them, and they give nothing away;
    - a line the lab's lab.toml allows by name, with why ([release.allow]);
    - a decorator line of a hidden test (`@pytest.mark.points(3, visibility=...)`):
      markers say nothing of what the test checks.
    Words are runs of letters, digits and underscores. Prose that quotes a
    solution's expression inside a sentence is not a line of it.
    Also reported: compiled files, mutants.toml, other labs' directories, and an
    edition.py that does not say STUDENT."""
    found = []
    secrets, common = _solutions({rel.lab, *rel.left_out})
    common |= {_norm(line) for line in rel.allowed}
    hidden = _hidden_lines(rel)
    release_lines = {}
    for rp in tree_files(rel.dir):
        for i, line in enumerate((rel.dir / rp).read_bytes().decode("utf-8", "replace").splitlines()):
            release_lines.setdefault(_norm(line), f"{rp}:{i + 1}")
    for where, line in secrets:
        if _telling(line, common) and (at := release_lines.get(_norm(line))):
            found.append(f"{at}: a line of the solution at {where} survives: {line.strip()}")
    for where, line in hidden:
        if _telling(line, common | rel.public) and (at := release_lines.get(_norm(line))):
            found.append(f"{at}: a line of the hidden test {where} survives: {line.strip()}")
    return found + _debris(rel)


def _solutions(stubbed: set[str]) -> tuple[list[tuple[str, str]], set[str]]:
    """(where, line) of each line of the stubbed labs' solutions, and the lines
    (compared form) that the kernel keeps: outside those regions, and stubs."""
    secrets, common = [], set()
    for rp in _kernel_files():
        if rp.suffix != ".py":
            continue
        text = (_PACKAGE / rp).read_text()
        lines, cut = text.splitlines(), set()
        if _marked(rp, text):
            for r in regions.parse(text, str(rp)):
                if r.lab not in stubbed:
                    continue
                cut |= set(range(r.begin, r.end + 1))
                common |= {_norm(s) for s in r.stub}
                secrets += [(f"xv6py/{rp}:{r.begin + 2 + i} ([lab {r.lab}])", s)
                            for i, s in enumerate(r.solution)]
        common |= {_norm(line) for i, line in enumerate(lines) if i not in cut}
    return secrets, common


def _hidden_lines(rel: Release) -> list[tuple[str, str]]:
    """(where, line) of each line of the hidden tests, but their markers."""
    return [(f"{h.file}::{h.name}", line) for h in rel.hidden for line in h.source.splitlines()
            if not line.lstrip().startswith("@")]          # its markers tell nothing of what it checks


def _debris(rel: Release) -> list[str]:
    out = []
    for rp in rel.dir.rglob("*"):
        name = rp.relative_to(rel.dir)
        if rp.name == "__pycache__" or rp.suffix in (".pyc", ".pyo"):
            out.append(f"{name}: compiled code (it would carry the reference's)")
        elif rp.name == "mutants.toml":
            out.append(f"{name}: the lab's mutants (each is the reference with one mistake)")
    others = sorted(d.name for d in (rel.dir / "labs").iterdir() if d.is_dir() and d.name != rel.lab)
    if others:
        out.append(f"labs/: holds other labs ({', '.join(others)})")
    edition = rel.dir / "xv6py" / "grading" / "edition.py"
    if not edition.is_file() or "\nSTUDENT = True" not in edition.read_text():
        out.append("xv6py/grading/edition.py: does not say STUDENT = True")
    return out


# ---- the files written for students ---------------------------------------------------------------

EDITION = '''"""Which edition of xv6py this is: the student edition for lab {lab}, written
by `xv6py lab release`. It holds no reference solution of that lab; see
README.md at the top of this tree for what it holds."""

STUDENT = True
LAB: str | None = "{lab}"
KEPT: tuple[str, ...] = {kept!r}
'''

GRADE_SH = '''#!/bin/sh
# Run the public tests of lab {lab} on a workspace, as `make grade` would:
#     ./grade.sh [WORKSPACE...] [-v] [-k EXPR]      (default workspace: mylab)
# prints a score and a table of the tests, and writes WORKSPACE/results.json.
# It runs this tree's xv6py whether it is installed or not.
here=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$here${{PYTHONPATH:+:$PYTHONPATH}}"
export PYTHONPATH
python=${{PYTHON:-python3}}
[ -x "$here/.venv/bin/python" ] && python="$here/.venv/bin/python"
[ $# -eq 0 ] && set -- mylab
exec "$python" -m xv6py lab grade "$@"
'''


def _readme(lab: Lab, rel: Release) -> str:
    files = ", ".join(f"`{f}`" for f in lab.files)
    where = ", ".join(f"`{f}` (`{m}`)" for f, m in lab.files.items())
    out = [f"# xv6py, student edition: {lab.title}", "",
           _para(f"This is xv6py, the teaching operating system, as handed out for the lab *{lab.title}* "
                 f"(`{lab.name}`). The kernel is whole except for the parts you write: each is marked "
                 f"`# TODO [lab {lab.name}]` and holds a stub that fails politely. The handout is "
                 f"`labs/{lab.name}/README.md`; xv6py's own README is `XV6PY.md`."), "",
           "## Install", "",
           "    python3 -m venv .venv && .venv/bin/pip install -e .     # Python 3.11 or later",
           "    .venv/bin/xv6py run forktree                             # a demo program", "",
           "## Work, run, grade", "",
           f"    xv6py lab init {lab.name} mylab        # mylab: {files} to write, and the handout",
           f"    xv6py run -w mylab PROG    # run a program on the kernel with your {files}",
           "    ./grade.sh mylab           # the public tests: a score, a table, mylab/results.json", "",
           _para(f"You write {where}; hand in those files.")]
    if rel.hidden:
        out += ["", _para(f"The course's autograder also runs {len(rel.hidden)} test(s) that are not here: "
                          "passing the public tests is not the whole grade.")]
    out += ["", "## What this edition holds", "",
            _item(f"the kernel, with the solutions of lab `{lab.name}` replaced by their stubs "
                  f"(in {', '.join(f'`{f}`' for f in rel.todo)});")]
    out += [_item(f"the reference solutions of lab `{name}`, which this edition keeps: {why};")
            for name, why in rel.kept.items()]
    if rel.left_out:
        out.append(_item(f"not the other labs ({', '.join(f'`{n}`' for n in rel.left_out)}): "
                         "their parts of the kernel are stubs too;"))
    out += [_item(f"the lab's handout and public tests (`labs/{lab.name}/`), the user programs "
                  "(`userprogs/`)."), ""]
    return "\n".join(out)


def _para(text: str) -> str:
    return textwrap.fill(text, 88, break_on_hyphens=False, break_long_words=False)


def _item(text: str) -> str:
    return textwrap.fill(text, 88, initial_indent="- ", subsequent_indent="  ",
                         break_on_hyphens=False, break_long_words=False)
