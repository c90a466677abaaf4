// The file system's directory entries, as read() returns them from a directory
// (x86 xv6's on-disk format: xv6py/fs/ondisk.py).

#ifndef XV6PY_FS_H
#define XV6PY_FS_H

#include "types.h"

#define DIRSIZ 14   // bytes of a name; a name of DIRSIZ bytes has no NUL after it

struct dirent {
  ushort inum;          // inode number; 0 marks a free entry
  char name[DIRSIZ];
};

#endif
