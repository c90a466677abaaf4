// The POSIX process calls that are not one system call each: wait, sleep,
// usleep, sched_yield, execvp, sysconf. (The others are stubs: syscalls.S,
// usyserr.S, fileio.S.)

#include <errno.h>
#include <sched.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int __xv6_sleep(int ticks);

// The timer ticks once every QUANTUM (100,000) instructions of virtual time
// (xv6py/timer.py); the library counts 100 ticks a second, as xv6's timer
// ticks on QEMU. So sleep(1) sleeps 100 ticks, usleep(us) ceil(us / 10000).
#define TICKS_PER_SECOND 100
#define PGSIZE 4096         // bytes of a page (x86)
#define NPROC 64            // processes at most (xv6py/param.py)
#define NOFILE 16           // open files per process

pid_t
wait(int *status)
{
  return waitpid(-1, status, 0);
}

unsigned int
sleep(unsigned int seconds)
{
  __xv6_sleep(seconds * TICKS_PER_SECOND);
  return 0;
}

// Sleep at least us microseconds: whole ticks, rounded up.
int
usleep(unsigned int us)
{
  unsigned int tick = 1000000 / TICKS_PER_SECOND;

  __xv6_sleep((us + tick - 1) / tick);
  return 0;
}

// There is no call that only yields: a sleep of 0 ticks returns at once.
int
sched_yield(void)
{
  __xv6_sleep(0);
  return 0;
}

long
sysconf(int name)
{
  switch(name){
  case _SC_PAGESIZE:
    return PGSIZE;
  case _SC_CLK_TCK:
    return TICKS_PER_SECOND;
  case _SC_CHILD_MAX:
    return NPROC;
  case _SC_OPEN_MAX:
    return NOFILE;
  }
  errno = EINVAL;
  return -1;
}

int
getpagesize(void)
{
  return PGSIZE;
}

// There is no PATH: the file is looked up as given (relative to the current
// directory, or to "/" with a leading slash), as xv6's exec does.
int
execvp(const char *file, char *const argv[])
{
  return execv(file, argv);
}
