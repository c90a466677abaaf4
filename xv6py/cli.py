"""The `xv6py` command.

    xv6py boot                             boot into xv6's shell on the console (also: plain `xv6py`)
    xv6py run [OPTIONS] PROG [ARGS...]     run a program on a fresh machine
    xv6py debug [OPTIONS] PROG [ARGS...]   step through it: gdb's commands plus page-table views
    xv6py pt --svg FILE PROG               draw its page tables at a breakpoint
    xv6py build [NAMES...]                 compile the user programs in userprogs/
    xv6py programs                         list the built programs
    xv6py mkfs IMG FILE...                 make a file system image holding FILEs
    xv6py fsck IMG                         check a file system image
    xv6py lab ...                          lab workspaces and grading (xv6py/grading/command.py)
    xv6py --version

PROG is the name of a built program, or the path of an i386 ELF file (a
program of your own, or an unmodified x86 xv6 user binary). Options come
before PROG; everything after it is the program's arguments, and one that
begins with a dash must follow `--` (`xv6py run exectest -- -g 8 big`), so that
an option put after PROG by mistake is not quietly handed to the program.

The program's console output goes to standard output as it is written; a
summary line (status, instructions, system calls, faults, ticks, free frames)
goes to standard error. A run is bounded: by default a budget of RUN_BUDGET
instructions of virtual time (user instructions and charged kernel work, see
xv6py/vtime.py; --max-instructions), console output of max_output bytes
(--max-output), and, if asked, host time (--timeout).

Every mistake on the command line gets one line on standard error. Exit status:

    0    the program exited by itself
    1    it was killed, or ran out of its budget or time, or deadlocked, or never started
    2    a mistake on the command line (a bad option, a missing file, no such program)
    3    the program was rejected (not an i386 ELF executable, a segment outside user space, ...)
    4    the kernel panicked
    130  interrupted (^C)

Every run works on a fresh copy of the default disk image (the built programs),
so it leaves nothing behind. `--disk IMG` runs on the image file IMG instead
and writes it back after the run; `--file HOSTPATH[:NAME]` (repeatable) copies
a host file into the run's "/" first.
"""

import argparse
import os
import sys
from pathlib import Path

__all__ = ["main", "RUN_BUDGET", "EXIT_CODES"]

RUN_BUDGET = 1_000_000_000   # `xv6py run`'s default budget: ~7 s of a tight loop, at most ~50 s of anything
EXIT_CODES = {"exit": 0, "rejected": 3, "panic": 4}   # any other status: 1
USAGE, INTERRUPTED = 2, 130


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line on stderr (no usage block), exit status 2."""

    def error(self, message: str):
        self.exit(USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _int(text: str) -> int:
    """An integer written as 100000, 100_000, 100,000, 0x186a0 or 1e5."""
    text = text.replace("_", "").replace(",", "")
    try:
        return int(text, 0)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value.is_integer():
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        return int(value)


def _at_least(low: int):
    """A type for argparse: an integer (as _int reads it) of at least `low`."""
    def parse(text: str) -> int:
        value = _int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, not {value}")
        return value
    parse.__name__ = f"integer >= {low}"
    return parse


def _fail_spec(text: str) -> tuple[str, int]:
    """A type for argparse: KIND:N, for --fail (see fail.py)."""
    from .fail import parse
    try:
        return parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def _port(text: str) -> int:
    value = _int(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"a TCP port is 1 to 65535, not {value}")
    return value


def _input_file(text: str) -> str:
    """A file to read: it must exist and be readable now, not fail half-way."""
    if not os.path.exists(text) or os.path.isdir(text):     # (a device such as /dev/null will do)
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    if not os.access(text, os.R_OK):
        raise argparse.ArgumentTypeError(f"cannot read {text}")
    return text


def _output_file(text: str) -> str:
    """A file to write: its folder must exist and be writable."""
    folder = os.path.dirname(text) or "."
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"cannot write {text}: no such folder {folder}")
    if not os.access(folder, os.W_OK) or os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"cannot write {text}")
    return text


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("xv6py")
    except PackageNotFoundError:
        return "(not installed)"


class _Version(argparse.Action):
    """argparse's --version, but the version is looked up only when asked for:
    reading the package metadata costs every command about 15 ms of its start."""

    def __init__(self, option_strings, dest, help="show program's version number and exit"):
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                         nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"xv6py {_version()}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="xv6py", description="An xv6-style teaching OS on an emulated x86.")
    ap.add_argument("--version", action=_Version)
    sub = ap.add_subparsers(dest="command", required=True)

    boot = sub.add_parser("boot", help="boot into xv6's shell",
                          description="Boot: init starts sh on the console, which is this "
                          "terminal (or standard input and output). The session ends at the end "
                          "of the input (^D at the prompt of a terminal only ends one read).")
    boot.add_argument("--script", default=None, metavar="FILE",
                      help="type this file's lines instead of reading standard input")
    boot.add_argument("--quantum", type=_at_least(1), default=None,
                      help="user instructions per timer tick (default 100,000)")
    boot.add_argument("--max-instructions", type=_at_least(1), default=None,
                      help="budget of virtual time (default: none)")
    _disk_options(boot)

    run = sub.add_parser("run", help="run a user program",
                         description="Run PROG with ARGS on a fresh machine.")
    run.add_argument("prog", help="a built program's name, or the path of an i386 ELF file")
    run.add_argument("args", nargs=argparse.REMAINDER,
                     help="arguments for the program (after `--` if one begins with -)")
    run.add_argument("--quantum", type=_at_least(1), default=None,
                     help="user instructions per timer tick (default 100,000)")
    run.add_argument("--seed", type=_int, default=None,
                     help="vary each tick's length with this seed (other interleavings)")
    run.add_argument("--max-instructions", type=_at_least(1), default=RUN_BUDGET,
                     help="stop the run after this much virtual time, in instructions: user "
                          f"instructions and charged kernel work (default {RUN_BUDGET:,})")
    run.add_argument("--timeout", type=_seconds, default=None,
                     help="stop the run after this many seconds of host time (default: none)")
    run.add_argument("--max-output", type=_at_least(0), default=None, metavar="BYTES",
                     help="console output kept; the rest is dropped after one marker line "
                          "(default 4 MiB)")
    run.add_argument("--fail", type=_fail_spec, default=None, metavar="KIND:N",
                     help="fault injection: the N-th allocation of KIND (kalloc, balloc, ialloc) "
                          "fails as if the resource had run out")
    run.add_argument("--check", action="store_true",
                     help="check the kernel's invariants after every trap (a broken one panics)")
    run.add_argument("--trace", default="",
                     help="comma-separated, to stderr: syscalls (each call and result), faults "
                          "(why a fault killed a process), pt (page-table changes after each call)")
    run.add_argument("--gdb", type=_port, default=None, metavar="PORT",
                     help="wait for gdb on 127.0.0.1:PORT (target remote :PORT)")
    run.add_argument("--stdin", type=_input_file, default=None,
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
    debug.add_argument("args", nargs=argparse.REMAINDER,
                       help="arguments for the program (after `--` if one begins with -)")
    _machine_options(debug)
    debug.add_argument("--script", type=_input_file, default=None, help="read the commands from this file")

    pt = sub.add_parser("pt", help="draw a program's page tables (SVG)",
                        description="Run PROG until LOCATION (default: the first exit of one of its "
                        "processes) and draw the page tables of the live processes.")
    pt.add_argument("--svg", required=True, type=_output_file, metavar="FILE", help="the SVG file to write")
    pt.add_argument("--at", default="exit", metavar="LOCATION",
                    help="a function, FILE.c:LINE or *ADDRESS to stop at (default: exit)")
    pt.add_argument("prog", help="a built program's name, or the path of an i386 ELF file")
    pt.add_argument("args", nargs=argparse.REMAINDER,
                    help="arguments for the program (after `--` if one begins with -)")
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
    p.add_argument("--quantum", type=_at_least(1), default=None, help="user instructions per timer tick")
    p.add_argument("--seed", type=_int, default=None, help="vary each tick's length with this seed")
    p.add_argument("--max-instructions", type=_at_least(1), default=None, help="budget of virtual time")
    p.add_argument("--stdin", type=_input_file, default=None, help="file the program reads as console input")
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
    for spec in ns.file:
        host, sep, name = spec.rpartition(":")
        if not sep or not name or "/" in name or not host:
            host, name = spec, Path(spec).name
        m.add_program(name, Path(host).read_bytes())


def _machine(ns, console_input=b"", **kw):
    """A Machine made as the options in ns say (console input from --stdin, else
    console_input), with the --file files in "/". Raises ValueError or OSError."""
    from .machine import Machine
    from .param import QUANTUM
    stdin = open(ns.stdin, "rb") if ns.stdin else console_input
    m = Machine(quantum=QUANTUM if ns.quantum is None else ns.quantum, seed=ns.seed,
                max_instructions=ns.max_instructions, stdin=stdin, disk=_disk_path(ns), **kw)
    _add_files(m, ns)
    return m


def _disk_path(ns):
    """The --disk image, which must exist (raises ValueError)."""
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

    from .grading.command import use_workspace
    return use_workspace(Path(ns.workspace))


def _refused(m, prog) -> int | None:
    """If m would reject prog (not an i386 ELF executable, ...), say so on one line
    and return the exit status; None if it can be run."""
    problem = m.rejects(prog)
    if problem is None:
        return None
    print(f"xv6py: {prog}: {problem}", file=sys.stderr)
    return EXIT_CODES["rejected"]


def _debug(ns) -> int:
    if not _workspace(ns):
        return 2
    from .debug import repl
    script = open(ns.script) if ns.script else None
    try:
        m = _machine(ns)
        refused = _refused(m, ns.prog)
        if refused is not None:
            return refused
        return repl.main(m, ns.prog, ns.args, script)
    except (ValueError, OSError) as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return USAGE


def _pt(ns) -> int:
    if not _workspace(ns):
        return 2
    from .debug.debugger import Debugger
    from .debug.svg import draw
    try:
        m = _machine(ns)
        refused = _refused(m, ns.prog)
        if refused is not None:
            return refused
        d = Debugger(m, ns.prog, ns.args)
        d.break_at(ns.at)
    except (ValueError, OSError) as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return USAGE
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
        return USAGE
    from .debug.trace import KINDS, Trace
    traces = [t for t in ns.trace.split(",") if t]
    unknown = set(traces) - set(KINDS)
    if unknown:
        print(f"xv6py: unknown trace {', '.join(sorted(unknown))} (known: {', '.join(KINDS)})",
              file=sys.stderr)
        return USAGE
    output = {} if ns.max_output is None else {"max_output": ns.max_output}
    try:
        m = _machine(ns, sys.stdin.buffer, timeout=ns.timeout, echo=sys.stdout.buffer, fail=ns.fail,
                     check=ns.check or None, **output)
    except (ValueError, OSError) as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return USAGE
    if traces:
        Trace(m, traces, lambda line: print(line, file=sys.stderr, flush=True))
    try:
        if ns.gdb is not None:
            refused = _refused(m, ns.prog)
            if refused is not None:
                return refused
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
        return USAGE
    if not ns.quiet or result.status == "rejected":
        hint = (" [the default budget of `xv6py run`: --max-instructions N for more]"
                if result.status == "budget" and ns.max_instructions == RUN_BUDGET else "")
        print(f"[xv6py] {result.summary()}{hint}", file=sys.stderr)
    return EXIT_CODES.get(result.status, 1)


def _boot(ns) -> int:
    from . import session
    from .machine import Machine
    from .param import QUANTUM
    try:
        src = open(ns.script, "rb") if ns.script else sys.stdin.buffer
        m = Machine(quantum=QUANTUM if ns.quantum is None else ns.quantum,
                    max_instructions=ns.max_instructions,
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


_DASHES = "\0--"     # stands for the first `--` while argparse reads the line (it drops a `--`)


def _program_args(ap, ns) -> None:
    """The program's arguments, after PROG: refuse what looks like an option of
    xv6py put there by mistake (`xv6py run shmtest -w alice` would otherwise run
    the reference kernel with arguments "-w alice"), unless `--` comes first."""
    if getattr(ns, "prog", None) == _DASHES:             # xv6py run -- PROG ARGS
        if not ns.args:
            ap.exit(USAGE, f"xv6py {ns.command}: no program after `--`\n")
        ns.prog, ns.args = ns.args[0], ns.args[1:]
        return
    if not hasattr(ns, "args"):
        return
    args = [a if a != _DASHES else "--" for a in ns.args]
    end = args.index("--") if "--" in args else len(args)
    ns.args = args[:end] + args[end + 1:]               # the first `--` ends xv6py's options
    options = [a for a in args[:end] if len(a) > 1 and a[0] == "-" and not a[1].isdigit()]
    if options:
        sub = f"xv6py {ns.command}"
        ap.exit(USAGE, f"{sub}: {options[0]} after the program name: options go before PROG; to pass "
                       f"it to the program, write `{sub} {ns.prog} -- {' '.join(args)}`\n")


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    argv = list(sys.argv[1:] if argv is None else argv) or ["boot"]      # plain `xv6py` boots
    words = [a for a in argv if not a.startswith("-")]
    if "--" in argv and words and words[0] in ("run", "debug", "pt"):
        argv[argv.index("--")] = _DASHES
    ns = ap.parse_args(argv)
    _program_args(ap, ns)
    from .grading.command import main as _lab
    commands = {"boot": _boot, "run": _run, "debug": _debug, "pt": _pt, "build": _build,
                "programs": _programs, "lab": _lab, "mkfs": _mkfs, "fsck": _fsck}
    try:
        return commands[ns.command](ns)
    except KeyboardInterrupt:
        print("xv6py: interrupted", file=sys.stderr)
        return INTERRUPTED
    except OSError as e:                        # a file or folder the host refused (lab init, ...)
        where = f": {e.filename}" if e.filename else ""
        print(f"xv6py: {e.strerror or e}{where}", file=sys.stderr)
        return USAGE


if __name__ == "__main__":
    sys.exit(main())
