// ftok: a System V IPC key from a file and a byte, as glibc makes it: the
// byte, then the low bytes of the file's device and inode numbers.

#include <sys/ipc.h>

#define XV6PY_USER_H
#include "types.h"
#include "stat.h"

int stat(const char *path, struct stat *st);    // ulib_string.c

key_t
ftok(const char *path, int id)
{
  struct stat st;

  if(stat(path, &st) < 0)
    return -1;
  return (key_t)((st.ino & 0xFFFF) | ((st.dev & 0xFF) << 16) | ((uint)(id & 0xFF) << 24));
}
