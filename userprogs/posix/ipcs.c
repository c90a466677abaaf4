// ipcs: list the System V IPC objects -- shared memory segments, semaphore
// sets, message queues -- as util-linux's ipcs does, with the pids too.
//
//   ipcs [-m] [-s] [-q]     the tables asked for (all three by default)
//   ipcs -l                 the limits (IPC_INFO)
//
// It walks each table the way a real ipcs does: *_INFO says the highest slot in
// use, and *_STAT_ANY reads each slot, giving the object's id.

#define _GNU_SOURCE     // glibc: IPC_INFO, SHM_INFO, *_STAT_ANY, struct seminfo, ...
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
  struct seminfo *__buf;
};

static void
shm_table(void)
{
  struct shm_info info;
  struct shmid_ds ds;
  int max, i, id;

  printf("------ Shared Memory Segments --------\n");
  printf("%-10s %-10s %-6s %-6s %-10s %-6s %-10s %-5s %s\n",
         "key", "shmid", "owner", "perms", "bytes", "nattch", "status", "cpid", "lpid");
  max = shmctl(0, SHM_INFO, (struct shmid_ds*)&info);
  for(i = 0; i <= max; i++){
    if((id = shmctl(i, SHM_STAT_ANY, &ds)) < 0)
      continue;
    printf("0x%08x %-10d %-6u %-6o %-10lu %-6lu %-10s %-5d %d\n",
           (unsigned)ds.shm_perm.__key, id, (unsigned)ds.shm_perm.uid,
           (unsigned)ds.shm_perm.mode & 0777, (unsigned long)ds.shm_segsz,
           (unsigned long)ds.shm_nattch,
           ds.shm_perm.mode & SHM_DEST ? "dest" : ds.shm_perm.mode & SHM_LOCKED ? "locked" : "",
           (int)ds.shm_cpid, (int)ds.shm_lpid);
  }
  printf("\n");
}

static void
sem_table(void)
{
  struct seminfo info;
  struct semid_ds ds;
  union semun arg;
  int max, i, id;

  printf("------ Semaphore Arrays --------\n");
  printf("%-10s %-10s %-6s %-6s %s\n", "key", "semid", "owner", "perms", "nsems");
  arg.__buf = &info;
  max = semctl(0, 0, SEM_INFO, arg);
  for(i = 0; i <= max; i++){
    arg.buf = &ds;
    if((id = semctl(i, 0, SEM_STAT_ANY, arg)) < 0)
      continue;
    printf("0x%08x %-10d %-6u %-6o %lu\n", (unsigned)ds.sem_perm.__key, id,
           (unsigned)ds.sem_perm.uid, (unsigned)ds.sem_perm.mode & 0777,
           (unsigned long)ds.sem_nsems);
  }
  printf("\n");
}

static void
msg_table(void)
{
  struct msginfo info;
  struct msqid_ds ds;
  int max, i, id;

  printf("------ Message Queues --------\n");
  printf("%-10s %-10s %-6s %-6s %-10s %-8s %-5s %s\n",
         "key", "msqid", "owner", "perms", "used-bytes", "messages", "lspid", "lrpid");
  max = msgctl(0, MSG_INFO, (struct msqid_ds*)&info);
  for(i = 0; i <= max; i++){
    if((id = msgctl(i, MSG_STAT_ANY, &ds)) < 0)
      continue;
    printf("0x%08x %-10d %-6u %-6o %-10lu %-8lu %-5d %d\n", (unsigned)ds.msg_perm.__key, id,
           (unsigned)ds.msg_perm.uid, (unsigned)ds.msg_perm.mode & 0777,
           (unsigned long)ds.msg_cbytes, (unsigned long)ds.msg_qnum,
           (int)ds.msg_lspid, (int)ds.msg_lrpid);
  }
  printf("\n");
}

static void
limits(void)
{
  struct shminfo shm;
  struct seminfo sem;
  struct msginfo msg;
  union semun arg;

  shmctl(0, IPC_INFO, (struct shmid_ds*)&shm);
  arg.__buf = &sem;
  semctl(0, 0, IPC_INFO, arg);
  msgctl(0, IPC_INFO, (struct msqid_ds*)&msg);
  printf("------ Shared Memory Limits --------\n");
  printf("max number of segments = %lu\n", shm.shmmni);
  printf("max seg size (kbytes) = %lu\n", shm.shmmax / 1024);
  printf("max total shared memory (pages) = %lu\n", shm.shmall);
  printf("min seg size (bytes) = %lu\n\n", shm.shmmin);
  printf("------ Semaphore Limits --------\n");
  printf("max number of arrays = %d\n", sem.semmni);
  printf("max semaphores per array = %d\n", sem.semmsl);
  printf("max semaphores system wide = %d\n", sem.semmns);
  printf("max ops per semop call = %d\n", sem.semopm);
  printf("semaphore max value = %d\n\n", sem.semvmx);
  printf("------ Messages Limits --------\n");
  printf("max queues system wide = %d\n", msg.msgmni);
  printf("max size of message (bytes) = %d\n", msg.msgmax);
  printf("default max size of queue (bytes) = %d\n\n", msg.msgmnb);
}

int
main(int argc, char *argv[])
{
  int m = 0, s = 0, q = 0, i;

  for(i = 1; i < argc; i++){
    if(strcmp(argv[i], "-m") == 0)
      m = 1;
    else if(strcmp(argv[i], "-s") == 0)
      s = 1;
    else if(strcmp(argv[i], "-q") == 0)
      q = 1;
    else if(strcmp(argv[i], "-l") == 0){
      limits();
      return 0;
    } else {
      fprintf(stderr, "usage: ipcs [-m] [-s] [-q] | ipcs -l\n");
      return 1;
    }
  }
  if(!m && !s && !q)
    m = s = q = 1;
  if(q)
    msg_table();
  if(m)
    shm_table();
  if(s)
    sem_table();
  return 0;
}
