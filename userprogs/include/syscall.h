// System call numbers: the one list shared by the xv6py kernel and user programs.
// A program puts the number in %eax and executes `int $64` (see ulib/usys.S).
// 1-21 are x86 xv6's numbers, in xv6's order (binary compatibility);
// 22-25 are the shared-memory calls of the lab.
// From 26 on, a call returns a negated error number (errno.h) on failure, and
// its stub in libc/usyserr.S sets errno and returns -1.

#define SYS_fork 1
#define SYS_exit 2
#define SYS_wait 3
#define SYS_pipe 4
#define SYS_read 5
#define SYS_kill 6
#define SYS_exec 7
#define SYS_fstat 8
#define SYS_chdir 9
#define SYS_dup 10
#define SYS_getpid 11
#define SYS_sbrk 12
#define SYS_sleep 13
#define SYS_uptime 14
#define SYS_open 15
#define SYS_write 16
#define SYS_mknod 17
#define SYS_unlink 18
#define SYS_link 19
#define SYS_mkdir 20
#define SYS_close 21
#define SYS_shm_create 22
#define SYS_shm_attach 23
#define SYS_shm_detach 24
#define SYS_shm_destroy 25
#define SYS_getuid 26
#define SYS_geteuid 27
#define SYS_getgid 28
#define SYS_getegid 29
#define SYS_setuid 30
#define SYS_setgid 31
#define SYS_exit_status 32
#define SYS_waitpid 33
#define SYS_shmget 34
#define SYS_shmat 35
#define SYS_shmdt 36
#define SYS_shmctl 37
#define SYS_semget 38
#define SYS_semop 39
#define SYS_semctl 40
#define SYS_msgget 41
#define SYS_msgsnd 42
#define SYS_msgrcv 43
#define SYS_msgctl 44
#define SYS_mmap 45
#define SYS_munmap 46
#define SYS_mprotect 47
#define SYS_shm_open 48
#define SYS_shm_unlink 49
#define SYS_ftruncate 50
// 51-60: POSIX's file calls for POSIX programs (libc/fileio.S): Linux's open flags
// and struct stat (sys/stat.h), errors as numbers. xv6's 1-21 stay xv6's.
#define SYS_posix_open 51
#define SYS_posix_fstat 52
#define SYS_posix_stat 53
#define SYS_lseek 54
#define SYS_posix_read 55
#define SYS_posix_write 56
#define SYS_posix_close 57
#define SYS_posix_dup 58
#define SYS_posix_pipe 59
#define SYS_posix_unlink 60
#define SYS_getppid 61
#define SYS_posix_kill 62
