// shmbench: shared-memory system calls in a loop, for bench/bench.py.
//
//   shmbench attach N    N times: shm_attach then shm_detach of a 1-page segment
//   shmbench create N    N times: shm_create of one page then shm_destroy
//
// bench.py subtracts a run with N = 0 and divides by N: one round trip each.

#include "types.h"
#include "user.h"

#define ADDR ((void*)0x10000000)

int
main(int argc, char *argv[])
{
  int i, n, id;

  if(argc != 3){
    printf(2, "usage: shmbench attach|create N\n");
    exit();
  }
  n = atoi(argv[2]);
  if(strcmp(argv[1], "attach") == 0){
    if((id = shm_create(4096)) < 0)
      exit();
    for(i = 0; i < n; i++)
      if(shm_attach(id, ADDR) < 0 || shm_detach(id) < 0){
        printf(1, "shmbench: attach/detach failed\n");
        exit();
      }
    shm_destroy(id);
  } else {
    for(i = 0; i < n; i++)
      if((id = shm_create(4096)) < 0 || shm_destroy(id) < 0){
        printf(1, "shmbench: create/destroy failed\n");
        exit();
      }
  }
  printf(1, "shmbench: done\n");
  exit();
}
