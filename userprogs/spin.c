// spin: show that the kernel preempts a process that never gives up the CPU.
//
// The child tells the parent it is running (one byte through a pipe) and then
// loops forever without a system call. The parent, woken by that byte, needs
// the CPU to do a loop of its own and then kill the child. It can only get
// the CPU if the timer interrupt takes it away from the child: without
// preemption the parent never runs again and the message is never printed.

#include "types.h"
#include "user.h"

#define PARENT_LOOPS 2000000

int
main(void)
{
  int fd[2], pid;
  char c;
  volatile uint i;

  if(pipe(fd) < 0){
    printf(1, "spin: pipe failed\n");
    exit();
  }
  pid = fork();
  if(pid < 0){
    printf(1, "spin: fork failed\n");
    exit();
  }
  if(pid == 0){
    write(fd[1], "r", 1);
    for(i = 0; ; i++)
      ;
  }

  if(read(fd[0], &c, 1) != 1){
    printf(1, "spin: read from the child failed\n");
    exit();
  }
  for(i = 0; i < PARENT_LOOPS; i++)
    ;
  if(kill(pid) < 0){
    printf(1, "spin: kill failed\n");
    exit();
  }
  if(wait() != pid){
    printf(1, "spin: wait failed\n");
    exit();
  }
  printf(1, "spin: child killed after parent ran; preemption works\n");
  exit();
}
