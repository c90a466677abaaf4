/*
 * System call stubs: one small function per system call.
 *
 * A C program calls, say, write(fd, buf, n) like any function: the arguments
 * are pushed on the user stack and `call` pushes the return address. The stub
 * leaves them there; it only loads the call number into %eax and traps with
 * `int $64`. The kernel finds argument k at %esp + 4 + 4*k (the 4 skips the
 * return address) and puts the result in %eax, which is where C expects the
 * return value, so `ret` is all that is left to do.
 */

#include "syscall.h"

#define T_SYSCALL 64   /* the trap vector of system calls */

/* STUB(name) defines the global function `name` that makes system call SYS_name. */
#define STUB(name)                  \
  .globl name;                      \
  .type name, @function;            \
  name:                             \
    movl $SYS_ ## name, %eax;       \
    int $T_SYSCALL;                 \
    ret;                            \
  .size name, . - name

  .text

STUB(fork)
STUB(exit)
STUB(wait)
STUB(pipe)
STUB(read)
STUB(write)
STUB(close)
STUB(kill)
STUB(exec)
STUB(open)
STUB(mknod)
STUB(unlink)
STUB(fstat)
STUB(link)
STUB(mkdir)
STUB(chdir)
STUB(dup)
STUB(getpid)
STUB(sbrk)
STUB(sleep)
STUB(uptime)
STUB(shm_create)
STUB(shm_attach)
STUB(shm_detach)
STUB(shm_destroy)

/* An object without this note asks for an executable stack and GNU ld warns about it. */
  .section .note.GNU-stack, "", @progbits
