"""`xv6py lab gradescope LAB OUT.zip`: an autograder for Gradescope.

    build_autograder(load_lab("shm"), Path("shm-autograder.zip"))

Gradescope unpacks the zip into /autograder/source, runs setup.sh once to build
the image, and then run_autograder for each submission (the student's files in
/autograder/submission), reading /autograder/results/results.json. The zip holds

    setup.sh            as root, once: a Python 3.11 or later (the image's, else apt's),
                        a virtual environment /autograder/xv6py-venv, and in it xv6py
                        from the wheel below with its dependencies from PyPI, pinned by
                        constraints.txt; then it boots a machine to prove the image works
    run_autograder      for each submission: `xv6py lab grade` of /autograder/submission
                        into /autograder/results/results.json (one results writer, the
                        same file as `lab grade` writes anywhere: visibility, each test's
                        output, the score, no leaderboard); a results file saying so if
                        grading itself failed
    xv6py-V-py3-none-any.whl    this install of xv6py, the instructor's edition
    constraints.txt     the version of each dependency installed here
    labs/LAB/           the lab's lab.toml, handout and grader, hidden tests included
    README.md           what this is, how to upload it, what students hand in

Both scripts take the root from XV6PY_AUTOGRADER_ROOT (default /autograder), so
that a test lays out a Gradescope root in a temporary directory and runs them.

Grading goes through `xv6py lab grade`, so whatever protects a grade there
(processes, limits, the sandbox) protects it on Gradescope. setup.sh makes
/autograder/source and the installed labs readable by root only.
"""

import base64
import hashlib
import importlib.metadata
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .release import source_tree, tree_files
from .spec import Lab, LabError

__all__ = ["build_autograder", "build_wheel", "pins"]


def build_autograder(lab: Lab, out: Path) -> list[str]:
    """Write the autograder zip of lab to out. Returns the names it holds."""
    if out.suffix != ".zip":
        raise LabError(f"{out}: an autograder is a .zip file")
    with tempfile.TemporaryDirectory(prefix="xv6py-gradescope-") as tmp:
        wheel = build_wheel(Path(tmp))
        entries = {wheel.name: wheel.read_bytes(),
                   "constraints.txt": ("".join(f"{p}\n" for p in pins())).encode(),
                   "setup.sh": SETUP_SH.encode(),
                   "run_autograder": RUN_AUTOGRADER.format(lab=lab.name, files=" ".join(lab.files)).encode(),
                   "README.md": _readme(lab, wheel.name).encode()}
        for rp in tree_files(lab.dir):
            if rp.name != "mutants.toml":
                entries[f"labs/{lab.name}/{rp.as_posix()}"] = (lab.dir / rp).read_bytes()
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in entries.items():
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                executable = name in ("setup.sh", "run_autograder")
                info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
    return list(entries)


# ---- xv6py itself, as a wheel ------------------------------------------------------------------

def build_wheel(out_dir: Path) -> Path:
    """A wheel of this xv6py in out_dir: built by pip from the source tree when
    there is one (a copy of it, so that the build leaves nothing behind), else
    repacked from the files this install holds (the RECORD of its wheel)."""
    try:
        root = source_tree()
    except LabError:
        return _repack(out_dir)
    with tempfile.TemporaryDirectory(prefix="xv6py-wheel-") as tmp:
        copy = Path(tmp) / "xv6py-src"
        for top in ("xv6py", "userprogs", "labs"):
            for rp in tree_files(root / top):
                dst = copy / top / rp
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / top / rp, dst)
        for name in ("pyproject.toml", "README.md"):
            shutil.copyfile(root / name, copy / name)
        built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                                str(out_dir), str(copy)], capture_output=True, text=True)
    wheels = sorted(out_dir.glob("xv6py-*.whl"))
    if built.returncode != 0 or not wheels:
        raise LabError(f"pip could not build a wheel of xv6py:\n{built.stderr.strip()}")
    return wheels[0]


def _repack(out_dir: Path) -> Path:
    """The wheel this xv6py was installed from, put together again from its files."""
    dist = importlib.metadata.distribution("xv6py")
    info = f"xv6py-{dist.version}.dist-info"
    wheel = out_dir / f"xv6py-{dist.version}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(dist.files or [], key=str):
            top = f.parts[0]
            if top != "xv6py" and top != info or "__pycache__" in f.parts or f.suffix == ".pyc" \
                    or top == info and f.name in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
                continue            # scripts (pip writes them again), compiled files, install notes
            data = Path(dist.locate_file(f)).read_bytes()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            z.writestr(f.as_posix(), data)
            record.append(f"{f.as_posix()},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


def pins() -> list[str]:
    """name==version of each package xv6py needs, as installed here, its
    dependencies' dependencies included (extras and packages not installed
    left out)."""
    found, todo = {}, list(importlib.metadata.requires("xv6py") or [])
    while todo:
        req = todo.pop()
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
        if m is None or "extra ==" in req.replace('"', "").replace("'", ""):
            continue
        key = re.sub(r"[-_.]+", "-", m[1]).lower()
        if key in found:
            continue
        try:
            dist = importlib.metadata.distribution(m[1])
        except importlib.metadata.PackageNotFoundError:
            continue
        found[key] = f"{dist.metadata['Name']}=={dist.version}"
        todo += dist.requires or []
    return sorted(found.values(), key=str.lower)


# ---- the scripts --------------------------------------------------------------------------------

SETUP_SH = r'''#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: a
# Python 3.11 or later, a virtual environment, xv6py and its pinned dependencies.
# XV6PY_AUTOGRADER_ROOT stands for /autograder (a test lays a root out elsewhere);
# XV6PY_PYTHON names the Python to use.
set -euo pipefail
ROOT="${XV6PY_AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"
VENV="$ROOT/xv6py-venv"

usable() {
    command -v "$1" >/dev/null 2>&1 &&
        "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}
python=""
for candidate in ${XV6PY_PYTHON:-} python3.13 python3.12 python3.11 python3; do
    if usable "$candidate"; then python="$candidate"; break; fi
done
if [ -z "$python" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    for v in 3.12 3.11; do
        if apt-get install -y -q "python$v" "python$v-venv"; then python="python$v"; break; fi
    done
    if [ -z "$python" ]; then echo "setup.sh: no Python 3.11 or later could be installed" >&2; exit 1; fi
fi
echo "setup.sh: $("$python" --version) at $(command -v "$python")"

"$python" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --constraint "$SRC/constraints.txt" "$SRC"/xv6py-*.whl
"$VENV/bin/xv6py" run hello            # the image boots a machine, or setup fails here

# The grader's tests (hidden ones too) are root's: the labs in source/ and the
# copies the wheel installed.
chmod -R go-rwx "$SRC"
for labs in "$VENV"/lib/python3*/site-packages/xv6py/labs; do chmod -R go-rwx "$labs"; done
echo "setup.sh: xv6py is installed in $VENV"
'''

RUN_AUTOGRADER = r'''#!/usr/bin/env bash
# Gradescope runs this for each submission, as root: it grades the student's
# {files} in /autograder/submission (at its top, or in one folder below it) with
# `xv6py lab grade`, into /autograder/results/results.json.
# XV6PY_AUTOGRADER_ROOT stands for /autograder (a test lays a root out elsewhere).
set -uo pipefail
ROOT="${{XV6PY_AUTOGRADER_ROOT:-/autograder}}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
"$ROOT/xv6py-venv/bin/xv6py" lab grade --lab {lab} --labs "$ROOT/source/labs" --out "$RESULTS" \
    --jobs 1 "$ROOT/submission"
status=$?
if [ ! -s "$RESULTS" ]; then
    # Grading itself failed (the log is the autograder's stdout): tell the student, score nothing.
    printf '{{"score": 0, "output": "The autograder could not grade this submission (status %s): '\
'please tell your instructor.", "tests": []}}\n' "$status" > "$RESULTS"
fi
exit 0
'''


def _readme(lab: Lab, wheel: str) -> str:
    files = ", ".join(f"`{f}`" for f in lab.files)
    return f"""# Gradescope autograder: {lab.title} (`{lab.name}`)

Written by `xv6py lab gradescope {lab.name} ...`. Upload this zip as the
autograder of a Gradescope programming assignment (base image: Ubuntu 22.04 or
later; setup.sh installs Python 3.11 when the image has none). Students hand in
{files}: the file(s) alone, or the folder that holds them.

- `setup.sh` installs `{wheel}` (xv6py, with every lab's reference: it
  never reaches students) and its dependencies from PyPI, pinned by
  `constraints.txt`, in /autograder/xv6py-venv.
- `run_autograder` grades each submission with `xv6py lab grade`, using the
  grader in `labs/{lab.name}/`, hidden tests included. Each test's visibility
  is its points marker's; a test that did not pass is "failed" on Gradescope,
  its own outcome (failed, error, skipped, not run) in its output and extra_data.

To try it without Gradescope: unpack it into ROOT/source, put a submission in
ROOT/submission, then

    XV6PY_AUTOGRADER_ROOT=ROOT bash ROOT/source/setup.sh
    XV6PY_AUTOGRADER_ROOT=ROOT bash ROOT/source/run_autograder
    cat ROOT/results/results.json
"""
