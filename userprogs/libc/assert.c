// What assert() calls when its expression is false (include/assert.h).

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

extern char *__progname;         // the program's name, without its directory (crt0.c)

void
__assert_fail(const char *expr, const char *file, unsigned int line, const char *func)
{
  fflush(stdout);
  fprintf(stderr, "%s%s%s:%u: %s%sAssertion `%s' failed.\n", __progname,
          *__progname ? ": " : "", file, line, func, *func ? ": " : "", expr);
  abort();
}
