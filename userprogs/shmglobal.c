// shmglobal: why two processes cannot talk through a global variable.
//
// The same handshake as shmtest, but the child stores to a global variable
// instead of the segment. fork gave the child a copy of every page of the
// parent, the page holding `flag` included: the child's store changes its own
// copy, and the parent's copy stays 0 however long it waits.
//
// To know how long is long enough, the parent also watches a shared-memory
// segment, where the child reports that it has stored to the global. The
// parent gives up when that report arrives and its global is still 0.

#include <stdatomic.h>
#include "types.h"
#include "user.h"

#define ADDR ((void*)0x10000000)

_Atomic int flag;        // the "channel" that does not work

static void
fail(char *what)
{
  printf(1, "shmglobal: %s failed\n", what);
  exit();
}

int
main(void)
{
  int id, pid;
  _Atomic int *done = ADDR;

  if((id = shm_create(4096)) < 0 || shm_attach(id, ADDR) < 0)
    fail("shm_create/shm_attach");
  pid = fork();
  if(pid < 0)
    fail("fork");
  if(pid == 0){
    printf(1, "child: storing 1 in the global flag at %p\n", &flag);
    atomic_store_explicit(&flag, 1, memory_order_release);
    printf(1, "child: my flag is now %d; telling the parent through the segment\n",
           atomic_load_explicit(&flag, memory_order_relaxed));
    atomic_store_explicit(&done[0], 1, memory_order_release);
    exit();
  }

  // Wait for the global, but only until the segment says the store was made.
  while(atomic_load_explicit(&flag, memory_order_acquire) == 0){
    if(atomic_load_explicit(&done[0], memory_order_acquire) != 0)
      break;
  }
  if(atomic_load_explicit(&flag, memory_order_relaxed) == 0)
    printf(1, "parent: timed out: the child stored to its global, my flag at %p is still 0\n", &flag);
  else
    printf(1, "parent: saw the child's store to the global (this should not happen)\n");
  wait();
  printf(1, "parent: after fork each process has its own copy of every page;"
            " only the segment is shared\n");
  shm_detach(id);
  shm_destroy(id);
  exit();
}
