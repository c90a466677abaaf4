// lxwait: fork, wait and exit statuses as a program written for Linux sees
// them -- exit codes, a child killed by a fault, by kill() with a signal, by
// abort() and by a failed assert() -- plus getppid, sysconf and sleep.
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>

static void
show(const char *what, int st)
{
  if (WIFEXITED(st))
    printf("%-28s exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    printf("%-28s killed by signal %d\n", what, WTERMSIG(st));
  else
    printf("%-28s status %#x\n", what, st);
}

int *volatile nowhere;          // kernel space on both (main): a user write faults

static int
run(const char *what, int how)
{
  int st = -1;
  pid_t c = fork();
  if (c < 0) {
    perror("fork");
    exit(1);
  }
  if (c == 0) {
    switch (how) {
    case 0: exit(0);
    case 1: exit(42);
    case 2: _exit(300);                         // only the low 8 bits: 44
    case 3: return 7;                           // from main, through exit()
    case 4: *nowhere = 1; break;                // a page fault: SIGSEGV
    case 5: abort();
    case 6: assert(how == 5); break;            // fails: a message, then SIGABRT
    case 7: for (;;) sched_yield();             // until the parent kills it
    case 8: exit(getppid() == 0 ? 3 : 4);       // the parent is alive
    }
    exit(99);
  }
  if (how == 7 && kill(c, SIGTERM) != 0)
    perror("kill");
  pid_t w = waitpid(c, &st, 0);
  printf("waitpid returned the child: %d  ", w == c);
  show(what, st);
  return 0;
}

int
main(void)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  nowhere = (int *)(long)-4096;
  printf("pagesize %ld %d, clock ticks %d\n", sysconf(_SC_PAGESIZE), getpagesize(),
         sysconf(_SC_CLK_TCK) > 0);
  const char *names[] = {"exit(0)", "exit(42)", "_exit(300)", "return 7 from main",
                         "write to kernel space", "abort()", "assert(false)",
                         "kill(SIGTERM)", "getppid in the child"};
  for (int i = 0; i < 9; i++)
    if (run(names[i], i) == 7)
      return 7;                                 // the child of case 3
  int r = wait(NULL);
  printf("wait, no children: %d %s\n", r, strerror(errno));
  errno = 0;
  r = waitpid(-1, NULL, WNOHANG);
  printf("waitpid WNOHANG, no children: %d %s\n", r, strerror(errno));
  r = kill(getpid(), 1000);
  printf("kill a bad signal: %d %s\n", r, strerror(errno));
  printf("kill signal 0 to myself: %d\n", kill(getpid(), 0));
  errno = 0;
  long l = sysconf(-5);
  printf("sysconf(-5): %ld %s\n", l, strerror(errno));
  // Three children, reaped in any order: count the codes.
  int sum = 0;
  for (int i = 1; i <= 3; i++)
    if (fork() == 0)
      exit(i * 10);
  for (int st, i = 0; i < 3; i++) {
    wait(&st);
    sum += WEXITSTATUS(st);
  }
  printf("three children, codes summed: %d\n", sum);
  time_t t0 = time(NULL);
  usleep(1000);
  sleep(1);
  printf("slept at least a second: %d\n", time(NULL) - t0 >= 1);
  printf("ppid is a pid: %d, INT_MAX %d\n", getppid() > 0, INT_MAX);
  return 0;
}
