// POSIX's process and file calls, for POSIX programs (posix/*.c).
//
// fork, read, write, close, pipe, dup, getpid, sbrk, execv, unlink, link,
// chdir are xv6's calls (libc/syscalls.S): they fail with -1 and leave errno
// as it was. The owner calls and _exit are the newer, numbered ones
// (libc/usyserr.S): they set errno.

#ifndef XV6PY_UNISTD_H
#define XV6PY_UNISTD_H

#include <sys/types.h>

#define STDIN_FILENO  0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

pid_t fork(void);
pid_t getpid(void);
ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
int close(int fd);
int pipe(int fd[2]);
int dup(int fd);
void *sbrk(int increment);
int execv(const char *path, char *const argv[]);
int execvp(const char *file, char *const argv[]);
int unlink(const char *path);
int link(const char *old, const char *new);
int chdir(const char *path);
unsigned int sleep(unsigned int seconds);   // 100 timer ticks a second
int usleep(unsigned int us);
void _exit(int status) __attribute__((noreturn));
int ftruncate(int fd, off_t length);        // a shm object or a regular file; sets errno

uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);
int setuid(uid_t uid);   // root: any uid; others: only their own real uid
int setgid(gid_t gid);

#endif
