// System V shared memory (xv6py/ipc/shm.py). i386 Linux's numbers and layouts.

#ifndef XV6PY_SYS_SHM_H
#define XV6PY_SYS_SHM_H

#include <sys/ipc.h>

#define SHM_RDONLY 010000        // shmat: read-only (a write faults)
#define SHM_RND    020000        // shmat: round the address down to SHMLBA
#define SHM_REMAP  040000        // shmat: not supported (EINVAL)
#define SHM_EXEC   0100000       // shmat: executable (every user page is)

#define SHM_LOCK     11          // shmctl commands
#define SHM_UNLOCK   12
#define SHM_STAT     13          // IPC_STAT by slot index; returns the id
#define SHM_INFO     14          // struct shm_info; returns the highest slot in use
#define SHM_STAT_ANY 15          // SHM_STAT without the read permission check

#define SHM_DEST   01000         // in shm_perm.mode: removed, freed at the last detach
#define SHM_LOCKED 02000         // in shm_perm.mode: SHM_LOCK done

#define SHMLBA 4096              // attach addresses are multiples of this

typedef unsigned long shmatt_t;

// 84 bytes, as glibc's on i386.
struct shmid_ds {
  struct ipc_perm shm_perm;
  size_t shm_segsz;              // the size asked for (not rounded up)
  time_t shm_atime;              // last attach
  unsigned long __shm_atime_high;
  time_t shm_dtime;              // last detach
  unsigned long __shm_dtime_high;
  time_t shm_ctime;              // creation, last IPC_SET
  unsigned long __shm_ctime_high;
  pid_t shm_cpid;                // creator
  pid_t shm_lpid;                // last to attach or detach
  shmatt_t shm_nattch;           // attachments, in all processes
  unsigned long __glibc_reserved5;
  unsigned long __glibc_reserved6;
};

struct shminfo {                 // IPC_INFO
  unsigned long shmmax, shmmin, shmmni, shmseg, shmall;
  unsigned long __glibc_reserved1, __glibc_reserved2, __glibc_reserved3, __glibc_reserved4;
};

struct shm_info {                // SHM_INFO
  int used_ids;                  // segments
  unsigned long shm_tot;         // their pages
  unsigned long shm_rss;
  unsigned long shm_swp;
  unsigned long swap_attempts;
  unsigned long swap_successes;
};

int shmget(key_t key, size_t size, int shmflg);
void *shmat(int shmid, const void *shmaddr, int shmflg);   // (void*)-1 on failure
int shmdt(const void *shmaddr);
int shmctl(int shmid, int cmd, struct shmid_ds *buf);

#endif
