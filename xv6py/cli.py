"""The `xv6py` command.

    xv6py run PROG [ARGS...]     run a program on a fresh machine
    xv6py build [NAMES...]       compile the user programs in userprogs/
    xv6py programs               list the built programs
    xv6py lab ...                lab workspaces and grading (xv6py/lab/command.py)

PROG is the name of a built program, or the path of an i386 ELF file (a
program of your own, or an unmodified x86 xv6 user binary). The program's
console output goes to standard output as it is written; a summary line
(status, instructions, system calls, faults, ticks, free frames) goes to
standard error. The exit status is 0 when the program exited by itself.
"""

import argparse
import logging
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
    run.add_argument("--trace", default="", help="comma-separated: syscalls")
    run.add_argument("--stdin", default=None,
                     help="file to read console input from (default: this terminal's stdin)")
    run.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    run.add_argument("-w", "--workspace", default=None, metavar="DIR",
                     help="run the kernel with the lab workspace DIR's files (see `xv6py lab init`)")

    build = sub.add_parser("build", help="compile the user programs")
    build.add_argument("names", nargs="*", help="programs to build (default: all)")
    build.add_argument("--compiler", choices=["gcc", "clang", "zig"], default=None)

    sub.add_parser("programs", help="list the built programs")

    from .lab.command import add_parser as add_lab_parser
    add_lab_parser(sub)
    return ap


def _run(ns) -> int:
    if ns.workspace is not None:
        from pathlib import Path

        from .lab.command import use_workspace
        if not use_workspace(Path(ns.workspace)):      # before the kernel is imported
            return 2
    from .machine import Machine
    from .param import QUANTUM
    traces = {t for t in ns.trace.split(",") if t}
    unknown = traces - {"syscalls"}
    if unknown:
        print(f"xv6py: unknown trace {', '.join(sorted(unknown))} (known: syscalls)", file=sys.stderr)
        return 2
    if "syscalls" in traces:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[syscall] %(message)s"))
        log = logging.getLogger("xv6py.syscalls")
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    stdin = open(ns.stdin, "rb") if ns.stdin else sys.stdin.buffer
    m = Machine(quantum=ns.quantum or QUANTUM, seed=ns.seed, max_instructions=ns.max_instructions,
                stdin=stdin, echo=sys.stdout.buffer, trace="syscalls" in traces)
    try:
        result = m.run(ns.prog, ns.args)
    except ValueError as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return 2
    if not ns.quiet:
        print(f"[xv6py] {result.summary()}", file=sys.stderr)
    return 0 if result.status == "exit" else 1


def _build(ns) -> int:
    from .build import BuildError, build, clang_compiler, find_compiler, gcc_compiler, zig_compiler
    pick = {"gcc": gcc_compiler, "clang": clang_compiler, "zig": zig_compiler}
    compiler = pick[ns.compiler]() if ns.compiler else find_compiler()
    if compiler is None:
        print("xv6py: no C compiler for i386 found (gcc -m32, clang, or `pip install ziglang`)",
              file=sys.stderr)
        return 2
    try:
        built = build(ns.names or None, compiler)
    except BuildError as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return 1
    print(f"built {len(built)} programs with {compiler.describe()}")
    return 0


def _programs(ns) -> int:
    from .build import program_names, program_path
    for name in program_names():
        print(name if program_path(name) else f"{name} (not built)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ns = _parser().parse_args(argv)
    from .lab.command import main as _lab
    return {"run": _run, "build": _build, "programs": _programs, "lab": _lab}[ns.command](ns)


if __name__ == "__main__":
    sys.exit(main())
