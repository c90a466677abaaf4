// fscrash WORK: file-creating work for the crash tests (tests/test_crash.py),
// which stop the machine at many instructions in the middle of it, boot again
// from the disk it left, and check that every system call's changes are on
// the disk entirely or not at all.
//
//   fscrash bigwrite   one write of 20,000 bytes to "cw" (14 transactions)
//   fscrash mix        files created, written, linked and unlinked, in rounds
//   fscrash tree       a tree of directories, mkdir -p style, a file in each

#include "types.h"
#include "user.h"
#include "fcntl.h"

static char buf[20000];

static void
bigwrite(void)
{
  int fd, i;

  for(i = 0; i < sizeof buf; i++)
    buf[i] = 'a' + i % 26;
  fd = open("cw", O_CREATE | O_RDWR);
  if(write(fd, buf, sizeof buf) != sizeof buf)
    printf(1, "fscrash: write failed\n");
  close(fd);
}

// Round i: create m<i> and write "content <i>" to it (two calls), link it as
// l<i>, unlink m<i-1> (l<i-1> keeps that file).
static void
mix(void)
{
  char m[4] = "m0", l[4] = "l0", prev[4] = "m0", text[16] = "content 0";
  int fd, i;

  for(i = 0; i < 12; i++){
    m[1] = l[1] = text[8] = 'a' + i;
    fd = open(m, O_CREATE | O_RDWR);
    write(fd, text, 9);
    close(fd);
    link(m, l);
    if(i > 0){
      prev[1] = 'a' + i - 1;
      unlink(prev);
    }
  }
}

// t, t/0, t/0/0, t/0/0/0, t/1, t/1/0, ...: three branches, three deep, with
// a file "f" holding the directory's path in each.
static void
tree(void)
{
  char path[32];
  int b, d, n, fd;

  mkdir("t");
  for(b = 0; b < 3; b++){
    n = 1;
    path[0] = 't';
    for(d = 0; d < 3; d++){
      path[n++] = '/';
      path[n++] = '0' + (d == 0 ? b : 0);
      path[n] = 0;
      mkdir(path);
      memmove(path + n, "/f", 3);
      fd = open(path, O_CREATE | O_RDWR);
      write(fd, path, n);
      close(fd);
      path[n] = 0;
    }
  }
}

int
main(int argc, char *argv[])
{
  if(argc != 2)
    printf(2, "usage: fscrash bigwrite|mix|tree\n");
  else if(strcmp(argv[1], "bigwrite") == 0)
    bigwrite();
  else if(strcmp(argv[1], "mix") == 0)
    mix();
  else if(strcmp(argv[1], "tree") == 0)
    tree();
  else
    printf(2, "fscrash: no work %s\n", argv[1]);
  exit();
}
