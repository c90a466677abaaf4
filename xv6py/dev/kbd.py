"""The keyboard side of a session's console: xv6's line discipline
(consoleintr) and the console read that sleeps until a line is typed.

In a session (`xv6py boot`), the host's input is the keyboard. The scheduler
types it (consolepoll) when no process can run and one is asleep reading the
console: a terminal's characters as they come, a pipe's next line. Each
character goes through consoleintr(), as if from xv6's keyboard interrupt:
it is echoed, backspace (^H, DEL) and ^U edit the line, ^P prints the process
list, and a finished line (or ^D) is handed to the readers, who sleep in
consoleread() until one comes. At the end of the host's input, with every
process asleep, the machine stops ("console input ended": see idle()). A
terminal is also looked at, without waiting, at each timer tick, so that what
is typed while a program runs is echoed (and ^P answered) as it is typed.

The state (the line being edited, the lines ready) is the console's: see
dev/console.py, whose plain consoleread serves runs (`xv6py run`).
"""

import os
import select

from ..proc import proc
from ..proc.proc import SLEEPING, myproc, procdump, sleep, wakeup
from ..spinlock import acquire, release
from . import console
from .console import BACKSPACE, CTRL_D, CTRL_P, CTRL_U, INPUT_BUF, emit

__all__ = ["consoleread", "consoleintr", "consolepoll", "reading"]


def consoleread(ip, n: int):
    """devsw's console read: a session's (a generator, see _sessionread), or the
    plain one of a run."""
    if console.cons.session:
        return _sessionread(ip, n)
    return console.consoleread(ip, n)


def _sessionread(ip, n: int):
    """consoleread of a session (xv6's): sleep until the keyboard has finished a
    line, take up to n bytes of it; ^D ends the read, and alone reads as the end
    of the file. Returns None if the process is killed. (The inode is not locked
    here: fileread does not lock a device's, so xv6's iunlock/ilock are not needed.)"""
    cons = console.cons
    acquire(cons.lock)
    got = bytearray()
    while n > 0:
        while not cons.line:
            if myproc().killed:
                release(cons.lock)
                return None
            yield from sleep(cons, cons.lock)
        c = cons.line.pop(0)
        if c == CTRL_D:
            if got:
                cons.line.insert(0, c)      # save ^D for next time: this read returns the bytes
            break
        got.append(c)
        n -= 1
        if c == ord("\n"):
            break
    release(cons.lock)
    return bytes(got)


def consoleintr(data: bytes) -> None:
    """Characters from the keyboard (xv6's consoleintr): edit, echo, and wake the
    readers when a line is finished."""
    cons = console.cons
    for c in data:
        if c == CTRL_P:
            emit(b"\n" + b"".join(line.encode("latin-1", "replace") + b"\n" for line in procdump()))
        elif c == CTRL_U:
            while cons.edit:
                cons.edit.pop()
                emit(b"\b \b")
        elif c in BACKSPACE:
            if cons.edit:
                cons.edit.pop()
                emit(b"\b \b")
        elif c != 0:
            c = ord("\n") if c == ord("\r") else c
            cons.edit.append(c)
            if c != CTRL_D:
                emit(bytes((c,)))
            if c in (ord("\n"), CTRL_D) or len(cons.edit) >= INPUT_BUF:
                cons.line += cons.edit
                cons.edit.clear()
                wakeup(cons)


def consolepoll(block: bool = True) -> bool:
    """Type the host's next input on the console: a terminal's characters as they
    come, a pipe's next line (up to a ^D if it has one). False at the end of the
    input. With block=False (at a timer tick, while programs run), only what a
    terminal has ready: type-ahead, ^P while a program runs."""
    cons = console.cons
    src = cons.source
    data, cons.pending = cons.pending, b""
    if not data and (src is None or cons.ended):
        return False
    if not data:
        try:
            tty = src.isatty()
        except (AttributeError, ValueError):
            tty = False
        if not block and (not tty or not select.select([src], [], [], 0)[0]):
            return True
        data = os.read(src.fileno(), 256) if tty else src.readline()
    if not data:
        cons.ended = True
        return False
    end = data.find(bytes((CTRL_D,)))
    if 0 <= end < len(data) - 1:
        data, cons.pending = data[:end + 1], data[end + 1:]
    consoleintr(data)
    return True


def reading() -> bool:
    """Is a process asleep waiting for a line from the console?"""
    cons = console.cons
    return any(p.state is SLEEPING and p.chan is cons for p in proc.ptable.proc)
