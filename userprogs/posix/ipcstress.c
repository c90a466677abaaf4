// ipcstress nattch|pingpong|kill|exec: System V IPC with many processes, written
// for Linux and run unchanged on xv6py (tests/test_ipc_conformance.py). One line
// per check, as ipctest prints them; only facts that do not depend on how the
// processes interleave are printed, so every scheduling seed gives the same text.
//
//   nattch     20 children attach and detach a segment: shm_nattch is exact at
//              each step, also when children exit without detaching
//   pingpong   two processes take and give a SEM_UNDO semaphore 1,000 times each
//              around a counter in shared memory: no update is lost
//   kill       a process killed while asleep in semop, and one killed in msgrcv:
//              each leaves the wait, its SEM_UNDO holdings are given back
//   exec       fork copies attachments, exit and exec drop them; SEM_UNDO
//              adjustments survive exec and apply when the new image exits

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define SAME(what, got, want) same(what, (long)(got), (long)(want))
static void
same(const char *what, long got, long want)
{
  if(got == want)
    printf("ok   %s = %ld\n", what, want);
  else {
    printf("FAIL %s = %ld, want %ld (errno %d)\n", what, got, want, errno);
    failures++;
  }
}

static int
semop1(int id, int num, int op, int flg)
{
  struct sembuf b = {num, op, flg};

  return semop(id, &b, 1);
}

static long
nattch(int id)
{
  struct shmid_ds ds;

  if(shmctl(id, IPC_STAT, &ds) < 0)
    return -1;
  return ds.shm_nattch;
}

// Poll until semctl(id, num, cmd) is want.
static int
await(int id, int num, int cmd, int want)
{
  int i, v = -1;

  for(i = 0; i < 20000 && (v = semctl(id, num, cmd)) != want; i++)
    usleep(1000);
  return v;
}

// Reap n children; count those that did not exit with status 0.
static void
reap(int n)
{
  int status;

  while(n-- > 0){
    wait(&status);
    if(!WIFEXITED(status) || WEXITSTATUS(status) != 0){
      printf("FAIL a child ended with status %d\n", status);
      failures++;
    }
  }
}

// ---- nattch -----------------------------------------------------------------------------------

#define KIDS 20

static void
nattch20(void)
{
  int shm = shmget(IPC_PRIVATE, 3 * 4096, 0600);
  int sem = semget(IPC_PRIVATE, 2, 0600);      // 0: children attached; 1: go
  int round, i;

  SAME("shm_nattch of a new segment", nattch(shm), 0);
  for(round = 0; round < 2; round++){
    for(i = 0; i < KIDS; i++){
      if(fork() == 0){
        int *p = shmat(shm, NULL, 0);
        if(p == (void*)-1)
          _exit(1);
        __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST);
        semop1(sem, 0, 1, 0);
        semop1(sem, 1, -1, 0);                 // wait for the parent to look
        if(round == 0 && shmdt(p) < 0)         // round 1: exit detaches
          _exit(2);
        _exit(0);
      }
    }
    semop1(sem, 0, -KIDS, 0);                  // all attached
    SAME(round ? "shm_nattch with 20 children attached (round 2)" : "shm_nattch with 20 children attached",
         nattch(shm), KIDS);
    semop1(sem, 1, KIDS, 0);
    reap(KIDS);
    SAME(round ? "shm_nattch once they exited without shmdt" : "shm_nattch once they detached",
         nattch(shm), 0);
  }
  int *p = shmat(shm, NULL, 0);
  SAME("attachments counted through the segment", p[0], 2 * KIDS);
  for(i = 0; i < KIDS; i++)
    if(fork() == 0)
      _exit(p[0] == 2 * KIDS ? 0 : 1);         // inherited: no shmat of their own
  reap(KIDS);
  SAME("shm_nattch after 20 children inherited it and exited", nattch(shm), 1);
  shmdt(p);
  SAME("shm_nattch after the parent detached", nattch(shm), 0);
  shmctl(shm, IPC_RMID, NULL);
  semctl(sem, 0, IPC_RMID);
}

// ---- pingpong ---------------------------------------------------------------------------------

#define PAIRS 1000

// PAIRS times: take the semaphore, add one to the counter slowly (a
// read-modify-write that a switch in the middle would break), give it back.
static void
worker(int sem, volatile int *counter)
{
  int i, v, k;

  for(i = 0; i < PAIRS; i++){
    if(semop1(sem, 0, -1, SEM_UNDO) < 0)
      _exit(1);
    v = *counter;
    for(k = 0; k < 50; k++)                    // give the timer a chance to fire here
      __asm__ volatile("" ::: "memory");
    *counter = v + 1;
    if(semop1(sem, 0, 1, SEM_UNDO) < 0)
      _exit(1);
  }
  _exit(0);
}

static void
pingpong(void)
{
  int shm = shmget(IPC_PRIVATE, 4096, 0600);
  int sem = semget(IPC_PRIVATE, 1, 0600);
  volatile int *counter = shmat(shm, NULL, 0);
  int i;

  semop1(sem, 0, 1, 0);
  for(i = 0; i < 2; i++)
    if(fork() == 0)
      worker(sem, counter);
  reap(2);
  SAME("the counter after 2 x 1000 down/up pairs", *counter, 2 * PAIRS);
  SAME("the semaphore's value", semctl(sem, 0, GETVAL), 1);
  SAME("GETNCNT", semctl(sem, 0, GETNCNT), 0);
  shmdt((void*)counter);
  shmctl(shm, IPC_RMID, NULL);
  semctl(sem, 0, IPC_RMID);
}

// ---- kill -------------------------------------------------------------------------------------

static void
killed(void)
{
  int sem = semget(IPC_PRIVATE, 2, 0600);
  int q = msgget(IPC_PRIVATE, 0600);
  struct { long mtype; char mtext[16]; } m;
  int pid, status, fds[2];
  char c;

  // In semop: it holds semaphore 0 (through SEM_UNDO) and waits on semaphore 1.
  pid = fork();
  if(pid == 0){
    semop1(sem, 0, 1, SEM_UNDO);
    semop1(sem, 1, -1, SEM_UNDO);
    _exit(3);                                  // never: it is killed first
  }
  SAME("GETNCNT of semaphore 1 while the child waits", await(sem, 1, GETNCNT, 1), 1);
  SAME("semaphore 0, which the child holds", semctl(sem, 0, GETVAL), 1);
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  SAME("killed by SIGKILL", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, 1);
  SAME("GETNCNT of semaphore 1 once it is gone", semctl(sem, 1, GETNCNT), 0);
  SAME("semaphore 0 given back by its SEM_UNDO", semctl(sem, 0, GETVAL), 0);
  SAME("semaphore 1", semctl(sem, 1, GETVAL), 0);

  // In msgrcv: killed while it waits for a message of type 5.
  pipe(fds);
  pid = fork();
  if(pid == 0){
    write(fds[1], "!", 1);
    msgrcv(q, &m, sizeof m.mtext, 5, 0);
    _exit(3);
  }
  read(fds[0], &c, 1);
  usleep(50000);                               // it sleeps in msgrcv
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  SAME("killed by SIGKILL in msgrcv", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, 1);
  m.mtype = 5;
  strcpy(m.mtext, "late");
  msgsnd(q, &m, 4, 0);
  SAME("the message it waited for is still there", msgrcv(q, &m, sizeof m.mtext, 5, IPC_NOWAIT), 4);
  semctl(sem, 0, IPC_RMID);
  msgctl(q, IPC_RMID, NULL);
  close(fds[0]);
  close(fds[1]);
}

// ---- exec -------------------------------------------------------------------------------------

// The new image, exec'd by a child that had the segment attached and held
// semaphore 0 through SEM_UNDO: it has no attachment of its own.
static int
after_exec(int shm, int sem)
{
  SAME("shm_nattch seen after exec (the parent's only)", nattch(shm), 1);
  SAME("semaphore 0, still held across exec", semctl(sem, 0, GETVAL), 1);
  return failures;
}

static void
exec_test(const char *self)
{
  int shm = shmget(IPC_PRIVATE, 4096, 0600);
  int sem = semget(IPC_PRIVATE, 1, 0600);
  char *p = shmat(shm, NULL, 0);
  char a[16], b[16];
  char *argv[] = {(char*)self, "after-exec", a, b, NULL};
  int pid, status;

  snprintf(a, sizeof a, "%d", shm);
  snprintf(b, sizeof b, "%d", sem);
  fflush(stdout);
  pid = fork();
  if(pid == 0){
    if(nattch(shm) != 2)
      _exit(10);
    semop1(sem, 0, 1, SEM_UNDO);
    execv(self, argv);
    _exit(11);
  }
  waitpid(pid, &status, 0);
  SAME("the exec'd child's status", WIFEXITED(status) ? WEXITSTATUS(status) : 100 + status, 0);
  SAME("semaphore 0 after the exec'd image exited (its undo applied)", semctl(sem, 0, GETVAL), 0);
  SAME("shm_nattch after the child exec'd and exited", nattch(shm), 1);
  p[0] = 1;
  shmdt(p);
  shmctl(shm, IPC_RMID, NULL);
  semctl(sem, 0, IPC_RMID);
}

int
main(int argc, char *argv[])
{
  const char *what = argc > 1 ? argv[1] : "";

  setvbuf(stdout, NULL, _IONBF, 0);
  if(strcmp(what, "after-exec") == 0 && argc == 4)
    return after_exec(atoi(argv[2]), atoi(argv[3]));
  if(strcmp(what, "nattch") == 0)
    nattch20();
  else if(strcmp(what, "pingpong") == 0)
    pingpong();
  else if(strcmp(what, "kill") == 0)
    killed();
  else if(strcmp(what, "exec") == 0)
    exec_test(argv[0]);
  else {
    fprintf(stderr, "usage: ipcstress nattch|pingpong|kill|exec\n");
    return 2;
  }
  printf("%s: %s\n", what, failures ? "FAILED" : "all checks passed");
  return failures != 0;
}
