// shmcall: an "inter-process function call" through shared memory.
//
// The child is the caller, the parent the server. For each i in 1..20 the
// child writes the argument into the segment and raises the request number;
// the parent, spinning on that number, computes i*i, writes the result and
// raises the reply number to match; the child, spinning on the reply, reads
// the answer. Request -1 tells the server to stop.
//
// Segment layout (ints):  [0] request number  [1] reply number
//                         [2] argument         [3] result
// The numbers are written with release stores after the data they announce,
// and read with acquire loads before the data is read, so the data is seen.

#include <stdatomic.h>
#include "types.h"
#include "user.h"

#define CALLS 20
#define ADDR  ((void*)0x30000000)

struct call {
  _Atomic int request;
  _Atomic int reply;
  int arg;
  int result;
};

static void
fail(char *what)
{
  printf(1, "shmcall: %s failed\n", what);
  exit();
}

static void
serve(volatile struct call *c)
{
  int served = 0, req, last = 0;

  for(;;){
    while((req = atomic_load_explicit(&c->request, memory_order_acquire)) == last)
      ;
    if(req < 0)
      break;
    c->result = c->arg * c->arg;
    atomic_store_explicit(&c->reply, req, memory_order_release);
    last = req;
    served++;
  }
  if(wait() < 0)
    fail("wait");
  printf(1, "shmcall: server answered %d calls\n", served);
}

static void
call(volatile struct call *c)
{
  int i, answer, wrong = 0;

  for(i = 1; i <= CALLS; i++){
    c->arg = i;
    atomic_store_explicit(&c->request, i, memory_order_release);
    while(atomic_load_explicit(&c->reply, memory_order_acquire) != i)
      ;
    answer = c->result;
    printf(1, "shmcall: square(%d) = %d%s\n", i, answer, answer == i * i ? "" : " WRONG");
    if(answer != i * i)
      wrong++;
  }
  printf(1, "shmcall: %s\n", wrong ? "some answers were wrong" : "all answers correct");
  atomic_store_explicit(&c->request, -1, memory_order_release);
}

int
main(void)
{
  int id, pid;

  if((id = shm_create(sizeof(struct call))) < 0)
    fail("shm_create");
  if(shm_attach(id, ADDR) < 0)       // before fork: the child inherits the attachment
    fail("shm_attach");
  pid = fork();
  if(pid < 0)
    fail("fork");
  if(pid == 0){
    call(ADDR);
    exit();
  }
  serve(ADDR);
  if(shm_detach(id) < 0 || shm_destroy(id) < 0)
    fail("shm_detach/shm_destroy");
  exit();
}
