// shmerrors: every way to misuse the shared-memory calls, one line per case:
// what was asked and what the kernel answered. Each bad call must return -1
// and change nothing; the cases that must succeed are marked "ok".

#include "types.h"
#include "user.h"

#define PGSIZE   4096
#define SHM_N    16
#define SHM_MAX  10
#define KERNBASE 0x80000000

static int failures;

// Print the case and its result; count it if it is not what it should be.
static int
check(char *what, int got, int want)
{
  printf(1, "shmerrors: %s = %d%s\n", what, got, got == want ? "" : "  <-- WRONG");
  if(got != want)
    failures++;
  return got;
}

static int
ok(char *what, int got)
{
  printf(1, "shmerrors: %s = %s%s\n", what, got >= 0 ? "ok" : "-1", got >= 0 ? "" : "  <-- WRONG");
  if(got < 0)
    failures++;
  return got;
}

static void
sizes(void)
{
  int id;

  check("create size 0", shm_create(0), -1);
  check("create size -4096", shm_create(-4096), -1);
  check("create size SHM_MAX pages + 1", shm_create(SHM_MAX * PGSIZE + 1), -1);
  id = ok("create size SHM_MAX pages", shm_create(SHM_MAX * PGSIZE));
  ok("destroy it", shm_destroy(id));
}

static void
table_full(void)
{
  int ids[SHM_N], i, n = 0;

  for(i = 0; i < SHM_N; i++)
    if((ids[i] = shm_create(1)) >= 0)
      n++;
  check("segments created before the table is full", n, SHM_N);
  check("create a 17th segment", shm_create(1), -1);
  for(i = 0; i < SHM_N; i++)
    shm_destroy(ids[i]);
}

static void
attach_cases(void)
{
  int a, b, unused, local;
  uint stack = (uint)&local & ~(PGSIZE - 1);
  char *heap;

  a = ok("create segment a, 2 pages", shm_create(2 * PGSIZE));
  b = ok("create segment b, 1 page", shm_create(PGSIZE));
  check("attach id -1", shm_attach(-1, (void*)0x10000000), -1);
  check("attach id 16", shm_attach(SHM_N, (void*)0x10000000), -1);
  // Only a and b exist now; the kernel may have put them in any slots.
  for(unused = 0; unused == a || unused == b; unused++)
    ;
  check("attach a free slot", shm_attach(unused, (void*)0x10000000), -1);
  check("attach at an unaligned address", shm_attach(a, (void*)0x10000010), -1);
  check("attach at address 0", shm_attach(a, 0), -1);
  check("attach over the program text", shm_attach(a, (void*)PGSIZE), -1);
  check("attach over the guard page", shm_attach(a, (void*)(stack - PGSIZE)), -1);
  check("attach over the stack", shm_attach(a, (void*)stack), -1);
  heap = sbrk(PGSIZE);
  check("attach over the heap", shm_attach(a, heap), -1);
  check("attach reaching KERNBASE", shm_attach(a, (void*)(KERNBASE - PGSIZE)), -1);
  check("attach at KERNBASE", shm_attach(a, (void*)KERNBASE), -1);
  ok("attach ending exactly at KERNBASE", shm_attach(a, (void*)(KERNBASE - 2 * PGSIZE)));
  ok("detach it", shm_detach(a));
  ok("attach a at 0x10000000", shm_attach(a, (void*)0x10000000));
  check("attach a again elsewhere", shm_attach(a, (void*)0x20000000), -1);
  check("attach b over a's second page", shm_attach(b, (void*)0x10001000), -1);
  check("detach b (not attached)", shm_detach(b), -1);
  check("detach id -1", shm_detach(-1), -1);
  check("detach id 16", shm_detach(SHM_N), -1);
  check("destroy a while attached", shm_destroy(a), -1);
  ok("detach a", shm_detach(a));
  check("detach a again", shm_detach(a), -1);
  ok("destroy a", shm_destroy(a));
  check("destroy a again", shm_destroy(a), -1);
  check("destroy id -1", shm_destroy(-1), -1);
  check("destroy id 16", shm_destroy(SHM_N), -1);
  ok("destroy b", shm_destroy(b));
}

static void
sbrk_into_segment(void)
{
  int id;
  char *brk = sbrk(0);
  uint top = ((uint)brk + PGSIZE - 1) & ~(PGSIZE - 1);

  id = shm_create(PGSIZE);
  ok("attach a segment just above the heap", shm_attach(id, (void*)top));
  check("sbrk into the segment", (int)sbrk(2 * PGSIZE), -1);
  check("break unchanged", sbrk(0) == brk, 1);
  ok("sbrk up to the segment", (int)sbrk(top - (uint)brk));
  ok("detach", shm_detach(id));
  ok("sbrk over where it was", (int)sbrk(PGSIZE));
  ok("destroy", shm_destroy(id));
}

// A segment's frames are junk-filled when it is destroyed; the next segment,
// which gets the same frames back, must still read as zeros.
static void
zero_after_reuse(void)
{
  int id, i, dirty = 0;
  uint *p = (uint*)0x10000000;

  id = shm_create(2 * PGSIZE);
  shm_attach(id, p);
  for(i = 0; i < 2 * PGSIZE / 4; i++)
    p[i] = 0xdeadbeef;
  shm_detach(id);
  shm_destroy(id);
  id = shm_create(2 * PGSIZE);
  shm_attach(id, p);
  for(i = 0; i < 2 * PGSIZE / 4; i++)
    if(p[i] != 0)
      dirty++;
  check("non-zero words in a new segment on reused frames", dirty, 0);
  shm_detach(id);
  shm_destroy(id);
}

static void
fault_after_detach(void)
{
  int id, pid;
  volatile int *p = (int*)0x10000000;

  id = shm_create(PGSIZE);
  pid = fork();
  if(pid == 0){
    shm_attach(id, (void*)p);
    *p = 7;
    printf(1, "shmerrors: child wrote %d through the segment, detaches, reads again:\n", *p);
    shm_detach(id);
    printf(1, "shmerrors: read after detach = %d  <-- WRONG\n", *p);
    exit();
  }
  wait();
  check("destroy after the killed child", shm_destroy(id), 0);
}

int
main(void)
{
  sizes();
  table_full();
  attach_cases();
  sbrk_into_segment();
  zero_after_reuse();
  fault_after_detach();
  printf(1, "shmerrors: %s\n", failures ? "FAILED" : "all cases as expected");
  exit();
}
