// lxipc: System V semaphores, message queues and shared memory with
// IPC_PRIVATE and ftok, a parent and a child, written for Linux in the manner
// of the Linux Test Project: each line names a check and what came back.
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

struct msg { long mtype; char mtext[32]; };

static void
report(const char *what, long got)
{
  if (got < 0)
    printf("%-32s %ld %s\n", what, got, strerror(errno));
  else
    printf("%-32s %ld\n", what, got);
}

static void
sems(void)
{
  union semun arg;
  struct sembuf up = {0, 1, 0}, down = {0, -1, 0};
  int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
  assert(id >= 0);
  arg.val = 5;
  report("semctl SETVAL 5", semctl(id, 0, SETVAL, arg));
  report("semctl GETVAL", semctl(id, 0, GETVAL));
  report("semop up", semop(id, &up, 1));
  report("semop down", semop(id, &down, 1));
  report("semop down", semop(id, &down, 1));
  report("semctl GETVAL", semctl(id, 0, GETVAL));
  arg.val = -1;
  report("semctl SETVAL -1", semctl(id, 0, SETVAL, arg));
  report("semctl GETVAL sem 7", semctl(id, 7, GETVAL));
  // The child waits on semaphore 1 until the parent raises it.
  pid_t c = fork();
  if (c == 0) {
    struct sembuf wait1 = {1, -1, 0};
    _exit(semop(id, &wait1, 1) == 0 ? 7 : 1);
  }
  struct sembuf post1 = {1, 1, 0};
  report("semop post sem 1", semop(id, &post1, 1));
  int st;
  waitpid(c, &st, 0);
  printf("child exited %d with %d\n", WIFEXITED(st), WEXITSTATUS(st));
  report("semctl IPC_RMID", semctl(id, 0, IPC_RMID));
  report("semop after IPC_RMID", semop(id, &up, 1));
}

static void
msgs(void)
{
  struct msg m;
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  assert(id >= 0);
  for (long t = 1; t <= 3; t++) {
    m.mtype = t;
    snprintf(m.mtext, sizeof m.mtext, "type %ld", t);
    report("msgsnd", msgsnd(id, &m, strlen(m.mtext) + 1, 0));
  }
  report("msgrcv type 2", msgrcv(id, &m, sizeof m.mtext, 2, 0));
  printf("  got %ld \"%s\"\n", m.mtype, m.mtext);
  report("msgrcv type -3 (lowest)", msgrcv(id, &m, sizeof m.mtext, -3, 0));
  printf("  got %ld \"%s\"\n", m.mtype, m.mtext);
  report("msgrcv type 2 NOWAIT", msgrcv(id, &m, sizeof m.mtext, 2, IPC_NOWAIT));
  report("msgrcv 2 bytes", msgrcv(id, &m, 2, 0, 0));
  report("msgrcv 2 bytes NOERROR", msgrcv(id, &m, 2, 0, MSG_NOERROR));
  printf("  got %ld \"%.2s\"\n", m.mtype, m.mtext);
  m.mtype = 0;
  report("msgsnd type 0", msgsnd(id, &m, 1, 0));
  // A child sends type 9; the parent waits for it.
  pid_t c = fork();
  if (c == 0) {
    struct msg r = {9, "from child"};
    _exit(msgsnd(id, &r, sizeof r.mtext, 0) == 0 ? 0 : 1);
  }
  report("msgrcv type 9 from child", msgrcv(id, &m, sizeof m.mtext, 9, 0));
  printf("  got %ld \"%s\"\n", m.mtype, m.mtext);
  waitpid(c, NULL, 0);
  report("msgctl IPC_RMID", msgctl(id, IPC_RMID, NULL));
  report("msgctl IPC_RMID again", msgctl(id, IPC_RMID, NULL));
}

static void
shms(void)
{
  key_t k = ftok(".", 'x'), k2 = ftok(".", 'y');
  printf("ftok same file, other id differ: %d\n", k != k2 && k != -1);
  report("ftok missing file", ftok("no-such-file", 'x'));
  int id = shmget(k, 4096, IPC_CREAT | IPC_EXCL | 0600);
  assert(id >= 0);
  report("shmget same key IPC_EXCL", shmget(k, 4096, IPC_CREAT | IPC_EXCL | 0600));
  report("shmget same key finds it", shmget(k, 4096, 0) == id);
  report("shmget bigger than it", shmget(k, 8192, 0));
  volatile uint32_t *p = shmat(id, NULL, 0);
  assert(p != (void *)-1);
  p[0] = 0;
  pid_t c = fork();
  if (c == 0) {
    for (int i = 0; i < 1000; i++)
      p[1] += 2;
    p[0] = 1;
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("child wrote %u, flag %u, exit %d\n", (unsigned)p[1], (unsigned)p[0], WEXITSTATUS(st));
  struct shmid_ds ds;
  report("shmctl IPC_STAT", shmctl(id, IPC_STAT, &ds));
  printf("  size %lu nattch %lu\n", (unsigned long)ds.shm_segsz, (unsigned long)ds.shm_nattch);
  report("shmdt", shmdt((void *)p));
  report("shmdt again", shmdt((void *)p));
  report("shmctl IPC_RMID", shmctl(id, IPC_RMID, NULL));
  report("shmget after IPC_RMID", shmget(k, 4096, 0));
  bool ok = INT_MAX == 2147483647;
  printf("limits %d\n", ok);
}

int
main(void)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  sems();
  msgs();
  shms();
  return 0;
}
