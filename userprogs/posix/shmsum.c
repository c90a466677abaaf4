// shmsum [N] [CHILDREN]: a parent and its children sum an array in a System V
// shared memory segment.
//
// The parent makes a segment holding the numbers 1..N and one slot per child
// for its partial sum, attaches it (the kernel picks the address), and forks.
// Each child inherits the attachment -- the same frames, at the same address --
// waits until the parent has looked at shm_nattch (one attachment per process),
// sums its slice, stores the result in its slot and exits, which detaches it.
// The parent waits for them all and adds the slots.

#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

struct table {
  long long partial[16];     // one slot per child
  int numbers[];             // 1..N
};

int
main(int argc, char *argv[])
{
  int n = argc > 1 ? atoi(argv[1]) : 10000;
  int children = argc > 2 ? atoi(argv[2]) : 4;
  struct shmid_ds ds;
  struct table *t;
  long long total = 0;
  int id, i, k, go[2];
  char c;

  if(n < 1 || children < 1 || children > 16){
    fprintf(stderr, "usage: shmsum [N] [CHILDREN (1-16)]\n");
    return 1;
  }
  id = shmget(IPC_PRIVATE, sizeof(struct table) + n * sizeof(int), 0600);
  if(id < 0){
    perror("shmsum: shmget");
    return 1;
  }
  t = shmat(id, NULL, 0);
  for(i = 0; i < n; i++)
    t->numbers[i] = i + 1;
  pipe(go);
  for(k = 0; k < children; k++){
    if(fork() == 0){
      long long s = 0;
      close(go[1]);
      read(go[0], &c, 1);                  // end of file: the parent has looked
      for(i = k * n / children; i < (k + 1) * n / children; i++)
        s += t->numbers[i];
      t->partial[k] = s;
      return 0;
    }
  }
  shmctl(id, IPC_STAT, &ds);
  printf("shmsum: %d children forked; the segment (%lu bytes) is attached %lu times\n", children,
         (unsigned long)ds.shm_segsz, (unsigned long)ds.shm_nattch);
  fflush(stdout);
  close(go[1]);                            // let them sum
  for(k = 0; k < children; k++)
    wait(NULL);
  for(k = 0; k < children; k++)
    total += t->partial[k];
  shmctl(id, IPC_STAT, &ds);
  printf("shmsum: sum of 1..%d = %lld (expected %lld); attachments left: %lu\n", n, total,
         (long long)n * (n + 1) / 2, (unsigned long)ds.shm_nattch);
  shmdt(t);
  shmctl(id, IPC_RMID, NULL);
  return total != (long long)n * (n + 1) / 2;
}
