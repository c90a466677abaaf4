// malloc and free for POSIX programs: the xv6 library's own (ulib/umalloc.c),
// compiled again here. Its complaints about bad frees call xv6's printf(fd,
// fmt, ...), which is dprintf in this library; user.h, which declares xv6's
// printf, exit() and wait(), is kept out (its include guard is set first).

#define XV6PY_USER_H
#include "types.h"

char *sbrk(int n);
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define printf dprintf
#include "../ulib/umalloc.c"
