"""Running the kernel with a workspace's modules in place of the reference ones.

    finder = install(load_lab("shm"), Path("alice"), limit=5)
    from xv6py.machine import Machine      # the kernel now has alice's shm.py

install() must run before anything imports the kernel. It puts a finder at the
head of sys.meta_path that loads each module the lab names (xv6py.mm.shm,
...) from the workspace's file, then imports those modules at once, so that no
other import hook (pytest's assertion rewriting is one) finds the reference
first. Each student module passes the gate (grading/gate.py) and runs with its
safe builtins; it is compiled from source every time: nothing is written in
the workspace. The grader's kernel process (kserver.py) does the same with the
sources it is sent (install_sources), and never reads the workspace itself.

A module that does not import (a syntax error, a refusal of the gate, an
exception or an endless loop at module level, a missing file) is replaced by
the lab's starter, so that the kernel still boots, and the error is kept in
finder.errors for the grader to report; `xv6py run --workspace` reports it and
stops instead.
"""

import importlib
import importlib.abc
import importlib.util
import signal
import sys
import traceback
from pathlib import Path

from . import gate
from .spec import Lab, module_path

__all__ = ["WorkspaceFinder", "install", "install_sources", "workspace_sources", "reference_source"]


class WorkspaceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Loads the lab's kernel modules from the workspace's sources, through the gate."""

    def __init__(self, sources: dict[str, tuple[str, str | None]], starters: dict[str, str],
                 grading: bool = True):
        self.sources = sources            # module name -> (file name, its source; None if missing)
        self.grading = grading            # breakpoint() is a noted no-op (else Python's own)
        self.starters = starters          # module name -> the lab's starter source
        self.errors: dict[str, str] = {}  # module name -> why the student's file did not import
        self.notes: list[str] = []        # what the student's code was told (breakpoint is off)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.sources:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=self.sources[fullname][0])

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        name = module.__name__
        filename, source = self.sources[name]
        module.__file__ = filename
        try:
            if source is None:
                raise FileNotFoundError(f"{Path(filename).name} is missing from the workspace")
            code, safe = gate.compile_module(source, filename, name, reference_source(name),
                                             note=self._note if self.grading else None)
            module.__dict__["__builtins__"] = safe
            exec(code, module.__dict__)
        except BaseException as e:   # noqa: BLE001 -- anything a student's module may raise
            self.errors[name] = _import_error(filename, e)
            for key in [k for k in module.__dict__ if not k.startswith("__")]:
                del module.__dict__[key]
            module.__dict__["__builtins__"] = __builtins__
            exec(compile(self.starters[name], f"<starter of {Path(filename).name}>", "exec"),
                 module.__dict__)

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def reference_source(module: str) -> str:
    """The reference source of a kernel module (what the gate allows it to import)."""
    return module_path(module).read_text()


def _import_error(filename: str, e: BaseException) -> str:
    """The error, with the frames of the student's file only."""
    name = Path(filename).name
    if isinstance(e, FileNotFoundError) and str(e).endswith("is missing from the workspace"):
        return str(e)
    if isinstance(e, gate.GateError):
        return f"{name} did not import: {e}"
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == filename]
    text = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(e))
    return f"{name} did not import: {type(e).__name__}: {e}\n{text.rstrip()}"


def workspace_sources(lab: Lab, workspace: Path) -> dict[str, tuple[str, str | None]]:
    """The workspace's file of each module the lab names: module -> (path, source
    or None if the file is missing, unreadable or a symbolic link)."""
    out = {}
    for f, mod in lab.files.items():
        path = (workspace / f).absolute()
        try:
            # A link would let a workspace name any file on the grader's machine
            # (the reference, say) as its own: only a plain file is the student's.
            out[mod] = (str(path), path.read_text() if not path.is_symlink() else None)
        except (OSError, UnicodeDecodeError):
            out[mod] = (str(path), None)
    return out


def install(lab: Lab, workspace: Path | None, limit: float, on_error=TimeoutError) -> WorkspaceFinder:
    """Make the kernel use the workspace's modules (the reference ones if
    workspace is None), and import them now, for a student's own runs
    (`xv6py run -w`: breakpoint() works). An import that takes more than
    `limit` seconds is stopped by raising on_error (an exception class)."""
    sources = {} if workspace is None else {
        mod: src for mod, src in workspace_sources(lab, workspace).items()
        if Path(src[0]) != module_path(mod)}
    return install_sources(lab, sources, limit, on_error, grading=False)


def install_sources(lab: Lab, sources: dict[str, tuple[str, str | None]], limit: float,
                    on_error=TimeoutError, grading: bool = True) -> WorkspaceFinder:
    """install() from sources given: module -> (file name, source or None)."""
    if any(m in sys.modules for m in sources):
        raise RuntimeError("a kernel module was imported before the workspace's could replace it")
    finder = WorkspaceFinder(sources, {mod: lab.starter(f) for f, mod in lab.files.items()}, grading)
    sys.meta_path.insert(0, finder)

    def alarm(signum, frame):
        raise on_error(f"importing it took more than {limit:g} s (a loop at module level?)")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, limit, 1.0)
    try:
        for name in sources:
            importlib.import_module(name)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    for name in sources:
        if sys.modules[name].__spec__.loader is not finder:
            raise RuntimeError(f"{name} was not loaded from the workspace")
    return finder
