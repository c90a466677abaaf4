/*
 * xv6's system calls under their POSIX names, for POSIX programs.
 *
 * A POSIX program does not link ulib/usys.S: there, exit and wait are xv6's
 * exit() and wait(), while POSIX's exit(int) and wait(int*) are C functions of
 * this library (stdlib.c, unistd.c) built on the numbered calls exit_status
 * and waitpid (usyserr.S). These calls still fail with a bare -1, as on xv6:
 * errno is left as it was. The file calls (open, read, write, ...) are
 * POSIX's own: fileio.S.
 */

#include "syscall.h"

#define T_SYSCALL 64   /* the trap vector of system calls */

/* STUB(name, call) defines the function `name` that makes system call SYS_call. */
#define STUB(name, call)            \
  .globl name;                      \
  .type name, @function;            \
  name:                             \
    movl $SYS_ ## call, %eax;       \
    int $T_SYSCALL;                 \
    ret;                            \
  .size name, . - name

  .text

STUB(fork, fork)
STUB(execv, exec)
STUB(chdir, chdir)
STUB(getpid, getpid)
STUB(sbrk, sbrk)
STUB(__xv6_sleep, sleep)      /* in clock ticks: sleep() and usleep() convert (unistd.c) */
STUB(__xv6_uptime, uptime)
STUB(mknod, mknod)
STUB(link, link)
STUB(mkdir, mkdir)

/* An object without this note asks for an executable stack and GNU ld warns about it. */
  .section .note.GNU-stack, "", @progbits
