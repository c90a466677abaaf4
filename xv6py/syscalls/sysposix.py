"""POSIX's file calls, for POSIX programs (userprogs/posix/, libc/fileio.S).

    posix_open(path, flags, mode)   Linux's flags: O_CREAT, O_EXCL, O_TRUNC, O_APPEND
    posix_fstat(fd, st)             POSIX's struct stat (88 bytes, glibc's i386 layout)
    posix_stat(path, st)
    lseek(fd, offset, whence)       SEEK_SET, SEEK_CUR, SEEK_END
    posix_read, posix_write, posix_close, posix_dup, posix_pipe, posix_unlink

xv6's own calls (open 15, fstat 8, read 5, ...) stay as x86 xv6 has them, for
xv6's binaries: xv6's flag values (its O_CREATE is Linux's O_TRUNC), its
20-byte struct stat, -1 for every error. These are the same operations with
Linux's flags, layout and errors: each fails with a negated error number
(errno.py) and changes nothing. Owners: the disk has none (xv6's inodes hold no
uid or mode), so a file belongs to root and no file call fails with EACCES; a
POSIX shm object has the owners and mode shm_open gave it.

Mode bits of the disk's files, since the disk keeps none (the rule fstat and
stat report): a directory is drwxr-xr-x (0755), a device crw-rw-rw- (0666), a
regular file -rwxr-xr-x (0755) if it starts with the ELF magic (a program)
and -rw-r--r-- (0644) otherwise; a pipe is prw------- (0600).

Names: xv6 keeps DIRSIZ (14) bytes of a name and cuts longer ones, so that
"abcdefghijklmnopq" and "abcdefghijklmnopz" would be the same file; these calls
refuse a longer name with ENAMETOOLONG instead (Linux's limit is 255).
"""

import struct

from ..errno import (
    EBADF,
    EEXIST,
    EFAULT,
    EFBIG,
    EINVAL,
    EIO,
    EISDIR,
    EMFILE,
    ENAMETOOLONG,
    ENFILE,
    ENOENT,
    ENOSPC,
    ENOTDIR,
    EPIPE,
    ESPIPE,
)
from ..fs import fmap
from ..fs.file import FD_INODE, FD_PIPE, FD_SHM, fileclose, filedrop, filedup, fileread, filewrite
from ..fs.fs import (
    DIRSIZ,
    NDIRECT,
    ROOTDEV,
    ROOTINO,
    T_DEV,
    T_DIR,
    T_FILE,
    dirlookup,
    idup,
    iget,
    ilock,
    iput,
    itrunc,
    iunlock,
    iunlockput,
    namei,
    nameiparent,
    readi,
    skipelem,
)
from ..fs.log import begin_op, end_op
from ..fs.ondisk import BSIZE, MAXFILE
from ..fs.pipe import pipealloc
from ..ipc import posixshm
from ..mm.pgdir import copyin, copyout
from ..mm.vma import obj_truncate
from ..proc import proc
from ..proc.proc import myproc
from .args import argfd, argint, argptr, argstr, fdalloc, newfile
from .sysfile import _newinode, _unlink

__all__ = ["O_ACCMODE", "O_CREAT", "O_EXCL", "O_TRUNC", "O_APPEND", "O_DIRECTORY", "SEEK_SET", "SEEK_CUR",
           "SEEK_END", "S_IFMT", "S_IFIFO", "S_IFCHR", "S_IFDIR", "S_IFREG", "STAT64", "PATH_MAX",
           "sys_posix_open", "sys_posix_fstat", "sys_posix_stat", "sys_lseek", "sys_posix_read",
           "sys_posix_write", "sys_posix_close", "sys_posix_dup", "sys_posix_pipe", "sys_posix_unlink"]

# Linux's open flags (<fcntl.h> of POSIX programs); others are ignored, as Linux ignores
# the ones it does not know.
O_ACCMODE = 0o3             # O_RDONLY 0, O_WRONLY 1, O_RDWR 2
O_CREAT = 0o100
O_EXCL = 0o200
O_TRUNC = 0o1000
O_APPEND = 0o2000
O_DIRECTORY = 0o200000

SEEK_SET, SEEK_CUR, SEEK_END = 0, 1, 2

# st_mode's file types (<sys/stat.h>)
S_IFMT = 0o170000
S_IFIFO = 0o010000
S_IFCHR = 0o020000
S_IFDIR = 0o040000
S_IFREG = 0o100000

PATH_MAX = 4096             # bytes in a path with its NUL (Linux's)
ELF_MAGIC = b"\x7fELF"

# POSIX's struct stat as glibc lays it out on i386 (88 bytes): st_dev (8), pad,
# st_ino, st_mode, st_nlink, st_uid, st_gid, st_rdev (8), pad, st_size,
# st_blksize, st_blocks, three struct timespec (no times here: 0), two unused.
STAT64 = struct.Struct("<QHxxIIIIIQHxxiii8I")

MAXBYTES = MAXFILE * BSIZE


def _path(n: int) -> str | int:
    """Argument n as a path (latin-1), or -EFAULT, -ENOENT (empty), -ENAMETOOLONG."""
    raw = argstr(n)
    if raw is None:
        return -EFAULT
    if not raw:
        return -ENOENT
    if len(raw) >= PATH_MAX or any(len(c) > DIRSIZ for c in raw.split(b"/")):
        return -ENAMETOOLONG
    return raw.decode("latin-1")


def _why(path: str):
    """Why namei or nameiparent found nothing for path (a generator, in a
    transaction): -ENOTDIR if a name before the last is not a directory, else
    -ENOENT."""
    cwd = myproc().cwd
    ip = iget(ROOTDEV, ROOTINO) if path.startswith("/") or cwd is None else idup(cwd)
    while ip is not None and (r := skipelem(path)) is not None:
        name, path = r
        if (yield from ilock(ip)) < 0:
            yield from iput(ip)
            return -EIO
        if ip.type != T_DIR:
            yield from iunlockput(ip)
            return -ENOTDIR
        found = yield from dirlookup(ip, name)
        yield from iunlockput(ip)
        ip = found[0] if found is not None else None
    if ip is not None:
        yield from iput(ip)
    return -ENOENT


def _lookup(path: str, flags: int):
    """The inode path names, locked, made first (an empty regular file) with
    O_CREAT; or a negated error. In a transaction; a generator."""
    if not flags & O_CREAT:
        ip = yield from namei(path)
        if ip is None:
            return (yield from _why(path))
        if (yield from ilock(ip)) < 0:
            yield from iput(ip)
            return -EIO
        return ip
    r = yield from nameiparent(path)
    if r is None:
        return -EISDIR if skipelem(path) is None else (yield from _why(path))
    dp, name = r
    if (yield from ilock(dp)) < 0:
        yield from iput(dp)
        return -EIO
    found = yield from dirlookup(dp, name)
    if found is not None:
        yield from iunlockput(dp)
        if flags & O_EXCL:
            yield from iput(found[0])
            return -EEXIST
        ip = found[0]
        if (yield from ilock(ip)) < 0:
            yield from iput(ip)
            return -EIO
        return ip
    ip = yield from _newinode(dp, name, T_FILE, 0, 0)
    yield from iunlockput(dp)
    return -ENOSPC if ip is None else ip    # (no inode, or no block for the entry)


def _opencheck(ip, flags: int) -> int:
    """0 if the locked inode ip may be opened with flags, or -EISDIR, -ENOTDIR."""
    acc = flags & O_ACCMODE
    if ip.type == T_DIR and (acc in (1, 2) or flags & (O_TRUNC | O_CREAT)):
        return -EISDIR
    if flags & O_DIRECTORY and ip.type != T_DIR:
        return -ENOTDIR
    return 0


def _truncate0(ip):
    """O_TRUNC: empty the locked regular file ip, in the caller's transaction;
    the pages of a mapping of it go too (as ftruncate)."""
    yield from itrunc(ip)
    obj = fmap.file_objs.get((ip.dev, ip.inum))
    if obj is not None:
        obj_truncate(obj, 0, proc.ptable.proc)


def sys_posix_open():
    """posix_open(path, flags, mode): the lowest free descriptor, or -EFAULT,
    -EMFILE, -ENFILE, -ENAMETOOLONG, -ENOENT, -ENOTDIR, -EEXIST,
    -EISDIR, -ENOSPC. O_CREAT, O_EXCL and O_TRUNC act inside one transaction.
    (mode is not kept: the disk has no modes.)"""
    path, flags = _path(0), argint(1)
    if isinstance(path, int) or flags is None:
        return path if isinstance(path, int) else -EFAULT
    f = newfile()
    if isinstance(f, int):
        return f
    yield from begin_op()
    ip = yield from _lookup(path, flags)
    err = ip if isinstance(ip, int) else _opencheck(ip, flags)
    if err:
        if not isinstance(ip, int):
            yield from iunlockput(ip)
        yield from end_op()
        filedrop(f)
        return err
    if flags & O_TRUNC and ip.type == T_FILE and ip.size > 0:
        yield from _truncate0(ip)
    iunlock(ip)
    yield from end_op()
    f.type, f.ip, f.off = FD_INODE, ip, 0
    f.readable = flags & O_ACCMODE in (0, 2)     # (3, as on Linux: neither; for ioctls there)
    f.writable = flags & O_ACCMODE in (1, 2)
    f.append = bool(flags & O_APPEND)
    return fdalloc(f)


def _istat(ip):
    """POSIX's struct stat of the locked inode ip (a generator: a regular file's
    first bytes say whether it is a program)."""
    if ip.type == T_DIR:
        mode = S_IFDIR | 0o755
    elif ip.type == T_DEV:
        mode = S_IFCHR | 0o666
    else:
        head = (yield from readi(ip, 0, 4)) if ip.size >= 4 else b""
        mode = S_IFREG | (0o755 if head == ELF_MAGIC else 0o644)
    # (major and minor are the disk's signed shorts: mknod takes any, -1 too)
    rdev = ((ip.major & 0xFFFF) << 8 | ip.minor & 0xFFFF) if ip.type == T_DEV else 0
    nblocks = (ip.size + BSIZE - 1) // BSIZE
    nblocks += nblocks > NDIRECT            # the indirect block
    return STAT64.pack(ip.dev, 0, ip.inum, mode, ip.nlink & 0xFFFF, 0, 0, rdev, 0, ip.size, BSIZE, nblocks,
                       *[0] * 8)


def _fstat(f):
    """POSIX's struct stat of open file f. A generator."""
    if f.type == FD_INODE:
        yield from ilock(f.ip)
        st = yield from _istat(f.ip)
        iunlock(f.ip)
        return st
    if f.type == FD_SHM:
        o = f.obj
        nlink = int(o in posixshm.shm_objects())
        return STAT64.pack(0, 0, 0, S_IFREG | o.mode, nlink, o.uid, o.gid, 0, 0, o.size, 4096,
                           (o.size + 511) // 512, *[0] * 8)
    return STAT64.pack(0, 0, 0, S_IFIFO | 0o600, 1, 0, 0, 0, 0, 0, 4096, 0, *[0] * 8)


def sys_posix_fstat():
    """posix_fstat(fd, st): 0, or -EBADF, -EFAULT."""
    a = argfd(0)
    if a is None:
        return -EBADF
    st = argptr(1, STAT64.size, writable=True)
    if st is None:
        return -EFAULT
    data = yield from _fstat(a[1])
    return 0 if copyout(myproc().pgdir, st, data) == 0 else -EFAULT


def sys_posix_stat():
    """posix_stat(path, st): 0, or -EFAULT, -ENAMETOOLONG, -ENOENT, -ENOTDIR."""
    path = _path(0)
    if isinstance(path, int):
        return path
    st = argptr(1, STAT64.size, writable=True)
    if st is None:
        return -EFAULT
    yield from begin_op()
    ip = yield from _lookup(path, 0)
    if isinstance(ip, int):
        yield from end_op()
        return ip
    data = yield from _istat(ip)
    yield from iunlockput(ip)
    yield from end_op()
    return 0 if copyout(myproc().pgdir, st, data) == 0 else -EFAULT


def sys_lseek():
    """lseek(fd, offset, whence): the new offset, or -EBADF, -ESPIPE (a pipe or
    the console), -EINVAL (whence, or a negative result). An offset past the
    end is allowed: a write there fills the gap with zeros."""
    a, off, whence = argfd(0), argint(1), argint(2)
    if a is None:
        return -EBADF
    f = a[1]
    if f.type == FD_PIPE or f.type == FD_INODE and f.ip.type == T_DEV:
        return -ESPIPE
    if off is None or whence not in (SEEK_SET, SEEK_CUR, SEEK_END):
        return -EINVAL
    size = f.obj.size if f.type == FD_SHM else f.ip.size
    new = off + (0, f.off, size)[whence]
    if new < 0:
        return -EINVAL
    f.off = new
    return new


def _buffer(reading: bool):
    """Arguments 0-2 of read (reading) or write as (file, pointer, count), or a
    negated error: -EBADF (not open, or not open for this), -EINVAL (a negative
    count), -EFAULT (the buffer), -EINVAL (an shm object: it is read and
    written through a mapping only)."""
    a, n = argfd(0), argint(2)
    if a is None or not (a[1].readable if reading else a[1].writable):
        return -EBADF
    if n is None or n < 0:
        return -EINVAL
    p = argptr(1, n, writable=reading)
    if p is None:
        return -EFAULT
    if a[1].type == FD_SHM:
        return -EINVAL
    return a[1], p, n


def sys_posix_read():
    """posix_read(fd, buf, n): the bytes read (0 at the end of the file), or
    -EBADF, -EINVAL (n < 0, an shm object: read it through a mapping), -EFAULT,
    -EISDIR, -EIO."""
    r = _buffer(reading=True)
    if isinstance(r, int):
        return r
    f, p, n = r
    if f.type == FD_INODE and f.ip.type == T_DIR:
        return -EISDIR
    if f.type == FD_INODE and f.ip.type == T_FILE and f.off >= f.ip.size:
        return 0
    data = yield from fileread(f, n)
    if data is None:
        return -EIO
    return len(data) if copyout(myproc().pgdir, p, data) == 0 else -EFAULT


def sys_posix_write():
    """posix_write(fd, buf, n): the bytes written, or -EBADF, -EINVAL, -EFAULT,
    -EPIPE (no reader; Linux would also send SIGPIPE), -EFBIG (past MAXFILE:
    a write that reaches it writes what fits), -ENOSPC."""
    r = _buffer(reading=False)
    if isinstance(r, int):
        return r
    f, p, n = r
    if f.type == FD_PIPE and not f.pipe.readopen:
        return -EPIPE
    if f.type == FD_INODE and f.ip.type == T_FILE:
        off = f.ip.size if f.append else f.off
        if off >= MAXBYTES and n > 0:
            return -EFBIG
        n = min(n, MAXBYTES - off)
        if off > f.ip.size and (yield from fmap.truncate(f.ip, off)) < 0:
            return -ENOSPC              # (the gap lseek left, filled with zeros)
    data = copyin(myproc().pgdir, p, n)
    r = yield from filewrite(f, data)
    if r < 0:
        return -EPIPE if f.type == FD_PIPE else -ENOSPC
    return r


def sys_posix_close():
    """posix_close(fd): 0, or -EBADF."""
    a = argfd(0)
    if a is None:
        return -EBADF
    myproc().ofile[a[0]] = None
    yield from fileclose(a[1])
    return 0


def sys_posix_dup() -> int:
    """posix_dup(fd): the lowest free descriptor, or -EBADF, -EMFILE."""
    a = argfd(0)
    if a is None:
        return -EBADF
    fd = fdalloc(a[1])
    if fd < 0:
        return -EMFILE
    filedup(a[1])
    return fd


def sys_posix_pipe() -> int:
    """posix_pipe(fds): 0, or -EFAULT, -EMFILE, -ENFILE."""
    fds = argptr(0, 8, writable=True)
    if fds is None:
        return -EFAULT
    if myproc().ofile.count(None) < 2:
        return -EMFILE
    files = pipealloc()
    if files is None:
        return -ENFILE
    fd0, fd1 = fdalloc(files[0]), fdalloc(files[1])
    return copyout(myproc().pgdir, fds, struct.pack("<ii", fd0, fd1))


def sys_posix_unlink():
    """posix_unlink(path): 0, or -EFAULT, -ENAMETOOLONG, -ENOENT, -ENOTDIR,
    -EISDIR (a directory: Linux's unlink never removes one)."""
    path = _path(0)
    if isinstance(path, int):
        return path
    yield from begin_op()
    r = yield from nameiparent(path)
    if r is None:
        err = -EISDIR if skipelem(path) is None else (yield from _why(path))
        yield from end_op()
        return err
    dp, name = r
    if (yield from ilock(dp)) < 0:
        yield from iput(dp)
        yield from end_op()
        return -EIO
    err = yield from _unlinkable(dp, name)
    if err == 0 and (yield from _unlink(dp, name)) < 0:
        err = -EIO
    yield from iunlockput(dp)
    yield from end_op()
    return err


def _unlinkable(dp, name: str):
    """0 if name is an entry of the locked directory dp that is not a directory,
    else -ENOENT, -EISDIR ("." and ".." too), -EIO."""
    if dp.type != T_DIR:
        return -ENOTDIR
    if name in (".", ".."):
        return -EISDIR              # (and dp itself must not be locked twice)
    found = yield from dirlookup(dp, name)
    if found is None:
        return -ENOENT
    ip = found[0]
    if (yield from ilock(ip)) < 0:
        yield from iput(ip)
        return -EIO
    isdir = ip.type == T_DIR
    yield from iunlockput(ip)
    return -EISDIR if isdir else 0
