// System call numbers: the one list shared by the xv6py kernel and user programs.
// A program puts the number in %eax and executes `int $64` (see ulib/usys.S).
// 1-21 are x86 xv6's numbers, in xv6's order (binary compatibility);
// 22-25 are the shared-memory calls of the lab.

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
