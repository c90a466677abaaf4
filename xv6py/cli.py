"""The `xv6py` command.

    xv6py boot                   boot into xv6's shell on the console (also: plain `xv6py`)
    xv6py run PROG [ARGS...]     run a program on a fresh machine
    xv6py debug PROG [ARGS...]   step through it: gdb's commands plus page-table views
    xv6py pt --svg FILE PROG     draw its page tables at a breakpoint
    xv6py build [NAMES...]       compile the user programs in userprogs/
    xv6py programs               list the built programs
    xv6py mkfs IMG FILE...       make a file system image holding FILEs
    xv6py fsck IMG               check a file system image
    xv6py lab ...                lab workspaces and grading (xv6py/grading/command.py)

PROG is the name of a built program, or the path of an i386 ELF file (a
program of your own, or an unmodified x86 xv6 user binary). The program's
console output goes to standard output as it is written; a summary line
(status, instructions, system calls, faults, ticks, free frames) goes to
standard error. The exit status is 0 when the program exited by itself.

Every run works on a fresh copy of the default disk image (the built programs),
so it leaves nothing behind. `--disk IMG` runs on the image file IMG instead
and writes it back after the run; `--file HOSTPATH[:NAME]` (repeatable) copies
a host file into the run's "/" first.
"""

import argparse
import sys

__all__ = ["main"]


def _int(text: str) -> int:
    """An integer written as 100000, 100_000, 100,000, 0x186a0 or 1e5."""
    text = text.replace("_", "").replace(",", "")
    try:
        return int(text, 0)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise
        return int(value)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="xv6py", description="An xv6-style teaching OS on an emulated x86.")
    sub = ap.add_subparsers(dest="command", required=True)

    boot = sub.add_parser("boot", help="boot into xv6's shell",
                          description="Boot: init starts sh on the console, which is this "
                          "terminal (or standard input and output). The session ends at the end "
                          "of the input (^D at the prompt of a terminal only ends one read).")
    boot.add_argument("--script", default=None, metavar="FILE",
                      help="type this file's lines instead of reading standard input")
    boot.add_argument("--quantum", type=_int, default=None, help="user instructions per timer tick")
    boot.add_argument("--max-instructions", type=_int, default=None, help="budget of virtual time")
    _disk_options(boot)

    run = sub.add_parser("run", help="run a user program",
                         description="Run PROG with ARGS on a fresh machine.")
    run.add_argument("prog", help="a built program's name, or the path of an i386 ELF file")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program")
    run.add_argument("--quantum", type=_int, default=None,
                     help="user instructions per timer tick (default 100,000)")
    run.add_argument("--seed", type=_int, default=None,
                     help="vary each tick's length with this seed (other interleavings)")
    run.add_argument("--max-instructions", type=_int, default=None,
                     help="stop the run after this much virtual time, in instructions")
    run.add_argument("--trace", default="",
                     help="comma-separated, to stderr: syscalls (each call and result), faults "
                          "(why a fault killed a process), pt (page-table changes after each call)")
    run.add_argument("--gdb", type=int, default=None, metavar="PORT",
                     help="wait for gdb on 127.0.0.1:PORT (target remote :PORT)")
    run.add_argument("--stdin", default=None,
                     help="file to read console input from (default: this terminal's stdin)")
    run.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    run.add_argument("-w", "--workspace", default=None, metavar="DIR",
                     help="run the kernel with the lab workspace DIR's files (see `xv6py lab init`)")
    _disk_options(run)

    debug = sub.add_parser("debug", help="step through a program (gdb's commands, page-table views)",
                           description="Debug PROG: break, continue, stepi, step, next, finish, "
                           "info registers, x, disassemble, bt, and pt, walk, ptdiff, frames, shm, "
                           "kalloc, svg. Commands come from the terminal, or from standard input "
                           "or --script when it is not one.")
    debug.add_argument("prog", help="a built program's name, or the path of an i386 ELF file")
    debug.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program")
    _machine_options(debug)
    debug.add_argument("--script", default=None, help="read the commands from this file")

    pt = sub.add_parser("pt", help="draw a program's page tables (SVG)",
                        description="Run PROG until LOCATION (default: the first exit of one of its "
                        "processes) and draw the page tables of the live processes.")
    pt.add_argument("--svg", required=True, metavar="FILE", help="the SVG file to write")
    pt.add_argument("--at", default="exit", metavar="LOCATION",
                    help="a function, FILE.c:LINE or *ADDRESS to stop at (default: exit)")
    pt.add_argument("prog", help="a built program's name, or the path of an i386 ELF file")
    pt.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program")
    _machine_options(pt)

    build = sub.add_parser("build", help="compile the user programs")
    build.add_argument("names", nargs="*", help="programs to build (default: all), or one C "
                       "file of your own (FILE.c, anywhere): built next to it, for --file")
    build.add_argument("-o", dest="output", default=None, metavar="ELF",
                       help="with a FILE.c: where to write the program (default: FILE)")
    build.add_argument("--compiler", choices=["gcc", "clang", "zig"], default=None)

    sub.add_parser("programs", help="list the built programs")

    from .fsck import add_parser as add_fsck_parser
    from .mkfs import add_parser as add_mkfs_parser
    add_mkfs_parser(sub)
    add_fsck_parser(sub)

    from .grading.command import add_parser as add_lab_parser
    add_lab_parser(sub)
    return ap


def _machine_options(p) -> None:
    p.add_argument("--quantum", type=_int, default=None, help="user instructions per timer tick")
    p.add_argument("--seed", type=_int, default=None, help="vary each tick's length with this seed")
    p.add_argument("--max-instructions", type=_int, default=None, help="budget of virtual time")
    p.add_argument("--stdin", default=None, help="file the program reads as console input")
    p.add_argument("-w", "--workspace", default=None, metavar="DIR",
                   help="run the kernel with the lab workspace DIR's files (see `xv6py lab init`)")
    _disk_options(p)


def _disk_options(p) -> None:
    p.add_argument("--disk", default=None, metavar="IMG",
                   help="run on this file system image and write it back after the run "
                        "(default: a fresh copy of the built-in image, kept nowhere)")
    p.add_argument("--file", action="append", default=[], metavar="HOSTPATH[:NAME]",
                   help="copy a host file into the run's \"/\" (as NAME); repeatable")


def _add_files(m, ns) -> None:
    """Put the --file files in the machine's "/". Raises OSError or ValueError."""
    from pathlib import Path
    for spec in ns.file:
        host, sep, name = spec.rpartition(":")
        if not sep or not name or "/" in name or not host:
            host, name = spec, Path(spec).name
        m.add_program(name, Path(host).read_bytes())


def _machine(ns, **kw):
    from .machine import Machine
    from .param import QUANTUM
    stdin = open(ns.stdin, "rb") if ns.stdin else b""
    m = Machine(quantum=ns.quantum or QUANTUM, seed=ns.seed, max_instructions=ns.max_instructions,
                stdin=stdin, disk=_disk_path(ns), **kw)
    _add_files(m, ns)
    return m


def _disk_path(ns):
    """The --disk image, which must exist (raises ValueError)."""
    from pathlib import Path
    if ns.disk is None:
        return None
    if not Path(ns.disk).is_file():
        raise ValueError(f"{ns.disk}: no such image (make one with `xv6py mkfs --programs {ns.disk}`)")
    return Path(ns.disk)


def _workspace(ns) -> bool:
    """Use the -w workspace's kernel files, if one is given (before the kernel is
    imported). False if it cannot be used (the message is printed)."""
    if getattr(ns, "workspace", None) is None:
        return True
    from pathlib import Path

    from .grading.command import use_workspace
    return use_workspace(Path(ns.workspace))


def _debug(ns) -> int:
    if not _workspace(ns):
        return 2
    from .debug import repl
    script = open(ns.script) if ns.script else None
    try:
        return repl.main(_machine(ns), ns.prog, ns.args, script)
    except (ValueError, OSError) as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return 2


def _pt(ns) -> int:
    if not _workspace(ns):
        return 2
    from .debug.debugger import Debugger
    from .debug.svg import draw
    try:
        d = Debugger(_machine(ns), ns.prog, ns.args)
        d.break_at(ns.at)
    except (ValueError, OSError) as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return 2
    stop = d.cont()
    while stop.reason not in ("breakpoint", "halted"):
        stop = d.cont()
    if stop.halted:
        print(f"xv6py: the run ended before reaching {ns.at}", file=sys.stderr)
        return 1
    draw(d.m, ns.svg)
    print(f"wrote {ns.svg}: the page tables at {d.where()} (pid {stop.pid})", file=sys.stderr)
    d.finish_run()
    return 0


def _run(ns) -> int:
    if not _workspace(ns):                              # before the kernel is imported
        return 2
    from .debug.trace import KINDS, Trace
    from .machine import Machine
    from .param import QUANTUM
    traces = [t for t in ns.trace.split(",") if t]
    unknown = set(traces) - set(KINDS)
    if unknown:
        print(f"xv6py: unknown trace {', '.join(sorted(unknown))} (known: {', '.join(KINDS)})",
              file=sys.stderr)
        return 2
    stdin = open(ns.stdin, "rb") if ns.stdin else sys.stdin.buffer
    try:
        m = Machine(quantum=ns.quantum or QUANTUM, seed=ns.seed, max_instructions=ns.max_instructions,
                    stdin=stdin, echo=sys.stdout.buffer, disk=_disk_path(ns))
        _add_files(m, ns)
    except (ValueError, OSError) as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return 2
    if traces:
        Trace(m, traces, lambda line: print(line, file=sys.stderr, flush=True))
    try:
        if ns.gdb is not None:
            from .debug.gdbstub import serve
            from .programs import program_path
            elf = ns.prog if "/" in ns.prog else program_path(ns.prog) or ns.prog
            result = serve(m, ns.prog, ns.args, ns.gdb, ready=lambda port: print(
                f"[xv6py] waiting for gdb on 127.0.0.1:{port}: gdb -ex 'set architecture i386' "
                f"-ex 'file {elf}' -ex 'target remote 127.0.0.1:{port}'", file=sys.stderr, flush=True))
        else:
            result = m.run(ns.prog, ns.args)
    except (ValueError, OSError) as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return 2
    if not ns.quiet:
        print(f"[xv6py] {result.summary()}", file=sys.stderr)
    return 0 if result.status == "exit" else 1


def _boot(ns) -> int:
    from . import session
    from .machine import Machine
    from .param import QUANTUM
    try:
        src = open(ns.script, "rb") if ns.script else sys.stdin.buffer
        m = Machine(quantum=ns.quantum or QUANTUM, max_instructions=ns.max_instructions,
                    stdin=src, echo=sys.stdout.buffer, disk=_disk_path(ns), session=True)
        _add_files(m, ns)
    except (ValueError, OSError) as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return 2
    return session.main(m, src)


def _build(ns) -> int:
    from .build import BuildError, build, clang_compiler, find_compiler, gcc_compiler, zig_compiler
    pick = {"gcc": gcc_compiler, "clang": clang_compiler, "zig": zig_compiler}
    compiler = pick[ns.compiler]() if ns.compiler else find_compiler()
    if compiler is None:
        print("xv6py: no C compiler for i386 found (gcc -m32, clang, or `pip install ziglang`)",
              file=sys.stderr)
        return 2
    if len(ns.names) == 1 and ns.names[0].endswith(".c"):
        from .build import build_file
        try:
            out = build_file(ns.names[0], ns.output, compiler)
        except BuildError as e:
            print(f"xv6py: {e}", file=sys.stderr)
            return 1
        print(f"built {out} with {compiler.describe()}: `xv6py boot --file {out}` puts it on the disk")
        return 0
    if ns.output is not None:
        print("xv6py: -o goes with one FILE.c", file=sys.stderr)
        return 2
    try:
        built = build(ns.names or None, compiler)
    except BuildError as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return 1
    print(f"built {len(built)} programs with {compiler.describe()}")
    return 0


def _programs(ns) -> int:
    from .programs import program_names, program_path
    for name in program_names():
        print(name if program_path(name) else f"{name} (not built)")
    return 0


def _mkfs(ns) -> int:
    from .mkfs import main as mkfs_main
    return mkfs_main(ns)


def _fsck(ns) -> int:
    from .fsck import main as fsck_main
    return fsck_main(ns)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ns = _parser().parse_args(argv or ["boot"])     # plain `xv6py` boots
    from .grading.command import main as _lab
    commands = {"boot": _boot, "run": _run, "debug": _debug, "pt": _pt, "build": _build,
                "programs": _programs, "lab": _lab, "mkfs": _mkfs, "fsck": _fsck}
    return commands[ns.command](ns)


if __name__ == "__main__":
    sys.exit(main())
