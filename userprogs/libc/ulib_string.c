// strcpy, strcmp, strlen, strchr, memset, memmove, memcpy, memcmp, atoi and
// gets for POSIX programs: the xv6 library's own (ulib/ulib.c), compiled
// again here with user.h kept out (it declares xv6's exit(), wait() and
// printf(fd, ...), which POSIX programs do not have). ulib's stat, on xv6's
// struct stat, is renamed out of the way: POSIX's stat is fileio.S's.

#define XV6PY_USER_H
#define stat __xv6_ulib_stat
#include "types.h"

struct stat;
int read(int fd, void *buf, int n);
int open(const char *path, int flags, ...);
int fstat(int fd, struct stat *st);
int close(int fd);

#include "../ulib/ulib.c"
