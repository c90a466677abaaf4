"""Running the kernel with a workspace's modules in place of the reference ones.

    finder = install(load_lab("shm"), Path("alice"), limit=5)
    from xv6py.machine import Machine      # the kernel now has alice's shm.py

install() must run before anything imports the kernel. It puts a finder at the
head of sys.meta_path that loads each module the lab names (xv6py.mm.shm,
...) from the workspace's file, then imports those modules at once, so that no
other import hook (pytest's assertion rewriting is one) finds the reference
first. The student's module is compiled from source every time: nothing is
written in the workspace.

A module that does not import (a syntax error, an exception or an endless loop
at module level, a missing file) is replaced by the lab's starter, so that the
kernel still boots, and the error is kept in finder.errors for the grader to
report; `xv6py run --workspace` reports it and stops instead.
"""

import importlib
import importlib.abc
import importlib.util
import signal
import sys
import traceback
from pathlib import Path

from .spec import Lab, module_path

__all__ = ["WorkspaceFinder", "install"]


class WorkspaceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Loads the lab's kernel modules from the workspace's files."""

    def __init__(self, modules: dict[str, Path], starters: dict[str, str]):
        self.modules = modules            # module name -> the workspace's file
        self.starters = starters          # module name -> the lab's starter source
        self.errors: dict[str, str] = {}  # module name -> why the student's file did not import

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.modules:
            return None
        return importlib.util.spec_from_file_location(fullname, self.modules[fullname], loader=self)

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        name, path = module.__name__, self.modules[module.__name__]
        try:
            code = compile(path.read_bytes(), str(path), "exec")
            exec(code, module.__dict__)
        except BaseException as e:   # noqa: BLE001 -- anything a student's module may raise
            self.errors[name] = _import_error(path, e)
            for key in [k for k in module.__dict__ if not k.startswith("__")]:
                del module.__dict__[key]
            exec(compile(self.starters[name], f"<starter of {path.name}>", "exec"), module.__dict__)


def _import_error(path: Path, e: BaseException) -> str:
    """The error, with the frames of the student's file only."""
    if isinstance(e, FileNotFoundError) and e.filename == str(path):
        return f"{path.name} is missing from the workspace"
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == str(path)]
    text = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(e))
    return f"{path.name} did not import: {type(e).__name__}: {e}\n{text.rstrip()}"


def install(lab: Lab, workspace: Path | None, limit: float, on_error=TimeoutError) -> WorkspaceFinder:
    """Make the kernel use the workspace's modules (the reference ones if
    workspace is None), and import them now. An import that takes more than
    `limit` seconds is stopped by raising on_error (an exception class)."""
    modules = {} if workspace is None else {
        mod: (workspace / f).resolve() for f, mod in lab.files.items()
        if (workspace / f).resolve() != module_path(mod)}
    if any(m in sys.modules for m in modules):
        raise RuntimeError("a kernel module was imported before the workspace's could replace it")
    finder = WorkspaceFinder(modules, {mod: lab.starter(f) for f, mod in lab.files.items()})
    sys.meta_path.insert(0, finder)

    def alarm(signum, frame):
        raise on_error(f"importing it took more than {limit:g} s (a loop at module level?)")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, limit, 1.0)
    try:
        for name in modules:
            importlib.import_module(name)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    for name, path in modules.items():
        if Path(sys.modules[name].__file__) != path:
            raise RuntimeError(f"{name} was loaded from {sys.modules[name].__file__}, not {path}")
    return finder
