// wc: count lines, words and bytes of files, or of standard input.
//
//   wc [FILE...]    prints "lines words bytes name" for each

#include "types.h"
#include "user.h"
#include "fcntl.h"

static char buf[512];

static int
blank(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

static void
count(int fd, char *name)
{
  int i, n, lines = 0, words = 0, bytes = 0, inword = 0;

  while((n = read(fd, buf, sizeof(buf))) > 0){
    bytes += n;
    for(i = 0; i < n; i++){
      if(buf[i] == '\n')
        lines++;
      if(blank(buf[i]))
        inword = 0;
      else if(!inword){
        words++;
        inword = 1;
      }
    }
  }
  if(n < 0){
    printf(1, "wc: read error\n");
    exit();
  }
  printf(1, "%d %d %d %s\n", lines, words, bytes, name);
}

int
main(int argc, char *argv[])
{
  int fd, i;

  if(argc < 2){
    count(0, "");
    exit();
  }
  for(i = 1; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      printf(1, "wc: cannot open %s\n", argv[i]);
      exit();
    }
    count(fd, argv[i]);
    close(fd);
  }
  exit();
}
