"""The zygote of a grader's kernel processes: a clean Python that has imported the
kernel once, and forks a fresh kernel process for each one a test needs.

    python -P -B -m xv6py.grading.zygote LAB FD PARENT     (started by remote.py: Zygote.start)

Starting a kernel process by exec costs a Python and the import of unicorn and
the kernel -- most of a kernel process's CPU time on a small workspace. The
zygote pays it once per warm worker (grading/worker.py serve()) or per worker:
it imports every module a kernel process needs that does not depend on the
lab's modules (for the shm lab: unicorn, capstone, the CPU, the headers,
kalloc, pgdir, ...; not mm/shm.py nor anything that imports it), and then
waits. For each request it forks a child that becomes a kernel process
(kserver.main) exactly as an exec'd one would:

- a session of its own; the three pipes the worker made as its standard input,
  output and error, and no other descriptor of the zygote (the zygote's socket,
  its siblings' pipes and lifelines: all closed before anything else runs);
- the user nobody when the zygote runs as root (groups, then group, then user),
  the parent-death signal, the limits (CPU, data, no file writes, few
  descriptors, no new processes, no core), an empty scratch directory as its
  working directory and home;
- then it loads the student's sources (through the gate), the rest of the
  kernel, and serves.

What keeps it apart:
- The zygote never runs student code: it only imports the package's own modules
  (the lab's modules are refused by a guard while it imports) and forks. It
  is exec'd with the same clean environment as a kernel process and holds
  no grader state (no pytest, no grader's tests, no sources of a workspace).
- A child cannot reach its zygote or its siblings: it keeps no descriptor of
  theirs; it runs as another user (when the grader is root) and so cannot
  signal or trace them; the zygote is not dumpable, so a child of the same user
  cannot trace it or read its memory either. Memory is copied on write: what a
  child changes, its zygote and siblings never see.
- Each child has a lifeline, a socket whose other end the worker holds: when
  the worker closes it (it stopped the kernel process, or died), the zygote
  kills the child; when the child ends, the zygote reaps it and sends its exit
  status there. When the zygote dies, its children get the parent-death
  signal; when its worker dies, so does the zygote.

The requests come on FD, a SOCK_SEQPACKET socket: one message each, JSON
{"scratch": DIR, "user": [UID, GID] or null, "cpu": S, "memory": BYTES} with
four descriptors: the child's standard input, output, error, and the lifeline.
On the lifeline the zygote writes {"pid": N} (or {"error": WHY}), then
{"exit": CODE, "cpu": S} (a negative CODE: the signal it was killed by; S the
CPU seconds the child used); the worker
writes "kill" to have the child killed now.
"""

import ast
import json
import os
import resource
import select
import signal
import socket
import sys
from pathlib import Path

from .remote import die_with_parent

__all__ = ["preimports", "main"]

MAX_FDS = 4

# What a kernel process imports, beyond what these import themselves. (The
# worker's side, Zygote and KernelChild, is in remote.py.)
KERNEL_PROCESS = ("xv6py.grading.kserver", "xv6py.grading.spec", "xv6py.grading.substitute",
                  "xv6py.grading.crash", "xv6py.machine", "xv6py.testing.kcall", "xv6py.testing.runs")


# ---- the zygote ------------------------------------------------------------------------------------

def preimports(avoid: set[str]) -> list[str]:
    """The package's modules a kernel process imports (KERNEL_PROCESS and what they
    import at module level, found by reading their sources) that neither are
    in `avoid` nor import any of them: what a zygote may import before it
    knows the student's modules."""
    root = Path(__file__).resolve().parent.parent
    deps: dict[str, set[str]] = {}
    todo = list(KERNEL_PROCESS)
    while todo:
        name = todo.pop()
        if name not in deps:
            deps[name] = _imports(root, name)
            todo += deps[name]

    def tainted(name: str, seen: set[str]) -> bool:
        if name in avoid:
            return True
        seen.add(name)
        return any(tainted(d, seen) for d in deps.get(name, ()) if d not in seen)
    return sorted(name for name in deps if not tainted(name, set()))


def _imports(root: Path, name: str) -> set[str]:
    """The modules of the package that module `name` imports when it is imported
    (its parent packages too): imports at module level or in a class body, not
    those inside functions (they run later, in the kernel process)."""
    parts = name.split(".")
    path = root.joinpath(*parts[1:])
    package = path.is_dir()
    source = (path / "__init__.py") if package else path.with_suffix(".py")
    if not source.is_file():
        return set()
    here = parts if package else parts[:-1]
    found = {".".join(parts[:i]) for i in range(1, len(parts))}
    for node in _module_level(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[:len(here) - node.level + 1]) if node.level else ""
            base = ".".join(filter(None, [base, node.module]))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m.startswith("xv6py") and _exists(root, m)}


def _module_level(tree):
    """The statements of a module that run when it is imported."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo += [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt)]


def _exists(root: Path, name: str) -> bool:
    path = root.joinpath(*name.split(".")[1:])
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


class _Refuse:
    """A guard on sys.meta_path while the zygote imports: the lab's modules must
    not be imported before the student's stand in for them."""

    def __init__(self, names: set[str]):
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.names:
            raise ImportError(f"the zygote must not import {fullname} (a lab's module)")
        return None


def prepare(lab_name: str) -> None:
    """Import what every kernel process of the lab needs, and nothing of the lab's."""
    import gc
    import importlib

    from .spec import load_lab
    avoid = set(load_lab(lab_name).files.values())
    guard = _Refuse(avoid)
    sys.meta_path.insert(0, guard)
    try:
        for name in preimports(avoid):
            importlib.import_module(name)
    finally:
        sys.meta_path.remove(guard)
    gc.collect()
    gc.freeze()             # what is here now is every child's too: out of the collector's sight


def main(argv: list[str]) -> int:
    lab, fd, parent = argv[0], int(argv[1]), int(argv[2])
    if os.getppid() != parent:
        return 1                        # its worker died before it could see it
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # a ^C is its worker's to handle
    _undumpable()
    control = _hold(socket.socket(fileno=fd))
    prepare(lab)
    children: dict[int, tuple[int, socket.socket | None]] = {}     # pidfd -> (pid, lifeline)
    lives: dict[int, int] = {}                                      # lifeline fd -> pidfd
    while True:
        ready, _, _ = select.select([control, *children, *lives], [], [])
        for r in ready:
            if r is control:
                if not _fork_one(control, children, lives):
                    return 0            # its worker is gone: so are the children, by their signal
            elif r in children:
                _reap(r, children, lives)
            elif r in lives:
                _listen(r, children, lives)


def _fork_one(control, children: dict, lives: dict) -> bool:
    """Take one request and fork its kernel process. False if the worker is gone."""
    try:
        msg, fds, _, _ = socket.recv_fds(control, 65536, MAX_FDS)
    except OSError:
        return False
    if not msg:
        return False
    if len(fds) != MAX_FDS:
        for f in fds:
            os.close(f)
        return True
    life = _hold(socket.socket(fileno=fds[3]))
    try:
        request = json.loads(msg)
        pid = os.fork()
    except (OSError, ValueError) as e:
        life.send(json.dumps({"error": f"the kernel process could not be started: {e}"}).encode())
        _drop(life)
        for f in fds[:3]:
            os.close(f)
        return True
    if pid == 0:
        _become_kernel(request, fds)        # never returns
    for f in fds[:3]:
        os.close(f)
    pidfd = os.pidfd_open(pid)
    children[pidfd] = (pid, life)
    lives[life.fileno()] = pidfd
    life.send(json.dumps({"pid": pid}).encode())
    return True


def _listen(fd: int, children: dict, lives: dict) -> None:
    """The worker wrote on a lifeline ("kill"), or closed it: kill the child now
    (it is not reaped yet, so its pid cannot name another process)."""
    pidfd = lives[fd]
    pid, life = children[pidfd]
    try:
        data = life.recv(64)
    except OSError:
        data = b""
    if not data:                        # nobody listens any more: nothing to report
        del lives[fd]
        _drop(life)
        children[pidfd] = (pid, None)
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass                            # it has ended already: _reap reports it


def _reap(pidfd: int, children: dict, lives: dict) -> None:
    """A child ended: reap it and tell its worker how."""
    pid, life = children[pidfd]
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done == 0:
        return                          # not ended after all
    del children[pidfd]
    os.close(pidfd)
    if life is not None:
        del lives[life.fileno()]
        try:
            life.send(json.dumps({"exit": os.waitstatus_to_exitcode(status),
                                  "cpu": usage.ru_utime + usage.ru_stime}).encode())
        except OSError:
            pass
        _drop(life)


_held: set[socket.socket] = set()      # the zygote's sockets: a child lets go of them all


def _hold(s: socket.socket) -> socket.socket:
    _held.add(s)
    return s


def _drop(s: socket.socket) -> None:
    _held.discard(s)
    s.close()


def _undumpable() -> None:
    """No other process of this user may trace the zygote or read its memory."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(4, 0)                       # PR_SET_DUMPABLE
    except (OSError, AttributeError):
        pass


def _become_kernel(request: dict, fds: list[int]) -> None:
    """In the forked child: shed the zygote, take the confinement, serve. Never returns."""
    code = 1
    try:
        os.setsid()
        for i, fd in enumerate(fds[:3]):
            os.dup2(fd, i)
        os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        for s in _held:                 # closed above; their objects must never close a reused number
            s.detach()
        if request["user"] is not None:
            uid, gid = request["user"]
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        # Set after the change of user, which clears it; and its parent may already be gone.
        die_with_parent()
        if os.getppid() == 1:
            os._exit(1)
        _confine(request)
        os.chdir(request["scratch"])
        os.environ["HOME"] = request["scratch"]
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
        from . import kserver
        code = kserver.main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:               # noqa: BLE001 -- say why on its standard error, and end
        import traceback
        traceback.print_exc()
    finally:
        for f in (sys.stdout, sys.stderr):
            try:
                f.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _confine(request: dict) -> None:
    """The resource limits of a kernel process (see remote.py), as exec'd ones had them."""
    import ctypes
    try:
        ctypes.CDLL(None).prctl(4, 1)       # dumpable again, as after an exec: its own user's
    except (OSError, AttributeError):
        pass
    for which, value in ((resource.RLIMIT_CPU, request["cpu"]), (resource.RLIMIT_DATA, request["memory"]),
                         (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_NOFILE, 64),
                         (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, 1)):
        resource.setrlimit(which, (value, value))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
