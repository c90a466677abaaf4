// fstests [TEST...]: tests of the file system, through its system calls.
// With no argument, every test in turn; `fstests list` names them.
//
// Each test prints "NAME: ok" when it passes, or "NAME: FAILED: WHY" and stops.
// Each runs in a directory of its own, fstdir, made for it and removed after
// it; every test removes what it made, so that the disk -- free blocks, free
// inodes -- is as it was before (tests/test_fstests.py checks that too). (A
// directory never shrinks: names made in "/" itself could leave it a block
// longer.)
// Tests that fork check their children's work afterwards, from the parent,
// through the files the children left.

#include "types.h"
#include "stat.h"
#include "user.h"
#include "fcntl.h"
#include "fs.h"

#define BSIZE 512
#define MAXFILE (12 + 128)           // blocks: 12 direct, 128 through the indirect block

static char *current = "fstests";    // the test running
static char buf[16 * 1024];

static void
fail(char *why)
{
  printf(1, "%s: FAILED: %s\n", current, why);
  exit();
}

#define CHECK(cond, why) do { if(!(cond)) fail(why); } while(0)

// Make path a name: prefix, then the number n in decimal, at least two digits.
static char*
name2(char *dst, char *prefix, int n)
{
  char *p = dst;

  while(*prefix)
    *p++ = *prefix++;
  if(n >= 100)
    *p++ = '0' + n / 100;
  *p++ = '0' + n / 10 % 10;
  *p++ = '0' + n % 10;
  *p = 0;
  return dst;
}

// Create path holding the n bytes at data. Returns 0, or -1.
static int
putfile(char *path, char *data, int n)
{
  int fd = open(path, O_CREATE | O_RDWR);

  if(fd < 0)
    return -1;
  if(write(fd, data, n) != n){
    close(fd);
    return -1;
  }
  close(fd);
  return 0;
}

// Read all of path into buf (at most max bytes). Returns the count, or -1.
static int
getfile(char *path, char *dst, int max)
{
  int fd, n, tot = 0;

  if((fd = open(path, O_RDONLY)) < 0)
    return -1;
  while(tot < max && (n = read(fd, dst + tot, max - tot)) > 0)
    tot += n;
  close(fd);
  return tot;
}

static void
waitall(int n)
{
  while(n-- > 0)
    CHECK(wait() >= 0, "wait");
}

// ---- the tests ---------------------------------------------------------------------------

// Four processes create and delete files at once, in the same directory.
static void
createdelete(void)
{
  char name[16];
  int i, j, pid;

  for(i = 0; i < 4; i++){
    pid = fork();
    CHECK(pid >= 0, "fork");
    if(pid == 0){
      for(j = 0; j < 20; j++){
        name[0] = 'c'; name[1] = 'd'; name[2] = 'a' + i;
        name2(name + 3, "", j);
        CHECK(putfile(name, name, 5) == 0, "create");
        if(j > 0 && j % 2 == 0){
          name2(name + 3, "", j - 1);
          CHECK(unlink(name) == 0, "unlink");
        }
      }
      exit();
    }
  }
  waitall(4);
  for(i = 0; i < 4; i++){
    for(j = 0; j < 20; j++){
      name[0] = 'c'; name[1] = 'd'; name[2] = 'a' + i;
      name2(name + 3, "", j);
      int fd = open(name, O_RDONLY);
      int gone = j % 2 == 1 && j < 19;
      CHECK(gone ? fd < 0 : fd >= 0, gone ? "a deleted file is there" : "a file is missing");
      if(fd >= 0){
        close(fd);
        CHECK(unlink(name) == 0, "cleanup");
      }
    }
  }
}

// Three processes create, link and unlink the same few names at once. What
// each call returns depends on the interleaving; the file system must stay
// whole (the Python test runs fsck), and everything is removed at the end.
static void
linkrace(void)
{
  char a[8], b[8];
  int i, k, pid;

  for(k = 0; k < 3; k++){
    pid = fork();
    CHECK(pid >= 0, "fork");
    if(pid == 0){
      for(i = 0; i < 60; i++){
        name2(a, "lr", (i * 7 + k) % 6);
        name2(b, "lr", (i * 5 + 2 * k) % 6);
        switch((i + k) % 3){
        case 0: close(open(a, O_CREATE | O_RDWR)); break;
        case 1: link(b, a); break;
        case 2: unlink(a); break;
        }
      }
      exit();
    }
  }
  waitall(3);
  for(i = 0; i < 6; i++)
    unlink(name2(a, "lr", i));
  for(i = 0; i < 6; i++)
    CHECK(open(name2(a, "lr", i), O_RDONLY) < 0, "a name is left");
}

// Four processes each write 6,000 bytes to their own file, 500 at a time.
static void
fourwriters(void)
{
  char name[8];
  int i, j, n, pid;

  for(i = 0; i < 4; i++){
    pid = fork();
    CHECK(pid >= 0, "fork");
    if(pid == 0){
      name2(name, "fw", i);
      int fd = open(name, O_CREATE | O_RDWR);
      CHECK(fd >= 0, "create");
      memset(buf, '0' + i, 500);
      for(j = 0; j < 12; j++)
        CHECK(write(fd, buf, 500) == 500, "write");
      close(fd);
      exit();
    }
  }
  waitall(4);
  for(i = 0; i < 4; i++){
    name2(name, "fw", i);
    n = getfile(name, buf, sizeof buf);
    CHECK(n == 6000, "a file is not 6,000 bytes");
    for(j = 0; j < n; j++)
      CHECK(buf[j] == '0' + i, "wrong data");
    CHECK(unlink(name) == 0, "cleanup");
  }
}

// Parent and child write through one open file: they share its offset, so
// nothing is written over.
static void
sharedfd(void)
{
  int fd, i, n, np = 0, nc = 0, pid;

  fd = open("sharedfd", O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create");
  pid = fork();
  CHECK(pid >= 0, "fork");
  memset(buf, pid == 0 ? 'c' : 'p', 10);
  for(i = 0; i < 300; i++)
    CHECK(write(fd, buf, 10) == 10, "write");
  if(pid == 0)
    exit();
  wait();
  close(fd);
  n = getfile("sharedfd", buf, sizeof buf);
  CHECK(n == 6000, "not 6,000 bytes: an offset was not shared");
  for(i = 0; i < n; i++){
    np += buf[i] == 'p';
    nc += buf[i] == 'c';
  }
  CHECK(np == 3000 && nc == 3000, "bytes written over");
  CHECK(unlink("sharedfd") == 0, "cleanup");
}

// One write of 15,000 bytes: more than the log holds (30 blocks), so the
// kernel splits it into several transactions.
static void
bigwrite(void)
{
  int i, n = 15000;

  for(i = 0; i < n; i++)
    buf[i] = i % 251;
  CHECK(putfile("bigwrite", buf, n) == 0, "write");
  memset(buf, 0, n);
  CHECK(getfile("bigwrite", buf, sizeof buf) == n, "size");
  for(i = 0; i < n; i++)
    CHECK((uchar)buf[i] == i % 251, "data");
  CHECK(unlink("bigwrite") == 0, "cleanup");
}

// A file of MAXFILE blocks, through the indirect block; then no more.
static void
maxfile(void)
{
  int fd, i, j;
  struct stat st;

  fd = open("maxfile", O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create");
  for(i = 0; i < MAXFILE; i++){
    for(j = 0; j < BSIZE; j++)
      buf[j] = i + j;
    CHECK(write(fd, buf, BSIZE) == BSIZE, "write");
  }
  CHECK(write(fd, "x", 1) == -1, "wrote past MAXFILE");
  CHECK(fstat(fd, &st) == 0 && st.size == MAXFILE * BSIZE, "size");
  close(fd);
  fd = open("maxfile", O_RDONLY);
  for(i = 0; i < MAXFILE; i++){
    CHECK(read(fd, buf, BSIZE) == BSIZE, "read");
    for(j = 0; j < BSIZE; j++)
      CHECK((uchar)buf[j] == (uchar)(i + j), "data");
  }
  CHECK(read(fd, buf, 1) == 0, "end of file");
  close(fd);
  CHECK(unlink("maxfile") == 0, "cleanup");
}

// 52 files created, then all unlinked.
static void
createunlink(void)
{
  char name[8];
  int i;

  for(i = 0; i < 52; i++)
    CHECK(putfile(name2(name, "cu", i), "x", 1) == 0, "create");
  for(i = 0; i < 52; i++)
    CHECK(unlink(name2(name, "cu", i)) == 0, "unlink");
  for(i = 0; i < 52; i++)
    CHECK(open(name2(name, "cu", i), O_RDONLY) < 0, "a file is left");
}

// An unlinked file stays readable and writable while it is open.
static void
unlinkopen(void)
{
  int wfd, rfd;
  char got[16];
  struct stat st;

  wfd = open("unlinkopen", O_CREATE | O_RDWR);
  rfd = open("unlinkopen", O_RDONLY);
  CHECK(wfd >= 0 && rfd >= 0, "open");
  CHECK(write(wfd, "hello", 5) == 5, "write");
  CHECK(unlink("unlinkopen") == 0, "unlink");
  CHECK(open("unlinkopen", O_RDONLY) < 0, "the name is still there");
  CHECK(read(rfd, got, 5) == 5 && memcmp(got, "hello", 5) == 0, "read after unlink");
  CHECK(write(wfd, " world", 6) == 6, "write after unlink");
  CHECK(read(rfd, got, 6) == 6 && memcmp(got, " world", 6) == 0, "read what was written after");
  CHECK(fstat(rfd, &st) == 0 && st.nlink == 0 && st.size == 11, "stat after unlink");
  close(wfd);
  close(rfd);
}

// "." and ".." cannot be removed, written or linked; ".." of "/" is "/".
static void
dots(void)
{
  struct stat st;
  int fd;

  CHECK(mkdir("dots") == 0, "mkdir");
  CHECK(chdir("dots") == 0, "chdir");
  CHECK(unlink(".") < 0, "unlink .");
  CHECK(unlink("..") < 0, "unlink ..");
  CHECK((fd = open(".", O_RDONLY)) >= 0, "open . for reading");
  close(fd);
  CHECK(open(".", O_RDWR) < 0, "open . for writing");
  CHECK(open(".", O_CREATE) < 0, "open . with O_CREATE");
  CHECK(mkdir(".") < 0 && mkdir("..") < 0, "mkdir . or ..");
  CHECK(link("..", "up") < 0, "link to ..");
  CHECK(chdir("..") == 0, "chdir ..");
  CHECK(unlink("dots/.") < 0 && unlink("dots/..") < 0, "unlink dots/. or dots/..");
  CHECK(unlink("dots") == 0, "unlink an empty directory");
  CHECK(chdir("dots") < 0, "chdir to a removed directory");
  CHECK(stat("/..", &st) == 0 && st.ino == 1 && stat("/../..", &st) == 0 && st.ino == 1, "/.. is /");
}

// Names are cut to DIRSIZ (14) bytes: a longer name names the same entry.
static void
names14(void)
{
  int fd;

  CHECK(mkdir("abcdefghijklmn") == 0, "mkdir 14");
  CHECK(mkdir("abcdefghijklmnXX/abcdefghijklmnYY") == 0, "mkdir 16/16");
  fd = open("abcdefghijklmnZZ/abcdefghijklmn/file", O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create below 14-byte names");
  close(fd);
  CHECK(open("abcdefghijklmn/abcdefghijklmnQQQQ/file", O_RDONLY) >= 0, "open it by longer names");
  CHECK(mkdir("abcdefghijklmnXX") < 0, "mkdir of the same 14 bytes");
  CHECK(open("abcdefghijklm/abcdefghijklmn/file", O_RDONLY) < 0, "13 bytes are another name");
  CHECK(unlink("abcdefghijklmn/abcdefghijklmn/file") == 0, "cleanup 1");
  CHECK(unlink("abcdefghijklmn/abcdefghijklmnWW") == 0, "cleanup 2");
  CHECK(unlink("abcdefghijklmn") == 0, "cleanup 3");
}

// A tree of directories used by relative paths; 21 operations that must fail.
static void
subdir(void)
{
  int fd, n;

  CHECK(mkdir("sd") == 0, "mkdir sd");
  CHECK(putfile("sd/ff", "ff", 2) == 0, "create sd/ff");
  CHECK(mkdir("sd/dd") == 0, "mkdir sd/dd");
  CHECK(putfile("sd/dd/ff", "dd/ff", 5) == 0, "create sd/dd/ff");
  CHECK(chdir("sd/dd") == 0, "chdir sd/dd");
  n = getfile("../ff", buf, 100);
  CHECK(n == 2 && memcmp(buf, "ff", 2) == 0, "read ../ff");
  n = getfile("../../sd/dd/ff", buf, 100);
  CHECK(n == 5 && memcmp(buf, "dd/ff", 5) == 0, "read ../../sd/dd/ff");
  CHECK(link("ff", "../gg") == 0, "link ff ../gg");
  CHECK(chdir("../..") == 0, "chdir ../..");
  n = getfile("sd/gg", buf, 100);
  CHECK(n == 5, "read sd/gg");
  CHECK(chdir("sd/dd/../../sd") == 0 && chdir("..") == 0, "chdir there and back");

  // Each of these must fail.
  CHECK(open("sd/ff/x", O_CREATE | O_RDWR) < 0, "create below a file");
  CHECK(open("sd/xx/ff", O_CREATE | O_RDWR) < 0, "create in a missing directory");
  CHECK(open("sd/dd", O_WRONLY) < 0, "open a directory O_WRONLY");
  CHECK(open("sd/dd", O_RDWR) < 0, "open a directory O_RDWR");
  CHECK(open("sd/dd", O_CREATE) < 0, "O_CREATE of a directory");
  CHECK(mkdir("sd/ff/x") < 0, "mkdir below a file");
  CHECK(mkdir("sd/xx/ff") < 0, "mkdir in a missing directory");
  CHECK(mkdir("sd/dd") < 0, "mkdir of an existing name");
  CHECK(link("sd/ff/x", "sd/x") < 0, "link from below a file");
  CHECK(link("sd/xx/ff", "sd/x") < 0, "link from a missing directory");
  CHECK(link("sd/ff", "sd/dd/ff") < 0, "link to an existing name");
  CHECK(link("sd/dd", "sd/dd2") < 0, "link to a directory");
  CHECK(link("sd/ff", "sd/ff/x") < 0, "link below a file");
  CHECK(unlink("sd/xx/ff") < 0, "unlink in a missing directory");
  CHECK(unlink("sd/ff/x") < 0, "unlink below a file");
  CHECK(unlink("sd") < 0, "unlink a directory that is not empty");
  CHECK(unlink("sd/dd") < 0, "unlink another directory that is not empty");
  CHECK(chdir("sd/ff") < 0, "chdir to a file");
  CHECK(chdir("sd/xx") < 0, "chdir to a missing directory");
  CHECK(mknod("sd/ff/x", 1, 1) < 0, "mknod below a file");
  CHECK(open("sd/dd/../ff/..", O_RDONLY) < 0, ".. of a file");

  fd = open("sd/gg", O_RDONLY);
  CHECK(fd >= 0, "open sd/gg");
  close(fd);
  CHECK(unlink("sd/dd/ff") == 0 && unlink("sd/gg") == 0, "cleanup 1");
  CHECK(unlink("sd/dd") == 0 && unlink("sd/ff") == 0, "cleanup 2");
  CHECK(unlink("sd") == 0, "cleanup 3");
}

// A link keeps the file after the old name goes.
static void
linkunlink(void)
{
  struct stat st;

  CHECK(putfile("lk1", "hello", 5) == 0, "create");
  CHECK(link("lk1", "lk2") == 0, "link");
  CHECK(stat("lk2", &st) == 0 && st.nlink == 2, "two links");
  CHECK(unlink("lk1") == 0, "unlink the old name");
  CHECK(open("lk1", O_RDONLY) < 0, "the old name is gone");
  CHECK(getfile("lk2", buf, 100) == 5 && memcmp(buf, "hello", 5) == 0, "read the new name");
  CHECK(stat("lk2", &st) == 0 && st.nlink == 1, "one link");
  CHECK(link("lk2", "lk2") < 0, "link to itself");
  CHECK(link("lk1", "lk3") < 0, "link from a removed name");
  CHECK(unlink("lk2") == 0, "cleanup");
}

// Files where directories are wanted, and the other way round.
static void
dirfile(void)
{
  CHECK(putfile("dirfile", "", 0) == 0, "create");
  CHECK(chdir("dirfile") < 0, "chdir to a file");
  CHECK(open("dirfile/x", O_CREATE) < 0, "create below a file");
  CHECK(mkdir("dirfile/x") < 0, "mkdir below a file");
  CHECK(link("/README", "dirfile/x") < 0, "link below a file");
  CHECK(unlink("dirfile/x") < 0, "unlink below a file");
  CHECK(mkdir("dirfile") < 0, "mkdir over a file");
  CHECK(mkdir("dirdir") == 0, "mkdir");
  CHECK(open("dirdir", O_WRONLY) < 0 && open("dirdir", O_RDWR) < 0, "write to a directory");
  CHECK(open("dirdir", O_CREATE | O_RDWR) < 0, "O_CREATE of a directory");
  CHECK(link("dirdir", "dirlink") < 0, "link a directory");
  CHECK(unlink("dirfile") == 0 && unlink("dirdir") == 0, "cleanup");
}

// 51 directories, each made inside the last and made the current one (more
// than the 50 in-memory inodes, if any reference leaked); then removed.
static void
iref(void)
{
  char path[51 * 6 + 1];
  int i, fd;

  for(i = 0; i < 51; i++){
    CHECK(mkdir("irefd") == 0, "mkdir");
    CHECK(chdir("irefd") == 0, "chdir");
    CHECK(mkdir("") < 0 && link("/README", "") < 0, "an empty name");
    fd = open("xx", O_CREATE);
    CHECK(fd >= 0, "create");
    close(fd);
    CHECK(unlink("xx") == 0, "unlink");
  }
  for(i = 0; i < 51; i++)
    CHECK(chdir("..") == 0, "chdir ..");
  for(i = 51; i > 0; i--){
    int j;
    for(j = 0; j < i; j++)
      memmove(path + 6 * j, "irefd/", 6);
    path[6 * i - 1] = 0;
    CHECK(unlink(path) == 0, "cleanup");
  }
}

// 500 names for one file in one directory, then all removed.
static void
bigdir(void)
{
  char name[8];
  int i;
  struct stat st;

  CHECK(putfile("bd", "", 0) == 0, "create");
  for(i = 0; i < 500; i++)
    CHECK(link("bd", name2(name, "x", i)) == 0, "link");
  CHECK(stat("bd", &st) == 0 && st.nlink == 501, "501 links");
  CHECK(unlink("bd") == 0, "unlink bd");
  for(i = 0; i < 500; i++)
    CHECK(unlink(name2(name, "x", i)) == 0, "unlink");
}

// Create a file, write 1 KiB to it and remove it, n times (a benchmark).
static void
smallfile(int n)
{
  int i, fd;

  memset(buf, 'a', 1024);
  for(i = 0; i < n; i++){
    fd = open("small", O_CREATE | O_RDWR);
    CHECK(fd >= 0, "create");
    CHECK(write(fd, buf, 1024) == 1024, "write");
    close(fd);
    CHECK(unlink("small") == 0, "unlink");
  }
}

static void smallfile100(void) { smallfile(100); }
static void smallfile0(void) { smallfile(0); }

struct test {
  char *name;
  void (*fn)(void);
  int inall;      // run by `fstests` with no argument
} tests[] = {
  {"createdelete", createdelete, 1},
  {"linkrace", linkrace, 1},
  {"fourwriters", fourwriters, 1},
  {"sharedfd", sharedfd, 1},
  {"bigwrite", bigwrite, 1},
  {"maxfile", maxfile, 1},
  {"createunlink", createunlink, 1},
  {"unlinkopen", unlinkopen, 1},
  {"dots", dots, 1},
  {"names14", names14, 1},
  {"subdir", subdir, 1},
  {"linkunlink", linkunlink, 1},
  {"dirfile", dirfile, 1},
  {"iref", iref, 1},
  {"bigdir", bigdir, 1},
  {"smallfile100", smallfile100, 0},
  {"smallfile0", smallfile0, 0},
  {0, 0, 0},
};

static void
run(struct test *t)
{
  current = t->name;
  CHECK(mkdir("fstdir") == 0 && chdir("fstdir") == 0, "mkdir fstdir");
  t->fn();
  CHECK(chdir("..") == 0, "chdir ..");
  CHECK(unlink("fstdir") == 0, "fstdir is not empty");
  printf(1, "%s: ok\n", t->name);
}

int
main(int argc, char *argv[])
{
  struct test *t;
  int i;

  if(argc < 2){
    for(t = tests; t->name; t++)
      if(t->inall)
        run(t);
    printf(1, "fstests: all passed\n");
    exit();
  }
  for(i = 1; i < argc; i++){
    for(t = tests; t->name; t++){
      if(strcmp(argv[i], "list") == 0)
        printf(1, "%s\n", t->name);
      else if(strcmp(argv[i], t->name) == 0){
        run(t);
        break;
      }
    }
    if(!t->name && strcmp(argv[i], "list") != 0)
      printf(1, "fstests: no test %s\n", argv[i]);
  }
  exit();
}
