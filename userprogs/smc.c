// smc: self-modifying code through the kernel. A page of the heap gets code
// that returns 1 and runs it; then read() brings new code into the same page
// (the kernel writes it, not the program), and the page runs again. On x86
// the new bytes run: the CPU must forget what it translated from that page.
//
//   smc          read() from a pipe; prints "smc: 1 then 2"
//   smc file F   read() the new code from file F instead (its first 6 bytes)

#include "types.h"
#include "user.h"
#include "fcntl.h"

static uchar ret1[] = { 0xb8, 1, 0, 0, 0, 0xc3 };   // mov $1, %eax; ret
static uchar ret2[] = { 0xb8, 2, 0, 0, 0, 0xc3 };   // mov $2, %eax; ret

int
main(int argc, char *argv[])
{
  int fd[2], i, before = 0, after;
  uchar *page = (uchar*)sbrk(4096);
  int (*f)(void) = (int (*)(void))page;

  memmove(page, ret1, sizeof(ret1));
  for(i = 0; i < 3; i++)          // run it a few times: translated, and hot
    before += f();
  if(argc > 2 && strcmp(argv[1], "file") == 0){
    if((fd[0] = open(argv[2], O_RDONLY)) < 0){
      printf(1, "smc: cannot open %s\n", argv[2]);
      exit();
    }
  } else {
    if(pipe(fd) < 0 || write(fd[1], ret2, sizeof(ret2)) != sizeof(ret2)){
      printf(1, "smc: pipe failed\n");
      exit();
    }
  }
  if(read(fd[0], page, sizeof(ret2)) != sizeof(ret2)){
    printf(1, "smc: read failed\n");
    exit();
  }
  after = f();
  printf(1, "smc: %d then %d\n", before / 3, after);
  exit();
}
