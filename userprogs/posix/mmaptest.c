// mmaptest [TEST...]: the rules of mmap, munmap, mprotect and POSIX shared
// memory, one test each (all of them with no argument). mmaptest bench WHAT N
// times mmap's paths for bench/bench_mmap.py (one program, not two: the
// default disk has room for few more). Each prints "ok NAME"
// or "FAIL NAME: why" and the program exits with the number of failures.
// tests/test_mmap.py runs it and checks the kernel after each test too: no
// frame, object or area left behind.
//
// A child that should die of a fault is forked and its wait status checked:
// SIGSEGV (11) for a touch no area allows, SIGBUS (7) beyond an object's end.

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
#define RW (PROT_READ | PROT_WRITE)

static int failures;
static const char *current;

#define fail(...) do { \
    printf("FAIL %s: ", current); printf(__VA_ARGS__); printf("\n"); \
    failures++; return; \
  } while(0)
#define expect(cond, ...) do { if(!(cond)) fail(__VA_ARGS__); } while(0)
// expect_err: call must fail with errno e.
#define expect_err(call, e) do { \
    errno = 0; \
    long r_ = (long) (call); \
    if(r_ != -1 || errno != (e)) fail("%s: got %ld errno %d, not errno %d", #call, r_, errno, (e)); \
  } while(0)

// Fork a child that runs fn(arg); return its wait status.
static int
in_child(void (*fn)(char *), char *arg)
{
  int status;
  pid_t pid = fork();

  if(pid == 0){
    fn(arg);
    exit(0);
  }
  waitpid(pid, &status, 0);
  return status;
}

static void touch_read(char *p) { volatile char c = *p; (void) c; }
static void touch_write(char *p) { *p = 1; }

static void *
anon(int n, int prot, int flags)
{
  return mmap(0, n * PG, prot, flags | MAP_ANONYMOUS, -1, 0);
}

// ---- the tests ----------------------------------------------------------------------

static void
t_zero(void)
{
  char *p = anon(3, RW, MAP_PRIVATE);
  int i;

  expect(p != MAP_FAILED, "mmap: errno %d", errno);
  for(i = 0; i < 3 * PG; i++)
    expect(p[i] == 0, "byte %d is %d", i, p[i]);
  p[5] = 'x';
  expect(munmap(p, 3 * PG) == 0, "munmap");
}

static void
t_shared(void)
{
  char *p = anon(2, RW, MAP_SHARED), *a, *b;
  int fd;

  expect(p != MAP_FAILED, "mmap");
  if(fork() == 0){
    strcpy(p + PG, "from the child");
    exit(0);
  }
  wait(0);
  expect(strcmp(p + PG, "from the child") == 0, "the parent reads '%s'", p + PG);
  munmap(p, 2 * PG);
  // Two mappings of one object in one process: the same frames.
  fd = shm_open("/two", O_CREAT | O_RDWR, 0600);
  expect(fd >= 0 && ftruncate(fd, PG) == 0, "shm_open/ftruncate");
  a = mmap(0, PG, RW, MAP_SHARED, fd, 0);
  b = mmap(0, PG, RW, MAP_SHARED, fd, 0);
  expect(a != MAP_FAILED && b != MAP_FAILED && a != b, "two mappings");
  strcpy(a, "through a");
  expect(strcmp(b, "through a") == 0, "b reads '%s'", b);
  munmap(a, PG);
  munmap(b, PG);
  shm_unlink("/two");
  close(fd);
}

static void
t_private(void)
{
  char *p = anon(1, RW, MAP_PRIVATE), *s, *q;
  int fd;

  strcpy(p, "parent");
  if(fork() == 0){
    strcpy(p, "child");
    exit(0);
  }
  wait(0);
  expect(strcmp(p, "parent") == 0, "the parent reads '%s'", p);
  munmap(p, PG);
  // A private mapping of an object: its writes stay in it.
  fd = shm_open("/priv", O_CREAT | O_RDWR, 0600);
  ftruncate(fd, PG);
  s = mmap(0, PG, RW, MAP_SHARED, fd, 0);
  strcpy(s, "shared");
  q = mmap(0, PG, RW, MAP_PRIVATE, fd, 0);
  expect(strcmp(q, "shared") == 0, "the private copy reads '%s'", q);
  strcpy(q, "private");
  expect(strcmp(s, "shared") == 0, "the shared mapping reads '%s'", s);
  munmap(s, PG);
  munmap(q, PG);
  shm_unlink("/priv");
  close(fd);
}

static void
t_partial(void)
{
  char *p = anon(4, RW, MAP_PRIVATE);
  int st;

  memset(p, 7, 4 * PG);
  expect(munmap(p + PG, PG) == 0, "munmap of the second page");
  expect(p[0] == 7 && p[2 * PG] == 7 && p[3 * PG + 5] == 7, "the other pages kept their bytes");
  st = in_child(touch_read, p + PG + 10);
  expect(WIFSIGNALED(st) && WTERMSIG(st) == 11, "touching the hole: status %#x", st);
  // MAP_FIXED over part of an area replaces that part
  expect(mmap(p + 2 * PG, PG, RW, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == p + 2 * PG,
         "MAP_FIXED over the third page");
  expect(p[2 * PG] == 0 && p[3 * PG] == 7, "the new page is zero, the fourth kept its bytes");
  expect(munmap(p, 4 * PG) == 0, "munmap of the rest (and the hole)");
  st = in_child(touch_read, p + 3 * PG);
  expect(WIFSIGNALED(st) && WTERMSIG(st) == 11, "touching after munmap: status %#x", st);
}

static void
t_mprotect(void)
{
  char *p = anon(2, RW, MAP_PRIVATE);
  int st;

  p[0] = 'a';
  expect(mprotect(p, PG, PROT_READ) == 0, "mprotect");
  expect(p[0] == 'a', "read after mprotect");
  st = in_child(touch_write, p);
  expect(WIFSIGNALED(st) && WTERMSIG(st) == 11, "write to read-only: status %#x", st);
  p[PG] = 'b';                              // the second page is still writable
  expect(mprotect(p + PG, PG, PROT_NONE) == 0, "mprotect none");
  st = in_child(touch_read, p + PG);
  expect(WIFSIGNALED(st) && WTERMSIG(st) == 11, "read of PROT_NONE: status %#x", st);
  expect(mprotect(p, 2 * PG, RW) == 0, "mprotect back");
  expect(p[PG] == 'b', "PROT_NONE and back kept the page: %d", p[PG]);
  p[0] = 'c';
  expect(p[0] == 'c', "write after mprotect back");
  munmap(p, 2 * PG);
}

static void
t_lazy(void)
{
  char *p = anon(256, RW, MAP_PRIVATE);     // 1 MiB

  expect(p != MAP_FAILED, "mmap");
  p[100 * PG + 3] = 1;                      // one page of 256
  expect(p[100 * PG + 3] == 1, "read back");
  printf("lazy: mapped 1 MiB at 0x%lx, touched one page\n", (unsigned long) p);
  munmap(p, 256 * PG);
}

static void
write_file(const char *path, int n)
{
  char buf[512];
  int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644), i, k;

  for(i = 0; i < n; i += k){
    k = n - i < 512 ? n - i : 512;
    for(int j = 0; j < k; j++)
      buf[j] = 'a' + (i + j) % 26;
    write(fd, buf, k);
  }
  close(fd);
}

static void
t_file(void)
{
  int fd, i, st;
  char *p;

  write_file("mapped", 5000);
  fd = open("mapped", O_RDONLY);
  p = mmap(0, 3 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  expect(p != MAP_FAILED, "mmap of a file: errno %d", errno);
  for(i = 0; i < 5000; i++)
    expect(p[i] == 'a' + i % 26, "byte %d is %d", i, p[i]);
  for(; i < 2 * PG; i++)
    expect(p[i] == 0, "byte %d past the end is %d", i, p[i]);
  st = in_child(touch_read, p + 2 * PG);
  expect(WIFSIGNALED(st) && WTERMSIG(st) == 7, "page beyond the end: status %#x", st);
  munmap(p, 3 * PG);
  // an offset
  p = mmap(0, PG, PROT_READ, MAP_SHARED, fd, PG);
  expect(p != MAP_FAILED && p[0] == 'a' + PG % 26, "mapped from offset 4096");
  munmap(p, PG);
  close(fd);
  unlink("mapped");
}

// A system call's buffer in pages not touched yet: the kernel fills them as the
// CPU would.
static void
t_buffer(void)
{
  int p[2];
  char *a = anon(2, RW, MAP_PRIVATE), *b = anon(1, RW, MAP_SHARED);

  pipe(p);
  expect(write(p[1], "through a pipe", 15) == 15, "write");
  expect(read(p[0], a + PG - 4, 15) == 15, "read into two untouched pages");
  expect(strcmp(a + PG - 4, "through a pipe") == 0, "read '%s'", a + PG - 4);
  expect(write(p[1], b, 8) == 8, "write from an untouched shared page");
  expect(read(p[0], a, 8) == 8 && memcmp(a, "\0\0\0\0\0\0\0\0", 8) == 0, "zeros");
  close(p[0]);
  close(p[1]);
  munmap(a, 2 * PG);
  munmap(b, PG);
}

// System V IPC's buffers in pages never touched: the kernel copies into and out
// of them as it does for read() and write(), filling them first.
static void
t_ipcbuffer(void)
{
  struct msgq { long mtype; char mtext[16]; } *m;
  struct sembuf *op;
  unsigned short *vals;
  struct shmid_ds *ds;
  int *st;
  int q, s, id;
  char *a = anon(1, RW, MAP_PRIVATE), *b = anon(2, RW, MAP_SHARED);

  *(long *) (b + PG - sizeof(long)) = 1;   // a message's type; its text on the next page
  q = msgget(IPC_PRIVATE, 0600);
  s = semget(IPC_PRIVATE, 2, 0600);
  id = shmget(IPC_PRIVATE, PG, 0600);
  expect(q >= 0 && s >= 0 && id >= 0, "msgget, semget, shmget: errno %d", errno);
  expect(msgsnd(q, b + PG - sizeof(long), 8, 0) == 0, "msgsnd from an untouched page: errno %d", errno);
  m = (struct msgq *) (a + 64);
  expect(msgrcv(q, m, sizeof m->mtext, 0, 0) == 8, "msgrcv into an untouched page: errno %d", errno);
  op = (struct sembuf *) (b + PG + 128);
  expect(semop(s, op, 1) == 0, "semop of an untouched (zero) sembuf: errno %d", errno);
  vals = (unsigned short *) (a + 256);
  expect(semctl(s, 0, GETALL, vals) == 0 && vals[0] == 0 && vals[1] == 0,
         "semctl GETALL into the page: errno %d", errno);
  ds = (struct shmid_ds *) (b + PG + 512);
  expect(shmctl(id, IPC_STAT, ds) == 0 && ds->shm_segsz == PG, "shmctl IPC_STAT: errno %d", errno);
  msgctl(q, IPC_RMID, 0);
  semctl(s, 0, IPC_RMID);
  shmctl(id, IPC_RMID, 0);
  munmap(a, PG);
  munmap(b, 2 * PG);
  a = anon(1, RW, MAP_SHARED);
  st = (int *) a;
  if(fork() == 0)
    exit(7);
  expect(wait(st) > 0 && WIFEXITED(*st) && WEXITSTATUS(*st) == 7, "wait's status into the page");
  munmap(a, PG);
}

// A system call's buffer in file pages never touched: the kernel reads them in
// first (trap.py: bufferfill) and the call goes on.
static void
t_filebuffer(void)
{
  int fd, out;
  char *p, *q, buf[64];

  write_file("src", 5000);
  fd = open("src", O_RDONLY);
  p = mmap(0, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  expect(p != MAP_FAILED, "mmap: errno %d", errno);
  expect(write(1, p + PG - 5, 10) == 10, "write from untouched file pages: errno %d", errno);
  printf("\n");
  out = open("dst", O_CREAT | O_TRUNC | O_RDWR, 0644);
  expect(ftruncate(out, 2 * PG) == 0, "ftruncate");
  q = mmap(0, 2 * PG, RW, MAP_SHARED, out, 0);
  expect(q != MAP_FAILED, "mmap dst: errno %d", errno);
  lseek(fd, 0, SEEK_SET);
  expect(read(fd, q + PG - 8, 16) == 16, "read into untouched file pages: errno %d", errno);
  expect(munmap(q, 2 * PG) == 0, "munmap");
  lseek(out, PG - 8, SEEK_SET);
  expect(read(out, buf, 16) == 16 && memcmp(buf, "abcdefghijklmnop", 16) == 0, "in the file: '%.16s'", buf);
  munmap(p, 2 * PG);
  close(fd);
  close(out);
  unlink("src");
  unlink("dst");
}

// Only pages written through a shared mapping are written back (PTE_D).
static void
t_dirty(void)
{
  int fd;
  char *p;
  volatile char c;

  write_file("dirty", 4 * PG);
  fd = open("dirty", O_RDWR);
  p = mmap(0, 4 * PG, RW, MAP_SHARED, fd, 0);
  expect(p != MAP_FAILED, "mmap: errno %d", errno);
  c = p[0];                                 // read three pages, write one
  c = p[PG];
  c = p[3 * PG];
  (void) c;
  p[2 * PG] = 'D';
  expect(munmap(p, 4 * PG) == 0, "munmap");
  close(fd);
  unlink("dirty");
}

static void
t_fileshared(void)
{
  int fd;
  char *p, buf[128];

  write_file("persist", 6000);
  fd = open("persist", O_RDWR);
  p = mmap(0, 2 * PG, RW, MAP_SHARED, fd, 0);
  expect(p != MAP_FAILED, "mmap: errno %d", errno);
  memcpy(p + 100, "SHARED", 6);
  memcpy(p + PG + 10, "PAGE2", 5);
  expect(munmap(p, 2 * PG) == 0, "munmap");
  p = mmap(0, PG, RW, MAP_PRIVATE, fd, 0);
  memcpy(p + 200, "PRIVATE", 7);            // never reaches the file
  munmap(p, PG);
  close(fd);
  fd = open("persist", O_RDONLY);
  read(fd, buf, 106);
  expect(memcmp(buf + 100, "SHARED", 6) == 0, "read() after munmap: '%.6s'", buf + 100);
  close(fd);
  p = 0;
}

static void
t_unlink(void)
{
  int fd = shm_open("/gone", O_CREAT | O_EXCL | O_RDWR, 0600), fd2;
  char *p;
  struct stat st;

  expect(fd >= 0, "shm_open");
  expect(ftruncate(fd, 3 * PG + 1) == 0, "ftruncate");
  expect(fstat(fd, &st) == 0 && st.st_size == 3 * PG + 1, "fstat size %ld", st.st_size);
  expect(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600, "fstat mode %o", st.st_mode);
  p = mmap(0, 4 * PG, RW, MAP_SHARED, fd, 0);
  close(fd);
  strcpy(p + 3 * PG, "still here");
  expect(shm_unlink("/gone") == 0, "shm_unlink");
  expect_err(shm_open("/gone", O_RDWR, 0), ENOENT);
  fd2 = shm_open("/gone", O_CREAT | O_EXCL | O_RDWR, 0600);
  expect(fd2 >= 0, "the name is free at once");
  expect(strcmp(p + 3 * PG, "still here") == 0, "the object lives while mapped");
  munmap(p, 4 * PG);
  shm_unlink("/gone");
  close(fd2);
}

static void
t_excl(void)
{
  char name[8] = "/race0";
  int i, k, st, made[5] = {0};

  for(i = 0; i < 20; i++){
    if(fork() == 0){
      int mine = 0;
      for(k = 0; k < 5; k++){
        name[5] = '0' + k;
        int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
        if(fd >= 0)
          mine |= 1 << k;
        else if(errno != EEXIST)
          exit(100);
      }
      exit(mine);
    }
  }
  for(i = 0; i < 20; i++){
    wait(&st);
    expect(WIFEXITED(st) && WEXITSTATUS(st) < 100, "a child failed: status %#x", st);
    for(k = 0; k < 5; k++)
      made[k] += WEXITSTATUS(st) >> k & 1;
  }
  for(k = 0; k < 5; k++){
    expect(made[k] == 1, "name %d made %d times", k, made[k]);
    name[5] = '0' + k;
    shm_unlink(name);
  }
}

static void
t_errors(void)
{
  char longname[300];
  int fd, p[2], i, st, fds[16];
  char *a;

  expect_err(mmap(0, 0, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
  expect_err(mmap(0, PG, 0x100, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
  expect_err(mmap(0, PG, RW, MAP_ANONYMOUS, -1, 0), EINVAL);
  expect_err(mmap(0, PG, RW, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
  expect_err(mmap((void *) 0x10000010, PG, RW, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
  expect_err(mmap((void *) 0x1000, PG, RW, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
  expect_err(mmap((void *) 0x7ffff000, 2 * PG, RW, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
  expect_err(mmap(0, PG, RW, MAP_SHARED, -1, 0), EBADF);
  expect_err(mmap(0, PG, RW, MAP_SHARED, 15, 0), EBADF);
  pipe(p);
  expect_err(mmap(0, PG, PROT_READ, MAP_SHARED, p[0], 0), ENODEV);
  close(p[0]);
  close(p[1]);
  fd = shm_open("/ro", O_CREAT | O_RDWR, 0600);
  ftruncate(fd, PG);
  close(fd);
  fd = shm_open("/ro", O_RDONLY, 0);
  expect(fd >= 0, "shm_open read-only");
  expect_err(mmap(0, PG, RW, MAP_SHARED, fd, 0), EACCES);
  expect_err(mmap(0, PG, PROT_READ, MAP_SHARED, fd, 100), EINVAL);
  a = mmap(0, PG, PROT_READ, MAP_SHARED, fd, 0);
  expect(a != MAP_FAILED, "read-only mapping of a read-only descriptor");
  expect_err(mprotect(a, PG, RW), EACCES);
  munmap(a, PG);
  a = mmap(0, PG, PROT_READ, MAP_PRIVATE, fd, 0);
  expect(a != MAP_FAILED && mprotect(a, PG, RW) == 0, "a private copy may be made writable");
  munmap(a, PG);
  expect_err(ftruncate(fd, 10), EINVAL);
  close(fd);
  expect_err(ftruncate(fd, 10), EBADF);
  expect_err(munmap((void *) 0x10000001, PG), EINVAL);
  expect_err(munmap((void *) 0x10000000, 0), EINVAL);
  expect_err(mprotect((void *) 0x30000000, PG, PROT_READ), ENOMEM);
  expect_err(mprotect((void *) 0x30000001, PG, PROT_READ), EINVAL);
  expect_err(shm_open("noslash", O_CREAT | O_RDWR, 0600), EINVAL);
  expect_err(shm_open("/a/b", O_CREAT | O_RDWR, 0600), EINVAL);
  expect_err(shm_open("/", O_CREAT | O_RDWR, 0600), EINVAL);
  expect_err(shm_open("/ro", O_WRONLY, 0), EINVAL);
  longname[0] = '/';
  memset(longname + 1, 'n', 256);
  longname[257] = 0;
  expect_err(shm_open(longname, O_CREAT | O_RDWR, 0600), ENAMETOOLONG);
  expect_err(shm_open("/missing", O_RDWR, 0), ENOENT);
  expect_err(shm_open("/ro", O_CREAT | O_EXCL | O_RDWR, 0600), EEXIST);
  expect_err(shm_unlink("/missing"), ENOENT);
  for(i = 0; i < 16; i++)
    fds[i] = dup(1);
  expect_err(shm_open("/ro", O_RDWR, 0), EMFILE);
  for(i = 0; i < 16; i++)
    if(fds[i] >= 0)
      close(fds[i]);
  // Owners: an object of uid 0, mode 0600, is not another user's to open or unlink.
  if(fork() == 0){
    setuid(1);
    errno = 0;
    int r1 = shm_open("/ro", O_RDONLY, 0), e1 = errno;
    int r2 = shm_unlink("/ro"), e2 = errno;
    exit(r1 == -1 && e1 == EACCES && r2 == -1 && e2 == EACCES ? 0 : 1);
  }
  wait(&st);
  expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "another user opened or removed /ro");
  shm_unlink("/ro");
  // The heap, segments and areas keep out of each other's way.
  a = mmap((void *) (((unsigned long) sbrk(0) + 2 * PG) & ~(PG - 1)), PG, RW,
           MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  expect(a != MAP_FAILED, "a fixed area just above the heap: errno %d", errno);
  expect(sbrk(8 * PG) == (void *) -1, "sbrk grew into an area");
  munmap(a, PG);
  a = mmap((void *) 0x40000000, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  i = shmget(IPC_PRIVATE, PG, 0600);
  expect(shmat(i, (void *) 0x40000000, 0) == (void *) -1 && errno == EINVAL, "shmat over an area");
  shmctl(i, IPC_RMID, 0);
  munmap(a, PG);
}

static struct { const char *name; void (*fn)(void); } tests[] = {
  {"zero", t_zero}, {"shared", t_shared}, {"private", t_private}, {"partial", t_partial},
  {"mprotect", t_mprotect}, {"lazy", t_lazy}, {"file", t_file}, {"fileshared", t_fileshared},
  {"unlink", t_unlink}, {"excl", t_excl}, {"errors", t_errors}, {"buffer", t_buffer},
  {"filebuffer", t_filebuffer}, {"dirty", t_dirty}, {"ipcbuffer", t_ipcbuffer},
};
#define NTESTS (int) (sizeof tests / sizeof tests[0])

static void
run(const char *name)
{
  int before = failures;

  for(int i = 0; i < NTESTS; i++)
    if(strcmp(tests[i].name, name) == 0){
      current = name;
      tests[i].fn();
      if(failures == before)
        printf("ok %s\n", name);
      fflush(stdout);
      return;
    }
  printf("FAIL %s: no such test\n", name);
  failures++;
}

// ---- mmaptest bench WHAT N: loops for bench/bench_mmap.py, which subtracts a run
// with N = 0 and divides by N.
//   getpid N     N getpid() calls: the bare cost of a system call (the baseline)
//   fill N       one anonymous mapping of N pages, each touched once: N lazy fills
//   map N        N mmap+munmap pairs of 1 MiB, never touched
//   touch N      N times: map 4 MiB anonymous, write every page, unmap

static int
bench(const char *what, int n)
{
  int i, k;
  char *p;

  if(strcmp(what, "getpid") == 0){
    for(i = 0; i < n; i++)
      getpid();
  } else if(strcmp(what, "fill") == 0){
    p = anon(n + 1, RW, MAP_PRIVATE);
    for(i = 0; i < n; i++)
      p[i * PG] = 1;
    munmap(p, (n + 1) * PG);
  } else if(strcmp(what, "map") == 0){
    for(i = 0; i < n; i++)
      munmap(anon(256, RW, MAP_PRIVATE), 256 * PG);
  } else if(strcmp(what, "touch") == 0){
    for(i = 0; i < n; i++){
      p = anon(1024, RW, MAP_PRIVATE);
      for(k = 0; k < 1024 * PG; k += PG)
        p[k] = 1;
      munmap(p, 1024 * PG);
    }
  } else {
    printf("mmaptest: unknown benchmark %s\n", what);
    return 2;
  }
  return 0;
}

int
main(int argc, char *argv[])
{
  if(argc == 4 && strcmp(argv[1], "bench") == 0)
    return bench(argv[2], atoi(argv[3]));
  if(argc < 2)
    for(int i = 0; i < NTESTS; i++)
      run(tests[i].name);
  for(int i = 1; i < argc; i++)
    run(argv[i]);
  return failures;
}
