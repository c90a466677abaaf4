// grep: print the lines that match a pattern.
//
//   grep PATTERN [FILE...]
//
// Patterns are a small regular expression language: c matches itself,
// '.' any character, 'x*' zero or more x, '^' the start and '$' the end
// of the line.

#include "types.h"
#include "user.h"
#include "fcntl.h"

static char buf[1024];

static int matchhere(char *re, char *text);

// Match x* followed by re at text.
static int
matchstar(int x, char *re, char *text)
{
  do{
    if(matchhere(re, text))
      return 1;
  }while(*text != 0 && (*text++ == x || x == '.'));
  return 0;
}

// Match re at the start of text.
static int
matchhere(char *re, char *text)
{
  if(re[0] == 0)
    return 1;
  if(re[1] == '*')
    return matchstar(re[0], re + 2, text);
  if(re[0] == '$' && re[1] == 0)
    return *text == 0;
  if(*text != 0 && (re[0] == '.' || re[0] == *text))
    return matchhere(re + 1, text + 1);
  return 0;
}

// Match re anywhere in text.
static int
match(char *re, char *text)
{
  if(re[0] == '^')
    return matchhere(re + 1, text);
  for(;;){
    if(matchhere(re, text))
      return 1;
    if(*text++ == 0)
      return 0;
  }
}

// Print the lines of fd that match; a line longer than buf is cut in pieces.
static void
grep(char *pattern, int fd)
{
  int n, len = 0;
  char *start, *end;

  while((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0){
    len += n;
    buf[len] = 0;
    start = buf;
    while((end = strchr(start, '\n')) != 0){
      *end = 0;
      if(match(pattern, start)){
        *end = '\n';
        write(1, start, end + 1 - start);
      }
      start = end + 1;
    }
    len -= start - buf;
    if(len == sizeof(buf) - 1)
      len = 0;         // no newline in a full buffer: drop it
    memmove(buf, start, len);
  }
}

int
main(int argc, char *argv[])
{
  int fd, i;

  if(argc < 2){
    printf(2, "usage: grep pattern [file ...]\n");
    exit();
  }
  if(argc == 2){
    grep(argv[1], 0);
    exit();
  }
  for(i = 2; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      printf(1, "grep: cannot open %s\n", argv[i]);
      exit();
    }
    grep(argv[1], fd);
    close(fd);
  }
  exit();
}
