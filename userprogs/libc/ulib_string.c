// strcpy, strcmp, strlen, strchr, memset, memmove, memcpy, memcmp, atoi, gets
// and stat for POSIX programs: the xv6 library's own (ulib/ulib.c), compiled
// again here with user.h kept out (it declares xv6's exit(), wait() and
// printf(fd, ...), which POSIX programs do not have).

#define XV6PY_USER_H
#include "types.h"

struct stat;
int read(int fd, void *buf, int n);
int open(const char *path, int mode);
int fstat(int fd, struct stat *st);
int close(int fd);

#include "../ulib/ulib.c"
