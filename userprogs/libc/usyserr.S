/*
 * Stubs of the system calls that report errors as numbers (syscall.h: 26 on).
 *
 * Such a call leaves in %eax either its result or, on failure, a negated error
 * number from -4095 to -1 (as Linux does). Compared as unsigned, every error
 * is at least -4095; every result -- a count, an id, an address below KERNBASE
 * -- is smaller. The stub stores the number in errno and returns -1, which is
 * what C callers expect (Linux's C library does the same).
 *
 * xv6's own calls (usys.S) keep answering -1 with no number: binaries built for
 * x86 xv6 must keep working.
 */

#include "estub.h"

  .text

ESTUB(getuid, getuid)
ESTUB(geteuid, geteuid)
ESTUB(getgid, getgid)
ESTUB(getegid, getegid)
ESTUB(setuid, setuid)
ESTUB(setgid, setgid)
ESTUB(_exit, exit_status)
ESTUB(waitpid, waitpid)
ESTUB(shmget, shmget)
ESTUB(shmat, shmat)           /* an address below KERNBASE: never taken for an error */
ESTUB(shmdt, shmdt)
ESTUB(shmctl, shmctl)
ESTUB(semget, semget)
ESTUB(semop, semop)
ESTUB(semctl, semctl)         /* the fourth argument, union semun, is passed by value */
ESTUB(msgget, msgget)
ESTUB(msgsnd, msgsnd)
ESTUB(msgrcv, msgrcv)
ESTUB(msgctl, msgctl)
ESTUB(mmap, mmap)             /* an address below KERNBASE, or -1 (MAP_FAILED) */
ESTUB(munmap, munmap)
ESTUB(mprotect, mprotect)
ESTUB(shm_open, shm_open)
ESTUB(shm_unlink, shm_unlink)
ESTUB(ftruncate, ftruncate)
ESTUB(lseek, lseek)           /* here, not in fileio.S: xv6 programs may use it too */
ESTUB(getppid, getppid)       /* cannot fail */
ESTUB(__posix_stat, posix_stat)  /* for ftok.c, in both kinds of programs (stat is fileio.S's) */

/* An object without this note asks for an executable stack and GNU ld warns about it. */
  .section .note.GNU-stack, "", @progbits
