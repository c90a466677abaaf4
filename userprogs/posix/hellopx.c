// hellopx: a POSIX program -- standard headers, stdio, exit status from main.
// The same source built on Linux prints the same (tests/test_posix.py).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/wait.h>

int
main(int argc, char *argv[])
{
  int status;
  pid_t pid;
  char buf[64];

  setvbuf(stdout, NULL, _IONBF, 0);     // as on a terminal, also where stdout is a pipe
  printf("hello from %s with %d argument%s\n", argv[0], argc - 1, argc == 2 ? "" : "s");
  printf("[%5d|%-5d|%05d|%+d|% d|%x|%#X|%#o|%c|%.3s|%10.2s|%lld|%llu|%p|%p]\n",
         42, 42, 42, 42, 42, 255, 255, 8, 'z', "abcdef", "xyz", -1234567890123LL,
         18446744073709551615ULL, (void*)0x1234, (void*)0);
  snprintf(buf, 8, "%s", "truncated string");
  printf("snprintf: '%s' %d\n", buf, snprintf(NULL, 0, "%d", 123456));
  fflush(stdout);
  pid = fork();
  if(pid == 0)
    return 42;
  wait(&status);
  printf("child exited %d, status %d\n", WIFEXITED(status), WEXITSTATUS(status));
  errno = EINVAL;
  perror("perror");
  printf("%s\n", strerror(ENOENT));
  return 3;
}
