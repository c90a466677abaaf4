"""The self-check of the labs: do the graders grade?

For each lab, three kinds of workspace are graded together, in parallel:

    reference   the reference files themselves: must score full marks
    starter     what `xv6py lab init` hands students: must score 0, and be
                graded to the end (no crash, no timeout)
    mutants     the reference with one deliberate mistake (labs/NAME/mutants.toml):
                each must lose points, on the test the mutant names, with a
                failure message that names the mistake

and one more check, of what students get:

    release     the lab's student edition (`xv6py lab release`), written to a
                temporary directory: no line of a solution region it stubs, nor
                of a hidden test, may be found in any of its files (release.leaks)

    checks = selfcheck(["shm", "pgtbl"])
    print(all(c.ok for c in checks))
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from .grade import Grade, _num, grade_many
from .spec import Lab, LabError, Mutant, init_workspace, lab_names, load_lab

__all__ = ["Check", "selfcheck", "release_check", "table"]


@dataclass
class Check:
    lab: str
    case: str               # "reference", "starter", the mutant's name, or "release"
    grade: Grade | None     # None for the release, which is searched, not graded
    ok: bool
    why: str                # what was expected, and (if not ok) what happened instead


def _workspaces(lab: Lab, root: Path) -> list[tuple[str, Path, Mutant | None]]:
    """Write the reference, starter and mutant workspaces of lab under root."""
    out = []
    init_workspace(lab, root / "reference", reference=True)
    out.append(("reference", root / "reference", None))
    init_workspace(lab, root / "starter")
    out.append(("starter", root / "starter", None))
    for m in lab.mutants:
        ws = root / f"mutant-{m.name}"
        init_workspace(lab, ws, reference=True)
        (ws / m.file).write_text(m.apply(lab.reference(m.file)))
        out.append((m.name, ws, m))
    return out


def _judge(case: str, g: Grade, m: Mutant | None) -> tuple[bool, str]:
    failed = [t for t in g.tests if not t.passed]
    if g.status != "graded":
        return False, f"{g.status}: {g.message}"
    if not g.tests:
        return False, "no tests were run"
    if case == "reference":
        if failed:
            first = failed[0]
            return False, f"failed {', '.join(t.name for t in failed)}: {first.output[:300]}"
        return True, "full marks"
    if case == "starter":
        passed = [t.name for t in g.tests if t.passed]
        return (not passed), "0 points" if not passed else f"passed {', '.join(passed)}"
    t = next((t for t in g.tests if t.name == m.test), None)
    if t is None:
        return False, f"the grader has no test {m.test}"
    if t.passed:
        return False, f"{m.test} passed: the mistake ({m.mistake}) went unnoticed"
    if m.message.lower() not in t.output.lower():
        return False, f"{m.test} failed without naming the mistake ({m.message!r} not in its " \
                      f"message): {t.output[:300]}"
    return True, f"{m.test} failed: {_headline(t.output, m.message)}"


def _headline(output: str, key: str) -> str:
    """The line of a failure's output that names the mistake."""
    for line in output.splitlines():
        if key.lower() in line.lower():
            return line.strip().removeprefix("E").strip().removeprefix("Failed:").strip()
    return output.splitlines()[0] if output else ""


def selfcheck(labs: list[str] | None = None, *, jobs: int | None = None, on_done=None) -> list[Check]:
    """Grade every lab's reference, starter and mutants (all in one parallel
    batch) and judge each grade. on_done(grade) is called as each ends."""
    specs = [load_lab(name) for name in (labs or lab_names())]
    with tempfile.TemporaryDirectory(prefix="xv6py-selfcheck-") as tmp:
        cases = [(lab, case, ws, m) for lab in specs
                 for case, ws, m in _workspaces(lab, Path(tmp) / lab.name)]
        grades = grade_many([ws for _, _, ws, _ in cases], jobs=jobs, results=None, on_done=on_done)
    checks = []
    for (lab, case, _, m), g in zip(cases, grades, strict=True):
        ok, why = _judge(case, g, m)
        checks.append(Check(lab.name, case, g, ok, why))
    return checks + [release_check(lab) for lab in specs]


def release_check(lab: Lab) -> Check:
    """Write the lab's student edition and search it for solutions and hidden tests."""
    from .release import leaks, write_release
    with tempfile.TemporaryDirectory(prefix="xv6py-release-") as tmp:
        try:
            rel = write_release(lab, Path(tmp) / lab.name)
            found = leaks(rel)
        except LabError as e:
            return Check(lab.name, "release", None, False, f"could not be written: {e}")
    if found:
        return Check(lab.name, "release", None, False,
                     f"{len(found)} trace(s) of a solution or a hidden test: " + "; ".join(found[:3]))
    kept = f"; keeps {', '.join(rel.kept)}" if rel.kept else ""
    return Check(lab.name, "release", None, True,
                 f"no line of a solution or a hidden test in it ({len(rel.hidden)} hidden test(s) "
                 f"left out{kept})")


def table(checks: list[Check]) -> "Table":  # noqa: F821 -- rich's, imported when used
    from rich.table import Table
    t = Table(title="xv6py lab selfcheck")
    for col in ("lab", "workspace", "score", "ok", "what happened"):
        t.add_column(col, justify="right" if col == "score" else "left", overflow="fold")
    for c in checks:
        score = f"{_num(c.grade.score)}/{_num(c.grade.max_score)}" if c.grade is not None else "-"
        t.add_row(c.lab, c.case, score, "yes" if c.ok else "NO", c.why)
    return t
