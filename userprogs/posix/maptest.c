// maptest: mmap, munmap and mprotect as a program written for Linux sees them,
// in the manner of the Linux Test Project's tests of these calls: each
// documented error case, then what a mapping holds. Every line is what a call
// returned (never an address: they differ) and errno's name, so that the same
// source built by gcc on Linux prints the same
// (tests/test_posix_conformance.py compares the two).

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
#define RW (PROT_READ | PROT_WRITE)

static const char *
ename(int e)
{
  static const struct { int e; const char *name; } names[] = {
    {0, "0"}, {EBADF, "EBADF"}, {EINVAL, "EINVAL"}, {EACCES, "EACCES"}, {ENODEV, "ENODEV"},
    {ENOMEM, "ENOMEM"}, {ENOENT, "ENOENT"},
  };
  for(unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
    if(names[i].e == e)
      return names[i].name;
  return "E?";
}

// A call's result: "ok", or -1 and errno's name.
#define SHOW(what, call) do { \
    errno = 0; \
    long r_ = (long) (call); \
    if(r_ == -1) printf("%-40s -1 %s\n", what, ename(errno)); \
    else printf("%-40s ok\n", what); \
  } while(0)

static void
makefile(const char *path, int n)
{
  static char text[3 * PG];
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

  for(int i = 0; i < n; i++)
    text[i] = 'a' + i % 26;
  write(fd, text, n);
  close(fd);
}

int
main(void)
{
  int fd, ro, wo, dir, p[2], status;
  char *a, *b, buf[16];

  makefile("mt-file", 2 * PG + 100);
  ro = open("mt-file", O_RDONLY);
  wo = open("mt-file", O_WRONLY);
  dir = open(".", O_RDONLY);
  pipe(p);

  printf("-- mmap errors\n");
  SHOW("length 0", mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  SHOW("neither MAP_SHARED nor MAP_PRIVATE", mmap(0, PG, PROT_READ, MAP_ANONYMOUS, -1, 0));
  SHOW("bad fd", mmap(0, PG, PROT_READ, MAP_PRIVATE, 99, 0));
  SHOW("offset not page aligned", mmap(0, PG, PROT_READ, MAP_PRIVATE, ro, 100));
  SHOW("MAP_FIXED at an unaligned address", mmap((void *) 0x40000100, PG, PROT_READ,
       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  SHOW("shared writable of a read-only fd", mmap(0, PG, RW, MAP_SHARED, ro, 0));
  SHOW("private writable of a read-only fd", mmap(0, PG, RW, MAP_PRIVATE, ro, 0));
  SHOW("of a write-only fd", mmap(0, PG, PROT_READ, MAP_SHARED, wo, 0));
  SHOW("of a directory", mmap(0, PG, PROT_READ, MAP_PRIVATE, dir, 0));
  SHOW("of a pipe", mmap(0, PG, PROT_READ, MAP_PRIVATE, p[0], 0));

  printf("-- munmap and mprotect errors\n");
  a = mmap(0, 4 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  SHOW("mmap 4 pages", a);
  SHOW("munmap unaligned", munmap(a + 1, PG));
  SHOW("munmap length 0", munmap(a, 0));
  SHOW("mprotect unaligned", mprotect(a + 1, PG, PROT_READ));
  SHOW("mprotect bad prot", mprotect(a, PG, 0x100));
  SHOW("munmap the third page", munmap(a + 2 * PG, PG));
  SHOW("munmap it again (nothing there)", munmap(a + 2 * PG, PG));
  SHOW("mprotect over the hole", mprotect(a, 4 * PG, PROT_READ));
  SHOW("mprotect of the first two", mprotect(a, 2 * PG, PROT_READ));

  printf("-- contents\n");
  b = mmap(0, 3 * PG, PROT_READ, MAP_PRIVATE, ro, 0);
  SHOW("mmap the file private", b);
  printf("%-40s %.5s %.5s %d\n", "bytes 0, 4096, 8292 (past the end)", b, b + PG, b[2 * PG + 100]);
  SHOW("mprotect it writable", mprotect(b, PG, RW));
  memcpy(b, "PRIV", 4);
  SHOW("munmap it", munmap(b, 3 * PG));
  fd = open("mt-file", O_RDWR);
  b = mmap(0, PG, RW, MAP_SHARED, fd, 0);
  SHOW("mmap the file shared", b);
  memcpy(b + 10, "SHARED", 6);
  SHOW("PROT_NONE", mprotect(b, PG, PROT_NONE));
  SHOW("and back", mprotect(b, PG, PROT_READ));
  printf("%-40s %.16s\n", "kept", b);
  SHOW("munmap it", munmap(b, PG));
  lseek(fd, 0, SEEK_SET);
  read(fd, buf, 16);
  printf("%-40s %.16s\n", "the file", buf);

  printf("-- fork\n");
  a = mmap(0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  b = mmap(0, PG, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(a, "parent");
  strcpy(b, "parent");
  if(fork() == 0){
    strcpy(a, "child");
    strcpy(b, "child");
    _exit(0);
  }
  wait(&status);
  printf("%-40s %s %s\n", "shared, private after the child wrote", a, b);
  munmap(a, PG);
  munmap(b, PG);
  close(fd);
  close(ro);
  close(wo);
  close(dir);
  unlink("mt-file");
  return 0;
}
