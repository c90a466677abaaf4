"""File-system system calls (xv6's sysfile.c): mostly argument checking, since we
don't trust user code, and calls into file.py and fs.py.

Every call that reaches the file system may sleep (for the disk, a lock, a pipe),
so it is a generator, marked BLOCKS in the system call table. Everything a call
changes on the disk is changed inside one transaction, begin_op() ... end_op()
(write splits a big write into several, as xv6 does): a machine stopped at any
instruction leaves each call's changes on the disk entirely or not at all.
"""

from ..fs.file import FD_INODE, filealloc, fileclose, filedup, fileread, filestat, filewrite
from ..fs.fs import (
    T_DEV,
    T_DIR,
    T_FILE,
    dirlink,
    dirlookup,
    ialloc,
    ilock,
    iput,
    iunlock,
    iunlockput,
    iupdate,
    namecmp,
    namei,
    nameiparent,
    readi,
    writei,
)
from ..fs.log import begin_op, end_op
from ..fs.ondisk import BSIZE, DIRENT, STAT
from ..fs.pipe import pipealloc
from ..mm.pgdir import copyin, copyout
from ..panic import panic
from ..param import MAXARG
from ..proc.exec import exec
from ..proc.proc import myproc
from .args import argfd, argint, argptr, argstr, fdalloc, fetchint, fetchstr

__all__ = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREATE", "sys_dup", "sys_read", "sys_write",
           "sys_close", "sys_fstat", "sys_link", "sys_unlink", "sys_open", "sys_mkdir",
           "sys_mknod", "sys_chdir", "sys_exec", "sys_pipe", "create"]

# Open modes (xv6's fcntl.h).
O_RDONLY = 0x000
O_WRONLY = 0x001
O_RDWR = 0x002
O_CREATE = 0x200


def _path(n: int) -> str | None:
    """Argument n as a path: its bytes, held as a str (latin-1), or None."""
    s = argstr(n)
    return s.decode("latin-1") if s is not None else None


def _short(v: int) -> int:
    """An int argument as the C short it is passed as (mknod's major and minor)."""
    return ((v + 0x8000) & 0xFFFF) - 0x8000


def sys_dup() -> int:
    a = argfd(0)
    if a is None:
        return -1
    fd = fdalloc(a[1])
    if fd < 0:
        return -1
    filedup(a[1])
    return fd


def sys_read():
    a, n = argfd(0), argint(2)
    if a is None or n is None:
        return -1
    p = argptr(1, n, writable=True)
    if p is None:
        return -1
    data = yield from fileread(a[1], n)
    if data is None or copyout(myproc().pgdir, p, data) < 0:
        return -1
    return len(data)


def sys_write():
    a, n = argfd(0), argint(2)
    if a is None or n is None:
        return -1
    p = argptr(1, n)
    if p is None:
        return -1
    data = copyin(myproc().pgdir, p, n)
    return (yield from filewrite(a[1], data))


def sys_close():
    a = argfd(0)
    if a is None:
        return -1
    fd, f = a
    myproc().ofile[fd] = None
    yield from fileclose(f)
    return 0


def sys_fstat():
    a = argfd(0)
    st = argptr(1, STAT.size, writable=True)
    if a is None or st is None:
        return -1
    data = yield from filestat(a[1])
    if data is None:
        return -1
    return copyout(myproc().pgdir, st, data)


def sys_link():
    """Create the path new as a link to the same inode as old."""
    old, new = _path(0), _path(1)
    if old is None or new is None:
        return -1
    yield from begin_op()
    ip = yield from namei(old)
    if ip is None:
        yield from end_op()
        return -1
    if (yield from ilock(ip)) < 0:
        yield from iput(ip)
        yield from end_op()
        return -1
    if ip.type == T_DIR:
        yield from iunlockput(ip)
        yield from end_op()
        return -1
    ip.nlink += 1
    yield from iupdate(ip)
    iunlock(ip)
    r = yield from nameiparent(new)
    if r is not None:
        dp, name = r
        if (yield from ilock(dp)) == 0:
            if dp.dev == ip.dev and (yield from dirlink(dp, name, ip.inum)) == 0:
                yield from iunlockput(dp)
                yield from iput(ip)
                yield from end_op()
                return 0
            iunlock(dp)
        yield from iput(dp)
    # bad:
    yield from ilock(ip)
    ip.nlink -= 1
    yield from iupdate(ip)
    yield from iunlockput(ip)
    yield from end_op()
    return -1


def isdirempty(dp) -> bool:
    """Is the directory dp empty except for "." and ".." ? (A generator.)"""
    for base in range(0, dp.size, BSIZE):
        raw = yield from readi(dp, base, BSIZE)
        if raw is None:
            return False            # damaged: not known to be empty
        for i, (inum, _) in enumerate(DIRENT.iter_unpack(raw[:len(raw) - len(raw) % DIRENT.size])):
            if inum != 0 and base + i * DIRENT.size >= 2 * DIRENT.size:
                return False
    return True


def sys_unlink():
    path = _path(0)
    if path is None:
        return -1
    yield from begin_op()
    r = yield from nameiparent(path)
    if r is None:
        yield from end_op()
        return -1
    dp, name = r
    if (yield from ilock(dp)) < 0:
        yield from iput(dp)
        yield from end_op()
        return -1
    ret = yield from _unlink(dp, name)
    yield from iunlockput(dp)
    yield from end_op()
    return ret


def _unlink(dp, name: str):
    """Remove entry name from the locked directory dp. Returns 0 or -1."""
    # Cannot unlink "." or "..".
    if namecmp(name, ".") or namecmp(name, ".."):
        return -1
    found = yield from dirlookup(dp, name)
    if found is None:
        return -1
    ip, off = found
    if (yield from ilock(ip)) < 0:
        yield from iput(ip)
        return -1
    if ip.nlink < 1:                # (xv6 panics "unlink: nlink < 1": a damaged disk)
        yield from iunlockput(ip)
        return -1
    if ip.type == T_DIR and not (yield from isdirempty(ip)):
        yield from iunlockput(ip)
        return -1
    if (yield from writei(dp, bytes(DIRENT.size), off)) != DIRENT.size:
        panic("unlink: writei")
    if ip.type == T_DIR:
        dp.nlink -= 1
        yield from iupdate(dp)
    ip.nlink -= 1
    yield from iupdate(ip)
    yield from iunlockput(ip)
    return 0


def create(path: str, type: int, major: int, minor: int):
    """Make a new inode of this type at path, linked in its directory, and return
    it locked -- or, for a file that exists, open it (O_CREATE). None on any
    failure: no parent, a name that exists as something else, no free inode or
    block (in which case what was allocated is given back). A generator."""
    r = yield from nameiparent(path)
    if r is None:
        return None
    dp, name = r
    if (yield from ilock(dp)) < 0:
        yield from iput(dp)
        return None
    found = yield from dirlookup(dp, name)
    if found is not None:
        yield from iunlockput(dp)
        ip = found[0]
        if (yield from ilock(ip)) == 0:
            if type == T_FILE and ip.type == T_FILE:
                return ip
            iunlock(ip)
        yield from iput(ip)
        return None
    ip = yield from _newinode(dp, name, type, major, minor)
    yield from iunlockput(dp)
    return ip


def _newinode(dp, name: str, type: int, major: int, minor: int):
    """A new inode of this type, linked into the locked directory dp as name, and
    locked; or None: no free inode, or no block for the entry (then nothing is
    left allocated). The second half of create(), shared with posix_open."""
    ip = yield from ialloc(dp.dev, type)
    if ip is None:                          # (xv6 panics "create: ialloc")
        return None
    yield from ilock(ip)
    ip.major = major
    ip.minor = minor
    ip.nlink = 1
    yield from iupdate(ip)
    if (yield from _link_new(dp, ip, name, type)) < 0:
        # Something went wrong (the disk is full): de-allocate ip.
        ip.nlink = 0
        yield from iupdate(ip)
        yield from iunlockput(ip)
        return None
    return ip


def _link_new(dp, ip, name: str, type: int):
    """Link the new inode ip into dp as name; a directory gets "." and "..".
    Returns 0, or -1 with dp's link count as it was (xv6 panics instead)."""
    if type == T_DIR:   # Create . and .. entries.
        dp.nlink += 1   # for ".."
        yield from iupdate(dp)
        # No ip.nlink += 1 for ".": avoid cyclic ref count.
        if ((yield from dirlink(ip, ".", ip.inum)) < 0
                or (yield from dirlink(ip, "..", dp.inum)) < 0
                or (yield from dirlink(dp, name, ip.inum)) < 0):
            dp.nlink -= 1
            yield from iupdate(dp)
            return -1
        return 0
    return (yield from dirlink(dp, name, ip.inum))


def sys_open():
    path, omode = _path(0), argint(1)
    if path is None or omode is None:
        return -1
    yield from begin_op()
    if omode & O_CREATE:
        ip = yield from create(path, T_FILE, 0, 0)
        if ip is None:
            yield from end_op()
            return -1
    else:
        ip = yield from namei(path)
        if ip is None:
            yield from end_op()
            return -1
        if (yield from ilock(ip)) < 0:
            yield from iput(ip)
            yield from end_op()
            return -1
        if ip.type == T_DIR and omode != O_RDONLY:
            yield from iunlockput(ip)
            yield from end_op()
            return -1
    f = filealloc()
    fd = fdalloc(f) if f is not None else -1
    if fd < 0:
        if f is not None:
            yield from fileclose(f)
        yield from iunlockput(ip)
        yield from end_op()
        return -1
    iunlock(ip)
    yield from end_op()
    f.type, f.ip, f.off = FD_INODE, ip, 0
    f.readable = not omode & O_WRONLY
    f.writable = bool(omode & O_WRONLY or omode & O_RDWR)
    return fd


def sys_mkdir():
    path = _path(0)
    if path is None:
        return -1
    yield from begin_op()
    ip = yield from create(path, T_DIR, 0, 0)
    if ip is None:
        yield from end_op()
        return -1
    yield from iunlockput(ip)
    yield from end_op()
    return 0


def sys_mknod():
    path, major, minor = _path(0), argint(1), argint(2)
    if path is None or major is None or minor is None:
        return -1
    yield from begin_op()
    ip = yield from create(path, T_DEV, _short(major), _short(minor))
    if ip is None:
        yield from end_op()
        return -1
    yield from iunlockput(ip)
    yield from end_op()
    return 0


def sys_chdir():
    curproc = myproc()
    path = _path(0)
    if path is None:
        return -1
    yield from begin_op()
    ip = yield from namei(path)
    if ip is None:
        yield from end_op()
        return -1
    if (yield from ilock(ip)) < 0:
        yield from iput(ip)
        yield from end_op()
        return -1
    if ip.type != T_DIR:
        yield from iunlockput(ip)
        yield from end_op()
        return -1
    iunlock(ip)
    old, curproc.cwd = curproc.cwd, ip
    if old is not None:
        yield from iput(old)
    yield from end_op()
    return 0


def sys_exec():
    """exec(path, argv): argv is a NULL-terminated array of string pointers, with
    the NULL among its first MAXARG slots."""
    path, uargv = _path(0), argint(1)
    if path is None or uargv is None:
        return -1
    argv = []
    for i in range(MAXARG):
        uarg = fetchint((uargv & 0xFFFFFFFF) + 4 * i)
        if uarg is None:
            return -1
        if uarg == 0:
            return (yield from exec(path, argv))
        s = fetchstr(uarg & 0xFFFFFFFF)
        if s is None:
            return -1
        argv.append(s)
    return -1              # no NULL among the first MAXARG pointers


def sys_pipe():
    fdarray = argptr(0, 8, writable=True)
    if fdarray is None:
        return -1
    files = pipealloc()
    if files is None:
        return -1
    rf, wf = files
    fd0 = fdalloc(rf)
    fd1 = fdalloc(wf) if fd0 >= 0 else -1
    if fd1 < 0:
        if fd0 >= 0:
            myproc().ofile[fd0] = None
        yield from fileclose(rf)
        yield from fileclose(wf)
        return -1
    return copyout(myproc().pgdir, fdarray, fd0.to_bytes(4, "little") + fd1.to_bytes(4, "little"))
