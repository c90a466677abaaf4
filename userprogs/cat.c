// cat: copy files, or the console when given none, to standard output.
//
//   cat             echo console input until end of input (^D)
//   cat FILE...     each file in turn ("/" holds the programs and "console")

#include "types.h"
#include "user.h"
#include "fcntl.h"

static char buf[512];

// Copy everything readable from fd to fd 1. Returns 0, or -1 on an error.
static int
copy(int fd, char *name)
{
  int n;

  while((n = read(fd, buf, sizeof(buf))) > 0){
    if(write(1, buf, n) != n){
      printf(2, "cat: write error\n");
      return -1;
    }
  }
  if(n < 0){
    printf(2, "cat: read error on %s\n", name);
    return -1;
  }
  return 0;
}

int
main(int argc, char *argv[])
{
  int i, fd;

  if(argc <= 1){
    copy(0, "console");
    exit();
  }
  for(i = 1; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      printf(2, "cat: cannot open %s\n", argv[i]);
      continue;
    }
    copy(fd, argv[i]);
    close(fd);
  }
  exit();
}
