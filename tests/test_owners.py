"""Owners (uid, gid, euid, egid), exit statuses (exit_status, waitpid) and the
numbered-error convention of the calls after xv6's: the kernel's side through
kcall.Syscaller, and the user library's (errno, perror, strerror) through
userprogs/uidtest."""

from helpers import run

from xv6py.errno import ECHILD, EFAULT, EINVAL, EPERM, errname
from xv6py.proc import proc as P
from xv6py.testing.kcall import Syscaller


def test_uidtest(machine):
    r = run(machine, "uidtest")
    assert r.status == "exit"
    assert "WRONG" not in r.output
    assert r.output.endswith("uidtest: all cases as expected\n")
    assert "uidtest: setuid(0): Operation not permitted\n" in r.output
    assert "uidtest: strerror(9999) = Unknown error 9999\n" in r.output


def test_init_and_its_children_are_root(machine):
    h = Syscaller(machine)
    p = h.spawn("hello")
    assert [h.call(p, n) for n in ("getuid", "geteuid", "getgid", "getegid")] == [0, 0, 0, 0]


def test_setuid_rules_and_inheritance(machine):
    h = Syscaller(machine)
    p = h.spawn("hello")
    assert h.call(p, "setuid", -1) == -EINVAL
    assert h.call(p, "setgid", 0x80000000) == -EINVAL
    assert h.call(p, "setgid", 50) == 0
    assert h.call(p, "setuid", 1000) == 0
    assert (p.uid, p.euid, p.gid, p.egid) == (1000, 1000, 50, 50)
    child = h.fork(p)
    assert (child.uid, child.euid, child.gid, child.egid) == (1000, 1000, 50, 50)
    assert h.call(child, "setuid", 0) == -EPERM
    assert h.call(child, "setuid", 1001) == -EPERM
    assert h.call(child, "setgid", 51) == -EPERM
    assert h.call(child, "setuid", 1000) == 0       # its own real id: allowed
    assert (child.uid, child.euid) == (1000, 1000)


def test_a_freed_slot_forgets_its_owner(machine):
    h = Syscaller(machine)
    p = h.spawn("hello")
    h.call(p, "setuid", 7)
    h.call(p, "exit")
    h.reap()
    assert all((q.uid, q.euid, q.gid, q.egid, q.xstate) == (0, 0, 0, 0, 0)
               for q in P.ptable.proc if q.state is P.UNUSED)


def test_waitpid_statuses(machine):
    h = Syscaller(machine)
    p = h.spawn("hello")
    a, b = h.fork(p), h.fork(p)
    apid, bpid = a.pid, b.pid
    h.call(a, "exit_status", 0x1234)        # only the low 8 bits
    status = (p.tf.esp - 64) & ~3           # a word of p's stack, below what calls use
    assert h.call(p, "waitpid", apid, status, 0) == apid
    assert h.peek(p, status, 4) == (0x34 << 8).to_bytes(4, "little")
    with machine.entered():
        P.kill(bpid)
    assert h.call(b, "getpid") is None      # a killed process exits at its next trap
    assert h.call(p, "waitpid", -1, status, 0) == bpid
    assert h.peek(p, status, 4) == P.SIGKILL.to_bytes(4, "little")
    assert h.call(p, "waitpid", -1, 0, 0) == -ECHILD


def test_waitpid_with_a_bad_pointer_reaps_nothing(machine):
    h = Syscaller(machine)
    p = h.spawn("hello")
    c = h.fork(p)
    cpid = c.pid
    h.call(c, "exit_status", 1)
    assert h.call(p, "waitpid", -1, 0x7FFFF000, 0) == -EFAULT
    assert c.state is P.ZOMBIE
    assert h.call(p, "waitpid", -1, 0, P.WNOHANG | 2) == -EINVAL
    assert h.call(p, "waitpid", -1, 0, P.WNOHANG) == cpid


def test_waitpid_sleeps_until_the_child_exits(machine):
    h = Syscaller(machine)
    p = h.spawn("hello")
    c = h.fork(p)
    assert h.call(p, "waitpid", c.pid, 0, P.WNOHANG) == 0
    assert h.call(p, "waitpid", c.pid, 0, 0) is None        # asleep in the call
    assert p.state is P.SLEEPING


def test_errno_names():
    assert errname(22) == "EINVAL" and errname(43) == "EIDRM" and errname(999) == "E?999"
