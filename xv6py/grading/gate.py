"""The gate a student's module passes before it is run: a check of its source,
and the builtins it runs with.

A lab module is kernel code: it allocates frames, edits page tables and keeps
tables of its own. It needs none of Python's ways out of the kernel -- files,
the interpreter's internals, other modules' insides -- so the gate refuses them
all, before a line of the module runs:

- imports other than those the reference module itself makes (its kernel
  modules, by `from ... import`), and a few harmless standard modules
  (dataclasses, typing, ...);
- names that reach outside: open, exec, eval, compile, getattr, setattr,
  globals, vars, __import__, ... (the builtins the module runs with do not have
  them either, so a name built at run time finds nothing);
- double-underscore names and attributes (`x.__class__`, `__builtins__`), and
  strings holding them (`"{0.__class__}".format(x)`); a class may still define
  `__init__`, `__repr__`, `__eq__` and set `__slots__`;
- the attributes through which a generator, frame or traceback reaches other
  code's variables (gi_frame, f_globals, tb_frame, co_code, ...), and
  str.format, which can walk attributes;
- assigning to, or deleting, an attribute of an imported module: a student's
  module may not patch the kernel around it (`kalloc.kfree = ...`).

What it leaves: everything a kernel module is made of, print (for debugging;
its output is shown with the test), breakpoint (a no-op while grading, with a
note), classes, dataclasses, `global`, helper functions.

The gate is one wall of several (see grading/kserver.py): the module also runs
in a process of its own, with less privilege and bounded resources, and the
verdict of every test is reached in another process.
"""

import ast
import builtins

__all__ = ["GateError", "check", "allowed_imports", "safe_builtins", "compile_module"]

# Standard modules a lab module may import: pure data structures and helpers.
SAFE_MODULES = frozenset({"dataclasses", "typing", "enum", "math", "itertools", "functools",
                          "collections", "struct", "bisect", "heapq"})

# Builtins a lab module may use (no files, no introspection, no code from strings).
SAFE_BUILTINS = (
    "abs", "all", "any", "bin", "bool", "bytearray", "bytes", "callable", "chr", "classmethod",
    "dict", "divmod", "enumerate", "filter", "float", "frozenset", "hash", "hex", "int",
    "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next", "object",
    "oct", "ord", "pow", "print", "property", "range", "repr", "reversed", "round", "set",
    "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "zip",
)

# Names refused outright, wherever they appear (as a variable too: a clear message
# at once beats a NameError half-way through a test). Other builtins that are not
# in SAFE_BUILTINS (id, dir, input, memoryview, ...) are simply not there.
FORBIDDEN_NAMES = frozenset({
    "open", "exec", "eval", "compile", "getattr", "setattr", "delattr", "globals", "locals",
    "vars",
})

# Attributes that lead from an object to frames, code and other modules' globals.
FORBIDDEN_ATTR_PREFIXES = ("gi_", "cr_", "ag_", "f_", "tb_", "co_")
FORBIDDEN_ATTRS = frozenset({"format", "format_map", "mro", "func_globals"})

# Double-underscore names a class body may define.
CLASS_DUNDERS = frozenset({"__init__", "__repr__", "__str__", "__eq__", "__hash__", "__lt__",
                           "__le__", "__gt__", "__ge__", "__len__", "__iter__", "__contains__",
                           "__slots__", "__post_init__", "__bool__"})


class GateError(Exception):
    """The module was refused: the message lists each line and why."""


def allowed_imports(reference_source: str, package: str) -> frozenset[str]:
    """The modules a lab module may import: those its reference imports (resolved
    against `package`, the module's package), and SAFE_MODULES."""
    names = set(SAFE_MODULES)
    for node in ast.walk(ast.parse(reference_source)):
        if isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return frozenset(names)


def _absolute(module: str | None, level: int, package: str) -> str:
    if not level:
        return module or ""
    parts = package.split(".")
    base = ".".join(parts[:len(parts) - (level - 1)])
    return f"{base}.{module}" if module else base


def check(source: str, filename: str, allowed: frozenset[str], package: str) -> None:
    """Raise GateError, listing every refusal, unless the source passes the gate.
    (A syntax error is raised as it is.)"""
    tree = ast.parse(source, filename)
    problems = _Checker(allowed, package).visit_module(tree)
    if problems:
        lines = "\n".join(f"  line {line}: {why}" for line, why in problems)
        raise GateError(f"{filename} uses what a lab module may not (see the handout's "
                        f"\"Grading\" section):\n{lines}")


class _Checker(ast.NodeVisitor):
    def __init__(self, allowed: frozenset[str], package: str):
        self.allowed, self.package = allowed, package
        self.problems: list[tuple[int, str]] = []
        self.modules: set[str] = set()      # names bound to imported modules or their members
        self.class_depth = 0

    def visit_module(self, tree) -> list[tuple[int, str]]:
        for node in ast.walk(tree):          # imports first: a later line may use them
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._import(node)
        self.visit(tree)
        return sorted(set(self.problems))

    def _refuse(self, node, why: str) -> None:
        self.problems.append((getattr(node, "lineno", 0), why))

    def _import(self, node) -> None:
        if isinstance(node, ast.Import):       # `import x.y` binds the package x: only for stdlib
            for a in node.names:
                if a.name not in SAFE_MODULES:
                    self._refuse(node, f"import of {a.name}")
                self.modules.add((a.asname or a.name).split(".")[0])
            return
        base = _absolute(node.module, node.level, self.package)
        for a in node.names:
            if a.name == "*":
                self._refuse(node, "import *")
            elif base not in self.allowed and f"{base}.{a.name}" not in self.allowed:
                self._refuse(node, f"import of {base}")
            self.modules.add(a.asname or a.name)

    def visit_Name(self, node) -> None:
        if node.id in FORBIDDEN_NAMES:
            self._refuse(node, f"the name {node.id}")
        elif "__" in node.id and node.id not in ("__name__", "__all__"):
            self._refuse(node, f"the name {node.id}")

    def visit_Attribute(self, node) -> None:
        a = node.attr
        if "__" in a or a.startswith(FORBIDDEN_ATTR_PREFIXES) or a in FORBIDDEN_ATTRS:
            self._refuse(node, f"the attribute .{a}")
        root = node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(node.ctx, (ast.Store, ast.Del)) and isinstance(root, ast.Name) \
                and root.id in self.modules:
            self._refuse(node, f"changing {root.id}'s .{a}: a lab module may not patch the kernel "
                               "around it")
        self.generic_visit(node)

    def visit_Constant(self, node) -> None:
        if isinstance(node.value, (str, bytes)) and ("__" in str(node.value)):
            self._refuse(node, "a string holding a double-underscore name")

    def visit_ClassDef(self, node) -> None:
        self.class_depth += 1
        self.generic_visit(node)
        self.class_depth -= 1

    def visit_FunctionDef(self, node) -> None:
        if "__" in node.name and not (self.class_depth and node.name in CLASS_DUNDERS):
            self._refuse(node, f"defining {node.name}")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node) -> None:
        for t in node.targets:
            if isinstance(t, ast.Name) and t.id in ("__slots__", "__all__"):
                self.visit(node.value)
                return
        self.generic_visit(node)

    def visit_Global(self, node) -> None:
        for n in node.names:
            if "__" in n:
                self._refuse(node, f"global {n}")


def safe_builtins(allowed: frozenset[str], package: str, note=None) -> dict:
    """The builtins a lab module runs with: SAFE_BUILTINS, the exceptions, an
    __import__ that imports only `allowed`, and breakpoint(): Python's own when
    note is None (a student debugging at home), else one that only calls
    note(text) (graders turn debuggers off: a grade must never wait for input)."""
    out = {name: getattr(builtins, name) for name in SAFE_BUILTINS}
    out.update({name: value for name, value in vars(builtins).items()
                if isinstance(value, type) and issubclass(value, BaseException)})
    out["__build_class__"] = builtins.__build_class__
    out["__name__"] = "builtins"

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        full = _absolute(name, level, package) if level else name
        if full not in allowed and not any(f"{full}.{f}" in allowed for f in fromlist or ()):
            raise ImportError(f"import of {full} is not allowed in a lab module")
        return builtins.__import__(name, globals, locals, fromlist, level)

    def breakpoint(*args, **kwargs):
        if note is not None:
            note("breakpoint() does nothing while grading: debug with `xv6py run -w DIR` "
                 "or `xv6py debug -w DIR` instead")

    out["__import__"] = guarded_import
    out["breakpoint"] = builtins.breakpoint if note is None else breakpoint
    return out


def compile_module(source: str, filename: str, module_name: str, reference_source: str, note=None):
    """Check a student's module through the gate and compile it. Returns (code,
    builtins) to exec it with: `exec(code, {"__name__": module_name,
    "__builtins__": builtins, ...})`. Raises GateError or SyntaxError."""
    package = module_name.rpartition(".")[0]
    allowed = allowed_imports(reference_source, package)
    check(source, filename, allowed, package)
    code = compile(source, filename, "exec", dont_inherit=True)
    return code, safe_builtins(allowed, package, note)

