"""POSIX shared-memory objects: the names shm_open() finds (Linux's /dev/shm).

    obj = shm_obtain(p, name, oflag, mode, procs)   find or make the object of name
    shm_remove(p, name)                             take its name away (shm_unlink)

An object is a MemObject (mm/vma.py) of kind OBJ_SHM: its pages are frames,
made zero-filled when first touched, never written to the disk.

Design: the names live in a kernel table, not in a directory on the disk.
Linux keeps them on tmpfs, a file system in memory: the objects are memory,
and they vanish at reboot. xv6's disk is 1000 blocks of 512 bytes, files at
most 70 KiB, and every directory change is a logged disk write; an object
whose pages are frames would still need its own inode type and block-less
files there. A table of SHM_NOBJ names is what tmpfs is here, with nothing to
recover after a crash -- which is what POSIX promises of these objects anyway.

The object holds one reference for its name; shm_unlink drops it, so the name
is free at once while open descriptors and mappings keep the pages alive.
Permissions are checked as the System V objects' are (ipc.py): the owner's, the
group's or the others' rwx bits, by effective uid and gid; root passes.
"""

from ..errno import EACCES, EEXIST, EINVAL, ENAMETOOLONG, ENOENT, ENOSPC
from ..mm.vma import OBJ_SHM, MemObject, obj_new, obj_put, obj_truncate

__all__ = ["O_ACCMODE", "O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_TRUNC",
           "NAME_MAX", "SHM_NOBJ", "posixshm_init", "shm_obtain", "shm_remove", "shm_objects", "shm_clear",
           "shm_access"]

# Per-machine state (see Machine): each machine has its own, installed while it runs.
PER_MACHINE = ("shm_names",)
shm_names: dict = None      # name -> MemObject, the objects that still have a name

# shm_open's flags (Linux's values: <fcntl.h>)
O_ACCMODE = 0o3
O_RDONLY = 0o0
O_WRONLY = 0o1
O_RDWR = 0o2
O_CREAT = 0o100
O_EXCL = 0o200
O_TRUNC = 0o1000

NAME_MAX = 255              # bytes in a name, the leading '/' left out (Linux's NAME_MAX)
SHM_NOBJ = 64               # named objects at most (tmpfs is bounded by memory; this by a table)


def posixshm_init() -> None:
    global shm_names
    shm_names = {}


def _name(raw: bytes) -> str | int:
    """A name as POSIX wants it: "/name", one leading slash, no other, not
    empty. The name without its slash, or -EINVAL, -ENAMETOOLONG."""
    if not raw.startswith(b"/"):
        return -EINVAL
    rest = raw[1:]
    if not rest or b"/" in rest or rest in (b".", b".."):
        return -EINVAL
    if len(rest) > NAME_MAX:
        return -ENAMETOOLONG
    return rest.decode("latin-1")


def shm_access(p, obj: MemObject, want: int) -> bool:
    """May p have the access want (rwx bits: 4 read, 2 write) to obj?"""
    granted = obj.mode
    if p.euid == obj.uid:
        granted >>= 6
    elif p.egid == obj.gid:
        granted >>= 3
    return p.euid == 0 or not want & ~granted & 0o7


def shm_obtain(p, raw: bytes, oflag: int, mode: int, procs) -> MemObject | int:
    """The object named raw, opened as oflag asks (O_RDONLY or O_RDWR, with
    O_CREAT, O_EXCL, O_TRUNC), with one new reference for the caller's file; or
    -EINVAL (name, flags), -ENAMETOOLONG, -ENOENT, -EEXIST, -EACCES, -ENOSPC."""
    name = _name(raw)
    if isinstance(name, int):
        return name
    acc = oflag & O_ACCMODE
    if acc not in (O_RDONLY, O_RDWR) or oflag & O_TRUNC and acc != O_RDWR:
        return -EINVAL
    obj = shm_names.get(name)
    if obj is None:
        if not oflag & O_CREAT:
            return -ENOENT
        if len(shm_names) == SHM_NOBJ:
            return -ENOSPC
        obj = obj_new(OBJ_SHM, "/" + name, 0)     # its reference: the name's
        obj.mode, obj.uid, obj.gid = mode & 0o777, p.euid, p.egid
        shm_names[name] = obj
    elif oflag & O_CREAT and oflag & O_EXCL:
        return -EEXIST
    elif not shm_access(p, obj, 4 | (2 if acc == O_RDWR else 0)):
        return -EACCES
    elif oflag & O_TRUNC:
        obj_truncate(obj, 0, procs)
    obj.ref += 1
    return obj


def shm_remove(p, raw: bytes) -> int:
    """Take the name raw away (shm_unlink): 0, or -EINVAL, -ENAMETOOLONG,
    -ENOENT, -EACCES (only the owner and root may: /dev/shm is sticky). The
    object lives on while descriptors or mappings hold it."""
    name = _name(raw)
    if isinstance(name, int):
        return name
    obj = shm_names.get(name)
    if obj is None:
        return -ENOENT
    if p.euid not in (0, obj.uid):
        return -EACCES
    del shm_names[name]
    obj_put(obj)
    return 0


def shm_clear() -> None:
    """Take every name away (the end of a run: a reboot empties /dev/shm too).
    Objects nobody else holds are freed with their frames."""
    for name in sorted(shm_names):
        obj_put(shm_names.pop(name))


def shm_objects() -> list[MemObject]:
    """The named objects, by name (for views)."""
    return [shm_names[n] for n in sorted(shm_names)]
