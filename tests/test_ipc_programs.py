"""The System V IPC user programs: ipcs, ipcrm (through ipcdemo), philosophers,
prodcons, shmsum, and ipclayout (the C structures against the kernel's). Each
must end by itself, leave no frame and no IPC object behind, and give the same
results under every scheduling seed."""

import re

import pytest
from helpers import run

from xv6py.ipc import msg as Q
from xv6py.ipc import sem as M
from xv6py.ipc import shm as S
from xv6py.ipc.ipc import IpcPerm
from xv6py.machine import Machine

SEEDS = [None, 1, 2, 3, 7, 11]


def clean_run(m, prog, args=()):
    """Run prog; check it exited, leaked no frame and left no IPC object."""
    r = run(m, prog, args)
    assert r.status == "exit", r.reason
    assert m.ipc_objects() == {"shm": [], "sem": [], "msg": []}
    return r


IPCDEMO = """\
ipcdemo: segment 0 attached at 0x7fffd000, semaphore set 0, queue 0
$ ipcs
------ Message Queues --------
key        msqid      owner  perms  used-bytes messages lspid lrpid
0x00000000 0          0      600    12         2        2     0

------ Shared Memory Segments --------
key        shmid      owner  perms  bytes      nattch status     cpid  lpid
0x00001234 0          0      640    10000      1                 2     3

------ Semaphore Arrays --------
key        semid      owner  perms  nsems
0x00005678 0          0      600    3

$ ipcrm -M 0x1234
ipcdemo: the segment is still attached here, and still holds "shared"
$ ipcs
------ Message Queues --------
key        msqid      owner  perms  used-bytes messages lspid lrpid
0x00000000 0          0      600    12         2        2     0

------ Shared Memory Segments --------
key        shmid      owner  perms  bytes      nattch status     cpid  lpid
0x00000000 0          0      640    10000      1      dest       2     5

------ Semaphore Arrays --------
key        semid      owner  perms  nsems
0x00005678 0          0      600    3

$ ipcrm -a
$ ipcs
------ Message Queues --------
key        msqid      owner  perms  used-bytes messages lspid lrpid

------ Shared Memory Segments --------
key        shmid      owner  perms  bytes      nattch status     cpid  lpid

------ Semaphore Arrays --------
key        semid      owner  perms  nsems

"""


def test_ipcdemo_shows_ipcs_and_ipcrm(machine):
    assert clean_run(machine, "ipcdemo").output == IPCDEMO


def test_ipcs_limits(machine):
    out = clean_run(machine, "ipcs", ["-l"]).output
    assert "max number of segments = 32\n" in out and "max seg size (kbytes) = 4096\n" in out
    assert "max semaphores per array = 64\n" in out and "max ops per semop call = 32\n" in out
    assert "max size of message (bytes) = 8192\n" in out


def test_ipcrm_errors(machine):
    r = run(machine, "ipcrm", ["-m", "5", "-Q", "0x99", "-S", "0", "-q", "x"])
    assert r.output == ("ipcrm: invalid id 5 (shared memory): Invalid argument\n"
                        "ipcrm: invalid key (0x99)\n"
                        "ipcrm: illegal key (0)\n"
                        "ipcrm: not a number: x\n")


def meals(output: str) -> dict[int, list[int]]:
    eaten: dict[int, list[int]] = {}
    for who, meal in re.findall(r"philosopher (\d+) eats meal (\d+)", output):
        eaten.setdefault(int(who), []).append(int(meal))
    return eaten


@pytest.mark.parametrize("seed", SEEDS)
def test_philosophers_never_deadlock(seed):
    m = Machine(seed=seed)
    r = clean_run(m, "philosophers", ["5"])
    assert meals(r.output) == {i: [1, 2, 3] for i in range(5)}
    assert r.output.endswith("all 5 forks are back on the table\n")


@pytest.mark.parametrize("seed", SEEDS)
def test_killing_a_philosopher_mid_meal_leaves_no_fork_taken(seed):
    m = Machine(seed=seed)
    r = clean_run(m, "philosophers", ["5", "2", "kill"])
    eaten = meals(r.output)
    assert eaten[0] == [1] and all(eaten[i] == [1, 2] for i in range(1, 5))
    assert "killed philosopher 0 in the middle of a meal\n" in r.output
    assert r.output.endswith("all 5 forks are back on the table, the dead philosopher's too\n")


@pytest.mark.parametrize("seed", SEEDS)
def test_prodcons(seed):
    r = clean_run(Machine(seed=seed), "prodcons", ["4", "25"])
    assert r.output == ("prodcons: 4 producers sent 100 items; received 100, sum 1300, "
                        "each producer's in order\n"
                        "prodcons: the queue held 32 bytes at most; 0 messages are left in it\n")


@pytest.mark.parametrize("seed", SEEDS)
def test_shmsum(seed):
    r = clean_run(Machine(seed=seed), "shmsum", ["20000", "8"])
    assert r.output == ("shmsum: 8 children forked; the segment (80128 bytes) is attached 9 times\n"
                        "shmsum: sum of 1..20000 = 200010000 (expected 200010000); attachments left: 1\n")


def test_the_c_structures_match_the_kernels(machine):
    out = clean_run(machine, "ipclayout").output
    sizes = dict(re.findall(r"^(\w+) (\d+)", out, re.M))
    assert int(sizes["ipc_perm"]) == IpcPerm.FORMAT.size == 36
    assert int(sizes["shmid_ds"]) == S.SHMID_DS.size == 84
    assert int(sizes["semid_ds"]) == M.SEMID_DS.size == 64
    assert int(sizes["msqid_ds"]) == Q.MSQID_DS.size == 88
    assert int(sizes["sembuf"]) == M.SEMBUF.size == 6
    assert "shminfo 36 shm_info 24 seminfo 40 msginfo 32" in out
    # i386 glibc's offsets
    for field in ("mode@20", "__seq@24", "shm_nattch@72", "shm_cpid@64", "sem_nsems@52",
                  "msg_cbytes@60", "msg_qbytes@68", "msg_lrpid@76"):
        assert field in out
