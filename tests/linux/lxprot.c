// lxprot: what each mmap protection lets a user do, Linux-style. A page the
// user may write or run is one the user may read (32-bit x86 page tables have
// only U and W); PROT_NONE refuses every touch (a child dies of SIGSEGV).
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void
touch(const char *what, int prot)
{
  int st;
  char *p = mmap(0, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if(p == MAP_FAILED){
    perror("mmap");
    exit(1);
  }
  if(fork() == 0){
    volatile char c = p[100];
    _exit(c == 0 ? 0 : 1);
  }
  wait(&st);
  if(WIFSIGNALED(st))
    printf("%-12s read: killed by signal %d\n", what, WTERMSIG(st));
  else
    printf("%-12s read: exited %d\n", what, WEXITSTATUS(st));
  munmap(p, 4096);
}

int
main(void)
{
  touch("PROT_READ", PROT_READ);
  touch("PROT_WRITE", PROT_WRITE);
  touch("PROT_EXEC", PROT_EXEC);
  touch("PROT_NONE", PROT_NONE);
  return 0;
}
