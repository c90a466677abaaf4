"""The console: the device behind file descriptors 0, 1 and 2 (xv6's console.c).

Output from user programs (write on the console) and from the kernel (cprintf)
goes to one byte buffer, in the order it happens, and optionally to a host stream
as it happens -- up to a limit (max_output): past it, the console prints one
marker line and drops the rest, so that a program writing without end costs the
host no memory. Input comes from a host stream, a line at a time, through a small
line discipline: backspace (^H or DEL) erases a character, ^U erases the line,
^D ends the input (a read returns what the line has so far, or 0 at its start).
Input is not echoed: the host terminal, if any, already shows it.

A session (`xv6py boot`, Console(session=True)) has xv6's line discipline
instead, in dev/kbd.py (it sleeps and wakes processes, so it sits above proc):
the state it edits is kept here, with the rest of the console's.
"""

import io

from ..spinlock import Spinlock

__all__ = ["Console", "consoleinit", "cprintf", "consoleread", "consolewrite", "output",
           "emit"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("cons",)
cons: "Console" = None    # the console's state

BACKSPACE = (0x08, 0x7F)
CTRL_U = 0x15
CTRL_D = 0x04
CTRL_P = 0x10
INPUT_BUF = 128     # longest line the console edits (xv6's INPUT_BUF)


class Console:
    """Console state: what was written, where input comes from."""

    __slots__ = ("out", "echo", "source", "line", "eof", "session", "edit", "lock", "ended",
                 "pending", "limit", "dropped")

    def __init__(self, stdin=None, echo=None, session=False, limit: int | None = None):
        self.out = bytearray()      # everything written to the console so far (up to the limit)
        self.echo = echo            # a binary stream to copy output to as it happens, or None
        self.limit = limit          # bytes of output kept at most (None: all)
        self.dropped = 0            # bytes dropped past the limit
        if isinstance(stdin, (bytes, bytearray, str)):
            stdin = io.BytesIO(stdin.encode() if isinstance(stdin, str) else bytes(stdin))
        self.source = stdin         # a binary stream of input, or None for no input
        self.line = bytearray()     # edited input not yet read
        self.eof = False            # ^D or end of the host stream seen
        # A session's line discipline: line holds finished lines (and ^Ds) for
        # consoleread, edit the line being typed (xv6's input.buf r..w and w..e).
        self.session = session
        self.edit = bytearray()
        self.lock = Spinlock("cons")  # what readers sleep with
        self.ended = False          # the host's input has ended
        self.pending = b""          # read from the host, not typed yet (after a ^D)

    def __repr__(self) -> str:      # as a sleep channel in a process listing
        return "console"


def consoleinit(stdin=None, echo=None, session=False, limit: int | None = None) -> None:
    global cons
    cons = Console(stdin, echo, session, limit)


def emit(data: bytes) -> None:
    """Put bytes on the console (and the host stream copying it), up to the
    run's limit of output."""
    if cons.limit is not None and len(cons.out) + len(data) > cons.limit:
        data = _cut(data)
        if not data:
            return
    cons.out += data
    if cons.echo is not None:
        cons.echo.write(data)
        cons.echo.flush()


def _cut(data: bytes) -> bytes:
    """What is left of data at the limit: the bytes that still fit and, the first
    time, the marker line that says the rest is dropped."""
    if cons.dropped:
        cons.dropped += len(data)
        return b""
    keep = max(cons.limit - len(cons.out), 0)
    cons.dropped = len(data) - keep
    marker = (f"\n[xv6py: console output cut at {cons.limit:,} bytes (max_output); "
              f"the rest is dropped]\n").encode()
    return data[:keep] + marker


def cprintf(fmt: str, *args) -> None:
    """Print to the console from the kernel (formats with Python's % operator).
    The kernel holds names as the bytes a program gave (latin-1 strs): print those bytes."""
    emit((fmt % args if args else fmt).encode("latin-1", "replace"))


def consolewrite(ip, data: bytes) -> int:
    """Write user bytes to the console; returns how many."""
    emit(bytes(data))
    return len(data)


def _fill() -> None:
    """Read one line of input from the host and apply the line discipline."""
    raw = cons.source.readline() if cons.source is not None else b""
    if not raw:
        cons.eof = True
        return
    for c in raw:
        if c in BACKSPACE:
            if cons.line and cons.line[-1] != ord("\n"):
                cons.line.pop()
        elif c == CTRL_U:
            while cons.line and cons.line[-1] != ord("\n"):
                cons.line.pop()
        elif c == CTRL_D:
            cons.eof = True
            return
        else:
            cons.line.append(c)


def consoleread(ip, n: int):
    """Read up to n bytes, stopping after a newline. Returns b"" at end of input.
    (A session's console is read through dev/kbd.py instead.)"""
    while not cons.eof and b"\n" not in cons.line and len(cons.line) < n:
        _fill()
    end = cons.line.find(b"\n")
    take = min(n, end + 1 if end >= 0 else len(cons.line))
    data = bytes(cons.line[:take])
    del cons.line[:take]
    return data


def output() -> bytes:
    """Everything written to the console so far."""
    return bytes(cons.out)
