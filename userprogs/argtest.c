// argtest ARG...: print the arguments and check the stack that exec built.
//
// exec copies the argument strings to the top of the single stack page, then
// stores below them the argv array (argc pointers and a terminating 0), and
// below that the words main finds as its arguments: a fake return address,
// argc, and argv (the address of the array). From high to low addresses:
//
//     top of the stack page
//     argument strings, each starting 4-byte aligned (argv[0]'s highest)
//     argv[0] ... argv[argc-1], 0       <- argv
//     argv                              (word: address of the array)
//     argc                              <- &argc
//     0xffffffff                        fake return address, <- %esp at entry

#include "types.h"
#include "user.h"

#define PGSIZE 4096

static int failures;

static void
fail(const char *what, int i)
{
  printf(1, "argtest: FAIL: %s (argv[%d])\n", what, i);
  failures++;
}

int
main(int argc, char *argv[])
{
  uint top, s;
  int i;

  printf(1, "argc=%d\n", argc);
  for(i = 0; i < argc; i++)
    printf(1, "argv[%d]=%s\n", i, argv[i]);

  // The page holding the stack ends where the strings end.
  top = ((uint)&argc & ~(PGSIZE - 1)) + PGSIZE;

  if(argv[argc] != 0)
    fail("argv[argc] is not 0", argc);
  if((uint)argv <= (uint)&argc)
    fail("argv array is not above &argc", 0);
  if((uint)argv % 4 != 0)
    fail("argv array is not 4-byte aligned", 0);
  for(i = 0; i < argc; i++){
    s = (uint)argv[i];
    if(s % 4 != 0)
      fail("string is not 4-byte aligned", i);
    if(s < (uint)&argv[argc + 1])
      fail("string is not above the argv array", i);
    if(s + strlen(argv[i]) + 1 > top)
      fail("string runs past the top of the stack page", i);
  }
  if(failures == 0)
    printf(1, "argtest: ok\n");
  exit();
}
