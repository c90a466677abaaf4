"""POSIX programs (userprogs/posix/): the C library (libc/) -- stdio, exit status
from main, wait, errno -- and the same source giving the same output on the host."""

from helpers import run
from hostc import host_output

HELLOPX = """\
hello from hellopx with 2 arguments
[   42|42   |00042|+42| 42|ff|0XFF|010|z|abc|        xy|-1234567890123|18446744073709551615|0x1234|(nil)]
snprintf: 'truncat' 6
child exited 1, status 42
perror: Invalid argument
No such file or directory
"""


def test_hellopx(machine):
    r = run(machine, "hellopx", ["a", "b"])
    assert r.status == "exit"
    assert r.output == HELLOPX


def test_hellopx_prints_the_same_on_the_host(tmp_path):
    out = host_output("hellopx", ["a", "b"], tmp_path)
    # argv[0] is a path on the host; stderr (perror) is unbuffered there too.
    assert out.replace(str(tmp_path / "hellopx"), "hellopx") == HELLOPX
