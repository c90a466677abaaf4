// ftok: a System V IPC key from a file and a byte, as glibc makes it: the
// byte, then the low bytes of the file's device and inode numbers.
//
// Both kinds of programs link it, and `stat` names a different call in each
// (xv6's 20-byte struct in an xv6 program, POSIX's 88-byte one in a POSIX
// program): so it makes POSIX's stat call itself, under a name of its own.

#include <sys/ipc.h>
#include <sys/stat.h>

int __posix_stat(const char *path, struct stat *st);    // usyserr.S: system call 53

key_t
ftok(const char *path, int id)
{
  struct stat st;

  if(__posix_stat(path, &st) < 0)
    return -1;
  return (key_t)((st.st_ino & 0xFFFF) | ((st.st_dev & 0xFF) << 16) | ((unsigned)(id & 0xFF) << 24));
}
