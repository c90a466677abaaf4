// Flags for open() and shm_open().
//
// Two sets, told apart by how the program is built (xv6py/build.py):
//
// * a POSIX program (posix/*.c, or `xv6py build` of a file that does not
//   include user.h) is compiled with _XV6PY_POSIX defined: open() is POSIX's
//   three-argument call (libc/fileio.S, system call 51) with Linux's flags --
//   O_CREAT, O_EXCL, O_TRUNC, O_APPEND act as on Linux, errors set errno.
//   xv6's O_CREATE is not defined there: its value is Linux's O_TRUNC.
// * an xv6 program keeps x86 xv6's open (call 15) and O_CREATE (0x200); it
//   may use Linux's flags only with shm_open.

#ifndef XV6PY_FCNTL_H
#define XV6PY_FCNTL_H

#define O_RDONLY  0x000
#define O_WRONLY  0x001
#define O_RDWR    0x002
#ifndef _XV6PY_POSIX
#define O_CREATE  0x200    // xv6's open: make the file if it does not exist
#endif

#define O_ACCMODE 0003
#define O_CREAT   0100     // make the file (object) if it does not exist
#define O_EXCL    0200     //   with O_CREAT: fail (EEXIST) if it does
#define O_TRUNC   01000    // cut it to size 0
#define O_APPEND  02000    // open: every write goes at the end of the file
#define O_NOCTTY  0400     // open: accepted, nothing to do (no controlling terminals)
#define O_DIRECTORY 0200000  // open: fail (ENOTDIR) unless it is a directory
#define O_CLOEXEC 02000000   // open: accepted and ignored (exec keeps every descriptor)

#ifdef _XV6PY_POSIX
int open(const char *path, int flags, ...);   // (mode_t mode): kept by shm objects only
#endif

#endif
