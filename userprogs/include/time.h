// <time.h>, the little xv6py can give: there is no clock of the day, only the
// timer ticks since boot (uptime), 100 to a second of virtual time.

#ifndef XV6PY_TIME_H
#define XV6PY_TIME_H

#include <sys/types.h>

#define CLOCKS_PER_SEC 1000000L

typedef long clock_t;

#ifndef XV6PY_TIMESPEC
#define XV6PY_TIMESPEC
struct timespec {
  time_t tv_sec;
  long tv_nsec;
};
#endif

time_t time(time_t *t);          // seconds since boot (not since 1970)
clock_t clock(void);             // since boot, in 1/CLOCKS_PER_SEC: whole ticks of 10000
int nanosleep(const struct timespec *req, struct timespec *rem);   // whole ticks, rounded up

#endif
