// getpidloop [N]: make N getpid() system calls (default 10000), a benchmark
// of the bare cost of entering and leaving the kernel.

#include "types.h"
#include "user.h"

int
main(int argc, char *argv[])
{
  int i, n = 10000;

  if(argc > 1)
    n = atoi(argv[1]);
  for(i = 0; i < n; i++)
    getpid();
  printf(1, "getpidloop: done\n");
  exit();
}
