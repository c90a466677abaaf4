// philosophers N [MEALS] [kill]: Dijkstra's dining philosophers with a System V
// semaphore set, as Minix 3 first showed its semaphores.
//
// N philosophers sit at a round table with a fork between each two; each needs
// both of its forks to eat. Fork i is semaphore i of one set, 1 while it lies
// on the table. A philosopher takes both forks in ONE semop -- the kernel
// applies the two operations together or not at all -- so nobody ever holds
// one fork while waiting for the other, and the table never deadlocks.
//
// The forks are taken with SEM_UNDO: if a philosopher dies with its forks in
// hand, the kernel puts them back when it exits. With "kill", philosopher 0
// never finishes its first meal; the host kills it in the middle, and its two
// neighbours still get to eat.

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

static int semid, n, meals;

// Take (op -1) or put back (op +1) the forks of philosopher i, both at once.
static void
forks(int i, int op)
{
  struct sembuf both[2] = {
    {i, op, SEM_UNDO},
    {(i + 1) % n, op, SEM_UNDO},
  };

  if(semop(semid, both, 2) < 0){
    perror("philosophers: semop");
    exit(1);
  }
}

static void
philosopher(int i, int glutton)
{
  struct sembuf eating = {n, 1, 0};     // semaphore n: tells the host a meal began
  int m;

  for(m = 1; m <= meals; m++){
    usleep(10000 * (1 + (i + m) % 3));   // think for a tick or three
    forks(i, -1);
    printf("philosopher %d eats meal %d with forks %d and %d\n", i, m, i, (i + 1) % n);
    if(glutton){
      semop(semid, &eating, 1);
      for(;;)
        ;                                // eats until it is killed
    }
    usleep(10000 * (1 + (i * m) % 2));   // eat for a tick or two
    forks(i, +1);
  }
  exit(0);
}

int
main(int argc, char *argv[])
{
  unsigned short ones[64];
  union semun arg;
  int i, pid, status, glutton, killed = 0;
  struct sembuf meal_begun = {0, -1, 0};

  n = argc > 1 ? atoi(argv[1]) : 5;
  meals = argc > 2 ? atoi(argv[2]) : 3;
  glutton = argc > 3 && strcmp(argv[3], "kill") == 0;
  if(n < 2 || n > 63 || meals < 1){
    fprintf(stderr, "usage: philosophers N [MEALS] [kill]   (2 <= N <= 63)\n");
    return 1;
  }
  semid = semget(IPC_PRIVATE, n + 1, 0600);
  if(semid < 0){
    perror("philosophers: semget");
    return 1;
  }
  for(i = 0; i < n; i++)
    ones[i] = 1;                         // every fork on the table
  ones[n] = 0;
  arg.array = ones;
  semctl(semid, 0, SETALL, arg);
  printf("%d philosophers, %d meals each%s\n", n, meals, glutton ? "; philosopher 0 will be killed" : "");
  fflush(stdout);

  int pids[64];
  for(i = 0; i < n; i++){
    pids[i] = fork();
    if(pids[i] == 0)
      philosopher(i, glutton && i == 0);
  }
  if(glutton){
    meal_begun.sem_num = n;
    semop(semid, &meal_begun, 1);        // wait until philosopher 0 has its forks
    kill(pids[0], SIGKILL);
    printf("killed philosopher 0 in the middle of a meal\n");
    fflush(stdout);
  }
  for(i = 0; i < n; i++){
    pid = wait(&status);
    if(pid == pids[0] && glutton && WIFSIGNALED(status))
      killed = 1;
    else if(!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      printf("philosopher (pid %d) ended with status %d\n", pid, status);
  }
  for(i = 0; i < n; i++)
    if(semctl(semid, i, GETVAL) != 1)
      printf("fork %d is not on the table!\n", i);
  printf("all %d forks are back on the table%s\n", n, killed ? ", the dead philosopher's too" : "");
  semctl(semid, 0, IPC_RMID);
  return 0;
}
