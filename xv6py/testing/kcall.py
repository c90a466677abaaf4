"""Make system calls from Python on behalf of a process, for tests and graders.

    h = Syscaller(Machine())
    p = h.spawn("hello")                  # a process that exec'd /hello but has not run
    seg = h.call(p, "shm_create", 8192)
    h.call(p, "shm_attach", seg, 0x10000000)
    child = h.fork(p)
    h.call(child, "exit")

Each call goes through the kernel's real path: the arguments are written on the
process's user stack as a C call would leave them, %eax holds the number, and
trap() runs as for `int $64` -- so argument fetching through the page table,
the killed checks and exit's unwinding are all exercised. No user instruction
runs; the process's registers other than %eax and %esp are left as they were.

A call that would block (wait with live children, read of an empty pipe)
returns None and leaves the process asleep in the call. Waiting for the disk
is not blocking in that sense: while the process sleeps on a disk request, the
Syscaller lets virtual time pass to the disk's interrupts (and the ticks before
them), as the scheduler would with nothing else to run, and the call goes on.
"""

import struct

from .. import vtime
from ..dev.ide import idedue
from ..mm.pgdir import copyin, copyout
from ..proc import proc as P
from ..proc.initcode import initcode
from ..proc.scheduler import nextevent, switchback, switchto
from ..syscalls.syscall import SYSCALL_NAMES
from ..trap import trap
from ..traps import T_SYSCALL

__all__ = ["Syscaller", "syscaller"]

_NUMBERS = {name: num for num, name in SYSCALL_NAMES.items()}
SCRATCH = 512      # bytes below %esp used for a call's arguments and strings


class Syscaller:
    """Drives system calls of the processes of one machine."""

    def __init__(self, machine):
        self.m = machine

    def spawn(self, prog: str = "hello", args=()) -> "P.Proc":
        """A new process that has exec'd prog (through sys_exec) and waits to run.
        It is a child of the machine's root process, which is created on first use,
        never runs, and plays init: orphans go to it."""
        with self.m.entered():
            root = P.ptable.initproc
            if root is None:
                self.m.ensure_disk()        # files added since the machine booted
                root = P.userinit(initcode([b"init"]))
                switchto(root)              # its forkret: the file system's set-up
                try:
                    self._settle(root)
                finally:
                    root.state = P.RUNNABLE
                    switchback()
            p = self.fork(root)
            if self.call(p, "exec", "/" + prog, [prog, *args]) != 0:
                raise RuntimeError(f"exec {prog} failed")
            return p

    def fork(self, p) -> "P.Proc":
        """fork() as p; returns the child (or raises if fork failed)."""
        with self.m.entered():
            esp = p.tf.esp
            pid = self.call(p, "fork")
            if pid is None or pid < 0:
                raise RuntimeError("fork failed")
            child = next(q for q in P.ptable.proc if q.pid == pid)
            child.tf.esp = esp          # its registers were copied in the middle of the call
            return child

    def call(self, p, name: str, *args):
        """Make system call `name` as process p with int, str/bytes (passed as a
        pointer to a copy) or list-of-str (an argv array) arguments. Returns the
        result as a signed int, or None if the process is now asleep in the call
        or has exited."""
        with self.m.entered():
            if p.state is not P.RUNNABLE or p.context is not None:
                raise RuntimeError(f"pid {p.pid} is {p.state.value}: it cannot make a call")
            switchto(p)                 # as the scheduler would, then the trap as from user mode
            esp, pgdir = p.tf.esp, p.pgdir
            try:
                p.tf.esp = self._push_args(p, esp, args)
                p.tf.eax = _NUMBERS[name]
                p.tf.trapno = T_SYSCALL
                trap(p.tf)
                self._settle(p)
                if p.state is P.RUNNING:
                    p.state = P.RUNNABLE
                if p.state is not P.RUNNABLE or p.context is not None:
                    return None                    # asleep in the call, or exited
                result = p.tf.eax
                return result - (1 << 32) if result & 0x80000000 else result
            finally:
                if p.state is P.RUNNING:           # (the arguments did not fit: no trap)
                    p.state = P.RUNNABLE
                if p.state is P.RUNNABLE and p.pgdir == pgdir:   # (exec gave it a new stack)
                    p.tf.esp = esp
                switchback()

    def kernel(self, p, code):
        """Run kernel code -- a generator, such as fs.namei(path) or
        file.fileread(f, n) -- as process p, to its end, the disk working while it
        waits (as in a system call). Returns its value; None if it sleeps on
        something other than the disk (it is then left as p's kernel code)."""
        result = []

        def body():
            result.append((yield from code))

        with self.m.entered():
            if p.state is not P.RUNNABLE or p.context is not None:
                raise RuntimeError(f"pid {p.pid} is {p.state.value}: it cannot run kernel code")
            switchto(p)
            try:
                p.context = body()
                self._settle(p)
            finally:
                if p.state is P.RUNNING:
                    p.state = P.RUNNABLE
                switchback()
        return result[0] if result else None

    @staticmethod
    def _settle(p) -> None:
        """Go on with p's kernel code (a call it sleeps in) while the disk is what
        it waits for: let time pass to each disk interrupt, and resume p once it
        is woken, until the code ends or p waits for something else."""
        while p.context is not None:
            if p.state in (P.RUNNABLE, P.RUNNING):
                p.state = P.RUNNING
                try:
                    P.resume(p)
                except P.Exited:
                    return
            elif p.state is P.SLEEPING and idedue(vtime.clock.now) is not None:
                if not nextevent():
                    return              # the budget ended
            else:
                return

    def reap(self) -> None:
        """Free every zombie, as a parent's wait() would."""
        with self.m.entered():
            for p in P.ptable.proc:
                if p.state is P.ZOMBIE:
                    P.reap(p)

    def _push_args(self, p, esp: int, args) -> int:
        """Lay out a call frame below esp: strings and arrays first, then the return
        address and the argument words. Returns the new %esp."""
        base = (esp - SCRATCH) & ~3
        heap = base + 4 * (1 + len(args))
        words = [0xFFFFFFFF]                       # where `call` leaves the return address
        for a in args:
            if isinstance(a, int):
                words.append(a & 0xFFFFFFFF)
            elif isinstance(a, (str, bytes)):
                words.append(heap)
                heap = self._put(p, heap, _bytes(a) + b"\0")
            else:                                  # an argv array
                strs = []
                for s in a:
                    strs.append(heap)
                    heap = self._put(p, heap, _bytes(s) + b"\0")
                heap = (heap + 3) & ~3
                words.append(heap)
                heap = self._put(p, heap, struct.pack(f"<{len(strs) + 1}I", *strs, 0))
        if heap > esp:
            raise ValueError("arguments too long for the scratch area")
        self._put(p, base, struct.pack(f"<{len(words)}I", *words))
        return base

    @staticmethod
    def _put(p, va: int, data: bytes) -> int:
        if copyout(p.pgdir, va, data) < 0:
            raise RuntimeError(f"cannot write arguments at {va:#x}")
        return va + len(data)

    # ---- looking at a process's memory, as the MMU would -------------------------------

    def peek(self, p, va: int, n: int) -> bytes | None:
        """n bytes at user address va of p, or None if not all user-accessible."""
        with self.m.entered():
            return copyin(p.pgdir, va, n)

    def poke(self, p, va: int, data: bytes) -> bool:
        """Store bytes at user address va of p, as a user store would."""
        with self.m.entered():
            return copyout(p.pgdir, va, data) == 0


def _bytes(s) -> bytes:
    return s.encode() if isinstance(s, str) else bytes(s)


def syscaller(m):
    """A Syscaller for machine m, wherever its kernel runs (a grader's machine in a
    kernel process gets grading/remote.py's)."""
    from ..machine import Machine
    if isinstance(m, Machine):
        return Syscaller(m)
    from ..grading.remote import RemoteSyscaller
    return RemoteSyscaller(m)
