"""A property-based test of shared memory: random sequences of create, attach,
detach, destroy, fork, exit, kill, sbrk and stores through segments, made as
real system calls (kcall.Syscaller), checked after every step against a small
model of what the kernel must hold: which segments exist, their reference
counts, which process maps which segment where, and that every mapped page is
the segment's frame. When everything has exited and every segment is
destroyed, the free-frame count must be back where it was at boot."""

from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from xv6py.machine import Machine
from xv6py.memlayout import KERNBASE
from xv6py.mm import pgdir as V
from xv6py.mmu import PGSIZE, PTE_ADDR, PTE_P, PTE_U, PTE_W
from xv6py.param import SHM_MAX, SHM_N
from xv6py.testing.kcall import Syscaller

SIZES = [-1, 0, 1, PGSIZE, PGSIZE + 1, 3 * PGSIZE, SHM_MAX * PGSIZE, SHM_MAX * PGSIZE + 1]
# Where to attach: some right above a small process (sbrk can run into them),
# overlapping pairs, the top of user space, and bad ones.
GOOD = [0x6000, 0x8000, 0x10000000, 0x10003000, 0x20000000, KERNBASE - SHM_MAX * PGSIZE]
ADDRS = GOOD * 3 + [0x10001000, KERNBASE - PGSIZE, 0x10000010, 0, PGSIZE]
MAXPROCS = 6


@dataclass
class ModelProc:
    p: object                                  # the kernel's Proc
    sz: int                                    # its size (exec's, then sbrk's)
    base: int                                  # size after exec: never shrink below
    attached: dict = field(default_factory=dict)   # segment id -> address


def overlaps(lo, hi, ranges):
    return any(a < hi and lo < b for a, b in ranges)


class ShmModel(RuleBasedStateMachine):
    @initialize()
    def boot(self):
        self.m = Machine()
        self.h = Syscaller(self.m)
        self.boot_frames = self.m.free_frames
        self.segs: dict[int, dict] = {}         # id -> {"pages", "frames"}
        self.procs = [self._spawn()]
        # Start with one segment attached, so that sharing begins at the first step.
        self.create(0, 2 * PGSIZE)
        self.attach(0, 0, 0x10000000)

    def _spawn(self):
        p = self.h.spawn()
        return ModelProc(p, p.sz, p.sz)

    def _proc(self, i):
        return self.procs[i % len(self.procs)]

    def _id(self, pick):
        """Mostly a segment that exists; sometimes any id from -3 to SHM_N+1."""
        if pick < 16 and self.segs:
            return sorted(self.segs)[pick % len(self.segs)]
        return pick - 19

    def refcount(self, id):
        return sum(id in mp.attached for mp in self.procs)

    # ---- operations -------------------------------------------------------------------------

    @rule(i=st.integers(0, 7), size=st.sampled_from(SIZES))
    def create(self, i, size):
        r = self.h.call(self._proc(i).p, "shm_create", size)
        free = [id for id in range(SHM_N) if id not in self.segs]
        if 0 < size <= SHM_MAX * PGSIZE and free:
            assert r == free[0]
            entry = next(s for s in self.m.shm_segments() if s["id"] == r)
            self.segs[r] = {"pages": -(-size // PGSIZE), "frames": entry["frames"]}
        else:
            assert r == -1

    @rule(i=st.integers(0, 7), pick=st.integers(0, 36), addr=st.sampled_from(ADDRS))
    def attach(self, i, pick, addr):
        mp, id = self._proc(i), self._id(pick)
        r = self.h.call(mp.p, "shm_attach", id, addr)
        seg = self.segs.get(id)
        ok = (seg is not None and addr % PGSIZE == 0 and addr > 0 and id not in mp.attached
              and addr + seg["pages"] * PGSIZE <= KERNBASE
              and not overlaps(addr, addr + seg["pages"] * PGSIZE, self._ranges(mp)))
        assert r == (0 if ok else -1), (id, hex(addr), r)
        if ok:
            mp.attached[id] = addr

    def _ranges(self, mp):
        return [(0, mp.sz)] + [(a, a + self.segs[s]["pages"] * PGSIZE) for s, a in mp.attached.items()]

    @rule(i=st.integers(0, 7), pick=st.integers(0, 36))
    def detach(self, i, pick):
        mp, id = self._proc(i), self._id(pick)
        r = self.h.call(mp.p, "shm_detach", id)
        assert r == (0 if id in mp.attached else -1)
        mp.attached.pop(id, None)

    @rule(i=st.integers(0, 7), pick=st.integers(0, 36), now=st.integers(0, 3))
    def destroy(self, i, pick, now):
        if now:
            return                      # be picked a quarter as often as the others
        id = self._id(pick)
        r = self.h.call(self._proc(i).p, "shm_destroy", id)
        ok = id in self.segs and self.refcount(id) == 0
        assert r == (0 if ok else -1)
        if ok:
            del self.segs[id]

    @rule(i=st.integers(0, 7))
    def fork(self, i):
        if len(self.procs) >= MAXPROCS:
            return
        mp = self._proc(i)
        child = self.h.fork(mp.p)
        self.procs.append(ModelProc(child, mp.sz, mp.base, dict(mp.attached)))

    @rule(i=st.integers(0, 7))
    def exit(self, i):
        mp = self._proc(i)
        assert self.h.call(mp.p, "exit") is None
        self.procs.remove(mp)
        if not self.procs:
            self.procs.append(self._spawn())

    @rule(i=st.integers(0, 7), j=st.integers(0, 7))
    def kill(self, i, j):
        killer, victim = self._proc(i), self._proc(j)
        r = self.h.call(killer.p, "kill", victim.p.pid)
        if killer is victim:
            assert r is None                                  # exits at the end of its own call
        else:
            assert r == 0
            assert self.h.call(victim.p, "getpid") is None    # dies on its way back to user
        self.procs.remove(victim)
        if not self.procs:
            self.procs.append(self._spawn())

    @rule(i=st.integers(0, 7), n=st.sampled_from([PGSIZE, 3 * PGSIZE, 6 * PGSIZE, -PGSIZE]))
    def sbrk(self, i, n):
        mp = self._proc(i)
        if mp.sz + n < mp.base:
            return                               # the harness needs the stack page
        r = self.h.call(mp.p, "sbrk", n)
        ok = mp.sz + n < KERNBASE and not (n > 0 and overlaps(
            mp.sz, mp.sz + n, [(a, a + self.segs[s]["pages"] * PGSIZE) for s, a in mp.attached.items()]))
        assert r == (mp.sz if ok else -1), (hex(mp.sz), n, r)
        if ok:
            mp.sz += n

    @rule(i=st.integers(0, 7), value=st.binary(min_size=4, max_size=4))
    def store(self, i, value):
        """A store through one process's mapping is seen through every other's."""
        mp = self._proc(i)
        if not mp.attached:
            return
        id, addr = sorted(mp.attached.items())[0]
        assert self.h.poke(mp.p, addr + 8, value)
        for other in self.procs:
            if id in other.attached:
                assert self.h.peek(other.p, other.attached[id] + 8, 4) == value

    # ---- what must always hold ------------------------------------------------------------

    @invariant()
    def table_matches_model(self):
        if not hasattr(self, "m"):
            return
        got = {s["id"]: (s["pages"], s["refcount"], sorted(s["attached"]), s["frames"])
               for s in self.m.shm_segments()}
        want = {id: (seg["pages"], self.refcount(id),
                     sorted((mp.p.pid, mp.attached[id]) for mp in self.procs if id in mp.attached),
                     seg["frames"])
                for id, seg in self.segs.items()}
        assert got == want

    @invariant()
    def page_tables_map_the_frames(self):
        if not hasattr(self, "m"):
            return
        for mp in self.procs:
            assert mp.p.sz == mp.sz
            for id, addr in mp.attached.items():
                for k, pa in enumerate(self.segs[id]["frames"]):
                    e = V.walkpgdir(mp.p.pgdir, addr + k * PGSIZE, False)
                    pte = V.x86.read32(e)
                    assert PTE_ADDR(pte) == pa and pte & 7 == PTE_P | PTE_W | PTE_U
            mapped = self._ranges(mp)
            for addr in set(ADDRS):
                if addr % PGSIZE == 0 and not overlaps(addr, addr + 1, mapped):
                    e = V.walkpgdir(mp.p.pgdir, addr, False)
                    assert e is None or not V.x86.read32(e) & PTE_P

    def teardown(self):
        if not hasattr(self, "m"):
            return
        for mp in list(self.procs):
            self.h.call(mp.p, "exit")
        survivor = self._spawn()
        for id in list(self.segs):
            assert self.h.call(survivor.p, "shm_destroy", id) == 0
        self.m._teardown()
        assert self.m.free_frames == self.boot_frames


ShmModel.TestCase.settings = settings(max_examples=200, stateful_step_count=40, derandomize=True,
                                      database=None, deadline=None,
                                      suppress_health_check=[HealthCheck.too_slow])
TestShmModel = ShmModel.TestCase
