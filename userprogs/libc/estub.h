/*
 * ESTUB(name, call) defines the function `name` that makes system call
 * SYS_call, one of those that report errors as numbers (syscall.h: 26 on).
 *
 * Such a call leaves in %eax either its result or, on failure, a negated error
 * number from -4095 to -1 (as Linux does). Compared as unsigned, every error
 * is at least -4095; every result -- a count, an id, an address below KERNBASE
 * -- is smaller. The stub stores the number in errno and returns -1, which is
 * what C callers expect (Linux's C library does the same).
 */

#include "syscall.h"

#define T_SYSCALL 64     /* the trap vector of system calls */
#define MAX_ERRNO 4095   /* results from -4095 to -1 are errors */

#define ESTUB(name, call)           \
  .globl name;                      \
  .type name, @function;            \
  name:                             \
    movl $SYS_ ## call, %eax;       \
    int $T_SYSCALL;                 \
    cmpl $-MAX_ERRNO, %eax;         \
    jae 1f;                         \
    ret;                            \
  1:negl %eax;                      \
    movl %eax, errno;               \
    movl $-1, %eax;                 \
    ret;                            \
  .size name, . - name
