// init: the first user program (pid 1).
//
// The kernel starts it as  init PROG ARG...  . Like xv6's init it opens the
// console as file descriptor 0 (making the device node if it is missing) and
// duplicates it as 1 and 2, which every process inherits. init runs PROG with
// its arguments in a child process and then reaps children until none is
// left: the child itself, and every orphan that the kernel re-parents to init
// when its parent exits ("zombie!"). When wait() finds no child at all, init
// exits and the machine stops.
//
// Started with no arguments (`xv6py boot`), it is xv6's init: it starts sh
// on the console, starts it again whenever it exits, and reaps orphans on the
// way, forever.

#include "types.h"
#include "user.h"
#include "fcntl.h"

static char *shargv[] = { "sh", 0 };

// Run sh forever, as xv6's init does.
static void
shell(void)
{
  int pid, wpid;

  for(;;){
    printf(1, "init: starting sh\n");
    pid = fork();
    if(pid < 0){
      printf(1, "init: fork failed\n");
      exit();
    }
    if(pid == 0){
      exec("sh", shargv);
      printf(1, "init: exec sh failed\n");
      exit();
    }
    while((wpid = wait()) >= 0 && wpid != pid)
      printf(1, "zombie!\n");
  }
}

int
main(int argc, char *argv[])
{
  int pid, wpid;

  if(open("console", O_RDWR) < 0){
    mknod("console", 1, 1);
    open("console", O_RDWR);
  }
  dup(0);  // stdout
  dup(0);  // stderr

  if(argc < 2)
    shell();

  pid = fork();
  if(pid < 0){
    printf(2, "init: fork failed\n");
    exit();
  }
  if(pid == 0){
    exec(argv[1], argv + 1);
    printf(2, "init: exec %s failed\n", argv[1]);
    exit();
  }

  while((wpid = wait()) >= 0)
    if(wpid != pid)
      printf(1, "zombie!\n");
  exit();
}
