"""Crash consistency: the machine stopped in the middle of file-creating work
(userprogs/fscrash.c), at many instruction counts -- just before and just after
a sample of the disk writes the work makes -- then booted again from the disk
it left. The boot's log recovery must leave a disk that fsck finds clean, and
every system call's changes must be there entirely or not at all: the work is
one process making calls in order, so what the disk shows must be a prefix of
those calls, each whole.
"""

import pytest

from xv6py import trap as T
from xv6py import vtime
from xv6py.dev import ide
from xv6py.fs.buf import B_DIRTY
from xv6py.fsck import fsck
from xv6py.fsimage import Image
from xv6py.machine import Machine
from xv6py.proc import scheduler as S

POINTS = 40             # crash points per work (each twice: before and after a write)
PATTERN = bytes(ord("a") + i % 26 for i in range(20000))


def write_times(work: str, monkeypatch) -> list[int]:
    """The virtual times at which the disk finishes a write, in a whole run of the work."""
    times = []
    real = ide.ideintr

    def spy():
        head = ide.disk.queue[0] if ide.disk.queue else None
        dirty = head is not None and head.flags & B_DIRTY
        real()
        if dirty:
            times.append(vtime.clock.now)

    with monkeypatch.context() as mp:
        mp.setattr(S, "ideintr", spy)
        mp.setattr(T, "ideintr", spy)
        r = Machine().run("fscrash", [work])
    assert r.status == "exit" and r.output == ""
    return times


def crash_points(times: list[int]) -> list[int]:
    """Budgets: just before and just after every k-th write (about POINTS of them)."""
    step = max(1, len(times) // POINTS)
    picked = times[::step] + times[-1:]
    return sorted({t + d for t in picked for d in (-1, 0)})


def crash_and_boot(work: str, budget: int) -> tuple[Image, bool]:
    """Run the work stopped at `budget`; boot again on the disk it left (running
    hello), check the kernel's recovery emptied the log. Returns the disk it
    leaves, and whether the crash left a committed transaction in the log."""
    m = Machine()
    r = m.run("fscrash", [work], max_instructions=budget)
    assert r.status in ("budget", "exit"), r.reason
    crashed = Image(m.disk_image())
    assert fsck(crashed) == [], f"fsck of the crashed disk (log installed), at {budget}"
    m2 = Machine(disk=bytes(crashed.data))
    r2 = m2.run("hello")
    assert r2.status == "exit" and r2.output == "hello, world\n"
    booted = Image(m2.disk_image())
    assert booted.log_header()[0] == 0                      # the kernel's recovery ran
    assert fsck(booted) == [], f"fsck after boot, crash at {budget}"
    return booted, crashed.log_header()[0] > 0


def names(img: Image, path="/") -> dict[str, int]:
    return {n: i for n, i, _, _ in img.listdir(path)}


def check_bigwrite(img: Image) -> None:
    """One write of 20,000 bytes, in transactions of 1,536: "cw" is absent, or holds
    a prefix of whole transactions of the pattern (or all of it)."""
    inum = img.lookup("cw")
    if inum is None:
        return
    data = img.read(inum)
    assert len(data) % 1536 == 0 or len(data) == 20000, len(data)
    assert data == PATTERN[:len(data)]


def check_mix(img: Image) -> None:
    """Round i: create m<i>, write "content <i>", link it as l<i>, unlink m<i-1>.
    With the links of rounds 0..k-1 on the disk, round k-1 has run to its link
    and round k has not: what lies between is all that may be half done."""
    have = names(img)
    m = [have.get(f"m{chr(97 + i)}") for i in range(13)]
    l = [have.get(f"l{chr(97 + i)}") for i in range(13)]
    k = sum(1 for x in l if x is not None)
    assert all(x is not None for x in l[:k]), "links made out of order"
    for i in range(k):
        assert img.read(l[i]) == b"content " + bytes([97 + i])   # written before it was linked
    for i in range(13):
        if m[i] is not None:
            assert k - 2 <= i <= k, f"m{chr(97 + i)} is there, with {k} rounds linked"
            assert img.read(m[i]) in (b"", b"content " + bytes([97 + i]))   # created, then written
            assert l[i] is None or l[i] == m[i]
    if k >= 1:
        assert m[k - 1] is not None or m[k] is not None        # round k unlinks m<k-1> after its create
    if k >= 2 and m[k - 2] is not None:
        assert m[k] is None                                     # round k-1's unlink comes before round k


def check_tree(img: Image) -> None:
    """Three branches t/B, t/B/0, t/B/0/0, a file f holding the path in each."""
    def present(path):
        return img.lookup(path) is not None
    order = [f"t/{b}" + "/0" * d for b in range(3) for d in range(3)]
    made = [p for p in order if present(p)]
    assert made == order[:len(made)], made                    # mkdirs came in order
    for i, path in enumerate(made):
        f = img.lookup(path + "/f")
        if f is not None:
            assert img.read(f) in (b"", path.encode())
            if i + 1 < len(made):
                assert img.read(f) == path.encode()            # finished before the next mkdir
        else:
            assert i == len(made) - 1
    if made:
        assert present("t")


CHECKS = {"bigwrite": check_bigwrite, "mix": check_mix, "tree": check_tree}


@pytest.mark.parametrize("work", sorted(CHECKS))
def test_a_crash_anywhere_leaves_whole_system_calls(work, monkeypatch):
    times = write_times(work, monkeypatch)
    assert len(times) > 20
    seen, pending = set(), 0
    for budget in crash_points(times):
        img, logged = crash_and_boot(work, budget)
        CHECKS[work](img)
        seen.add(bytes(img.data))                              # (not every point changes the disk)
        pending += logged
    assert len(seen) > 10
    assert pending > 5                                          # recovery installed a log, often


def test_the_checks_see_a_torn_write():
    """A disk whose file holds half a transaction (no log): check_bigwrite says so."""
    from xv6py.mkfs import mkfs
    img = Image(mkfs([("cw", PATTERN[:1000])]))
    with pytest.raises(AssertionError):
        check_bigwrite(img)
