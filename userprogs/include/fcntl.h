// Flags for open(). There is no O_TRUNC or O_APPEND: the kernel has neither.

#ifndef XV6PY_FCNTL_H
#define XV6PY_FCNTL_H

#define O_RDONLY  0x000
#define O_WRONLY  0x001
#define O_RDWR    0x002
#define O_CREATE  0x200

#endif
