"""`xv6py lab`: make workspaces, grade them, check the graders.

    xv6py lab list                      the labs
    xv6py lab init LAB DIR              a student workspace: the starter and the handout
    xv6py lab grade DIR [DIR...]        grade workspaces in parallel; results.json in each
    xv6py lab selfcheck [LAB...]        reference = full marks, starter = 0, mutants caught,
                                        no solution line in a release
    xv6py lab release LAB OUT           the student edition of a lab (release.py)
    xv6py lab gradescope LAB OUT.zip    a Gradescope autograder (gradescope.py)

Every subcommand takes --labs DIR: the labs of DIR instead of the package's (an
instructor's own labs; see spec.py).
"""

import argparse
import sys
import time
from pathlib import Path

from . import edition

__all__ = ["add_parser", "main", "use_workspace"]


def add_parser(sub) -> None:
    lab = sub.add_parser("lab", help="lab workspaces and grading",
                         description="Make lab workspaces, grade them, check the graders.")
    cmds = lab.add_subparsers(dest="lab_command", required=True)
    # Options every subcommand takes, after its name (`xv6py lab grade --labs DIR ...`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--labs", type=Path, default=None, metavar="DIR",
                        help="take the labs from DIR instead of xv6py's own (an instructor's labs)")

    cmds.add_parser("list", help="list the labs", parents=[common])

    init = cmds.add_parser("init", help="write a student workspace", parents=[common],
                           description="Write DIR: the lab's files with the solution regions replaced "
                                       "by stubs, the handout (README.md) and xv6py-lab.toml.")
    init.add_argument("lab")
    init.add_argument("dir", type=Path)
    if not edition.STUDENT:         # a student edition has no reference to write
        init.add_argument("--reference", action="store_true",
                          help="write the reference solution instead of the starter (for instructors)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")

    grade = cmds.add_parser("grade", help="grade workspaces (in parallel)", parents=[common],
                            description="Grade each DIR in a process of its own, several at once; "
                                        "write DIR/results.json (Gradescope's format) and print a table.")
    grade.add_argument("dirs", nargs="+", type=Path, metavar="DIR")
    grade.add_argument("--lab", default=None, help="the lab (default: the one DIR/xv6py-lab.toml names)")
    grade.add_argument("-j", "--jobs", type=int, default=None,
                       help="workspaces graded at once (default: one per core)")
    grade.add_argument("--timeout", type=float, default=None,
                       help="seconds of host time per workspace (default: the lab's)")
    grade.add_argument("--test-timeout", type=float, default=None,
                       help="seconds of host time per test (default: the lab's)")
    grade.add_argument("--results", default="results.json",
                       help="name of the results file written in each DIR (default results.json)")
    grade.add_argument("--out", type=Path, default=None, metavar="PATH",
                       help="write the results file to PATH instead (one DIR only; Gradescope's "
                            "/autograder/results/results.json)")
    grade.add_argument("-k", dest="select", default=None, metavar="EXPR",
                       help="only the tests whose names match EXPR (pytest's -k)")
    grade.add_argument("-v", "--verbose", action="store_true", help="print each failed test's message")

    if edition.STUDENT:
        return                      # the rest needs the reference, the mutants, the hidden tests
    check = cmds.add_parser("selfcheck", help="check the graders against the reference, starter, mutants",
                            parents=[common])
    check.add_argument("lab_names", nargs="*", metavar="LAB", help="labs to check (default: all)")
    check.add_argument("-j", "--jobs", type=int, default=None)

    release = cmds.add_parser(
        "release", parents=[common], help="write the student edition of a lab",
        description="Write OUT: xv6py's source tree with the lab's solutions replaced by their stubs "
                    "(in the package itself), other labs' solutions stubbed too unless the kernel needs "
                    "them, the handout, the public tests (not the hidden ones), grade.sh; then prove "
                    "that no line of a solution or of a hidden test is in it.")
    release.add_argument("lab")
    release.add_argument("out", type=Path)
    release.add_argument("--keep", action="append", default=[], metavar="LAB",
                         help="also keep LAB's solutions (a lab the students have done); repeatable")

    gs = cmds.add_parser(
        "gradescope", parents=[common], help="build a Gradescope autograder zip for a lab",
        description="Write OUT.zip: setup.sh (xv6py from a wheel of this install, its dependencies "
                    "pinned), run_autograder (`xv6py lab grade` of /autograder/submission into "
                    "/autograder/results/results.json), the lab's grader with its hidden tests.")
    gs.add_argument("lab")
    gs.add_argument("out", type=Path, metavar="OUT.zip")


def main(ns: argparse.Namespace) -> int:
    from .spec import LabError, use_labs_dir
    try:
        if ns.labs is not None:
            use_labs_dir(ns.labs)
        return {"list": _list, "init": _init, "grade": _grade, "selfcheck": _selfcheck,
                "release": _release, "gradescope": _gradescope}[ns.lab_command](ns)
    except LabError as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return 2


def _list(ns) -> int:
    from .spec import lab_names, load_lab
    for name in lab_names():
        lab = load_lab(name)
        print(f"{name:10} {lab.title} (files: {', '.join(lab.files)}; {len(lab.mutants)} mutants)")
    return 0


def _init(ns) -> int:
    from .spec import init_workspace, load_lab
    lab = load_lab(ns.lab)
    reference = getattr(ns, "reference", False)
    written = init_workspace(lab, ns.dir, reference=reference, force=ns.force)
    print(f"wrote {', '.join(str(p) for p in written)}")
    if not reference:
        print(f"read {ns.dir / 'README.md'}; grade with: xv6py lab grade {ns.dir}")
    return 0


def _console():
    from rich.console import Console
    return Console(stderr=False, soft_wrap=False)


def _grade(ns) -> int:
    from .grade import _num, grade_many, summary
    console = _console()
    t0 = time.perf_counter()

    def done(g):
        console.print(f"graded {g.workspace}: {_num(g.score)}/{_num(g.max_score)} ({g.status}, "
                      f"{g.seconds:.1f} s)", highlight=False)

    if ns.out is not None and len(ns.dirs) != 1:
        print("xv6py: --out names the results file of one DIR", file=sys.stderr)
        return 2
    grades = grade_many(ns.dirs, ns.lab, jobs=ns.jobs, timeout=ns.timeout, test_timeout=ns.test_timeout,
                        results=ns.results, select=ns.select, on_done=done, out=ns.out)
    if ns.verbose:
        for g in grades:
            for t in g.tests:
                if not t.passed:
                    console.rule(f"{g.workspace}: {t.name} (0/{_num(t.points)})")
                    console.print(t.output, highlight=False, markup=False)
    console.print(summary(grades))
    for g in grades:                # the table has one line of why; here is all of it
        if g.status != "graded" and "\n" in g.message.strip():
            console.rule(f"{g.workspace}: {g.status}")
            console.print(g.message, highlight=False, markup=False)
    console.print(f"{len(grades)} workspace(s) in {time.perf_counter() - t0:.1f} s; results in "
                  f"{ns.out or 'DIR/' + ns.results}", highlight=False)
    return 0 if all(g.status != "error" for g in grades) else 2


def _selfcheck(ns) -> int:
    from .selfcheck import selfcheck, table
    console = _console()
    t0 = time.perf_counter()
    checks = selfcheck(ns.lab_names or None, jobs=ns.jobs)
    console.print(table(checks))
    bad = [c for c in checks if not c.ok]
    console.print(f"{len(checks) - len(bad)}/{len(checks)} as expected in {time.perf_counter() - t0:.1f} s",
                  highlight=False)
    return 1 if bad else 0


def _release(ns) -> int:
    from .release import leaks, write_release
    from .spec import load_lab
    rel = write_release(load_lab(ns.lab), ns.out,
                        keep={name: "kept with --keep (a lab the students have done)" for name in ns.keep})
    print(f"wrote {ns.out}: the student edition of lab {rel.lab} (its TODOs in {', '.join(rel.todo)})")
    for name, why in rel.kept.items():
        print(f"  keeps the solutions of lab {name}: {why}")
    if rel.left_out:
        print(f"  stubs the other labs: {', '.join(rel.left_out)}")
    if rel.hidden:
        print(f"  leaves out {len(rel.hidden)} hidden test(s): {', '.join(h.name for h in rel.hidden)}")
    found = leaks(rel)
    for line in found:
        print(f"LEAK {line}", file=sys.stderr)
    if found:
        print(f"xv6py: {ns.out} is not fit to hand out: {len(found)} trace(s) of a solution or a "
              "hidden test", file=sys.stderr)
        return 1
    print("  no line of a solution or of a hidden test is in it")
    return 0


def _gradescope(ns) -> int:
    from .gradescope import build_autograder
    from .spec import load_lab
    lab = load_lab(ns.lab)
    names = build_autograder(lab, ns.out)
    print(f"wrote {ns.out}: {', '.join(n for n in names if '/' not in n)} and labs/{ns.lab}/ "
          f"({sum('/' in n for n in names)} files)")
    print(f"upload it as the assignment's autograder; students hand in {', '.join(lab.files)}")
    return 0


def use_workspace(workspace: Path) -> bool:
    """For `xv6py run --workspace DIR`: from now on the kernel has DIR's modules
    (say so on stderr). False, after printing why, if they cannot be used."""
    from .spec import LabError, workspace_lab
    from .substitute import install
    try:
        lab = workspace_lab(workspace)
        finder = install(lab, workspace, limit=lab.test_timeout)
    except LabError as e:
        print(f"xv6py: {e}", file=sys.stderr)
        return False
    for error in finder.errors.values():
        print(f"xv6py: {error}", file=sys.stderr)
    if finder.errors:
        return False
    print(f"[xv6py] kernel with {', '.join(lab.files)} from {workspace}", file=sys.stderr)
    return True
