"""The kernel process of a grade: where a student's code runs, and nothing else.

    forked by grading/zygote.py for grading/remote.py, which calls main();
    python -P -B -m xv6py.grading.kserver        (the same, exec'd: by hand)

A grader's tests do not run here: they run in the worker (grading/worker.py),
which starts this process with less privilege and bounded resources (see
remote.py), sends it the student's sources, and then asks it, one request at a
time, to make machines, run programs, make system calls and report what the
kernel holds. The verdict of every test is reached in the worker, from plain
data; nothing here can reach the worker but the answers it writes.

The protocol, one JSON object a line:

    first line in:  {"lab": NAME, "sources": {MODULE: [FILE, SOURCE or null]}, "limit": S}
    first line out: {"ready": true, "errors": {MODULE: WHY}}
    then in:        {"op": NAME, "args": [...]}
    and out:        {"ok": VALUE, "log": TEXT, "notes": [...]}
                or  {"error": {"kind": KIND, "message": TEXT}, "log": ..., "notes": ...}

Values are JSON, with bytes as {"$b": BASE64}. "log" is what the student's code
printed while serving the request (capped); "notes" what it was told
(breakpoint() does nothing here). KIND is panic, lookup, value, index or crash.
"""

import gc
import io
import json
import os
import sys

from ..panic import KernelPanic
from .crash import crash_message
from .wire import decode, encode

__all__ = ["main", "OPS"]

MAX_LOG = 16 * 1024     # characters of the student's printing kept per request


class _Log(io.TextIOBase):
    """sys.stdout while serving a request: what the student's code prints."""

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if self.size < MAX_LOG:
            self.parts.append(s[:MAX_LOG - self.size])
            self.size += len(s)
            if self.size >= MAX_LOG:
                self.parts.append("\n[... the rest of the printing was dropped]\n")
        return len(s)

    def take(self) -> str:
        text, self.parts, self.size = "".join(self.parts), [], 0
        return text


# ---- the requests ----------------------------------------------------------------------------

class Kernel:
    """The machines of this process, by number, and what is asked of them."""

    def __init__(self):
        self.machines: dict[int, tuple] = {}   # number -> (Machine, Syscaller)
        self.next = 1

    def m(self, mid: int):
        return self.machines[mid][0]

    def h(self, mid: int):
        return self.machines[mid][1]

    def proc(self, mid: int, pid: int):
        m = self.m(mid)
        with m.entered():
            return m._proc(pid)


def op_machine(k: Kernel, options: dict) -> int:
    from ..machine import Machine
    from ..testing.kcall import Syscaller
    allowed = {"quantum", "seed", "max_instructions", "phystop"}
    m = Machine(**{key: v for key, v in options.items() if key in allowed})
    k.machines[k.next] = (m, Syscaller(m))
    k.next += 1
    return k.next - 1


def op_forget(k: Kernel) -> None:
    """Drop every machine (a test has ended), and give back their memory now: a
    Machine's CPU holds its translation buffer until the cycles through its
    hooks are collected."""
    k.machines.clear()
    gc.collect()


def op_run(k: Kernel, mid: int, prog: str, args: list, stdin) -> dict:
    from dataclasses import asdict

    from ..testing.runs import run_with_stdin
    return asdict(run_with_stdin(k.m(mid), prog, args, stdin=stdin))


def op_spawn(k: Kernel, mid: int, prog: str, args: list) -> int:
    return k.h(mid).spawn(prog, args).pid


def op_call(k: Kernel, mid: int, pid: int, name: str, args: list):
    return k.h(mid).call(k.proc(mid, pid), name, *args)


def op_fork(k: Kernel, mid: int, pid: int) -> int:
    return k.h(mid).fork(k.proc(mid, pid)).pid


def op_reap(k: Kernel, mid: int) -> None:
    k.h(mid).reap()


def op_peek(k: Kernel, mid: int, pid: int, va: int, n: int):
    return k.h(mid).peek(k.proc(mid, pid), va, n)


def op_poke(k: Kernel, mid: int, pid: int, va: int, data: bytes) -> bool:
    return k.h(mid).poke(k.proc(mid, pid), va, data)


def op_at_once(k: Kernel, mid: int, asks: list) -> list:
    """Several of the Machine's inspections (testing/asserts.py: at_once), in
    order: their answers; the first that fails raises its error."""
    from ..testing.asserts import INSPECTIONS, look
    for name, *_ in asks:
        if name not in INSPECTIONS:
            raise ValueError(f"{name} is not an inspection")
    m = k.m(mid)
    return [look(m, name, *args) for name, *args in asks]


# The table of requests. The Machine's own inspection methods go through as they are.
OPS = {
    "machine": op_machine, "forget": op_forget, "run": op_run, "spawn": op_spawn, "call": op_call,
    "fork": op_fork, "reap": op_reap, "peek": op_peek, "poke": op_poke, "at_once": op_at_once,
    "processes": lambda k, mid: k.m(mid).processes(),
    "shm_segments": lambda k, mid: k.m(mid).shm_segments(),
    "shm_entry": lambda k, mid, id: k.m(mid).shm_entry(id),
    "pte": lambda k, mid, pid, va: k.m(mid).pte(pid, va),
    "read_phys": lambda k, mid, pa, n: k.m(mid).read_phys(pa, n),
    "isfree": lambda k, mid, pa: k.m(mid).isfree(pa),
    "console_output": lambda k, mid: k.m(mid).console_output(),
    "kernel": lambda k, mid, name, *args: k.m(mid).kernel(name, *args),
    "free_frames": lambda k, mid: k.m(mid).free_frames,
}

# Errors that are answers (no such process, a bad argument), by kind; anything
# else the kernel raised is a crash, described by crash_message.
_KINDS = ((IndexError, "index"), (LookupError, "lookup"), (ValueError, "value"))


def serve(k: Kernel, request: dict, log: _Log, finder) -> dict:
    """One request: its answer, or the error it met, with what was printed (the
    log and the notes are left out when there are none: most requests)."""
    try:
        op = OPS[request["op"]]
        reply = {"ok": encode(op(k, *decode(request.get("args", []))))}
    except KernelPanic as e:
        reply = {"error": {"kind": "panic", "message": str(e)}}
    except Exception as e:          # noqa: BLE001 -- the student's code may raise anything
        kind = next((kind for t, kind in _KINDS if isinstance(e, t)), "crash")
        reply = {"error": {"kind": kind, "message": str(e) if kind != "crash" else crash_message(e)}}
    if log.parts:
        reply["log"] = log.take()
    if finder.notes:
        reply["notes"], finder.notes[:] = list(finder.notes), []
    return reply


def main() -> int:
    # The protocol has the real standard output to itself; everything else that
    # writes to fd 1 (C code, a stray print) goes to standard error.
    out = os.dup(1)
    os.dup2(2, 1)
    log = _Log()
    sys.stdout = log
    requests = sys.stdin.buffer
    hello = json.loads(requests.readline())
    from .spec import load_lab
    from .substitute import install_sources
    lab = load_lab(hello["lab"])
    sources = {mod: (f, src) for mod, (f, src) in hello["sources"].items()}
    finder = install_sources(lab, sources, hello.get("limit", lab.test_timeout))
    from .. import machine  # noqa: F401 -- the kernel, with the student's modules in it
    # What is here now (the kernel, unicorn, the student's modules) lives as long
    # as this process: out of the collector's sight, so that the collection at the
    # end of every test (op_forget) only walks what the test made.
    gc.freeze()
    _write(out, {"ready": True, "errors": finder.errors, "log": log.take()})
    k = Kernel()
    for line in requests:
        _write(out, serve(k, json.loads(line), log, finder))
    return 0


def _write(fd: int, reply: dict) -> None:
    """One line of the protocol, written whole."""
    data = (json.dumps(reply) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


if __name__ == "__main__":
    sys.exit(main())
