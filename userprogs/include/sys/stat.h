// File status for POSIX programs: POSIX's struct stat, with glibc's i386
// layout (88 bytes), filled by stat() and fstat() (system calls 53 and 52).
// xv6's own programs use stat.h, x86 xv6's 20-byte struct, and call 8.
//
// The disk keeps no owners, modes or times (xv6's inodes have none), so the
// kernel reports (xv6py/syscalls/sysposix.py): owner root (uid 0, gid 0);
// mode 0755 for a directory, 0666 for a device, 0755 for a regular file
// that starts with the ELF magic (a program) and 0644 for any other; times
// 0. A POSIX shm object reports its own owners and mode, S_IFREG; a pipe
// S_IFIFO 0600.

#ifndef XV6PY_SYS_STAT_H
#define XV6PY_SYS_STAT_H

#include <sys/types.h>

typedef unsigned long long dev_t;
typedef unsigned long ino_t;
typedef unsigned int nlink_t;
typedef long blksize_t;
typedef long blkcnt_t;

#ifndef XV6PY_TIMESPEC
#define XV6PY_TIMESPEC
struct timespec {
  time_t tv_sec;
  long tv_nsec;
};
#endif

struct stat {
  dev_t st_dev;                 // the device of the file system (1 for the disk)
  unsigned short __pad1;
  ino_t st_ino;                 // inode number
  mode_t st_mode;               // file type (S_IFMT) and permission bits
  nlink_t st_nlink;             // links
  uid_t st_uid;
  gid_t st_gid;
  dev_t st_rdev;                // a device's major << 8 | minor
  unsigned short __pad2;
  off_t st_size;                // bytes
  blksize_t st_blksize;         // 512 (BSIZE) on the disk
  blkcnt_t st_blocks;           // 512-byte blocks allocated
  struct timespec st_atim, st_mtim, st_ctim;   // 0: the disk keeps no times
  unsigned long __unused4, __unused5;
};
#define st_atime st_atim.tv_sec
#define st_mtime st_mtim.tv_sec
#define st_ctime st_ctim.tv_sec

#define S_IFMT   0170000
#define S_IFIFO  0010000
#define S_IFCHR  0020000
#define S_IFDIR  0040000
#define S_IFBLK  0060000
#define S_IFREG  0100000
#define S_IFLNK  0120000
#define S_IFSOCK 0140000

#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)

#define S_IRWXU 0700
#define S_IRUSR 0400
#define S_IWUSR 0200
#define S_IXUSR 0100
#define S_IRWXG 070
#define S_IRGRP 040
#define S_IWGRP 020
#define S_IXGRP 010
#define S_IRWXO 07
#define S_IROTH 04
#define S_IWOTH 02
#define S_IXOTH 01

int stat(const char *path, struct stat *st);
int fstat(int fd, struct stat *st);

#endif
