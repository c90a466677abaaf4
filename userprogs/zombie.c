// zombie: leave a zombie behind. The child exits at once; the parent sleeps
// and exits without waiting, so init inherits the zombie and reaps it
// ("zombie!" on the console).

#include "types.h"
#include "user.h"

int
main(void)
{
  if(fork() > 0)
    sleep(5);
  exit();
}
