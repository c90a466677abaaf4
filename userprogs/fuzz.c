// fuzz: random system calls with edge-case arguments, to find kernel bugs.
//
//     fuzz SEED N [PER]      make N calls, deterministic from SEED
//
// The program is a supervisor. Each round it forks a worker that makes PER
// calls (default 200), drawn from the seed and the round's number with the
// program's own generator, so the same SEED and N make the same calls on
// every run. A call is any number from 0 to 63 -- the syscall table's, the
// numbers past its end, 0 -- or now and then any 32-bit number; its six
// argument words come from pools of edge cases: 0, -1, INT_MIN, INT_MAX, page
// sizes, pointers at 0, into the last user page, at KERNBASE-1 and KERNBASE,
// at unmapped pages, at the guard page, strings unterminated at a page's
// end, bad descriptors and valid ones of every kind (console, file,
// directory, pipe ends, a POSIX shm object), the worker's mmap areas. A
// quarter of the calls dwell on mmap and what it meets; now and then a child
// touches the areas' pages from user code (lazy fills, SIGSEGV, SIGBUS).
//
// What would end the worker at once is done by a child it forks instead:
// exit, exec, killing itself. sbrk keeps the worker's own memory (sleep: its
// time) bounded, and mostly its children's; kill never aims at the supervisor
// or init. A worker may still hurt itself (a read() into its own code at address 0): its round
// just ends sooner. A worker that sleeps for good (a wait for a child that
// blocks, a msgrcv with nothing to come) is killed after a few ticks; after
// each round, so is everything forked after the worker (pids are handed out
// in order), which may sleep for good too.
//
// The kernel must survive all of it: no panic, no leak, no broken invariant
// (run with --check). At the end: "fuzz: done: ...".

#include "types.h"
#include "user.h"
#include "stat.h"
#include "fcntl.h"
#include "syscall.h"

// POSIX's kill(pid, sig), which the POSIX layer adds: aimed like kill (an
// unknown number until then)
#ifndef SYS_posix_kill
#define SYS_posix_kill 62
#endif

#define PGSIZE 4096
#define KERNBASE 0x80000000u
#define NCALL 64            // numbers 0..63: the table and what lies past it
#define NARG 6
#define WNOHANG 1
#define TICKS_PER_ROUND 30  // a worker still alive after this many ticks is killed
#define HEAP_MAX (256 * 1024)   // the worker's sbrk stays within this much above its start
#define MAXKIDS 16

static uint rng;            // the generator's state (xorshift32)
static char scratch[3 * PGSIZE];  // where calls may write: the worker keeps nothing there

// The worker's resources, made at the start of each round.
static int fds[8];          // console (write-only, three times), file, the same file
static int nfds;            //   read-only, directory, pipe (its read end), POSIX shm object
static uint areas[4];       // its mmap areas (addresses)
static int nareas;
static uint heap0, heap;    // its break at the start, and now
static uint guard;          // the guard page below its stack
static int kids[MAXKIDS];   // children it forked, to kill at the end
static int nkids;
static int supervisor;      // the supervisor's pid
static int depth;           // 0 in the worker, 1.. in the children it forks

static char *paths[] = {
  "fz", "fz2", "fzd", "fzd/f", "/", ".", "..", "console", "", "fzd/../fz",
  "a-name-longer-than-fourteen-bytes", "/fz/x", "fuzz-no-such",
};
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

static char *shmnames[] = { "/fz", "/fz2", "fz", "/", "//", "/a/b" };
#define NSHM (sizeof(shmnames) / sizeof(shmnames[0]))

static uint
next(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static uint
below(uint n)
{
  return next() % n;
}

// A system call made with `int $64`: number num, six argument words, a fake
// return address below them, as a C stub's caller would leave them.
static int
rawcall(int num, uint *a)
{
  int r;

  asm volatile("pushl 20(%2)\n\t"
               "pushl 16(%2)\n\t"
               "pushl 12(%2)\n\t"
               "pushl 8(%2)\n\t"
               "pushl 4(%2)\n\t"
               "pushl 0(%2)\n\t"
               "pushl $0\n\t"
               "int $64\n\t"
               "addl $28, %%esp"
               : "=a" (r)
               : "a" (num), "r" (a)
               : "memory");
  return r;
}

static int
call6(int num, uint a0, uint a1, uint a2, uint a3, uint a4, uint a5)
{
  uint a[NARG];

  a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3; a[4] = a4; a[5] = a5;
  return rawcall(num, a);
}

static uint
anyint(void)
{
  static uint edges[] = {
    0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 100, 511, 512, 513, 4095, 4096, 4097,
    8192, 40960, 65536, 1 << 20, 1 << 24, 0x7fffffff, 0x80000000, 0xffffffff,
    0xfffffffe, 0xfffff000, 0x7ffff000, 0x7fffffff - 4095, 0x40000000,
  };
  switch(below(4)){
  case 0: return next();
  case 1: return below(20);
  default: return edges[below(sizeof(edges) / sizeof(edges[0]))];
  }
}

// A string that runs into the page above the heap's end (nothing is mapped there).
static uint
unterminated(void)
{
  if(heap - heap0 < 16)
    return (uint)scratch;
  memset((char*)heap - 16, 'A', 16);
  return heap - 1 - below(16);
}

static uint
anyptr(void)
{
  switch(below(16)){
  case 0: return 0;
  case 1: return (uint)scratch + below(sizeof(scratch));
  case 2: return (uint)scratch;
  case 3: return KERNBASE - PGSIZE + below(PGSIZE);   // the last user page
  case 4: return KERNBASE - 1 - below(4);
  case 5: return KERNBASE + below(2) * PGSIZE;
  case 6: return 0x40000000;                           // nothing mapped there
  case 7: return guard + below(PGSIZE);
  case 8: return unterminated();
  case 9: return (uint)paths[below(NPATHS)];
  case 10: return (uint)shmnames[below(NSHM)];
  case 11: return nareas ? areas[below(nareas)] + below(3) * PGSIZE : 0;
  case 12: return 0xfffffff0;                          // wraps around to 0
  case 13: return heap - below(64);
  case 14: return next();
  default: return (uint)scratch + sizeof(scratch) - below(8);
  }
}

static uint
anyfd(void)
{
  static int bad[] = { -1, 15, 16, 100, 0x7fffffff, (int)0x80000000 };

  if(below(4) == 0 || nfds == 0)
    return bad[below(sizeof(bad) / sizeof(bad[0]))];
  return fds[below(nfds)];
}

static uint
anyarg(void)
{
  switch(below(10)){
  case 0: case 1: case 2: case 3: return anyint();
  case 4: case 5: case 6: return anyptr();
  case 7: case 8: return anyfd();
  default: return next();
  }
}

// A pid for kill(): a child of this worker, or one that names nobody. Never
// the supervisor, init, or (in the worker) itself.
static uint
anypid(void)
{
  static int none[] = { 0, -1, (int)0x80000000, 0x7fffffff, 1000000 };

  if(nkids && below(2))
    return kids[below(nkids)];
  return none[below(sizeof(none) / sizeof(none[0]))];
}

// mmap's arguments: addresses, lengths and flags near what it accepts.
static void
mmapargs(uint *a)
{
  static uint flags[] = { 0x01, 0x02, 0x21, 0x22, 0x31, 0x32, 0x11, 0x03, 0x20, 0 };

  a[0] = below(3) ? 0 : anyptr() & ~(below(2) ? PGSIZE - 1 : 0);
  a[1] = below(3) ? (1 + below(4)) * PGSIZE - below(2) : anyint();
  a[2] = below(4) ? below(8) : next();
  a[3] = below(5) ? flags[below(sizeof(flags) / sizeof(flags[0]))] : next();
  a[4] = below(2) ? (uint)-1 : anyfd();
  a[5] = below(3) ? 0 : (below(2) ? below(4) * PGSIZE : anyint());
}

// sbrk, up or down, never below the start of the worker's heap nor past HEAP_MAX.
static void
dosbrk(uint *a)
{
  int n = (int)anyint() % HEAP_MAX;
  int r;

  if(heap + n < heap0 || heap + n > heap0 + HEAP_MAX)
    n = -(int)((heap - heap0) / 2);
  r = call6(SYS_sbrk, n, a[1], 0, 0, 0, 0);
  if(r != -1)
    heap = r + n;
}

// The calls that end the caller: done by a child (or by a child of a child).
static int
deadly(int num, uint a0)
{
  return num == SYS_exit || num == SYS_exit_status || num == SYS_exec
         || ((num == SYS_kill || num == SYS_posix_kill) && (int)a0 == getpid());
}

static void child(void);

// Touch pages of the areas from user code (loads and stores: the lazy fills,
// file pages read in, SIGSEGV and SIGBUS) -- in a child, which such a touch
// may kill.
static void
touch(void)
{
  int i, r = 0;
  volatile char *q;

  if(nareas == 0 || (r = fork()) != 0){
    if(r > 0 && nkids < MAXKIDS)
      kids[nkids++] = r;
    return;
  }
  depth = 1;
  for(i = 0; i < 4; i++){
    q = (char*)(areas[below(nareas)] + below(4) * PGSIZE + below(PGSIZE));
    if(below(2))
      *q = (char)next();
    else
      (void)*q;
  }
  exit();
}

// The calls of mmap and the things they meet, for a round that dwells on them.
static int focus[] = {
  SYS_mmap, SYS_munmap, SYS_mprotect, SYS_shm_open, SYS_shm_unlink, SYS_ftruncate,
  SYS_fork, SYS_read, SYS_write, SYS_close, SYS_open, SYS_unlink, SYS_exit, SYS_wait,
};

// One random call. The worker leaves fork's child to child(); deadly calls
// fork first (in the worker).
static void
onecall(void)
{
  uint a[NARG];
  int num, i, r;

  if(depth == 0 && below(16) == 0){
    touch();
    return;
  }
  if(below(4) == 0)
    num = focus[below(sizeof(focus) / sizeof(focus[0]))];
  else
    num = below(50) ? below(NCALL) : (below(2) ? next() : below(NCALL) - NCALL);
  for(i = 0; i < NARG; i++)
    a[i] = anyarg();
  switch(num){
  case SYS_mmap: mmapargs(a); break;
  case SYS_munmap: case SYS_mprotect:
    if(nareas && below(2))
      a[0] = areas[below(nareas)] + below(2) * PGSIZE;
    a[1] = below(2) ? below(4) * PGSIZE : anyint();
    a[2] = below(8);
    break;
  case SYS_kill: case SYS_posix_kill:
    a[0] = depth && below(4) == 0 ? getpid() : anypid();
    break;
  case SYS_sleep: a[0] = below(3); break;
  case SYS_sbrk:
    if(depth == 0 || below(32)){    // (a child now and then asks for anything: up to
      dosbrk(a);                     //  all of memory, which costs a frame per page)
      return;
    }
    break;
  case SYS_exec:
    if(below(2)){                   // a program that runs (not fuzz: a second supervisor)
      static char *argv[] = { "echo", "fz", 0 };
      a[0] = (uint)"echo";
      a[1] = (uint)argv;
    }
    break;
  }
  if(depth == 0 && deadly(num, a[0])){
    r = fork();
    if(r == 0){
      depth = 1;
      rawcall(num, a);
      exit();
    }
    if(r > 0 && nkids < MAXKIDS)
      kids[nkids++] = r;
    return;
  }
  r = rawcall(num, a);
  if((num == SYS_fork) && r == 0){
    if(depth >= 2)
      exit();
    depth++;
    child();
  }
  if(num == SYS_fork && r > 0 && depth == 0 && nkids < MAXKIDS)
    kids[nkids++] = r;
}

// A child of the worker: a few calls of its own, deadly ones included, then exit.
static void
child(void)
{
  int i, n = 1 + below(6);

  nkids = 0;
  for(i = 0; i < n; i++)
    onecall();
  exit();
}

// What the worker calls with: descriptors of every kind, mmap areas, a heap.
static void
setup(void)
{
  int p[2], i, fd;
  uint a;
  char local;

  guard = (((uint)&local) & ~(PGSIZE - 1)) - PGSIZE;
  for(i = 0; i < 3; i++)
    close(i);
  nfds = nareas = 0;
  for(i = 0; i < 3; i++)
    fds[nfds++] = open("console", O_WRONLY);   // (read() of the console would wait for input)
  fds[nfds++] = open("fz", O_CREATE | O_RDWR);
  write(fds[nfds - 1], scratch, 1 + below(2 * PGSIZE));
  fds[nfds++] = open("fz", O_RDONLY);
  fds[nfds++] = open("/", O_RDONLY);
  if(pipe(p) == 0){
    write(p[1], "pipe bytes", 10);
    close(p[1]);                   // reads end at EOF: they never wait
    fds[nfds++] = p[0];
  }
  fd = call6(SYS_shm_open, (uint)"/fz", O_CREAT | O_RDWR, 0600, 0, 0, 0);
  if(fd >= 0){
    call6(SYS_ftruncate, fd, 2 * PGSIZE, 0, 0, 0, 0);
    fds[nfds++] = fd;
  }
  a = call6(SYS_mmap, 0, 2 * PGSIZE, 3, 0x21, -1, 0);        // shared anonymous
  if(a < KERNBASE) areas[nareas++] = a;
  a = call6(SYS_mmap, 0, 3 * PGSIZE, 3, 0x22, -1, 0);        // private anonymous
  if(a < KERNBASE) areas[nareas++] = a;
  a = call6(SYS_mmap, 0, PGSIZE, 3, 0x01, fds[3], 0);        // the file, shared
  if(a < KERNBASE) areas[nareas++] = a;
  if(fd >= 0 && (a = call6(SYS_mmap, 0, 2 * PGSIZE, 3, 0x01, fd, 0)) < KERNBASE)
    areas[nareas++] = a;
  heap0 = heap = (uint)sbrk(0);
  if(sbrk(PGSIZE) != (char*)-1)
    heap += PGSIZE;
}

static void
worker(uint seed, int n)
{
  int i;

  rng = seed ? seed : 1;
  nkids = 0;
  setup();
  for(i = 0; i < n; i++)
    onecall();
  for(i = 0; i < nkids; i++)
    kill(kids[i]);
  while(wait() >= 0)
    ;
  exit();
}

// Wait for the worker at most TICKS_PER_ROUND ticks (then kill it); then kill
// every process forked after it, which it may have left behind asleep (its
// children's children: orphans of init). 1 if the worker had to be killed.
static int
supervise(int pid)
{
  int t, probe, p, done = 0;

  for(t = 0; t < TICKS_PER_ROUND && !done; t++){
    if(call6(SYS_waitpid, pid, 0, WNOHANG, 0, 0, 0) == pid)
      done = 1;
    else
      sleep(1);
  }
  probe = fork();                  // the newest pid: every pid between is the worker's
  if(probe == 0)
    exit();
  for(p = pid; p < probe; p++)
    kill(p);
  call6(SYS_waitpid, probe, 0, 0, 0, 0, 0);
  if(!done)
    call6(SYS_waitpid, pid, 0, 0, 0, 0, 0);
  return !done;
}

int
main(int argc, char *argv[])
{
  uint seed;
  int n, per, done, round, pid, tries, stuck = 0;

  if(argc < 3){
    printf(2, "usage: fuzz SEED N [PER]\n");
    exit();
  }
  seed = atoi(argv[1]);
  n = atoi(argv[2]);
  per = argc > 3 ? atoi(argv[3]) : 200;
  supervisor = getpid();
  if(per < 1)
    per = 1;
  printf(1, "fuzz: seed %d, %d calls\n", seed, n);
  for(done = 0, round = 0; done < n; done += per, round++){
    for(tries = 0; (pid = fork()) < 0 && tries < 3; tries++)
      sleep(1);                    // (out of memory for a moment: under --fail, say)
    if(pid == 0){
      worker(seed * 2654435761u + round * 40503 + 1, n - done < per ? n - done : per);
      exit();
    }
    if(getpid() != supervisor)
      exit();                      // a worker that overwrote its own code, come back here
    if(pid < 0){
      printf(1, "\nfuzz: FAIL: fork of a worker failed (pid %d)\n", getpid());
      break;
    }
    stuck += supervise(pid);
  }
  unlink("fzd/f");
  unlink("fzd");
  unlink("fz");
  unlink("fz2");
  call6(SYS_shm_unlink, (uint)"/fz", 0, 0, 0, 0, 0);
  if(getpid() != supervisor)
    exit();
  printf(1, "\nfuzz: done: %d rounds, %d workers killed after %d ticks\n", round, stuck, TICKS_PER_ROUND);
  exit();
}
