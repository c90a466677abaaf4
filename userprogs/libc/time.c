// <time.h> from the timer ticks since boot (100 a second: see unistd.c).

#include <errno.h>
#include <time.h>

int __xv6_uptime(void);
int __xv6_sleep(int ticks);

#define TICKS_PER_SECOND 100

time_t
time(time_t *t)
{
  time_t now = __xv6_uptime() / TICKS_PER_SECOND;

  if(t)
    *t = now;
  return now;
}

clock_t
clock(void)
{
  return (clock_t)__xv6_uptime() * (CLOCKS_PER_SEC / TICKS_PER_SECOND);
}

// Sleep whole ticks (10 ms), rounded up; rem, if given, is left 0.
int
nanosleep(const struct timespec *req, struct timespec *rem)
{
  long tick = 1000000000L / TICKS_PER_SECOND;

  if(req == 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L || req->tv_sec < 0){
    errno = EINVAL;
    return -1;
  }
  __xv6_sleep(req->tv_sec * TICKS_PER_SECOND + (req->tv_nsec + tick - 1) / tick);
  if(rem){
    rem->tv_sec = 0;
    rem->tv_nsec = 0;
  }
  return 0;
}
