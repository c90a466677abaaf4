// uidtest: owners, exit statuses and errno, as an xv6 program sees them.
//
// The calls after xv6's own (getuid ... waitpid) return -1 and set errno when
// they fail; xv6's own calls keep returning a bare -1. One line per case.

#include "types.h"
#include "user.h"
#include "errno.h"

static int failures;

static void
check(char *what, int got, int want)
{
  printf(1, "uidtest: %s = %d%s\n", what, got, got == want ? "" : "  <-- WRONG");
  if(got != want)
    failures++;
}

// Fork a child that runs f; return the status waitpid reports for it.
static int
status_of(void (*f)(void))
{
  int pid, status = -1;

  pid = fork();
  if(pid == 0){
    f();
    exit();
  }
  if(waitpid(pid, &status, 0) != pid)
    printf(1, "uidtest: waitpid failed  <-- WRONG\n");
  return status;
}

static void exit7(void) { _exit(7); }
static void exit300(void) { _exit(300); }
static void xv6exit(void) { exit(); }
static void pagefault(void) { *(volatile int*)0x7ffff000 = 1; }
static void suicide(void) { kill(getpid()); sleep(10); }

static void
drop_to_user(void)
{
  check("child setgid(100)", setgid(100), 0);
  check("child setuid(1000)", setuid(1000), 0);
  check("child getuid", getuid(), 1000);
  check("child geteuid", geteuid(), 1000);
  check("child getgid", getgid(), 100);
  check("child setuid(0) as a user", setuid(0), -1);
  check("  errno", errno, EPERM);
  perror("uidtest: setuid(0)");
  check("child setuid(1000) (its own id)", setuid(1000), 0);
  check("child setgid(0)", setgid(0), -1);
  _exit(getuid() == 1000 ? 3 : 4);
}

int
main(void)
{
  int status = 0, pid;

  check("getuid", getuid(), 0);
  check("geteuid", geteuid(), 0);
  check("getgid", getgid(), 0);
  check("getegid", getegid(), 0);
  check("setuid(-1)", setuid(-1), -1);
  check("  errno", errno, EINVAL);
  errno = 0;
  check("xv6's open of a missing file", open("no-such-file", 0), -1);
  check("  errno unchanged", errno, 0);

  check("status of _exit(7)", status_of(exit7), 7 << 8);
  check("status of _exit(300) (low 8 bits)", status_of(exit300), 44 << 8);
  check("status of xv6's exit()", status_of(xv6exit), 0);
  check("status of a page fault (SIGSEGV)", status_of(pagefault), 11);
  check("status of kill (SIGKILL)", status_of(suicide), 9);
  check("status of a child that dropped root", status_of(drop_to_user), 3 << 8);
  check("still root in the parent", getuid(), 0);

  check("waitpid with no children", waitpid(-1, &status, 0), -1);
  check("  errno", errno, ECHILD);
  pid = fork();
  if(pid == 0){
    sleep(5);
    _exit(1);
  }
  check("waitpid WNOHANG while it runs", waitpid(pid, &status, 1), 0);
  check("waitpid another pid", waitpid(pid + 100, &status, 0), -1);
  check("  errno", errno, ECHILD);
  check("waitpid bad status pointer", waitpid(pid, (int*)0x7ffff000, 0), -1);
  check("  errno", errno, EFAULT);
  check("waitpid bad options", waitpid(pid, &status, 0x100), -1);
  check("  errno", errno, EINVAL);
  check("waitpid it, status 0 pointer", waitpid(pid, 0, 0), pid);
  printf(1, "uidtest: strerror(ENOMSG) = %s\n", strerror(ENOMSG));
  printf(1, "uidtest: strerror(9999) = %s\n", strerror(9999));
  printf(1, "uidtest: %s\n", failures ? "FAILED" : "all cases as expected");
  exit();
}
