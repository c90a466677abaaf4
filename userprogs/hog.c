// hog: programs that try to take the host with them, one per argument. Each
// costs the kernel (or the emulator) far more than its few user instructions;
// the instruction budget, which kernel work is charged to, must end every one.
//
//   hog string [MiB]    open() a string of MiB (default 8) bytes with no NUL
//   hog fork [MiB] [N]  grow to MiB (default 100), then fork N (default 10) children
//   hog sled [KiB]      run KiB (default 4096) of straight-line code, each byte once
//   hog flood [MiB] [N] write MiB (default 64) to the console, N (default 8) times
//   hog sleep [T]       sleep(T) ticks (default 0x7fffffff)
//
// Each prints "hog: MODE done" if it ever gets to the end.

#include "types.h"
#include "user.h"
#include "fcntl.h"

#define MiB (1024 * 1024)

static int
arg(int argc, char *argv[], int i, int dflt)
{
  return argc > i ? atoi(argv[i]) : dflt;
}

static char*
grow(int n)
{
  char *p = sbrk(n);
  if(p == (char*)-1){
    printf(1, "hog: sbrk(%d) failed\n", n);
    exit();
  }
  return p;
}

static void
string(int mib)
{
  int n = mib * MiB;
  char *s = grow(n);

  memset(s, 'a', n);           // no NUL up to the end of memory
  printf(1, "hog: open = %d\n", open(s, O_RDONLY));
}

static void
forks(int mib, int n)
{
  int i, pid;

  grow(mib * MiB);
  for(i = 0; i < n; i++){
    pid = fork();
    if(pid < 0){
      printf(1, "hog: fork failed\n");
      return;
    }
    if(pid == 0)
      exit();
    wait();
  }
}

static void
sled(int kib)
{
  int n = kib * 1024;
  uchar *code = (uchar*)grow(n + 1);

  memset(code, 0x40, n);       // inc %eax, n times: every instruction runs once
  code[n] = 0xc3;              // ret
  ((void (*)(void))code)();
}

static void
flood(int mib, int n)
{
  int i, size = mib * MiB;
  char *buf = grow(size);

  memset(buf, 'x', 4096);      // the rest stays zero: filling it would cost the budget
  for(i = 0; i < n; i++)
    write(1, buf, size);
  printf(1, "\n");
}

int
main(int argc, char *argv[])
{
  char *mode = argc > 1 ? argv[1] : "";

  if(strcmp(mode, "string") == 0)
    string(arg(argc, argv, 2, 8));
  else if(strcmp(mode, "fork") == 0)
    forks(arg(argc, argv, 2, 100), arg(argc, argv, 3, 10));
  else if(strcmp(mode, "sled") == 0)
    sled(arg(argc, argv, 2, 4096));
  else if(strcmp(mode, "flood") == 0)
    flood(arg(argc, argv, 2, 64), arg(argc, argv, 3, 8));
  else if(strcmp(mode, "sleep") == 0)
    sleep(arg(argc, argv, 2, 0x7fffffff));
  else {
    printf(2, "usage: hog string|fork|sled|flood|sleep [ARGS]\n");
    exit();
  }
  printf(1, "hog: %s done\n", mode);
  exit();
}
