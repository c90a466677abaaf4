"""The kernel's structure (xv6py/__init__.py): every kernel module is on the map,
imports read one way through the layers, the only import cycle is xv6's own
proc <-> file <-> pipe, and every kernel global that differs between machines
is declared (PER_MACHINE or HOOKS), so that Machine can give each its own.

Imports are read from the source (module level and inside functions alike), so
an import hidden in a function to dodge a cycle is still an edge here."""

import ast
import dataclasses
import enum
import importlib
import logging
import struct
import types
from pathlib import Path

import pytest

import xv6py
from xv6py import KERNEL, LAYERS

PACKAGE = Path(xv6py.__file__).parent
KERNEL_DIRS = ("mm", "ipc", "proc", "syscalls", "fs", "dev")
TOOLS_AT_ROOT = {"__init__", "__main__", "machine", "cli", "build", "programs", "fsimage", "mkfs", "fsck",
                 "session"}
# xv6's own cycle: proc.c calls into file.c and fs.c (fork shares the open files
# and the current directory, exit closes them, the first process sets up the file
# system) and those sleep through proc.c -- the pipes, and the file system's layers
# under file.c: inodes, the log, the buffer cache and its buffers' sleep-locks,
# the disk driver. proc.py reaches them only through file.py -- and fmap.py, the files
# behind mmap's areas, which exit writes back. (A session's console, dev/kbd.py, read
# through fs.py's devsw, sleeps too.)
ALLOWED_CYCLE = {"xv6py.proc.proc", "xv6py.fs.file", "xv6py.fs.fmap", "xv6py.fs.pipe", "xv6py.fs.fs",
                 "xv6py.fs.log",
                 "xv6py.fs.bio", "xv6py.fs.buf", "xv6py.dev.ide", "xv6py.sleeplock", "xv6py.dev.kbd"}
HARDWARE = "xv6py.cpu"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(name: str, modules) -> str | None:
    """The module `name` refers to: itself, or the package it lies in."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(name: str, path: Path, modules) -> set[str]:
    """Every xv6py module that module `name` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            base = f"{base}.{node.module}" if node.level and node.module else (node.module if not node.level
                                                                               else base)
            # `from . import proc` names a module; `from .proc import fork` a name in one.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for t in targets:
            if t.startswith("xv6py") and (m := _resolve(t, modules)) is not None and m != name:
                out.add(m)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


# ---- the map -----------------------------------------------------------------------------------

def test_every_kernel_module_is_on_the_map():
    """A new module in a kernel directory (or a kernel file at the root) must be
    placed in a layer of xv6py.LAYERS, or Machine would not gather its state."""
    on_disk = {module_name(p) for d in KERNEL_DIRS for p in (PACKAGE / d).glob("*.py")
               if p.name != "__init__.py"}
    on_disk |= {module_name(p) for p in PACKAGE.glob("*.py") if p.stem not in TOOLS_AT_ROOT}
    assert on_disk == set(KERNEL)
    assert len(KERNEL) == len(set(KERNEL))
    for name in KERNEL:
        importlib.import_module(name)


def test_the_package_docstring_names_every_kernel_module():
    doc = xv6py.__doc__
    for name in KERNEL:
        short = name.removeprefix("xv6py.").split(".")[-1]
        assert short in doc, f"{name} is not in the reading order of xv6py/__init__.py"


# ---- imports -----------------------------------------------------------------------------------

def test_the_kernel_imports_only_the_kernel(graph):
    """No kernel module reaches the machine, the tools or the hardware package: the
    kernel talks to the CPU only through the x86 object the Machine installs."""
    for name in KERNEL:
        strays = {t for t in graph[name] if t not in KERNEL and t != "xv6py"}
        assert not strays, f"{name} imports {sorted(strays)}"


def test_kernel_imports_go_down_the_layers(graph):
    layer = {name: i for i, (_, names) in enumerate(LAYERS) for name in names}
    for name in KERNEL:
        for t in graph[name] & set(KERNEL):
            assert layer[t] <= layer[name], (
                f"{name} (layer {LAYERS[layer[name]][0]}) imports {t} (layer {LAYERS[layer[t]][0]})")


def test_the_only_import_cycle_is_xv6s_proc_and_file_system(graph):
    found = cycles(graph)
    assert all(c <= ALLOWED_CYCLE for c in found), [sorted(c) for c in found if not c <= ALLOWED_CYCLE]


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_reader_sees_imports_inside_functions(tmp_path):
    pkg = tmp_path / "xv6py"
    (pkg / "proc").mkdir(parents=True)
    src = "def f():\n    from ..trap import trap\n    from . import exec\n    import xv6py.mm.shm\n"
    (pkg / "proc" / "proc.py").write_text(src)
    modules = {"xv6py.trap": 0, "xv6py.proc.exec": 0, "xv6py.mm.shm": 0, "xv6py.proc.proc": 0,
               "xv6py.proc": 0, "xv6py.mm": 0, "xv6py": 0}
    got = imports_of("xv6py.proc.proc", pkg / "proc" / "proc.py", modules)
    assert got == {"xv6py.trap", "xv6py.proc.exec", "xv6py.mm.shm"}


def test_the_hardware_knows_no_kernel_code(graph):
    """cpu/ sees only the headers (trap numbers, segment and paging formats)."""
    headers = set(LAYERS[0][1])
    for name in graph:
        if name.startswith(HARDWARE):
            strays = {t for t in graph[name] if not t.startswith(HARDWARE) and t not in headers | {"xv6py"}}
            assert not strays, f"{name} imports {sorted(strays)}"


def test_the_machine_does_not_import_the_tools(graph):
    tools = ("xv6py.debug", "xv6py.testing", "xv6py.grading", "xv6py.cli", "xv6py.build")
    assert not {t for t in graph["xv6py.machine"] if t.startswith(tools)}


# ---- per-machine state -------------------------------------------------------------------------

def _immutable(value) -> bool:
    """Could two machines share this value without sharing state?"""
    if value is None or isinstance(value, (int, float, str, bytes, bool, range, types.FunctionType,
                                           types.BuiltinFunctionType, type, types.ModuleType,
                                           enum.Enum, struct.Struct, logging.Logger)):
        return True
    if callable(value) and getattr(value, "__supertype__", None) is not None:   # typing.NewType
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(_immutable(v) for v in value)
    if isinstance(value, types.MappingProxyType):
        return all(_immutable(k) and _immutable(v) for k, v in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.__dataclass_params__.frozen
    return False


def undeclared_state(module) -> list[str]:
    """Globals of a kernel module that could differ between machines but are not
    declared in its PER_MACHINE or HOOKS: names a function rebinds with `global`,
    and module-level values that can be changed in place."""
    declared = set(getattr(module, "PER_MACHINE", ())) | set(getattr(module, "HOOKS", ()))
    tree = ast.parse(Path(module.__file__).read_text())
    bad = [f"`global {n}`" for node in ast.walk(tree) if isinstance(node, ast.Global)
           for n in node.names if n not in declared]
    for name, value in vars(module).items():
        if name.startswith("__") or name in declared or name in ("PER_MACHINE", "HOOKS"):
            continue
        if not _immutable(value):
            bad.append(f"{name} = {type(value).__name__}")
    return bad


@pytest.mark.parametrize("name", KERNEL)
def test_every_kernel_global_that_can_change_is_declared(name):
    module = importlib.import_module(name)
    assert undeclared_state(module) == []
    declared = getattr(module, "PER_MACHINE", ()) + getattr(module, "HOOKS", ())
    assert len(set(declared)) == len(declared)
    for n in declared:
        assert hasattr(module, n), f"{name} declares {n} but has no such global"


def test_the_checker_catches_an_undeclared_global(tmp_path, monkeypatch):
    src = ("PER_MACHINE = ('kmem',)\nkmem = None\ncounts = {}\nLIMIT = 10\nNAMES = ('a', 'b')\n"
           "def bump():\n    global total\n    total = 1\n")
    (tmp_path / "kmod_probe.py").write_text(src)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("kmod_probe")
    assert undeclared_state(module) == ["`global total`", "counts = dict"]


def test_the_machine_gathers_every_declaration():
    from xv6py.machine import kernel_state
    gathered = {(m.__name__, n) for m, names in kernel_state() for n in names}
    declared = {(name, n) for name in KERNEL for module in [importlib.import_module(name)]
                for n in getattr(module, "PER_MACHINE", ()) + getattr(module, "HOOKS", ())}
    assert gathered == declared and ("xv6py.timer", "tickslock") in gathered
