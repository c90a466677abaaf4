"""File-system system calls (xv6's sysfile.c): argument checks, then calls into
the file layer. Until xv6py has a writable file system, "/" is read-only:
calls that would create or remove names check their arguments and return -1.
"""

from ..fs.file import FD_INODE, filealloc, fileclose, filedup, fileread, filestat, filewrite
from ..fs.fs import T_DIR, T_FILE, namei
from ..fs.pipe import pipealloc
from ..mm.pgdir import copyin, copyout
from ..param import MAXARG
from ..proc.exec import exec
from ..proc.proc import myproc
from .args import argfd, argint, argptr, argstr, fdalloc, fetchint, fetchstr

__all__ = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREATE", "sys_dup", "sys_read", "sys_write",
           "sys_close", "sys_fstat", "sys_open", "sys_exec", "sys_pipe", "sys_chdir",
           "sys_mkdir", "sys_mknod", "sys_link", "sys_unlink"]

# Open modes (xv6's fcntl.h).
O_RDONLY = 0x000
O_WRONLY = 0x001
O_RDWR = 0x002
O_CREATE = 0x200

STAT_SIZE = 20   # sizeof(struct stat)


def _path(n: int) -> str | None:
    s = argstr(n)
    return s.decode("latin-1") if s is not None else None


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


def sys_close() -> int:
    a = argfd(0)
    if a is None:
        return -1
    fd, f = a
    myproc().ofile[fd] = None
    fileclose(f)
    return 0


def sys_fstat() -> int:
    a = argfd(0)
    st = argptr(1, STAT_SIZE, writable=True)
    if a is None or st is None:
        return -1
    data = filestat(a[1])
    if data is None:
        return -1
    return copyout(myproc().pgdir, st, data)


def sys_open() -> int:
    path, omode = _path(0), argint(1)
    if path is None or omode is None:
        return -1
    ip = namei(path)
    if ip is None:
        return -1          # O_CREATE too: "/" is read-only for now
    if omode & O_CREATE and ip.type != T_FILE:
        return -1          # xv6: O_CREATE on an existing file opens it; on anything else fails
    if ip.type == T_DIR and omode != O_RDONLY:
        return -1
    f = filealloc()
    if f is None:
        return -1
    fd = fdalloc(f)
    if fd < 0:
        fileclose(f)
        return -1
    f.type, f.ip, f.off = FD_INODE, ip, 0
    f.readable = not omode & O_WRONLY
    f.writable = bool(omode & O_WRONLY or omode & O_RDWR)
    return fd


def sys_exec() -> int:
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
            return exec(path, argv)
        s = fetchstr(uarg & 0xFFFFFFFF)
        if s is None:
            return -1
        argv.append(s)
    return -1              # no NULL among the first MAXARG pointers


def sys_pipe() -> int:
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
        fileclose(rf)
        fileclose(wf)
        return -1
    return copyout(myproc().pgdir, fdarray, fd0.to_bytes(4, "little") + fd1.to_bytes(4, "little"))


def sys_chdir() -> int:
    """Every directory is "/" for now: chdir succeeds only to it."""
    path = _path(0)
    if path is None:
        return -1
    ip = namei(path)
    return 0 if ip is not None and ip.type == T_DIR else -1


# Creating and removing names needs a writable file system; until xv6py has one
# these fetch their arguments like any call and fail.

def sys_mkdir() -> int:
    _path(0)
    return -1


def sys_mknod() -> int:
    _path(0), argint(1), argint(2)
    return -1


def sys_link() -> int:
    _path(0), _path(1)
    return -1


def sys_unlink() -> int:
    _path(0)
    return -1
