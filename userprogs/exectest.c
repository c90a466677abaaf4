// exectest [-n ARGC] [-s LEN] [-g PAGES] PATH [ARG...]: exec PATH and check that
// a failed exec leaves the caller exactly as it was.
//
// The new program gets argv = { PATH, ARG..., 0 }. With -n, more arguments
// ("a2", "a3", ...) are added until there are ARGC of them, and no 0 is stored
// after them when ARGC >= MAXARG (the array is full of pointers: the kernel
// must find no terminator among its first MAXARG slots). With -s, one more
// argument of LEN bytes ('s' repeated) goes last. With -g, the program grows
// its memory by PAGES pages just before the exec (so that, on a machine with
// little memory, the exec finds less of it free); if it cannot, it prints
// "exectest: out of memory" and exits.
//
// Before the exec the program fills a global array, a stack array and a heap
// block with known bytes and notes its break (sbrk(0)) and pid. If exec
// returns, it prints
//     exectest: exec PATH returned R
// and then checks all of that, and that its file descriptors still work:
//     exectest: image intact
// or a FAIL line for each difference. A successful exec prints nothing of
// its own: the new program runs instead.

#include "types.h"
#include "user.h"

#define PGSIZE 4096
#define MAXARG 32
#define NSLOT 64
#define NPATTERN 1000

static char global[NPATTERN];
static char *args[NSLOT];
static char names[NSLOT][4];

static int failures;

static void
fail(const char *what)
{
  printf(1, "exectest: FAIL: %s\n", what);
  failures++;
}

static char
pattern(int i, int salt)
{
  return (char)(i * 13 + salt);
}

static int
check(const char *p, int salt)
{
  int i;

  for(i = 0; i < NPATTERN; i++)
    if(p[i] != pattern(i, salt))
      return 0;
  return 1;
}

static void
usage(void)
{
  printf(1, "usage: exectest [-n ARGC] [-s LEN] [-g PAGES] PATH [ARG...]\n");
  exit();
}

int
main(int argc, char *argv[])
{
  char local[NPATTERN], *heap, *brk, *big = 0;
  int i, n, want = 0, biglen = -1, grow = 0, pid, r;

  for(i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2){
    if(strcmp(argv[i], "-n") == 0)
      want = atoi(argv[i + 1]);
    else if(strcmp(argv[i], "-s") == 0)
      biglen = atoi(argv[i + 1]);
    else if(strcmp(argv[i], "-g") == 0)
      grow = atoi(argv[i + 1]);
    else
      usage();
  }
  if(i >= argc || want >= NSLOT - 1)
    usage();

  n = 0;
  for(; i < argc; i++)
    args[n++] = argv[i];
  while(n < want){
    names[n][0] = 'a';
    names[n][1] = '0' + n / 10;
    names[n][2] = '0' + n % 10;
    args[n] = names[n];
    n++;
  }
  if(biglen >= 0){
    big = malloc(biglen + 1);
    if(big == 0){
      printf(1, "exectest: out of memory\n");
      exit();
    }
    memset(big, 's', biglen);
    big[biglen] = 0;
    args[n++] = big;
  }
  if(n < MAXARG)
    args[n] = 0;
  else
    for(i = n; i < NSLOT; i++)
      args[i] = names[0];       // not 0: no terminator anywhere in reach

  heap = malloc(NPATTERN);
  if(heap == 0){
    printf(1, "exectest: out of memory\n");
    exit();
  }
  for(i = 0; i < NPATTERN; i++){
    global[i] = pattern(i, 1);
    local[i] = pattern(i, 2);
    heap[i] = pattern(i, 3);
  }
  if(grow > 0 && sbrk(grow * PGSIZE) == (char*)-1){
    printf(1, "exectest: out of memory\n");
    exit();
  }
  brk = sbrk(0);
  pid = getpid();

  r = exec(args[0], args);

  printf(1, "exectest: exec %s returned %d\n", args[0], r);
  if(!check(global, 1))
    fail("global data changed");
  if(!check(local, 2))
    fail("stack changed");
  if(!check(heap, 3))
    fail("heap changed");
  if(sbrk(0) != brk)
    fail("break moved");
  if(getpid() != pid)
    fail("pid changed");
  if(big != 0 && (strlen(big) != biglen || big[0] != 's'))
    fail("argument string changed");
  if(write(1, "", 0) != 0 || write(2, "", 0) != 0)
    fail("fd 1 or 2 broken");
  if(failures == 0)
    printf(1, "exectest: image intact\n");
  exit();
}
