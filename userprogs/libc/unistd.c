// The POSIX process calls that are not one system call each: wait, sleep,
// usleep, execvp. (The others are stubs: syscalls.S, usyserr.S.)

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int __xv6_sleep(int ticks);

// The timer ticks 100 times a second of virtual time (as xv6's does on QEMU).
#define TICKS_PER_SECOND 100

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

// There is no PATH: the file is looked up as given (relative to the current
// directory, or to "/" with a leading slash), as xv6's exec does.
int
execvp(const char *file, char *const argv[])
{
  return execv(file, argv);
}
