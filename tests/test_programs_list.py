"""Tests of xv6py/programs.py, the list of user programs: finding them needs no
compiler driver. (tests/test_programs.py runs the programs themselves.)"""

import subprocess
import sys

from xv6py import build, programs


def test_importing_programs_does_not_import_the_build():
    # In a fresh interpreter: this one has imported xv6py.build long ago.
    code = "import sys, xv6py.programs; assert 'xv6py.build' not in sys.modules, 'xv6py.build imported'"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_build_reexports_the_program_list():
    # `xv6py build` and older imports keep working: the same objects, not copies.
    assert build.program_names is programs.program_names
    assert build.program_path is programs.program_path
    assert build.SRCDIR == programs.SRCDIR and build.BINDIR == programs.BINDIR
    assert {"program_names", "program_path", "SRCDIR", "BINDIR"} <= set(build.__all__)


def test_program_names_falls_back_to_the_manifest(tmp_path):
    # An install without the C sources still lists the programs it has built.
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / programs.MANIFEST).write_text('{"programs": {"hello": {}, "echo": {}}}')
    assert programs.program_names(tmp_path) == ["echo", "hello"]
    assert programs.load_manifest(tmp_path / "nowhere") == {}
