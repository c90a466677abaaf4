// ipcdemo: make one object of each System V kind, list them with ipcs, remove
// them with ipcrm (a segment by key while still attached, the rest with -a),
// and list again. Each run of xv6py boots a fresh kernel, so ipcs and ipcrm
// are shown here, run by a program that has something for them to show.

#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

// Run a program with its arguments and wait for it.
static void
run(char **argv)
{
  int i;

  printf("$");
  for(i = 0; argv[i]; i++)
    printf(" %s", argv[i]);
  printf("\n");
  fflush(stdout);
  if(fork() == 0){
    execv(argv[0], argv);
    printf("ipcdemo: cannot run %s\n", argv[0]);
    _exit(1);
  }
  wait(NULL);
}

int
main(void)
{
  struct { long mtype; char mtext[32]; } m = {1, "hello"};
  char *ipcs[] = {"ipcs", NULL};
  char *rm_key[] = {"ipcrm", "-M", "0x1234", NULL};
  char *rm_all[] = {"ipcrm", "-a", NULL};
  int shmid, semid, msqid;
  char *p;

  shmid = shmget(0x1234, 10000, IPC_CREAT | 0640);
  p = shmat(shmid, NULL, 0);
  strcpy(p, "shared");
  semid = semget(0x5678, 3, IPC_CREAT | 0600);
  msqid = msgget(IPC_PRIVATE, 0600);
  msgsnd(msqid, &m, 6, 0);
  msgsnd(msqid, &m, 6, 0);
  printf("ipcdemo: segment %d attached at %p, semaphore set %d, queue %d\n", shmid, p, semid, msqid);
  run(ipcs);
  run(rm_key);
  printf("ipcdemo: the segment is still attached here, and still holds \"%s\"\n", p);
  run(ipcs);
  shmdt(p);
  run(rm_all);
  run(ipcs);
  return 0;
}
