// pipeloop [N]: write a byte into a pipe and read it back, N times (default
// 10000), a benchmark of the read and write paths: two system calls, a copy
// in and a copy out of user memory each time round.

#include "types.h"
#include "user.h"

int
main(int argc, char *argv[])
{
  int i, n = 10000, fd[2];
  char c = 'x';

  if(argc > 1)
    n = atoi(argv[1]);
  if(pipe(fd) < 0){
    printf(1, "pipeloop: pipe failed\n");
    exit();
  }
  for(i = 0; i < n; i++){
    if(write(fd[1], &c, 1) != 1 || read(fd[0], &c, 1) != 1){
      printf(1, "pipeloop: failed at %d\n", i);
      exit();
    }
  }
  printf(1, "pipeloop: done\n");
  exit();
}
