// shmcheck CASE: one behaviour of the shared-memory calls, seen from user code,
// for the lab's grader. Each case prints what it did and what it saw; a line
// ending in "<-- WRONG" names what the kernel got wrong.
//
//   tlb    a child writes through a segment, detaches, reads again at once: the
//          read must fault (the kernel flushed the TLB) and kill the child
//   zero   a new segment reads as zeros, even on frames a destroyed one dirtied
//   fork   a child inherits the parent's attachment: it reads and writes the
//          same frames; destroy is refused until both have detached
//   exit   a child attaches and exits without detaching: exit detaches for it,
//          so the parent can destroy the segment
//   user   the segment is user-accessible and writable at the address given

#include "types.h"
#include "user.h"

#define PGSIZE 4096
#define ADDR   ((int*)0x10000000)

static void
expect(char *what, int got, int want)
{
  printf(1, "shmcheck: %s = %d%s\n", what, got, got == want ? "" : "  <-- WRONG");
}

static int
segment(int size)
{
  int id = shm_create(size);

  if(id < 0 || shm_attach(id, ADDR) < 0){
    printf(1, "shmcheck: could not create and attach a segment  <-- WRONG\n");
    exit();
  }
  return id;
}

static void
tlb(void)
{
  volatile int *p = ADDR;
  int id = shm_create(PGSIZE), v;

  if(fork() == 0){
    if(shm_attach(id, (void*)p) < 0)
      printf(1, "shmcheck: child could not attach  <-- WRONG\n");
    *p = 7;
    printf(1, "shmcheck: child wrote %d through the segment; detach, then read it again\n", *p);
    // No system call between the detach and the load: nothing else reloads CR3.
    shm_detach(id);
    v = *p;
    printf(1, "shmcheck: child read %d after detach: the old mapping still worked  <-- WRONG\n", v);
    exit();
  }
  wait();
  expect("destroy after the child", shm_destroy(id), 0);
}

static void
zero(void)
{
  int *p = ADDR, id, i, dirty = 0;

  id = segment(2 * PGSIZE);
  for(i = 0; i < 2 * PGSIZE / 4; i++)
    p[i] = 0x5a5a5a5a;
  shm_detach(id);
  shm_destroy(id);
  id = segment(2 * PGSIZE);
  for(i = 0; i < 2 * PGSIZE / 4; i++)
    if(p[i] != 0)
      dirty++;
  expect("non-zero words in a new segment", dirty, 0);
  shm_detach(id);
  shm_destroy(id);
}

static void
forked(void)
{
  volatile int *p = ADDR;
  int id = segment(PGSIZE);

  p[0] = 1;
  if(fork() == 0){
    printf(1, "shmcheck: child reads %d through the inherited attachment\n", p[0]);
    p[1] = 42;
    exit();
  }
  wait();
  expect("parent reads what the child wrote (42)", p[1], 42);
  expect("destroy while the parent is attached", shm_destroy(id), -1);
  expect("detach", shm_detach(id), 0);
  expect("destroy", shm_destroy(id), 0);
}

static void
exited(void)
{
  int id = shm_create(PGSIZE);

  if(fork() == 0){
    if(shm_attach(id, ADDR) < 0)
      printf(1, "shmcheck: child could not attach  <-- WRONG\n");
    ADDR[0] = 5;
    exit();                 // without shm_detach
  }
  wait();
  expect("destroy after the attached child exited", shm_destroy(id), 0);
}

static void
user(void)
{
  int *p = ADDR, id = segment(3 * PGSIZE);

  p[0] = 1;
  p[PGSIZE / 4] = 2;
  p[2 * PGSIZE / 4 + 1023] = 3;
  expect("sum of the words written on its three pages", p[0] + p[PGSIZE / 4] + p[2 * PGSIZE / 4 + 1023], 6);
  shm_detach(id);
  shm_destroy(id);
}

int
main(int argc, char *argv[])
{
  static struct { char *name; void (*run)(void); } cases[] = {
    {"tlb", tlb}, {"zero", zero}, {"fork", forked}, {"exit", exited}, {"user", user},
  };
  int i;

  for(i = 0; argc == 2 && i < sizeof(cases) / sizeof(cases[0]); i++)
    if(strcmp(argv[1], cases[i].name) == 0){
      cases[i].run();
      exit();
    }
  printf(2, "usage: shmcheck tlb|zero|fork|exit|user\n");
  exit();
}
