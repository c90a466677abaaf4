"""`xv6py boot`: a session at xv6's shell, with this terminal as the console.

The machine boots as xv6 does (Machine(session=True)): init starts sh, whose
prompt and every program's output come out on standard output; what is typed
goes through the console's line discipline (dev/console.py), which echoes it.

In a terminal, the terminal is put in cbreak mode (characters come one at a
time and are not echoed by the host; ^C still interrupts xv6py) and restored on
every way out: the end of the session, ^C (which leaves at once), a kernel
panic, an exception.
Through a pipe (or --script FILE), the input's lines are typed one at a time
when the machine waits for one, so the transcript reads as a terminal's would.

The session ends when the input has ended and every process is asleep reading
the console ("console input ended", exit status 0), or with a panic (status 1).
"""

import contextlib
import os
import signal
import sys

__all__ = ["main", "cbreak"]


@contextlib.contextmanager
def cbreak(stream):
    """Put the terminal behind stream (if it is one) in cbreak mode for the block,
    and restore its mode however the block ends. Yields the function that
    restores it (for a signal handler)."""
    try:
        fd = stream.fileno() if stream.isatty() else None
    except (AttributeError, ValueError, OSError):
        fd = None
    if fd is None:
        yield lambda: None
        return
    import termios
    import tty
    saved = termios.tcgetattr(fd)

    def restore() -> None:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
    try:
        tty.setcbreak(fd)
        yield restore
    finally:
        restore()


@contextlib.contextmanager
def interrupt_leaves(restore):
    """^C of the host (SIGINT) ends xv6py at once, the terminal restored: the
    machine is stopped wherever it is, as if powered off (a --disk image is not
    written back). A handler, not KeyboardInterrupt, so that no kernel code
    between two Python statements can be left half done and keep xv6py alive."""
    def leave(signum, frame):
        restore()
        try:
            sys.stdout.flush()
        except (RuntimeError, OSError):     # interrupted inside a write: drop the rest
            pass
        os.write(2, b"\n[xv6py] interrupted\n")
        os._exit(130)
    try:
        previous = signal.signal(signal.SIGINT, leave)
    except ValueError:                  # not the main thread: ^C is not ours to handle
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main(m, src) -> int:
    """Run a session on m (a Machine(session=True) whose console reads src and
    copies its output to standard output) to its end, report on standard error.
    Returns the exit status."""
    out = sys.stdout.buffer
    try:
        with cbreak(src) as restore, interrupt_leaves(restore):
            result = m.session_run()
    except KeyboardInterrupt:
        out.flush()
        print("\n[xv6py] interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return 2
    if result.status == "panic":
        out.write(b"\n" + result.reason.encode("utf-8", "replace") + b"\n")
        out.flush()
    print(f"[xv6py] {result.reason}; {result.instructions:,} instructions, {result.syscalls:,} "
          f"syscalls, free frames {result.free_frames_before} -> {result.free_frames_after}",
          file=sys.stderr)
    return 0 if result.status == "input ended" else 1
