// <sched.h>: sched_yield (libc/unistd.c).

#ifndef XV6PY_SCHED_H
#define XV6PY_SCHED_H

// Give other processes a chance to run: xv6py has no call that yields, so this
// makes a system call that returns at once (sleep of 0 ticks); the timer still
// preempts a process every tick. Always 0.
int sched_yield(void);

#endif
