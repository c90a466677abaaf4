// hello: the smallest useful program.

#include "types.h"
#include "user.h"

int
main(void)
{
  printf(1, "hello, world\n");
  exit();
}
