"""Sessions at xv6's shell (`xv6py boot`): init, sh and the utilities on the
default disk, the console's line discipline, the end of the input, and the
host terminal's mode around a session (under a pseudo-terminal)."""

import os
import pty
import select
import subprocess
import sys
import termios
import time

import pytest

from xv6py.machine import Machine


def session(typed: bytes | str, **kw):
    """Boot, type the input, run to its end; the result (output: the transcript)."""
    m = Machine(session=True, stdin=typed, **kw)
    r = m.session_run()
    assert r.free_frames_after == r.free_frames_before, r.summary()
    return r


def test_boot_lines_and_prompt_then_input_ends():
    r = session(b"")
    assert r.output == "init: starting sh\n$ "
    assert (r.status, r.reason) == ("input ended", "console input ended")


def test_ls_lists_the_programs_and_the_readme():
    out = session("ls\n").output
    assert out.startswith("init: starting sh\n$ ls\n.              1 1 ")
    for name in ("README", "sh", "init", "usertests", "grep", "wc", "console"):
        assert f"\n{name} " in out
    assert out.endswith("$ ")


def test_cat_readme_into_wc_counts_the_readme():
    readme = Machine().read_file("README")
    out = session("cat README | wc\n").output
    lines, words = readme.count(b"\n"), len(readme.split())
    assert f"$ cat README | wc\n{lines} {words} {len(readme)} \n$ " in out


def test_redirection_and_a_list():
    out = session("echo hi > f; cat f\ncat < f\n").output
    assert "$ echo hi > f; cat f\nhi\n$ cat < f\nhi\n$ " in out


def test_cd_in_a_list_changes_the_shells_directory():
    out = session("mkdir d; cd d; ls ..\nls\ncd ..\n").output
    listing = out.split("$ mkdir d; cd d; ls ..\n")[1].split("$ ls\n")
    assert "\nd              1 " in listing[0] and "\nREADME " in listing[0]
    assert listing[1].startswith(".              1 ") and "README" not in listing[1]


def test_a_pipeline_of_three_programs():
    out = session("cat README | grep disk | wc\n").output
    readme = Machine().read_file("README").decode()
    lines = [ln for ln in readme.splitlines(keepends=True) if "disk" in ln]
    text = "".join(lines)
    assert f"\n{len(lines)} {len(text.split())} {len(text)} \n$ " in out


def test_parentheses_group_and_redirect():
    out = session("(echo a; echo b) > g; cat g\n").output
    assert "a\nb\n$ " in out


def test_a_background_job_is_reaped_by_init():
    out = session("echo bg &\nzombie\n").output
    assert "$ echo bg &\n" in out and "bg\n" in out
    assert out.count("zombie!\n") == 2      # the job's process, and zombie's child


def test_a_missing_program():
    out = session("nosuch\n").output
    assert "$ nosuch\nexec: fail\nexec nosuch failed\n$ " in out


def test_backspace_and_kill_line_edit_what_is_typed():
    out = session(b"garbage\x15echo hx\x7fi\n").output
    assert "$ garbage" + "\b \b" * 7 + "echo hx\b \bi\nhi\n$ " in out


def test_ctrl_d_at_an_empty_prompt_ends_sh_and_init_starts_another():
    out = session(b"\x04echo again\n").output
    assert out == "init: starting sh\n$ init: starting sh\n$ echo again\nagain\n$ "


def test_ctrl_p_lists_the_processes():
    out = session(b"\x10\n").output
    assert "\n1 sleep init on wait(1)\n2 " in out and " sh" in out


def test_killing_init_panics():
    r = Machine(session=True, stdin=b"kill 1\n").session_run()
    assert (r.status, r.reason) == ("panic", "panic: init exiting")


def test_usertests_pass_from_the_prompt():
    r = session("usertests\n")
    assert "ALL TESTS PASSED\n$ " in r.output and "FAILED" not in r.output


def test_usertests_run_as_a_program():
    r = Machine().run("usertests")
    assert r.ok and r.output.endswith("ALL TESTS PASSED\n"), r.output[-500:]


def test_run_keeps_its_init():
    r = Machine().run("echo", ["x"])
    assert r.ok and r.output == "x\n"


# ---- the command, through a pipe and under a pseudo-terminal ---------------------------------

XV6PY = [sys.executable, "-m", "xv6py"]


def test_piped_session_ends_by_itself_with_all_tests_passed():
    p = subprocess.run(XV6PY + ["boot"], input=b"ls\nusertests\n", capture_output=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(b"init: starting sh\n$ ls\n")
    assert b"ALL TESTS PASSED\n$ " in p.stdout
    assert b"console input ended" in p.stderr


def test_script_and_plain_xv6py(tmp_path):
    script = tmp_path / "s"
    script.write_text("echo from a script\n")
    p = subprocess.run(XV6PY + ["boot", "--script", str(script)], capture_output=True, timeout=60)
    assert b"$ echo from a script\nfrom a script\n$ " in p.stdout
    p = subprocess.run(XV6PY, input=b"echo plain\n", capture_output=True, timeout=60)
    assert p.returncode == 0 and b"$ echo plain\nplain\n$ " in p.stdout


def _pty_session(keys: list[bytes], *, interrupt: bool = False) -> tuple[bytes, int, list, list]:
    """Run `xv6py boot` on a pseudo-terminal, typing each of keys after the next
    prompt, then ending it: ^C, or `kill 1` (a panic); returns the transcript,
    the exit status, and the terminal's mode before and after."""
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    p = subprocess.Popen(XV6PY + ["boot"], stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    out = b""

    def until(text: bytes, timeout=60.0) -> None:
        nonlocal out
        end = time.monotonic() + timeout
        while text not in out and time.monotonic() < end:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
        assert text in out, out

    until(b"$ ")
    for k in keys:
        mark = out.count(b"$ ")
        os.write(master, k)
        if k.endswith(b"\n") or k == b"\x04":
            end = time.monotonic() + 60
            while out.count(b"$ ") <= mark and time.monotonic() < end:
                if select.select([master], [], [], 0.1)[0]:
                    out += os.read(master, 4096)
    if interrupt:
        os.kill(p.pid, 2)
    else:
        os.write(master, b"kill 1\n")
        until(b"panic: init exiting")
    p.wait(timeout=60)
    after = termios.tcgetattr(slave)
    os.close(slave)
    os.close(master)
    return out, p.returncode, before, after


def test_a_terminal_session_echoes_and_edits_and_restores_the_mode():
    out, rc, before, after = _pty_session([b"ls\n", b"xx\x7f\x7fecho hi > f; cat f\n",
                                           b"junk\x15echo ok\n", b"\x10", b"\n"])
    assert after == before
    text = out.replace(b"\r\n", b"\n")
    assert b"$ ls\n" in text and b"\nREADME " in text
    assert b"$ xx\b \b\b \becho hi > f; cat f\nhi\n" in text
    assert b"junk\b \b\b \b\b \b\b \becho ok\nok\n" in text
    assert b"1 sleep init on wait(1)" in text
    assert rc == 1          # (the panic)


def test_ctrl_c_of_the_host_restores_the_terminal():
    out, rc, before, after = _pty_session([b"echo x\n"], interrupt=True)
    assert after == before
    assert rc == 130


def test_a_students_own_program_builds_anywhere_and_runs_at_the_prompt(tmp_path):
    from xv6py.build import find_compiler
    if find_compiler() is None:
        pytest.skip("no compiler for i386")
    src = tmp_path / "mine.c"
    src.write_text('#include "types.h"\n#include "user.h"\n\nint\nmain(void)\n{\n'
                   '  printf(1, "mine says hi\\n");\n  exit();\n}\n')
    p = subprocess.run(XV6PY + ["build", str(src)], capture_output=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "mine").is_file()
    p = subprocess.run(XV6PY + ["build", str(src), "-o", str(tmp_path / "other")], capture_output=True,
                       timeout=120)
    assert p.returncode == 0 and (tmp_path / "other").is_file(), p.stderr
    p = subprocess.run(XV6PY + ["boot", "--file", str(tmp_path / "mine")], input=b"mine\n",
                       capture_output=True, timeout=60)
    assert b"$ mine\nmine says hi\n$ " in p.stdout, p.stdout


def test_keys_typed_while_a_program_runs_are_seen_at_once():
    """^P while a job runs in the background: answered at a timer tick, not when
    the machine next waits for input."""
    out, rc, before, after = _pty_session([b"regloop 2000000000 &\n", b"\x10"])
    assert after == before
    text = out.replace(b"\r\n", b"\n")
    assert b" regloop eip 0x" in text, text
