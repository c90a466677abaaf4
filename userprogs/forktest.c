// forktest: fork until the process table is full, then check that every
// child can be waited for and that no child is left.

#include "types.h"
#include "user.h"

#define N 1000

static void
say(char *s)
{
  write(1, s, strlen(s));
}

int
main(void)
{
  int n, pid;

  say("fork test\n");
  for(n = 0; n < N; n++){
    pid = fork();
    if(pid < 0)
      break;
    if(pid == 0)
      exit();
  }
  if(n == N){
    say("fork claimed to work 1000 times!\n");
    exit();
  }
  for(; n > 0; n--){
    if(wait() < 0){
      say("wait stopped early\n");
      exit();
    }
  }
  if(wait() != -1){
    say("wait got too many\n");
    exit();
  }
  say("fork test OK\n");
  exit();
}
