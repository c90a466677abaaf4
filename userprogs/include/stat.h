// File status, as fstat() fills it in (20 bytes, the layout of x86 xv6).

#ifndef XV6PY_STAT_H
#define XV6PY_STAT_H

#include "types.h"

#define T_DIR  1   // directory
#define T_FILE 2   // regular file
#define T_DEV  3   // device

struct stat {
  short type;   // offset 0: T_DIR, T_FILE or T_DEV (2 bytes of padding follow)
  int dev;      // offset 4: device number of the file system
  uint ino;     // offset 8: inode number
  short nlink;  // offset 12: number of links to the file (2 bytes of padding follow)
  uint size;    // offset 16: size of the file in bytes
};

#endif
