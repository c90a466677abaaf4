"""Error numbers (Linux's numbers and names: userprogs/include/errno.h is the same list).

xv6's own system calls (1-25) answer every failure with -1, as x86 xv6 does, so
that its binaries keep working. The calls added after them (owners, exit status,
System V IPC, ...) follow Linux instead: a failure puts the negated error number
in %eax (-EINVAL is -22), and the user library's stub stores it in `errno` and
returns -1 (userprogs/libc/usyserr.S). A result from -4095 to -1 is an error,
anything else a value: an address returned by shmat is below KERNBASE, so it is
never mistaken for one.

Only the numbers the kernel returns are here; errno.h has the full list a
program may test.
"""

from types import MappingProxyType

__all__ = ["EPERM", "ENOENT", "ESRCH", "EINTR", "E2BIG", "ECHILD", "EAGAIN", "ENOMEM",
           "EACCES", "EFAULT", "EEXIST", "EINVAL", "ENOSPC", "EFBIG", "ERANGE", "ENOSYS",
           "EBADF", "ENODEV", "ENFILE", "EMFILE", "ENAMETOOLONG", "EIO", "ENOTDIR", "EISDIR",
           "ESPIPE", "EPIPE",
           "ENOMSG", "EIDRM", "ERRNO_NAMES", "errname"]

EPERM = 1         # Operation not permitted (not the owner, not root)
ENOENT = 2        # No such file or directory (no object with that key)
ESRCH = 3         # No such process
EINTR = 4         # Interrupted system call
EIO = 5           # Input/output error (the disk: a damaged inode)
E2BIG = 7         # Argument list too long (too many semops; message longer than the buffer)
EBADF = 9         # Bad file number (not an open descriptor, or not open for that)
ECHILD = 10       # No child processes
EAGAIN = 11       # Try again (IPC_NOWAIT and the call would block)
ENOMEM = 12       # Out of memory
EACCES = 13       # Permission denied (the mode bits refuse the access)
EFAULT = 14       # Bad address (a pointer into memory the caller cannot use)
EEXIST = 17       # File exists (IPC_CREAT|IPC_EXCL and the key is taken)
ENODEV = 19       # No such device (mmap of a pipe, a device or a directory)
ENOTDIR = 20      # Not a directory (a path goes through a file)
EISDIR = 21       # Is a directory (opened for writing, unlinked, read)
EINVAL = 22       # Invalid argument (a bad id, size, command or flag)
ENFILE = 23       # File table overflow (every open file of the system is in use)
EMFILE = 24       # Too many open files (the process has NOFILE open)
EFBIG = 27        # File too large (sem_num beyond the set)
ENOSPC = 28       # No space left on device (a table or a limit is full)
ESPIPE = 29       # Illegal seek (lseek on a pipe or the console)
EPIPE = 32        # Broken pipe (a write with no reader left)
ERANGE = 34       # Math result not representable (a semaphore value out of range)
ENAMETOOLONG = 36  # File name too long (a shm_open name longer than NAME_MAX)
ENOSYS = 38       # Function not implemented
ENOMSG = 42       # No message of desired type
EIDRM = 43        # Identifier removed (the object went away while the caller waited)

# Number -> name, for traces and views.
ERRNO_NAMES = MappingProxyType({
    value: name for name, value in globals().items() if name.startswith("E") and isinstance(value, int)
})


def errname(n: int) -> str:
    """The name of error number n ("EINVAL"), or "E?" followed by the number."""
    return ERRNO_NAMES.get(n, f"E?{n}")
