// mkdir DIR...: make directories.

#include "types.h"
#include "user.h"

int
main(int argc, char *argv[])
{
  int i;

  if(argc < 2){
    printf(2, "usage: mkdir DIR...\n");
    exit();
  }
  for(i = 1; i < argc; i++)
    if(mkdir(argv[i]) < 0)
      printf(2, "mkdir: %s failed to create\n", argv[i]);
  exit();
}
