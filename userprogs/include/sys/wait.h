// Waiting for children, and what their status says (POSIX programs).
//
// A status is what the kernel's waitpid stores: the exit code in bits 8-15
// for a process that exited, or, for one that was killed, the signal Linux
// would have killed it with in bits 0-6 (SIGKILL 9 for kill(), SIGSEGV 11 for
// a page fault, SIGILL 4, SIGFPE 8). xv6py has no signals besides.

#ifndef XV6PY_SYS_WAIT_H
#define XV6PY_SYS_WAIT_H

#include <sys/types.h>

#define WNOHANG 1     // return 0 at once if no child has exited yet

#define WIFEXITED(s)   (((s) & 0x7F) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xFF)
#define WIFSIGNALED(s) (((s) & 0x7F) != 0 && ((s) & 0x7F) != 0x7F)
#define WTERMSIG(s)    ((s) & 0x7F)

pid_t wait(int *status);                              // libc/unistd.c
pid_t waitpid(pid_t pid, int *status, int options);   // pid -1: any child

#endif
