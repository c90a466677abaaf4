// shm-posix: the shared-memory lab's first exercise, a Linux program that runs
// unchanged on xv6py.
//
// The parent makes an 8192-byte POSIX shared-memory object before it forks.
// Each process maps it -- the parent at 0x10000000, the child at 0x20000000:
// two addresses, the same frames -- and they meet through its first two ints,
// C11 atomics: the child releases the parent through the first, the parent
// answers through the second. Both unmap; the parent waits for the child and
// removes the object's name.
//
// Every line is printed by one process while the other waits for it, so the
// output is the same on every run, on Linux and on xv6py:
//
//   gcc -o shm-posix shm-posix.c && ./shm-posix      (Linux)
//   xv6py run shm-posix                              (xv6py)

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAME "/shm-posix"
#define SIZE 8192
#define PARENT_AT ((void *) 0x10000000)
#define CHILD_AT  ((void *) 0x20000000)

// say: a line on standard output, written at once (no stdio buffer to copy on fork).
#define say(...) dprintf(STDOUT_FILENO, __VA_ARGS__)

// die: report what failed, and why, and exit with status 1.
#define die(what) do { \
    dprintf(STDERR_FILENO, "shm-posix: %s: %s\n", (what), strerror(errno)); \
    exit(1); \
  } while(0)

// check: die unless cond holds.
#define check(cond, what) do { if(!(cond)) die(what); } while(0)

// Map the object at addr (a hint: the kernel may choose elsewhere if it is taken).
static atomic_int *
map(int fd, void *addr)
{
  void *p = mmap(addr, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

  check(p != MAP_FAILED, "mmap");
  return p;
}

static void
child(int fd)
{
  atomic_int *s = map(fd, CHILD_AT);

  say("child: mapped %s at 0x%lx\n", NAME, (unsigned long) s);
  atomic_store(&s[0], 1);               // release the parent
  while(atomic_load(&s[1]) == 0)        // wait for its answer
    ;
  say("child: the parent answered %d\n", atomic_load(&s[1]));
  check(munmap(s, SIZE) == 0, "child: munmap");
  close(fd);
  exit(0);
}

int
main(void)
{
  atomic_int *s;
  int fd, status;
  pid_t pid;

  shm_unlink(NAME);                     // a name left by an earlier run that died (Linux keeps it)
  fd = shm_open(NAME, O_CREAT | O_EXCL | O_RDWR, 0600);
  check(fd >= 0, "shm_open");
  check(ftruncate(fd, SIZE) == 0, "ftruncate");
  say("parent: made %s, %d bytes\n", NAME, SIZE);

  pid = fork();
  check(pid >= 0, "fork");
  if(pid == 0)
    child(fd);

  s = map(fd, PARENT_AT);
  while(atomic_load(&s[0]) == 0)        // wait for the child
    ;
  say("parent: mapped %s at 0x%lx; the child says %d\n", NAME, (unsigned long) s, atomic_load(&s[0]));
  atomic_store(&s[1], 2);               // answer it
  check(munmap(s, SIZE) == 0, "parent: munmap");
  check(wait(&status) == pid, "wait");
  check(shm_unlink(NAME) == 0, "shm_unlink");
  close(fd);
  say("parent: the child exited with status %d; %s removed\n", WEXITSTATUS(status), NAME);
  return 0;
}
