// shmtest: two processes meet in a shared-memory segment.
//
// The parent creates an 8192-byte segment and forks. The child attaches it at
// 0x20000000, the parent at 0x10000000: two virtual addresses, the same two
// physical frames. The first int of the segment carries the child's message,
// the second the parent's answer:
//
//   child:  store 42 in flag[0]            parent: spin until flag[0] != 0
//           spin until flag[1] != 0                store 1 in flag[1]
//
// Each spins with an atomic load: a plain load could be hoisted out of the
// loop by the compiler, which then spins forever on a stale register copy.
// A process prints only when the other is known to be waiting, so the output
// is the same whatever the scheduler does.

#include <stdatomic.h>
#include "types.h"
#include "user.h"

#define SIZE        8192
#define PARENT_ADDR ((void*)0x10000000)
#define CHILD_ADDR  ((void*)0x20000000)

static void
fail(char *what)
{
  printf(1, "shmtest: %s failed\n", what);
  exit();
}

static void
child(int id)
{
  _Atomic int *flag = CHILD_ADDR;

  if(shm_attach(id, CHILD_ADDR) < 0)
    fail("child shm_attach");
  printf(1, "child: attached segment %d at %p\n", id, CHILD_ADDR);
  printf(1, "child: storing 42 in the first int\n");
  atomic_store_explicit(&flag[0], 42, memory_order_release);
  while(atomic_load_explicit(&flag[1], memory_order_acquire) == 0)
    ;
  printf(1, "child: parent released me with %d\n", atomic_load_explicit(&flag[1], memory_order_relaxed));
  if(shm_detach(id) < 0)
    fail("child shm_detach");
  printf(1, "child: detached, exiting\n");
  exit();
}

int
main(void)
{
  int id, pid;
  _Atomic int *flag = PARENT_ADDR;

  id = shm_create(SIZE);
  if(id < 0)
    fail("shm_create");
  printf(1, "parent: created segment %d of %d bytes\n", id, SIZE);
  pid = fork();
  if(pid < 0)
    fail("fork");
  if(pid == 0)
    child(id);

  if(shm_attach(id, PARENT_ADDR) < 0)
    fail("parent shm_attach");
  while(atomic_load_explicit(&flag[0], memory_order_acquire) == 0)
    ;
  printf(1, "parent: attached at %p, child stored %d; releasing it\n", PARENT_ADDR,
         atomic_load_explicit(&flag[0], memory_order_relaxed));
  atomic_store_explicit(&flag[1], 1, memory_order_release);
  if(wait() != pid)
    fail("wait");
  if(shm_detach(id) < 0)
    fail("parent shm_detach");
  if(shm_destroy(id) < 0)
    fail("shm_destroy");
  printf(1, "parent: child exited; detached and destroyed segment %d\n", id);
  exit();
}
