// Signals, as far as xv6py has them: kill() ends a process, whatever the
// signal; its parent's wait sees SIGKILL. The numbers are Linux's, for the
// statuses of sys/wait.h.

#ifndef XV6PY_SIGNAL_H
#define XV6PY_SIGNAL_H

#include <sys/types.h>

#define SIGHUP   1
#define SIGINT   2
#define SIGQUIT  3
#define SIGILL   4
#define SIGABRT  6
#define SIGFPE   8
#define SIGKILL  9
#define SIGSEGV 11
#define SIGTERM 15

int kill(pid_t pid, int sig);

#endif
