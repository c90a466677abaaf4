// What a user program of xv6py can call: the system calls (ulib/usys.S) and
// the user library (ulib/ulib.c, ulib/printf.c, ulib/umalloc.c).
//
// There is no C runtime start-up code: the kernel enters main(argc, argv)
// directly, so main must end with exit(). Returning from main jumps to the
// fake return address 0xffffffff that exec leaves on the stack, and the
// process is killed by a page fault.

#ifndef XV6PY_USER_H
#define XV6PY_USER_H

#include "types.h"

struct stat;

// System calls. Each returns -1 on failure; there is no errno.
int fork(void);
int exit(void) __attribute__((noreturn));
int wait(void);
int pipe(int*);
int write(int, const void*, int);
int read(int, void*, int);
int close(int);
int kill(int);
int exec(char*, char**);
int open(const char*, int);
int mknod(const char*, short, short);
int unlink(const char*);
int fstat(int fd, struct stat*);
int link(const char*, const char*);
int mkdir(const char*);
int chdir(const char*);
int dup(int);
int getpid(void);
char* sbrk(int);
int sleep(int);
int uptime(void);

// Shared memory (the lab's system calls).
int shm_create(int size);
int shm_attach(int id, void *addr);
int shm_detach(int id);
int shm_destroy(int id);

// ulib.c
int stat(const char*, struct stat*);
char* strcpy(char*, const char*);
void* memmove(void*, const void*, int);
char* strchr(const char*, char c);
int strcmp(const char*, const char*);
char* gets(char*, int max);
uint strlen(const char*);
void* memset(void*, int, uint);
void* memcpy(void*, const void*, uint);
int memcmp(const void*, const void*, uint);
int atoi(const char*);

// printf.c: %d %u %x %p %s %c %%, with an optional width and 0 flag
// (%5d, %08x). The format attribute lets the compiler check the arguments.
void printf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// umalloc.c
void* malloc(uint);
void free(void*);

// Owners and exit status (libc/usyserr.S): on failure these return -1 and
// leave the error number in errno (errno.h).
int getuid(void);
int geteuid(void);
int getgid(void);
int getegid(void);
int setuid(int uid);
int setgid(int gid);
void _exit(int status) __attribute__((noreturn));   // exit with a status waitpid sees
int waitpid(int pid, int *status, int options);       // pid -1: any child

// errno.c (libc/)
char* strerror(int errnum);
void perror(const char *s);

#endif
