// usertests: the kernel's tests in one program, as xv6's usertests is.
//
//   usertests          every test; "ALL TESTS PASSED" at the end
//   usertests NAME...  those tests only
//
// The file system part runs /fstests (its cases print "NAME: ok"); the
// process, memory, pipe and trap tests are here. Each test runs in a child
// process, which reports success by writing "ok" on a pipe before it exits:
// a test that faults, or calls fail(), reports nothing and the run stops with
// "NAME: FAILED". Tests of faults expect the kernel to kill a process: its
// "pid N ...: trap ... --kill proc" line on the console is part of the test.

#include "types.h"
#include "user.h"
#include "fcntl.h"
#include "syscall.h"

#define NPROC 64
#define KERNBASE 0x80000000

static char *current;
static int report[2];          // the pipe a test's process reports success on
static char buf[8192];

static void
fail(char *why)
{
  printf(1, "%s: FAILED: %s\n", current, why);
  exit();
}

#define CHECK(cond, why) do { if(!(cond)) fail(why); } while(0)

// Run fn in a child; did it return (rather than being killed or failing)?
static int
survives(void (*fn)(void))
{
  int p[2], pid, ok;
  char c;

  CHECK(pipe(p) == 0, "pipe");
  pid = fork();
  CHECK(pid >= 0, "fork");
  if(pid == 0){
    close(p[0]);
    fn();
    write(p[1], "k", 1);
    exit();
  }
  close(p[1]);
  ok = read(p[0], &c, 1) == 1;
  close(p[0]);
  CHECK(wait() == pid, "wait");
  return ok;
}

// ---- the file system: /fstests ------------------------------------------------------

static void
fstests(void)
{
  int p[2], pid, n, len = 0;
  char *argv[] = { "fstests", 0 };

  CHECK(pipe(p) == 0, "pipe");
  if((pid = fork()) == 0){
    close(1);
    dup(p[1]);
    close(p[0]);
    close(p[1]);
    exec("/fstests", argv);
    printf(2, "exec /fstests failed\n");
    exit();
  }
  close(p[1]);
  while((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0){
    write(1, buf + len, n);
    len += n;
    CHECK(len < sizeof(buf) - 1, "too much output");
  }
  close(p[0]);
  buf[len] = 0;
  wait();
  CHECK(len >= 20 && strcmp(buf + len - 20, "fstests: all passed\n") == 0, "fstests failed");
}

// ---- processes ----------------------------------------------------------------------

// Fork until the process table is full; every child is waited for.
static void
forkfull(void)
{
  int n, pid;

  for(n = 0; n < NPROC + 10; n++){
    if((pid = fork()) < 0)
      break;
    if(pid == 0){
      sleep(1);
      exit();
    }
  }
  CHECK(n < NPROC, "fork never failed");
  CHECK(n > NPROC / 2, "fork failed early");
  for(; n > 0; n--)
    CHECK(wait() > 0, "wait stopped early");
  CHECK(wait() == -1, "wait found a child too many");
}

// wait returns each child's pid, once.
static void
exitwait(void)
{
  int pids[20], i, j, pid;

  for(i = 0; i < 20; i++){
    CHECK((pids[i] = fork()) >= 0, "fork");
    if(pids[i] == 0)
      exit();
  }
  for(i = 0; i < 20; i++){
    pid = wait();
    for(j = 0; j < 20 && pids[j] != pid; j++)
      ;
    CHECK(j < 20, "wait returned a stranger");
    pids[j] = -1;
  }
  CHECK(wait() == -1, "a child too many");
}

// kill stops a process that never makes a system call.
static void
killspin(void)
{
  int pid;

  CHECK((pid = fork()) >= 0, "fork");
  if(pid == 0)
    for(;;)
      ;
  sleep(1);
  CHECK(kill(pid) == 0, "kill");
  CHECK(wait() == pid, "wait");
  CHECK(kill(pid) == -1, "killed twice");
}

// getpid differs between parent and child; a child's fork returns 0.
static void
pids(void)
{
  int me = getpid(), pid, p[2], child;

  CHECK(pipe(p) == 0, "pipe");
  CHECK((pid = fork()) >= 0, "fork");
  if(pid == 0){
    child = getpid();
    write(p[1], &child, sizeof(child));
    exit();
  }
  CHECK(read(p[0], &child, sizeof(child)) == sizeof(child), "read");
  CHECK(child == pid && child != me, "pids");
  wait();
  close(p[0]);
  close(p[1]);
}

// exec of what is not a program fails and leaves the caller running.
static void
execfail(void)
{
  char *argv[] = { "nonexistent", 0 };

  CHECK(exec("/nonexistent", argv) == -1, "exec of nothing");
  CHECK(exec("/README", argv) == -1, "exec of a text file");
}

// sleep lets the clock run.
static void
sleeptime(void)
{
  int t0 = uptime();

  CHECK(sleep(3) == 0, "sleep");
  CHECK(uptime() - t0 >= 3, "too short a sleep");
}

// ---- memory ----------------------------------------------------------------------------

// sbrk grows memory that reads back, and gives it back.
static void
sbrkgrow(void)
{
  char *a, *p;
  int n = 1024 * 1024;

  a = sbrk(n);
  CHECK(a != (char*)-1, "sbrk");
  for(p = a; p < a + n; p += 4096)
    *p = (char)(p - a) / 4096;
  for(p = a; p < a + n; p += 4096)
    CHECK(*p == (char)(p - a) / 4096, "memory lost");
  CHECK(sbrk(-n) == a + n, "sbrk(-n)");
  CHECK(sbrk(0) == a, "sbrk(0) after shrinking");
}

static char *gone;

static void
touchgone(void)
{
  *gone = 1;
}

// Memory given back is gone: touching it kills the process.
static void
sbrkgone(void)
{
  gone = sbrk(8192);
  CHECK(gone != (char*)-1, "sbrk");
  CHECK(sbrk(-8192) != (char*)-1, "sbrk(-8192)");
  CHECK(!survives(touchgone), "touched memory given back");
}

// An impossible sbrk fails and changes nothing.
static void
sbrkfail(void)
{
  char *top = sbrk(0);

  CHECK(sbrk(KERNBASE) == (char*)-1, "sbrk past KERNBASE");
  CHECK(sbrk(0) == top, "a failed sbrk moved the break");
}

// A child gets a copy of its parent's memory, not the memory itself.
static void
forkcopy(void)
{
  static uchar data[100000];
  int i, pid;

  for(i = 0; i < sizeof(data); i++)
    data[i] = i % 251;
  CHECK((pid = fork()) >= 0, "fork");
  if(pid == 0){
    for(i = 0; i < sizeof(data); i++)
      if(data[i] != i % 251)
        exit();     // (the parent sees the damage below)
    memset(data, 0, sizeof(data));
    exit();
  }
  wait();
  for(i = 0; i < sizeof(data); i++)
    CHECK(data[i] == i % 251, "the child changed the parent's memory");
}

// ---- pipes -----------------------------------------------------------------------------

// Bytes come out of a pipe in order, all of them, in chunks of any size.
static void
pipedata(void)
{
  int p[2], pid, i, n, seq = 0, total = 0;

  CHECK(pipe(p) == 0, "pipe");
  CHECK((pid = fork()) >= 0, "fork");
  if(pid == 0){
    close(p[0]);
    for(n = 0; n < 5; n++){
      for(i = 0; i < 1033; i++)
        buf[i] = seq++;
      CHECK(write(p[1], buf, 1033) == 1033, "write");
    }
    exit();
  }
  close(p[1]);
  while((n = read(p[0], buf, 1 + total % 3000)) > 0){
    for(i = 0; i < n; i++)
      CHECK((buf[i] & 0xff) == (seq++ & 0xff), "wrong data");
    total += n;
  }
  CHECK(total == 5 * 1033, "wrong total");
  close(p[0]);
  wait();
}

// With every write end closed, read returns 0; with every read end closed,
// a write that does not fit in the pipe returns -1 (as in xv6: one that fits
// succeeds).
static void
pipeends(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe");
  close(p[1]);
  CHECK(read(p[0], buf, 10) == 0, "read with no writer");
  close(p[0]);
  CHECK(pipe(p) == 0, "pipe");
  close(p[0]);
  CHECK(write(p[1], buf, 600) == -1, "write with no reader");
  close(p[1]);
}

// ---- traps -----------------------------------------------------------------------------

static void
kernelwrite(void)
{
  *(volatile char*)KERNBASE = 1;
}

static void
kernelread(void)
{
  printf(1, "%x\n", *(volatile int*)(KERNBASE + 0x100000));
}

static void
pastbreak(void)
{
  *(volatile int*)(sbrk(0) + 4096 * 4) = 1;
}

static void
inport(void)
{
  asm volatile("inb $0x60, %%al" : : : "eax");
}

static void
privileged(void)
{
  asm volatile("cli");
}

static void
divzero(void)
{
  volatile int zero = 0;
  int r = 7;

  // (In C, gcc computes 1/x without dividing: the idiv has to be written out.)
  asm volatile("cltd; idivl %1" : "+a"(r) : "r"(zero) : "edx");
  printf(1, "%d\n", r);
}

// A process touching what it may not is killed; its parent goes on.
static void
traps(void)
{
  CHECK(!survives(kernelwrite), "wrote kernel memory");
  CHECK(!survives(kernelread), "read kernel memory");
  CHECK(!survives(pastbreak), "wrote past the break");
  CHECK(!survives(inport), "ran an in instruction");
  CHECK(!survives(privileged), "ran cli");
  CHECK(!survives(divzero), "divided by zero");
}

// A system call whose stack pointer is not in user memory fails (its
// arguments cannot be fetched); the process goes on.
static void
badstack(void)
{
  int r;

  asm volatile("movl %%esp, %%ebx\n\t"
               "movl $0x90000000, %%esp\n\t"
               "int $64\n\t"
               "movl %%ebx, %%esp"
               : "=a"(r) : "a"(SYS_write) : "ebx", "memory");
  CHECK(r == -1, "a system call with a kernel stack pointer");
}

// ---- the list --------------------------------------------------------------------------

static struct test {
  char *name;
  void (*fn)(void);
} tests[] = {
  {"forkfull", forkfull},
  {"exitwait", exitwait},
  {"killspin", killspin},
  {"pids", pids},
  {"execfail", execfail},
  {"sleeptime", sleeptime},
  {"sbrkgrow", sbrkgrow},
  {"sbrkgone", sbrkgone},
  {"sbrkfail", sbrkfail},
  {"forkcopy", forkcopy},
  {"pipedata", pipedata},
  {"pipeends", pipeends},
  {"traps", traps},
  {"badstack", badstack},
  {"fstests", fstests},
  {0, 0},
};

// Run one test in a child; stop everything if it fails.
static void
run(struct test *t)
{
  int pid;
  char ok[2];

  current = t->name;
  printf(1, "test %s\n", t->name);
  CHECK(pipe(report) == 0, "pipe");
  if((pid = fork()) == 0){
    close(report[0]);
    t->fn();
    write(report[1], "ok", 2);
    exit();
  }
  close(report[1]);
  if(pid < 0 || read(report[0], ok, 2) != 2){
    printf(1, "%s: FAILED\n", t->name);
    exit();
  }
  close(report[0]);
  wait();
  printf(1, "%s: ok\n", t->name);
}

int
main(int argc, char *argv[])
{
  struct test *t;
  int i;

  printf(1, "usertests starting\n");
  for(t = tests; t->name; t++){
    for(i = 1; i < argc && strcmp(argv[i], t->name) != 0; i++)
      ;
    if(argc < 2 || i < argc)
      run(t);
  }
  printf(1, "ALL TESTS PASSED\n");
  exit();
}
