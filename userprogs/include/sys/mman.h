// Memory mappings and POSIX shared-memory objects (Linux's values).
//
// mmap, munmap, mprotect, shm_open, shm_unlink are system calls 45-49
// (libc/usyserr.S): on failure they set errno and return -1 (mmap returns
// MAP_FAILED). Pages are mapped when first touched; a touch no area allows
// kills the process (SIGSEGV), as does a page beyond the end of the object
// behind it (SIGBUS). MAP_PRIVATE copies a page at its first touch, and fork
// copies private pages at once: there is no copy on write.

#ifndef XV6PY_SYS_MMAN_H
#define XV6PY_SYS_MMAN_H

#include <sys/types.h>

#define PROT_NONE     0x0
#define PROT_READ     0x1
#define PROT_WRITE    0x2
#define PROT_EXEC     0x4      // every readable page is executable (no NX bit)

#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define MAP_ANON      MAP_ANONYMOUS

#define MAP_FAILED    ((void *) -1)

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
int munmap(void *addr, size_t length);
int mprotect(void *addr, size_t length, int prot);
int shm_open(const char *name, int oflag, mode_t mode);   // name: "/name"
int shm_unlink(const char *name);

#endif
