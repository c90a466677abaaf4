// Flags for open() (xv6's) and shm_open() (Linux's).
//
// open() is xv6's system call: it knows O_RDONLY, O_WRONLY, O_RDWR and
// O_CREATE, and has no O_TRUNC or O_APPEND (use ftruncate(fd, 0)).
// shm_open() takes Linux's flags: O_CREAT, O_EXCL, O_TRUNC below. Linux's
// O_TRUNC has the value of xv6's O_CREATE: do not give it to open().

#ifndef XV6PY_FCNTL_H
#define XV6PY_FCNTL_H

#define O_RDONLY  0x000
#define O_WRONLY  0x001
#define O_RDWR    0x002
#define O_CREATE  0x200

#define O_ACCMODE 0003
#define O_CREAT   0100     // shm_open: make the object if it does not exist
#define O_EXCL    0200     //   with O_CREAT: fail (EEXIST) if it does
#define O_TRUNC   01000    //   cut it to size 0 (with O_RDWR)

#endif
