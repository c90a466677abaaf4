// System V semaphores (xv6py/ipc/sem.py). i386 Linux's numbers and layouts.
//
// semctl's fourth argument is a union semun, which the program defines itself
// (POSIX leaves it to the program):
//   union semun { int val; struct semid_ds *buf; unsigned short *array; };

#ifndef XV6PY_SYS_SEM_H
#define XV6PY_SYS_SEM_H

#include <sys/ipc.h>

#define SEM_UNDO 0x1000          // sem_flg: undone when the process exits

#define GETPID       11          // semctl commands
#define GETVAL       12
#define GETALL       13
#define GETNCNT      14          // processes waiting for the value to grow
#define GETZCNT      15          // processes waiting for it to be 0
#define SETVAL       16
#define SETALL       17
#define SEM_STAT     18          // IPC_STAT by slot index; returns the id
#define SEM_INFO     19          // struct seminfo with usage; returns the highest slot in use
#define SEM_STAT_ANY 20

struct sembuf {                  // one operation of semop
  unsigned short sem_num;        // which semaphore of the set
  short sem_op;                  // > 0 add; < 0 take, waiting; 0 wait for zero
  short sem_flg;                 // IPC_NOWAIT, SEM_UNDO
};

// 64 bytes, as glibc's on i386.
struct semid_ds {
  struct ipc_perm sem_perm;
  time_t sem_otime;              // last semop
  unsigned long __sem_otime_high;
  time_t sem_ctime;              // creation, last change by semctl
  unsigned long __sem_ctime_high;
  unsigned long sem_nsems;
  unsigned long __glibc_reserved3;
  unsigned long __glibc_reserved4;
};

struct seminfo {                 // IPC_INFO, SEM_INFO
  int semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};

int semget(key_t key, int nsems, int semflg);
int semop(int semid, struct sembuf *sops, size_t nsops);
int semctl(int semid, int semnum, int cmd, ...);

#endif
