// badargs: make every system call with bad arguments, one line per case:
//
//     badargs: CALL CASE = RESULT
//
// Every one of them must fail with -1 (or do the documented harmless thing)
// and change nothing: after the bad calls the program checks that what they
// could have damaged still works, and prints "badargs: CHECK ok" or a FAIL line.
//
// The bad pointers:
//   kernel     0x80000000, the first kernel address (present, not user)
//   khigh      0xffffff00, near the top of the kernel half
//   unmapped   0x40000000, nothing mapped there
//   guard      the guard page below the stack (present, PTE_U clear)
//   straddle   the last 8 bytes of the stack page, with 16 bytes asked for:
//              nothing is mapped above the stack until sbrk grows the heap
//   wrap       0xfffffff0 with 32 bytes: the range wraps around 2^32 to 0x10
//
// The program never calls malloc, so the stack page is the top of its memory.
// Console input (from the test) must still be there after the failed reads.

#include "types.h"
#include "user.h"
#include "stat.h"
#include "fcntl.h"
#include "syscall.h"

#define PGSIZE 4096
#define MAXARG 32
#define SHM_N 16
#define SHM_MAX 10
#define KERNBASE 0x80000000

#define KERNEL   ((char*)0x80000000)
#define KHIGH    ((char*)0xffffff00)
#define UNMAPPED ((char*)0x40000000)
#define WRAP     ((char*)0xfffffff0)

static char *guard;      // the guard page
static char *straddle;   // 8 bytes before the end of the stack page
static char *top;        // the break: the end of the stack page
static int failures;

static void
show(const char *call, const char *what, int r)
{
  printf(1, "badargs: %s %s = %d\n", call, what, r);
}

static void
check(const char *what, int ok)
{
  if(ok)
    printf(1, "badargs: %s ok\n", what);
  else{
    printf(1, "badargs: FAIL: %s\n", what);
    failures++;
  }
}

// A system call made with `int $64` directly, with %eax = num and %esp = esp
// for the duration of the trap. The kernel reads arguments at esp+4, ...
static int
sys_at(int num, uint esp)
{
  int r;

  asm volatile("movl %%esp, %%edi\n\t"
               "movl %2, %%esp\n\t"
               "int $64\n\t"
               "movl %%edi, %%esp"
               : "=a" (r)
               : "a" (num), "r" (esp)
               : "edi", "memory");
  return r;
}

// A system call with the number num and the program's own stack.
static int
sys_num(int num)
{
  int r;

  asm volatile("int $64" : "=a" (r) : "a" (num) : "memory");
  return r;
}

static void
rw_cases(void)
{
  char buf[16];
  int fd;

  show("write", "kernel", write(1, KERNEL, 4));
  show("write", "khigh", write(1, KHIGH, 4));
  show("write", "unmapped", write(1, UNMAPPED, 4));
  show("write", "guard", write(1, guard, 4));
  show("write", "straddle", write(1, straddle, 16));
  show("write", "wrap", write(1, WRAP, 32));
  show("write", "n=-1", write(1, "x", -1));
  show("write", "n=-2^31", write(1, "x", (int)0x80000000));
  show("write", "n=2^31-1", write(1, "x", 0x7fffffff));
  show("write", "kernel n=0", write(1, KERNEL, 0));
  show("write", "fd=-1", write(-1, "x", 1));
  show("write", "fd=16", write(16, "x", 1));
  show("write", "fd=100", write(100, "x", 1));

  show("read", "kernel", read(0, KERNEL, 4));
  show("read", "khigh", read(0, KHIGH, 4));
  show("read", "unmapped", read(0, UNMAPPED, 4));
  show("read", "guard", read(0, guard, 4));
  show("read", "straddle", read(0, straddle, 16));
  show("read", "wrap", read(0, WRAP, 32));
  show("read", "n=-1", read(0, buf, -1));
  show("read", "n=-2^31", read(0, buf, (int)0x80000000));
  show("read", "fd=-1", read(-1, buf, 1));
  show("read", "fd=16", read(16, buf, 1));
  show("read", "fd=100", read(100, buf, 1));

  fd = dup(1);
  show("close", "dup of 1", close(fd));
  show("write", "closed fd", write(fd, "x", 1));
  show("read", "closed fd", read(fd, buf, 1));
  show("close", "closed fd", close(fd));
  show("close", "fd=-1", close(-1));
  show("close", "fd=16", close(16));
  show("dup", "closed fd", dup(fd));
  show("dup", "fd=-1", dup(-1));
  show("dup", "fd=100", dup(100));

  fd = open("hello", O_RDONLY);
  show("write", "read-only file", write(fd, "x", 1));
  close(fd);
}

static void
path_cases(void)
{
  char *p;

  show("open", "kernel", open(KERNEL, O_RDONLY));
  show("open", "khigh", open(KHIGH, O_RDONLY));
  show("open", "unmapped", open(UNMAPPED, O_RDONLY));
  show("open", "guard", open(guard, O_RDONLY));
  show("open", "nonexistent", open("nonexistent", O_RDONLY));
  show("open", "console O_CREATE", open("console", O_CREATE | O_RDWR));
  show("open", "/ O_RDWR", open("/", O_RDWR));

  // A path with no NUL before the end of memory: a fresh heap page full of 'a'.
  p = sbrk(PGSIZE);
  memset(p, 'a', PGSIZE);
  show("open", "unterminated", open(p, O_RDONLY));
  show("chdir", "unterminated", chdir(p));
  sbrk(-PGSIZE);

  show("chdir", "kernel", chdir(KERNEL));
  show("chdir", "unmapped", chdir(UNMAPPED));
  show("mkdir", "kernel", mkdir(KERNEL));
  show("unlink", "unmapped", unlink(UNMAPPED));
  show("link", "kernel", link(KERNEL, "x"));
  show("link", "unmapped new", link("hello", UNMAPPED));
  show("mknod", "guard", mknod(guard, 1, 1));
}

static void
exec_cases(void)
{
  char *argv[MAXARG + 1], **high;
  int i;

  argv[0] = "echo";
  argv[1] = "exec-ran";
  argv[2] = 0;
  show("exec", "path kernel", exec(KERNEL, argv));
  show("exec", "path unmapped", exec(UNMAPPED, argv));
  show("exec", "path guard", exec(guard, argv));
  show("exec", "argv kernel", exec("echo", (char**)KERNEL));
  show("exec", "argv unmapped", exec("echo", (char**)UNMAPPED));
  show("exec", "argv guard", exec("echo", (char**)guard));
  show("exec", "argv wrap", exec("echo", (char**)0xfffffffc));
  argv[1] = KERNEL;
  show("exec", "argv[1] kernel", exec("echo", argv));
  argv[1] = UNMAPPED;
  show("exec", "argv[1] unmapped", exec("echo", argv));

  // MAXARG pointers and no 0 among them (the 0 is one slot too far).
  for(i = 0; i < MAXARG; i++)
    argv[i] = "x";
  argv[MAXARG] = 0;
  show("exec", "no NULL in 32", exec("echo", argv));

  // An argv array that runs into unmapped memory before its 0: the last
  // words of a fresh heap page.
  high = (char**)(sbrk(PGSIZE) + PGSIZE - 4 * 4);
  for(i = 0; i < 4; i++)
    high[i] = "x";
  show("exec", "argv runs off memory", exec("echo", high));
  sbrk(-PGSIZE);
}

static void
struct_cases(void)
{
  struct stat st;
  int fd[2], r;

  show("fstat", "kernel", fstat(1, (struct stat*)KERNEL));
  show("fstat", "unmapped", fstat(1, (struct stat*)UNMAPPED));
  show("fstat", "guard", fstat(1, (struct stat*)guard));
  show("fstat", "straddle", fstat(1, (struct stat*)(top - 8)));
  show("fstat", "wrap", fstat(1, (struct stat*)0xfffffff8));
  show("fstat", "fd=-1", fstat(-1, &st));
  show("fstat", "fd=16", fstat(16, &st));

  show("pipe", "kernel", pipe((int*)KERNEL));
  show("pipe", "khigh", pipe((int*)KHIGH));
  show("pipe", "unmapped", pipe((int*)UNMAPPED));
  show("pipe", "guard", pipe((int*)guard));
  show("pipe", "straddle", pipe((int*)(top - 4)));
  show("pipe", "wrap", pipe((int*)0xfffffffc));

  r = pipe(fd);
  show("fstat", "pipe", fstat(fd[0], &st));
  close(fd[0]);
  close(fd[1]);
  check("pipe after bad pipes", r == 0 && fd[0] == 3 && fd[1] == 4);
}

static void
proc_cases(void)
{
  char *brk;

  show("kill", "pid 9999", kill(9999));
  show("kill", "pid -1", kill(-1));
  show("kill", "pid 0", kill(0));
  show("sleep", "-1", sleep(-1));
  show("sleep", "-2^31", sleep((int)0x80000000));

  brk = sbrk(0);
  show("sbrk", "0x7fffffff", (int)sbrk(0x7fffffff));
  show("sbrk", "KERNBASE-break", (int)sbrk(KERNBASE - (uint)brk));
  show("sbrk", "0x7fff0000", (int)sbrk(0x7fff0000));
  show("sbrk", "-0x7fffffff", (int)sbrk(-0x7fffffff));
  show("sbrk", "-2^31", (int)sbrk((int)0x80000000));
  show("sbrk", "-(break+1)", (int)sbrk(-(int)(uint)brk - 1));
  check("break unchanged", sbrk(0) == brk);
}

static void
shm_cases(void)
{
  int id;

  show("shm_create", "0", shm_create(0));
  show("shm_create", "-1", shm_create(-1));
  show("shm_create", "-2^31", shm_create((int)0x80000000));
  show("shm_create", "SHM_MAX pages + 1", shm_create(SHM_MAX * PGSIZE + 1));
  show("shm_attach", "id -1", shm_attach(-1, (void*)0x60000000));
  show("shm_attach", "id SHM_N", shm_attach(SHM_N, (void*)0x60000000));
  show("shm_attach", "id 100", shm_attach(100, (void*)0x60000000));
  show("shm_attach", "id unused", shm_attach(3, (void*)0x60000000));
  show("shm_detach", "id -1", shm_detach(-1));
  show("shm_detach", "id SHM_N", shm_detach(SHM_N));
  show("shm_detach", "id unused", shm_detach(3));
  show("shm_destroy", "id -1", shm_destroy(-1));
  show("shm_destroy", "id SHM_N", shm_destroy(SHM_N));
  show("shm_destroy", "id unused", shm_destroy(3));

  id = shm_create(2 * PGSIZE);
  show("shm_create", "2 pages", id);
  show("shm_attach", "kernel", shm_attach(id, KERNEL));
  show("shm_attach", "unaligned", shm_attach(id, (void*)0x60000010));
  show("shm_attach", "address 0", shm_attach(id, 0));
  show("shm_attach", "over the program", shm_attach(id, (void*)PGSIZE));
  show("shm_attach", "over the stack", shm_attach(id, guard));
  show("shm_attach", "across KERNBASE", shm_attach(id, (void*)(KERNBASE - PGSIZE)));
  show("shm_attach", "negative", shm_attach(id, (void*)-PGSIZE));
  show("shm_detach", "not attached", shm_detach(id));
  show("shm_attach", "good", shm_attach(id, (void*)0x60000000));
  show("shm_attach", "twice", shm_attach(id, (void*)0x70000000));
  show("shm_destroy", "attached", shm_destroy(id));
  show("shm_detach", "good", shm_detach(id));
  show("shm_detach", "again", shm_detach(id));
  show("shm_destroy", "good", shm_destroy(id));
  show("shm_destroy", "again", shm_destroy(id));
}

static void
trap_cases(void)
{
  show("syscall", "99", sys_num(99));
  show("syscall", "-1", sys_num(-1));
  show("syscall", "0", sys_num(0));
  show("syscall", "1000", sys_num(1000));

  // %esp in kernel space, in nothing, at the very top: arguments unreadable.
  show("write", "esp kernel", sys_at(SYS_write, KERNBASE));
  show("write", "esp khigh", sys_at(SYS_write, 0xffffff00));
  show("write", "esp unmapped", sys_at(SYS_write, 0x40000000));
  show("write", "esp guard", sys_at(SYS_write, (uint)guard));
  show("write", "esp top", sys_at(SYS_write, 0xfffffffc));
  show("kill", "esp kernel", sys_at(SYS_kill, KERNBASE));
  show("sbrk", "esp unmapped", sys_at(SYS_sbrk, 0x40000000));
  // A call with no arguments does not look at the stack.
  show("getpid", "esp kernel", sys_at(SYS_getpid, KERNBASE));
  show("uptime", "esp unmapped", sys_at(SYS_uptime, 0x40000000) >= 0);
}

int
main(void)
{
  char buf[32];
  struct stat st;
  int n, fd;

  top = sbrk(0);
  guard = (char*)(((uint)&n & ~(PGSIZE - 1)) - PGSIZE);
  straddle = top - 8;
  if((uint)top % PGSIZE != 0 || top != guard + 2 * PGSIZE){
    printf(1, "badargs: FAIL: the stack page is not the top of memory\n");
    exit();
  }

  rw_cases();
  path_cases();
  exec_cases();
  struct_cases();
  proc_cases();
  shm_cases();
  trap_cases();

  // Nothing the bad calls did may show now.
  check("break", sbrk(0) == top);
  fd = dup(0);
  check("lowest free fd is 3", fd == 3);
  close(fd);
  check("fstat 1", fstat(1, &st) == 0 && st.type == T_DEV);
  n = read(0, buf, sizeof(buf) - 1);
  buf[n > 0 ? n : 0] = 0;
  printf(1, "badargs: read after = %d %s", n, buf);
  check("write 1", write(1, "badargs: write 1 works\n", 23) == 23);
  if(failures == 0)
    printf(1, "badargs: done\n");
  exit();
}
