// regloop [N]: run N iterations (default 1000000) of a loop of exactly three
// register-only instructions, a benchmark of raw instruction execution with
// no memory access and no system call. It runs 3*N instructions.

#include "types.h"
#include "user.h"

int
main(int argc, char *argv[])
{
  int n = 1000000;
  uint sum = 0;

  if(argc > 1)
    n = atoi(argv[1]);
  if(n > 0){
    asm volatile("1:\n\t"
                 "addl %%eax, %%ebx\n\t"
                 "decl %%ecx\n\t"
                 "jnz 1b"
                 : "+c" (n), "+b" (sum)
                 : "a" (1)
                 : "cc");
  }
  printf(1, "regloop: done\n");
  exit();
}
