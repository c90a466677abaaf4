"""The grader's side of a kernel process: machines whose kernel (the student's
code in it) runs in another process, with less privilege and bounded resources.

    kp = KernelProcess(lab, sources)          # started on first use
    m = RemoteMachine(kp, max_instructions=10**7)
    r = m.run("shmtest")                      # a RunResult, as Machine.run gives
    h = RemoteSyscaller(m); p = h.spawn()
    h.call(p, "shm_create", 4096); m.shm_entry(0); m.pte(p.pid, 0x1000)

RemoteMachine and RemoteSyscaller offer what Machine and kcall.Syscaller offer
to tests (run, processes, shm_segments, shm_entry, pte, read_phys, read32,
isfree, console_output, kernel, free_frames, and at_once: several of those
looks in one request; spawn, call, fork, reap, peek,
poke), so a grader's tests and the assert helpers read the same either way. A
process is a RemoteProc: its pid, and its fields (sz, pgdir, shm, state, name)
read afresh from the kernel process each time.

The kernel process (kserver.py) is forked by the lab's zygote (zygote.py: a
clean Python with the kernel imported, one per warm worker or worker), and is:
- the user `nobody` when the grader runs as root (Gradescope does): it can
  write nothing the grader owns; its working directory is an empty scratch
  directory, and it is sent the student's sources rather than reading them;
- limited: CPU seconds (the lab's timeout), data memory (the lab's
  `memory`, MiB), no file writes, few descriptors, no new processes, no core;
- in a session of its own, with a clean environment (no CI variables,
  PYTHONBREAKPOINT=0, a fixed hash seed), holding no descriptor but its pipes.
Every request waits at most until the test's deadline; a kernel process that
overruns it, or dies, is killed and the test fails with the reason; the next
test starts a new one.
"""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .crash import KernelCrash
from .wire import decode, encode

__all__ = ["KernelProcess", "KernelGone", "RemoteMachine", "RemoteSyscaller", "RemoteProc",
           "privilege_note", "zygote", "stop_zygotes", "Zygote", "KernelChild", "die_with_parent"]

MEMORY_MIB = 4096       # default data limit of a kernel process (each Machine reserves ~1 GiB)


class KernelGone(Exception):
    """The kernel process died, or was stopped; the message says why."""


class KernelProcess:
    """One kernel process for one workspace, restarted when it dies."""

    STARTUP = 20.0      # seconds a kernel process may take to start, beyond the import limit

    def __init__(self, lab, sources: dict, *, test_timeout: float | None = None,
                 memory_mib: int = MEMORY_MIB, cpu_seconds: float = 120, on_timeout=TimeoutError):
        self.lab, self.sources = lab, sources
        self.test_timeout = test_timeout if test_timeout is not None else lab.test_timeout
        self.memory_mib, self.cpu_seconds, self.on_timeout = memory_mib, cpu_seconds, on_timeout
        self.proc: KernelChild | None = None
        self.generation = 0             # how many kernel processes were started
        self.timeouts = 0               # how many requests were stopped at their deadline
        self.kernel_cpu = 0.0           # CPU seconds of the kernel processes that have ended
        self.errors: dict[str, str] = {}  # import errors of the student's modules
        self.deadline: float | None = None   # perf_counter time the current test must end by
        self.timeout_message = "the test ran out of time"
        self.notes: list[str] = []      # what the student's code was told
        self._stderr: list[bytes] = []
        self._scratch: str | None = None
        self._starting: float | None = None   # start-up deadline of a spawned, not yet ready, process

    # ---- the process -------------------------------------------------------------------

    def start(self) -> None:
        """Start a kernel process and wait until it is ready (its import errors known)."""
        self.spawn()
        self.ready()

    def spawn(self) -> None:
        """Start a kernel process and send it the sources, without waiting for it:
        it loads them while the caller does something else. It is forked by the
        lab's zygote (grading/zygote.py), which has the kernel imported already."""
        z = zygote(self.lab.name)          # first: it starts while the rest is found
        self._scratch = tempfile.mkdtemp(prefix="xv6py-kernel-")
        user = _unprivileged()
        if user is not None:
            os.chown(self._scratch, user[0], user[1])
        self.proc = z.spawn(self._scratch, user, int(self.cpu_seconds) + 1, self.memory_mib << 20)
        self.generation += 1
        self._stderr = []
        threading.Thread(target=self._drain, args=(self.proc.stderr, self._stderr), daemon=True).start()
        hello = {"lab": self.lab.name, "limit": self.test_timeout,
                 "sources": {mod: list(src) for mod, src in self.sources.items()}}
        self._starting = time.perf_counter() + self.test_timeout + self.STARTUP
        self._send(hello)

    def ready(self) -> None:
        """Wait for the kernel process spawn() started to be ready (at most until
        its start-up deadline); then self.errors holds its import errors."""
        if self._starting is None:
            return
        deadline, self.deadline = self.deadline, self._starting
        self._starting = None
        began = time.perf_counter()
        try:
            reply = self._receive()
        except BaseException as e:      # noqa: BLE001 -- it did not start: every test fails with why
            why = str(e) if isinstance(e, KernelGone) else (
                f"the kernel did not start within {self.test_timeout + self.STARTUP:g} s (a loop at "
                "module level that does not end?)")
            reply = {"errors": {name: why for name in self.sources} or {"kernel": why}}
        finally:
            # Starting a kernel process is not the test's time: its deadline
            # moves on by the wait.
            self.deadline = None if deadline is None else deadline + (time.perf_counter() - began)
        self.errors = reply.get("errors", {})

    @staticmethod
    def _drain(stream, into: list) -> None:
        """Keep the last 64 KiB of the kernel process's standard error."""
        for chunk in iter(lambda: stream.read1(4096), b""):
            into.append(chunk)
            while sum(map(len, into)) > 65536 and len(into) > 1:
                into.pop(0)

    def stop(self) -> None:
        """Kill the kernel process and forget it."""
        p, self.proc = self.proc, None
        if p is not None:
            if p.poll() is None:
                p.kill()
            if p.wait(timeout=10) is None:
                p.returncode = -signal.SIGKILL      # its zygote did not answer: it is gone too
            self.kernel_cpu += p.cpu
            p.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    # ---- requests ----------------------------------------------------------------------

    def request(self, op: str, *args):
        """Ask the kernel process; its answer, or its error raised here."""
        if self.proc is None:
            self.start()
        self.ready()
        reply = self._exchange({"op": op, "args": encode(args)})
        if "notes" in reply:
            self.notes += [n for n in reply["notes"] if n not in self.notes]
        if reply.get("log"):
            sys.stdout.write(reply["log"])          # the test's captured output
        if "error" in reply:
            raise _error(reply["error"])
        return decode(reply["ok"])

    def _exchange(self, message: dict) -> dict:
        self._send(message)
        return self._receive()

    def _send(self, message: dict) -> None:
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            p = self.proc
            self.stop()
            raise KernelGone(self._death(p)) from None

    def _receive(self) -> dict:
        p = self.proc
        try:
            line = self._readline(p)
        except BaseException as e:
            self.stop()
            if isinstance(e, EOFError):
                raise KernelGone(self._death(p)) from None
            raise
        return json.loads(line)

    def _readline(self, p) -> bytes:
        """A line from the kernel process, waiting no later than the deadline."""
        buf = b""
        while not buf.endswith(b"\n"):
            wait = None if self.deadline is None else self.deadline - time.perf_counter()
            if wait is not None and wait <= 0:
                self.timeouts += 1
                raise self.on_timeout(self.timeout_message)
            ready, _, _ = select.select([p.stdout], [], [], wait)
            if not ready:
                continue
            chunk = os.read(p.stdout.fileno(), 1 << 16)
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def _death(self, p) -> str:
        code = p.returncode
        why = {signal.SIGXCPU: "it used up its CPU time", signal.SIGKILL: "it was killed",
               signal.SIGXFSZ: "it tried to write a file",
               signal.SIGSEGV: "it crashed"}.get(-code if code and code < 0 else 0)
        how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        tail = b"".join(self._stderr).decode("utf-8", "replace").strip().splitlines()[-8:]
        tail += [p.why] if p.why else []
        if any("MemoryError" in line or "Could not allocate" in line for line in tail):
            why = "it ran out of memory"
        return (f"the kernel process ended ({how}{': ' + why if why else ''})"
                + ("\n" + "\n".join(tail) if tail else ""))


# ---- the zygote of kernel processes (grading/zygote.py), as the worker sees it ------------------

class Zygote:
    """A zygote process of one lab, started on first use, and restarted if it died."""

    def __init__(self, lab: str, environment: dict):
        self.lab, self.environment = lab, environment
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.owner = 0                  # the process that started it
        self.lock = threading.Lock()

    def start(self) -> None:
        """Start the zygote (it imports the kernel while the caller goes on)."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fd = theirs.fileno()
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-B", "-m", "xv6py.grading.zygote", self.lab, str(fd), str(os.getpid())],
            pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd="/",
            env=self.environment, preexec_fn=die_with_parent)
        theirs.close()
        self.sock, self.owner = mine, os.getpid()

    def _mine(self) -> bool:
        """Did this process start it? (A forked worker shares its warm worker's.)"""
        return self.proc is not None and self.owner == os.getpid()

    def alive(self) -> bool:
        """As far as this process can tell: only its parent can wait for it; a
        sharer finds out when a request cannot be sent."""
        return self.sock is not None and (not self._mine() or self.proc.poll() is None)

    def stop(self) -> None:
        """End the zygote, once its children are done, and reap it (its CPU time
        and theirs count as this process's children's); a process that shares
        it only lets go of it."""
        p, mine = self.proc, self._mine()
        self.proc = None
        if self.sock is not None:
            self.sock.close()           # it ends when no one holds the other end
            self.sock = None
        if p is not None and mine:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def spawn(self, scratch: str, user: tuple[int, int] | None, cpu: int, memory: int) -> "KernelChild":
        """A new kernel process (see the module's docstring), not waited for."""
        request = json.dumps({"scratch": scratch, "user": list(user) if user else None,
                              "cpu": cpu, "memory": memory}).encode()
        with self.lock:
            for attempt in (1, 2):
                if not self.alive():
                    self.stop()
                    self.start()
                child, theirs = _pipes()
                try:
                    socket.send_fds(self.sock, [request], theirs)
                except OSError:
                    child.close()
                    if attempt == 2:
                        raise
                    self.stop()             # it died between the check and the send: once more
                    continue
                finally:
                    for fd in theirs:
                        os.close(fd)
                return child
        raise AssertionError("unreachable")


def _pipes() -> tuple["KernelChild", list[int]]:
    """A KernelChild (the worker's ends) and the child's ends of its pipes and lifeline."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    life, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    their_life = os.dup(theirs.fileno())
    theirs.close()
    return KernelChild(in_w, out_r, err_r, life), [in_r, out_w, err_w, their_life]


def die_with_parent() -> None:
    """In a child before it runs Python: SIGKILL when its parent ends (Linux)."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)          # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class KernelChild:
    """A kernel process forked by a zygote, as the worker sees it: what
    subprocess.Popen gives (pid, stdin, stdout, stderr, poll, wait, returncode),
    and kill(). Its status comes from the zygote, over the lifeline."""

    def __init__(self, stdin: int, stdout: int, stderr: int, life: socket.socket):
        self.stdin = os.fdopen(stdin, "wb")
        self.stdout = os.fdopen(stdout, "rb")
        self.stderr = os.fdopen(stderr, "rb")
        self.life = life
        self.returncode: int | None = None
        self._pid: int | None = None
        self.why = ""                   # the zygote's reason, when it could not fork
        self.cpu = 0.0                  # CPU seconds it used, once it has ended

    @property
    def pid(self) -> int:
        """Its process id (waits for the zygote to have forked it; 0 if it could not)."""
        while self._pid is None and self._message(None):
            pass
        return self._pid or 0

    def _message(self, timeout: float | None) -> bool:
        """Read one message from the zygote (waiting at most timeout seconds);
        False if none came. The lifeline's end (the zygote died) counts as a kill."""
        if self.life is None or not select.select([self.life], [], [], timeout)[0]:
            return False
        try:
            data = self.life.recv(4096)
        except OSError:
            data = b""
        if not data:
            self._pid = self._pid or 0
            self.returncode = -signal.SIGKILL if self.returncode is None else self.returncode
            self.life.close()
            self.life = None
            return False
        msg = json.loads(data)
        if "pid" in msg:
            self._pid = msg["pid"]
        if "error" in msg:
            self._pid, self.why = 0, msg["error"]
            self.returncode = 1
        if "exit" in msg:
            self.returncode, self.cpu = msg["exit"], msg.get("cpu", 0.0)
        return True

    def poll(self) -> int | None:
        while self.returncode is None and self._message(0):
            pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Its exit status, once it has ended (after timeout seconds: None, if it has not)."""
        while self.returncode is None and self._message(timeout):
            pass
        return self.returncode

    def kill(self) -> None:
        """Have the zygote kill it (it may not be the worker's to kill)."""
        if self.life is not None and self.returncode is None:
            try:
                self.life.send(b"kill")
            except OSError:
                pass

    def close(self) -> None:
        for f in (self.stdin, self.stdout, self.stderr):
            try:
                f.close()
            except OSError:
                pass
        if self.life is not None:
            self.life.close()           # if it still runs, the zygote kills it now
            self.life = None


_zygotes: dict[tuple[str, str], Zygote] = {}    # (lab, labs directory) -> its zygote, in this process


def stop_zygotes() -> None:
    """End the zygotes this process started (and reap them), let go of shared ones."""
    for z in _zygotes.values():
        z.stop()
    _zygotes.clear()


def zygote(lab: str) -> Zygote:
    """The zygote of the lab's kernel processes, started (once per process) if
    need be. A warm worker starts it before it forks its workers: they share it."""
    from .spec import LABS_ENV
    key = (lab, os.environ.get(LABS_ENV, ""))
    if key not in _zygotes:
        _zygotes[key] = Zygote(lab, _environment("/"))
    z = _zygotes[key]
    if not z.alive():
        z.stop()
        z.start()
    return z


def _error(e: dict) -> BaseException:
    """The exception the kernel process reported, as a local one."""
    from ..panic import KernelPanic
    kinds = {"panic": KernelPanic, "lookup": LookupError, "index": IndexError, "value": ValueError}
    return kinds.get(e["kind"], KernelCrash)(e["message"])


_dropped: dict = {}     # the answer of _unprivileged, found once per process


def _unprivileged() -> tuple[int, int] | None:
    """(uid, gid) of `nobody` when this process runs as root and nobody can run
    this Python and import xv6py (a Python under /root cannot be: then the kernel
    process keeps this user, and privilege_note() says so). Else None."""
    if os.geteuid() != 0:
        return None
    if "ids" not in _dropped:
        _dropped["ids"] = _nobody()
        if _dropped["ids"] is not None:
            try:
                probe = subprocess.run([sys.executable, "-P", "-B", "-c", "import xv6py.grading.kserver"],
                                       env=_environment("/"), cwd="/", user=_dropped["ids"][0],
                                       group=_dropped["ids"][1], extra_groups=[], capture_output=True)
                ok = probe.returncode == 0
            except OSError:             # it cannot even start the interpreter
                ok = False
            if not ok:
                _dropped["why"] = (f"user nobody cannot run {sys.executable} with xv6py: install "
                                   "them where every user can read them")
                _dropped["ids"] = None
    return _dropped["ids"]


def privilege_note() -> str:
    """Why a root grader's kernel processes kept root's privileges (or "")."""
    _unprivileged()
    return _dropped.get("why", "")


def _nobody() -> tuple[int, int] | None:
    import grp
    import pwd
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        _dropped["why"] = "there is no user nobody to run the student's code as"
        return None
    for group in ("nogroup", "nobody"):
        try:
            return user.pw_uid, grp.getgrnam(group).gr_gid
        except KeyError:
            continue
    return user.pw_uid, user.pw_gid


def _environment(home: str) -> dict:
    """A clean environment: what Python needs to find this xv6py and the labs, and no more."""
    import xv6py

    from .spec import LABS_ENV
    root = str(Path(xv6py.__file__).resolve().parent.parent)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8",
           "PYTHONPATH": root, "PYTHONBREAKPOINT": "0", "PYTHONHASHSEED": "0",
           "PYTHONDONTWRITEBYTECODE": "1"}
    if os.environ.get(LABS_ENV):
        env[LABS_ENV] = os.environ[LABS_ENV]    # an instructor's own labs (--labs DIR)
    return env


# ---- machines in the kernel process ----------------------------------------------------------

class RemoteMachine:
    """A Machine in a kernel process, with the methods tests use."""

    def __init__(self, kp: KernelProcess, **options):
        self.kp = kp
        self.max_instructions = options.get("max_instructions")
        self.mid = kp.request("machine", options)
        self.generation = kp.generation

    def _ask(self, op: str, *args):
        if self.kp.generation != self.generation or self.kp.proc is None:
            raise KernelGone("this machine's kernel process has ended (an earlier failure)")
        return self.kp.request(op, self.mid, *args)

    def run(self, prog, args=(), *, stdin=None):
        from ..machine import RunResult
        return RunResult(**self._ask("run", str(prog), [str(a) for a in args], stdin))

    def processes(self) -> list[dict]:
        return self._ask("processes")

    def shm_segments(self) -> list[dict]:
        return self._ask("shm_segments")

    def shm_entry(self, id: int) -> dict:
        return self._ask("shm_entry", id)

    def pte(self, pid: int, va: int) -> int | None:
        return self._ask("pte", pid, va)

    def read_phys(self, pa: int, n: int) -> bytes:
        return self._ask("read_phys", pa, n)

    def read32(self, pa: int) -> int:
        return int.from_bytes(self.read_phys(pa, 4), "little")

    def isfree(self, pa: int) -> bool:
        return self._ask("isfree", pa)

    def console_output(self) -> bytes:
        return self._ask("console_output")

    def kernel(self, name: str, *args):
        return self._ask("kernel", name, *args)

    def at_once(self, *asks) -> list:
        """testing/asserts.py's at_once: several looks, one request."""
        return self._ask("at_once", [list(a) for a in asks])

    @property
    def free_frames(self) -> int:
        return self._ask("free_frames")


class RemoteProc:
    """A process in a RemoteMachine: its pid, its fields read when asked."""

    def __init__(self, m: RemoteMachine, pid: int):
        self.m, self.pid = m, pid

    def _row(self) -> dict:
        row = next((r for r in self.m.processes() if r["pid"] == self.pid), None)
        if row is None:
            raise LookupError(f"pid {self.pid} is no longer in the process table")
        return row

    sz = property(lambda self: self._row()["sz"])
    pgdir = property(lambda self: self._row()["pgdir"])
    name = property(lambda self: self._row()["name"])
    state = property(lambda self: self._row()["state"])
    shm = property(lambda self: [tuple(a) for a in self._row()["shm"]])

    def __repr__(self) -> str:
        return f"<pid {self.pid}>"


class RemoteSyscaller:
    """kcall.Syscaller for a RemoteMachine."""

    def __init__(self, m: RemoteMachine):
        self.m = m

    def spawn(self, prog: str = "hello", args=()) -> RemoteProc:
        return RemoteProc(self.m, self.m._ask("spawn", prog, list(args)))

    def fork(self, p: RemoteProc) -> RemoteProc:
        return RemoteProc(self.m, self.m._ask("fork", p.pid))

    def call(self, p: RemoteProc, name: str, *args):
        return self.m._ask("call", p.pid, name, [list(a) if isinstance(a, tuple) else a for a in args])

    def reap(self) -> None:
        self.m._ask("reap")

    def peek(self, p: RemoteProc, va: int, n: int) -> bytes | None:
        return self.m._ask("peek", p.pid, va, n)

    def poke(self, p: RemoteProc, va: int, data: bytes) -> bool:
        return self.m._ask("poke", p.pid, va, bytes(data))
