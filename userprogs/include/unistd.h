// POSIX's process and file calls, for POSIX programs (posix/*.c).
//
// read, write, close, pipe, dup, unlink and lseek are POSIX's (system calls
// 51-60, libc/fileio.S): Linux's errors, in errno. fork, getpid, sbrk,
// execv, link, chdir are xv6's calls (libc/syscalls.S): they fail with -1 and
// leave errno as it was. The owner calls and _exit are numbered ones too
// (libc/usyserr.S): they set errno.

#ifndef XV6PY_UNISTD_H
#define XV6PY_UNISTD_H

#include <sys/types.h>

#define STDIN_FILENO  0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

#define _SC_CLK_TCK    2    // sysconf: timer ticks a second (100)
#define _SC_CHILD_MAX  1    //   processes at most (NPROC)
#define _SC_OPEN_MAX   4    //   descriptors a process may hold (NOFILE)
#define _SC_PAGESIZE  30    //   bytes of a page (4096)
#define _SC_PAGE_SIZE _SC_PAGESIZE

#define SEEK_SET 0    // lseek: from the start of the file
#define SEEK_CUR 1    //   from the current offset
#define SEEK_END 2    //   from the end (past it is allowed: a write fills the gap with zeros)

pid_t fork(void);
pid_t getpid(void);
pid_t getppid(void);                        // system call 61; init's (1) once the parent exited
ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
int close(int fd);
int pipe(int fd[2]);
int dup(int fd);
void *sbrk(int increment);
int execv(const char *path, char *const argv[]);
int execvp(const char *file, char *const argv[]);
int unlink(const char *path);               // not a directory (EISDIR), as on Linux
off_t lseek(int fd, off_t offset, int whence);   // ESPIPE on a pipe or the console
int link(const char *old, const char *new);
int chdir(const char *path);
unsigned int sleep(unsigned int seconds);   // 100 timer ticks a second of virtual time
int usleep(unsigned int us);                // whole ticks of 10000 us, rounded up
long sysconf(int name);                     // _SC_*; -1 and EINVAL for any other name
int getpagesize(void);
void _exit(int status) __attribute__((noreturn));
int ftruncate(int fd, off_t length);        // a shm object or a regular file; sets errno

uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);
int setuid(uid_t uid);   // root: any uid; others: only their own real uid
int setgid(gid_t gid);

#endif
