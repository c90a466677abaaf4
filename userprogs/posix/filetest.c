// filetest: open, stat, fstat, lseek, read, write, close, dup, pipe, unlink and
// ftruncate as a program written for Linux sees them, in the manner of the
// Linux Test Project's tests of these calls: each documented error case, then
// what the calls did to the file. Every line is what the call returned and
// errno's name, so that the same source built by gcc on Linux prints the same
// (tests/test_posix_conformance.py compares the two).

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *
ename(int e)
{
  static const struct { int e; const char *name; } names[] = {
    {0, "0"}, {ENOENT, "ENOENT"}, {EBADF, "EBADF"}, {EEXIST, "EEXIST"}, {ENOTDIR, "ENOTDIR"},
    {EISDIR, "EISDIR"}, {EINVAL, "EINVAL"}, {EMFILE, "EMFILE"}, {ESPIPE, "ESPIPE"},
    {ENAMETOOLONG, "ENAMETOOLONG"}, {EFAULT, "EFAULT"}, {EACCES, "EACCES"},
  };
  for(unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
    if(names[i].e == e)
      return names[i].name;
  return "E?";
}

// Print what a call returned and, if it failed, errno's name.
#define SHOW(what, call) do { \
    errno = 0; \
    long r_ = (long) (call); \
    if(r_ < 0) printf("%-34s -1 %s\n", what, ename(errno)); \
    else printf("%-34s ok\n", what); \
  } while(0)
#define VALUE(what, call) do { \
    errno = 0; \
    long r_ = (long) (call); \
    printf("%-34s %ld %s\n", what, r_, r_ < 0 ? ename(errno) : ""); \
  } while(0)

static void
contents(const char *path)
{
  char buf[64];
  int fd = open(path, O_RDONLY), n, i;

  n = read(fd, buf, sizeof buf);
  printf("%-34s %d bytes: ", path, n);
  for(i = 0; i < n; i++)
    printf(buf[i] ? "%c" : "\\0", buf[i]);
  printf("\n");
  close(fd);
}

static char longname[300];     // (static: a program's stack is one page on xv6py)

int
main(void)
{
  struct stat st;
  int fd, rd, p[2], i;

  printf("-- open\n");
  SHOW("open missing", open("ft-missing", O_RDONLY));
  fd = open("ft-file", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  SHOW("open O_CREAT|O_WRONLY|O_TRUNC", fd);
  VALUE("write 11", write(fd, "hello world", 11));
  SHOW("open O_CREAT|O_EXCL existing", open("ft-file", O_CREAT | O_EXCL | O_WRONLY, 0644));
  SHOW("open through a file", open("ft-file/x", O_RDONLY));
  SHOW("open in a missing directory", open("ft-missing/x", O_CREAT | O_WRONLY, 0644));
  SHOW("open . O_WRONLY", open(".", O_WRONLY));
  SHOW("open ft-file O_DIRECTORY", open("ft-file", O_RDONLY | O_DIRECTORY));
  i = open("ft-file", O_RDWR | O_WRONLY);      // mode 3: neither read nor write, as on Linux
  SHOW("open O_RDWR|O_WRONLY", i);
  VALUE("  read it", read(i, longname, 1));
  VALUE("  write it", write(i, "x", 1));
  close(i);
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  SHOW("open a 299-byte name", open(longname, O_CREAT | O_WRONLY, 0644));
  SHOW("open empty path", open("", O_RDONLY));
  close(fd);
  contents("ft-file");
  fd = open("ft-file", O_WRONLY | O_TRUNC);
  SHOW("open O_TRUNC", fd);
  close(fd);
  contents("ft-file");

  printf("-- O_APPEND and lseek\n");
  fd = open("ft-file", O_WRONLY | O_APPEND);
  VALUE("write abc", write(fd, "abc", 3));
  VALUE("lseek 0 SEEK_SET", lseek(fd, 0, SEEK_SET));
  VALUE("write def (at the end)", write(fd, "def", 3));
  close(fd);
  contents("ft-file");
  fd = open("ft-file", O_RDWR);
  VALUE("lseek 0 SEEK_END", lseek(fd, 0, SEEK_END));
  VALUE("lseek -2 SEEK_CUR", lseek(fd, -2, SEEK_CUR));
  VALUE("lseek -1 SEEK_SET", lseek(fd, -1, SEEK_SET));
  VALUE("lseek whence 7", lseek(fd, 0, 7));
  VALUE("lseek bad fd", lseek(99, 0, SEEK_SET));
  VALUE("lseek 10 SEEK_SET (past the end)", lseek(fd, 10, SEEK_SET));
  VALUE("write X there", write(fd, "X", 1));
  VALUE("read at the end", read(fd, longname, 10));
  close(fd);
  contents("ft-file");
  pipe(p);
  VALUE("lseek a pipe", lseek(p[0], 0, SEEK_SET));

  printf("-- read, write, close, dup\n");
  rd = open("ft-file", O_RDONLY);
  fd = open("ft-file", O_WRONLY);
  VALUE("read a write-only fd", read(fd, longname, 4));
  VALUE("write a read-only fd", write(rd, "x", 1));
  VALUE("read fd -1", read(-1, longname, 4));
  VALUE("write fd 99", write(99, "x", 1));
  VALUE("read a pipe's write end", read(p[1], longname, 1));
  VALUE("close 99", close(99));
  VALUE("dup 99", dup(99));
  i = open(".", O_RDONLY);
  VALUE("read a directory", read(i, longname, 16));
  close(i);
  VALUE("close", close(fd));
  VALUE("close again", close(fd));

  printf("-- ftruncate, fstat, stat\n");
  fd = open("ft-file", O_RDWR);
  VALUE("ftruncate 3", ftruncate(fd, 3));
  VALUE("ftruncate -1", ftruncate(fd, -1));
  VALUE("ftruncate a read-only fd", ftruncate(rd, 0));
  VALUE("ftruncate fd 99", ftruncate(99, 0));
  VALUE("fstat", fstat(fd, &st));
  printf("%-34s reg %d dir %d size %ld owner rw %d\n", "  st", S_ISREG(st.st_mode), S_ISDIR(st.st_mode),
         (long) st.st_size, (st.st_mode & (S_IRUSR | S_IWUSR)) == (S_IRUSR | S_IWUSR));
  VALUE("fstat fd 99", fstat(99, &st));
  VALUE("stat .", stat(".", &st));
  printf("%-34s reg %d dir %d\n", "  st", S_ISREG(st.st_mode), S_ISDIR(st.st_mode));
  VALUE("fstat a pipe", fstat(p[0], &st));
  printf("%-34s fifo %d\n", "  st", S_ISFIFO(st.st_mode));
  VALUE("stat missing", stat("ft-missing", &st));
  VALUE("stat through a file", stat("ft-file/x", &st));
  close(fd);
  close(rd);
  contents("ft-file");

  printf("-- unlink\n");
  VALUE("unlink missing", unlink("ft-missing"));
  VALUE("unlink .", unlink("."));
  VALUE("unlink through a file", unlink("ft-file/x"));
  VALUE("unlink", unlink("ft-file"));
  VALUE("stat after unlink", stat("ft-file", &st));
  return 0;
}
