// forkloop [N]: N times fork a child that exits at once, and wait for it
// (default 100): a benchmark of process creation and teardown.

#include "types.h"
#include "user.h"

int
main(int argc, char *argv[])
{
  int i, pid, n = 100;

  if(argc > 1)
    n = atoi(argv[1]);
  for(i = 0; i < n; i++){
    pid = fork();
    if(pid < 0){
      printf(1, "forkloop: fork failed\n");
      exit();
    }
    if(pid == 0)
      exit();
    if(wait() != pid){
      printf(1, "forkloop: wait failed\n");
      exit();
    }
  }
  printf(1, "forkloop: done\n");
  exit();
}
