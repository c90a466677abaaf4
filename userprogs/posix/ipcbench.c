// ipcbench WHAT N: System V IPC calls in a loop, for bench/bench_ipc.py, which
// subtracts a run with N = 0 and divides by N.
//
//   getpid N     N getpid() calls: the bare cost of a system call (the baseline)
//   semop N      N down+up pairs on a semaphore nobody else uses: no sleep
//   sempp N      N round trips between two processes: the parent ups semaphore 0
//                and downs semaphore 1, the child downs 0 and ups 1 (each sleeps)
//   msg N        N msgsnd+msgrcv of 64 bytes in one process: no sleep
//   msgpp N      N round trips of a 64-byte message between two processes
//   shm N        N shmat+shmdt pairs of a one-page segment (the kernel picks the address)

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

struct message {
  long mtype;
  char mtext[64];
};

static void
op(int id, int num, int sop)
{
  struct sembuf b = {num, sop, 0};

  if(semop(id, &b, 1) < 0){
    perror("ipcbench: semop");
    exit(1);
  }
}

int
main(int argc, char *argv[])
{
  struct message m;
  int i, n, id;
  char *p;

  if(argc != 3){
    fprintf(stderr, "usage: ipcbench getpid|semop|sempp|msg|msgpp|shm N\n");
    return 2;
  }
  n = atoi(argv[2]);
  memset(&m, 'x', sizeof m);
  if(strcmp(argv[1], "getpid") == 0){
    for(i = 0; i < n; i++)
      getpid();
  } else if(strcmp(argv[1], "semop") == 0){
    id = semget(IPC_PRIVATE, 1, 0600);
    for(i = 0; i < n; i++){
      op(id, 0, 1);
      op(id, 0, -1);
    }
    semctl(id, 0, IPC_RMID);
  } else if(strcmp(argv[1], "sempp") == 0){
    id = semget(IPC_PRIVATE, 2, 0600);
    if(fork() == 0){
      for(i = 0; i < n; i++){
        op(id, 0, -1);
        op(id, 1, 1);
      }
      exit(0);
    }
    for(i = 0; i < n; i++){
      op(id, 0, 1);
      op(id, 1, -1);
    }
    wait(NULL);
    semctl(id, 0, IPC_RMID);
  } else if(strcmp(argv[1], "msg") == 0){
    id = msgget(IPC_PRIVATE, 0600);
    for(i = 0; i < n; i++){
      m.mtype = 1;
      if(msgsnd(id, &m, 64, 0) < 0 || msgrcv(id, &m, 64, 0, 0) != 64)
        return 1;
    }
    msgctl(id, IPC_RMID, NULL);
  } else if(strcmp(argv[1], "msgpp") == 0){
    id = msgget(IPC_PRIVATE, 0600);
    if(fork() == 0){
      for(i = 0; i < n; i++){
        if(msgrcv(id, &m, 64, 1, 0) != 64)
          exit(1);
        m.mtype = 2;
        msgsnd(id, &m, 64, 0);
      }
      exit(0);
    }
    for(i = 0; i < n; i++){
      m.mtype = 1;
      msgsnd(id, &m, 64, 0);
      if(msgrcv(id, &m, 64, 2, 0) != 64)
        return 1;
    }
    wait(NULL);
    msgctl(id, IPC_RMID, NULL);
  } else if(strcmp(argv[1], "shm") == 0){
    id = shmget(IPC_PRIVATE, 4096, 0600);
    for(i = 0; i < n; i++){
      if((p = shmat(id, NULL, 0)) == (void*)-1 || shmdt(p) < 0){
        perror("ipcbench: shmat/shmdt");
        return 1;
      }
    }
    shmctl(id, IPC_RMID, NULL);
  } else {
    fprintf(stderr, "ipcbench: unknown benchmark %s\n", argv[1]);
    return 2;
  }
  return 0;
}
