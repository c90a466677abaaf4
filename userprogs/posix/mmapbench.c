// mmapbench WHAT N: mmap's costs in a loop, for bench/bench_mmap.py, which
// subtracts a run with N = 0 and divides by N.
//
//   getpid N     N getpid() calls: the bare cost of a system call (the baseline)
//   fill N       one anonymous mapping of N pages, each touched once: N lazy fills
//   map N        N mmap+munmap pairs of 1 MiB, never touched
//   touch N      N times: map 4 MiB anonymous, write every page, unmap

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

static char *
anon(int bytes)
{
  char *p = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if(p == MAP_FAILED){
    perror("mmapbench: mmap");
    exit(1);
  }
  return p;
}

int
main(int argc, char *argv[])
{
  int i, k, n;
  char *p;

  if(argc != 3){
    fprintf(stderr, "usage: mmapbench getpid|fill|map|touch N\n");
    return 2;
  }
  n = atoi(argv[2]);
  if(strcmp(argv[1], "getpid") == 0){
    for(i = 0; i < n; i++)
      getpid();
  } else if(strcmp(argv[1], "fill") == 0){
    p = anon((n + 1) * PG);
    for(i = 0; i < n; i++)
      p[i * PG] = 1;
    munmap(p, (n + 1) * PG);
  } else if(strcmp(argv[1], "map") == 0){
    for(i = 0; i < n; i++)
      munmap(anon(1 << 20), 1 << 20);
  } else if(strcmp(argv[1], "touch") == 0){
    for(i = 0; i < n; i++){
      p = anon(4 << 20);
      for(k = 0; k < (4 << 20); k += PG)
        p[k] = 1;
      munmap(p, 4 << 20);
    }
  } else {
    fprintf(stderr, "mmapbench: unknown benchmark %s\n", argv[1]);
    return 2;
  }
  return 0;
}
