// sbrktest: check sbrk() and the malloc/free built on it.
//
// sbrk(n) moves the end of the process's memory (the "break") by n bytes and
// returns the OLD break; sbrk(0) just reports it. Growing maps fresh zeroed
// pages; shrinking (n < 0) unmaps them; a request the kernel cannot satisfy
// returns (char*)-1 and changes nothing. Every check prints one line.

#include "types.h"
#include "user.h"

#define PGSIZE 4096
#define KERNBASE 0x80000000   // first address user memory may not reach

static void
ok(const char *what)
{
  printf(1, "sbrktest: %s ok\n", what);
}

static void __attribute__((noreturn))
failed(const char *what, uint got, uint want)
{
  printf(1, "sbrktest: FAIL: %s: got 0x%x, want 0x%x\n", what, got, want);
  exit();
}

// Check that n bytes at p read as zero, then that they keep what we write.
static void
checkmem(const char *what, char *p, int n)
{
  int i;

  for(i = 0; i < n; i++)
    if(p[i] != 0)
      failed(what, (uint)p[i], 0);
  for(i = 0; i < n; i++)
    p[i] = (char)(i * 7 + 1);
  for(i = 0; i < n; i++)
    if(p[i] != (char)(i * 7 + 1))
      failed(what, (uint)p[i], (uint)(char)(i * 7 + 1));
}

// Grow the break by n and check the result; return the old break.
static char*
grow(const char *what, int n)
{
  char *old, *p;

  old = sbrk(0);
  p = sbrk(n);
  if(p != old)
    failed(what, (uint)p, (uint)old);
  if(sbrk(0) != old + n)
    failed(what, (uint)sbrk(0), (uint)(old + n));
  return p;
}

static void
sbrk_checks(void)
{
  char *start, *p, *old;
  int n;

  start = sbrk(0);
  if(sbrk(0) != start)
    failed("sbrk(0) is stable", (uint)sbrk(0), (uint)start);
  ok("sbrk(0) is stable");
  if((uint)start % PGSIZE != 0)
    failed("initial break page-aligned", (uint)start, (uint)start & ~(PGSIZE-1));
  ok("initial break page-aligned");

  p = grow("grow 1 page", PGSIZE);
  checkmem("grow 1 page: zeroed and writable", p, PGSIZE);
  ok("grow 1 page");

  p = grow("grow 5 pages", 5*PGSIZE);
  checkmem("grow 5 pages: zeroed and writable", p, 5*PGSIZE);
  ok("grow 5 pages");

  // Odd sizes: the break may end in the middle of a page.
  for(n = 1; n <= 4097 * 3; n = n * 3 + 2){
    p = grow("grow by odd sizes", n);
    checkmem("grow by odd sizes: zeroed and writable", p, n);
  }
  ok("grow by odd sizes");

  // Shrink back to the start, in two steps.
  old = sbrk(0);
  n = (old - start) / 2;
  p = sbrk(-n);
  if(p != old)
    failed("shrink returns the old break", (uint)p, (uint)old);
  if(sbrk(0) != old - n)
    failed("shrink moves the break down", (uint)sbrk(0), (uint)(old - n));
  old = sbrk(0);
  p = sbrk(-(old - start));
  if(p != old || sbrk(0) != start)
    failed("shrink to the start", (uint)sbrk(0), (uint)start);
  ok("shrink");

  // The pages given back and taken again must be fresh (zeroed) ones.
  p = grow("grow again after shrink", 2*PGSIZE);
  checkmem("grow again after shrink: zeroed", p, 2*PGSIZE);
  sbrk(-2*PGSIZE);
  ok("grow again after shrink");

  // User memory must stay below KERNBASE: reaching it is refused at once.
  old = sbrk(0);
  p = sbrk(KERNBASE - (uint)old);
  if(p != (char*)-1)
    failed("sbrk up to KERNBASE fails", (uint)p, 0xffffffff);
  if(sbrk(0) != old)
    failed("sbrk up to KERNBASE leaves the break", (uint)sbrk(0), (uint)old);
  ok("sbrk up to KERNBASE fails");

  // Just below KERNBASE, but far more than the machine's memory: the kernel
  // runs out of pages on the way and must give back those it took.
  p = sbrk(0x7fff0000);
  if(p != (char*)-1)
    failed("enormous sbrk fails", (uint)p, 0xffffffff);
  if(sbrk(0) != old)
    failed("enormous sbrk leaves the break", (uint)sbrk(0), (uint)old);
  ok("enormous sbrk fails");
}

#define NBLOCK 200

static char *block[NBLOCK];
static uint blocksize[NBLOCK];

// Fill block i with a pattern that depends on i.
static void
fill(int i)
{
  memset(block[i], i & 0xff, blocksize[i]);
}

// Check that block i still holds its pattern.
static void
verify(const char *what, int i)
{
  uint j;

  for(j = 0; j < blocksize[i]; j++)
    if((uchar)block[i][j] != (i & 0xff))
      failed(what, (uchar)block[i][j], i & 0xff);
}

static void
take(const char *what, int i, uint size)
{
  block[i] = malloc(size);
  blocksize[i] = size;
  if(block[i] == 0)
    failed(what, 0, size);
  if((uint)block[i] % 8 != 0)
    failed("malloc alignment", (uint)block[i], (uint)block[i] & ~7);
  fill(i);
}

static void
malloc_checks(void)
{
  int i, round;
  char *big;

  for(i = 0; i < NBLOCK; i++)
    take("malloc", i, (i * 37) % 700 + 1);
  for(i = 0; i < NBLOCK; i++)
    verify("malloc keeps data", i);
  ok("malloc mixed sizes");

  // Free every other block, then every third, and allocate them again with
  // other sizes: this splits and merges free blocks in many ways.
  for(round = 2; round <= 3; round++){
    for(i = 0; i < NBLOCK; i += round){
      free(block[i]);
      block[i] = 0;
    }
    for(i = 0; i < NBLOCK; i++)
      if(block[i] != 0)
        verify("free keeps other blocks", i);
    for(i = 0; i < NBLOCK; i += round)
      take("malloc after free", i, (i * 53) % 1500 + 1);
    for(i = 0; i < NBLOCK; i++)
      verify("malloc after free keeps data", i);
  }
  ok("free and malloc again");

  for(i = NBLOCK - 1; i >= 0; i--)
    free(block[i]);
  big = malloc(64 * 1024);
  if(big == 0)
    failed("malloc 64 KiB", 0, 64 * 1024);
  memset(big, 0x5a, 64 * 1024);
  free(big);
  if(malloc(0x7fff0000) != 0)
    failed("enormous malloc fails", 1, 0);
  ok("malloc big and enormous");
}

int
main(void)
{
  sbrk_checks();
  malloc_checks();
  printf(1, "sbrktest: ok\n");
  exit();
}
