// System V IPC: what shared memory, semaphores and message queues have in common
// (xv6py/ipc/ipc.py is the kernel's side). POSIX's names, i386 Linux's numbers
// and layouts, so that a program written for Linux compiles unchanged.
//
// Limits (SHMMNI, SEMMSL, MSGMNB, ...) are the kernel's (xv6py/ipc/limits.py):
// a program reads them with IPC_INFO. Times in the *_ds structures are timer
// ticks since boot, counted from 1 (0: never), not seconds since 1970.

#ifndef XV6PY_SYS_IPC_H
#define XV6PY_SYS_IPC_H

#include <sys/types.h>

#define IPC_PRIVATE ((key_t)0)   // a new object that no key finds

#define IPC_CREAT   01000        // create the object if the key has none
#define IPC_EXCL    02000        // with IPC_CREAT: fail with EEXIST if it has one
#define IPC_NOWAIT  04000        // fail with EAGAIN (ENOMSG) instead of waiting

#define IPC_RMID 0               // remove the object
#define IPC_SET  1               // set uid, gid, mode (and msg_qbytes)
#define IPC_STAT 2               // read the object's *_ds
#define IPC_INFO 3               // read the limits (struct shminfo, seminfo, msginfo)

// 36 bytes, as glibc's on i386.
struct ipc_perm {
  key_t __key;                   // the key (IPC_PRIVATE once IPC_RMID marked a segment)
  uid_t uid;                     // owner
  gid_t gid;
  uid_t cuid;                    // creator
  gid_t cgid;
  mode_t mode;                   // rwx bits for owner, group, others (and SHM_DEST, ...)
  unsigned short __seq;          // how many objects the kernel made before this one
  unsigned short __pad2;
  unsigned long __glibc_reserved1;
  unsigned long __glibc_reserved2;
};

// A key from a file's inode number and a byte (libc/ipc.c), as glibc makes it.
key_t ftok(const char *path, int id);

#endif
