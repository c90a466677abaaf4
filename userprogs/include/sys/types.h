// POSIX's types for POSIX programs (posix/*.c), with i386 Linux's sizes.
// xv6's own programs use types.h instead.

#ifndef XV6PY_SYS_TYPES_H
#define XV6PY_SYS_TYPES_H

#include <stddef.h>           // size_t, NULL: the compiler's own header

typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned int mode_t;
typedef int key_t;            // System V IPC keys (sys/ipc.h)
typedef int ssize_t;
typedef long off_t;
typedef long time_t;          // here: timer ticks since boot (see sys/ipc.h)

#endif
