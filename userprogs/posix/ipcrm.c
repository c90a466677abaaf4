// ipcrm: remove System V IPC objects, by id or by key, as util-linux's ipcrm.
//
//   ipcrm -m SHMID  -s SEMID  -q MSQID     by id
//   ipcrm -M KEY    -S KEY    -Q KEY       by key (0x... for hexadecimal)
//   ipcrm -a                               every object the caller may remove
//
// Options may repeat. A segment still attached somewhere goes when its last
// process detaches; its key is gone at once. Exit status 1 if anything failed.

#define _GNU_SOURCE     // glibc: IPC_INFO, SHM_INFO, *_STAT_ANY, struct seminfo, ...
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

static int failed;

// Remove the object of kind ('m', 's' or 'q') with this id.
static int
remove_id(char kind, int id)
{
  if(kind == 'm')
    return shmctl(id, IPC_RMID, NULL);
  if(kind == 's')
    return semctl(id, 0, IPC_RMID);
  return msgctl(id, IPC_RMID, NULL);
}

// The id of the object of kind with this key, or -1.
static int
find_key(char kind, key_t key)
{
  if(kind == 'm')
    return shmget(key, 0, 0);
  if(kind == 's')
    return semget(key, 0, 0);
  return msgget(key, 0);
}

static const char*
kind_name(char kind)
{
  return kind == 'm' ? "shared memory" : kind == 's' ? "semaphore" : "message queue";
}

static void
one(char option, const char *arg)
{
  char kind = option | 0x20;          // lower case: the kind
  long n;
  char *end;
  int id;

  n = strtol(arg, &end, 0);
  if(*arg == '\0' || *end != '\0'){
    fprintf(stderr, "ipcrm: not a number: %s\n", arg);
    failed = 1;
    return;
  }
  if(option != kind){                 // -M, -S, -Q: by key
    if(n == IPC_PRIVATE){
      fprintf(stderr, "ipcrm: illegal key (%s)\n", arg);
      failed = 1;
      return;
    }
    id = find_key(kind, (key_t)n);
    if(id < 0){
      fprintf(stderr, "ipcrm: invalid key (%s)\n", arg);
      failed = 1;
      return;
    }
  } else
    id = (int)n;
  if(remove_id(kind, id) < 0){
    fprintf(stderr, "ipcrm: %s %s (%s): %s\n", option == kind ? "invalid id" : "cannot remove",
            arg, kind_name(kind), strerror(errno));
    failed = 1;
  }
}

// -a: every object of every kind, walking the tables as ipcs does.
static void
all(void)
{
  struct shmid_ds shm;
  struct semid_ds sem;
  struct msqid_ds msg;
  union { int val; struct semid_ds *buf; } arg;
  int max, i, id;

  max = shmctl(0, SHM_INFO, (struct shmid_ds*)&shm);
  for(i = 0; i <= max; i++)
    if((id = shmctl(i, SHM_STAT_ANY, &shm)) >= 0 && shmctl(id, IPC_RMID, NULL) < 0)
      failed = 1;
  arg.buf = &sem;
  max = semctl(0, 0, SEM_INFO, arg);
  for(i = 0; i <= max; i++){
    arg.buf = &sem;
    if((id = semctl(i, 0, SEM_STAT_ANY, arg)) >= 0 && semctl(id, 0, IPC_RMID) < 0)
      failed = 1;
  }
  max = msgctl(0, MSG_INFO, &msg);
  for(i = 0; i <= max; i++)
    if((id = msgctl(i, MSG_STAT_ANY, &msg)) >= 0 && msgctl(id, IPC_RMID, NULL) < 0)
      failed = 1;
}

int
main(int argc, char *argv[])
{
  int i;

  if(argc < 2){
    fprintf(stderr, "usage: ipcrm [-m|-s|-q ID] [-M|-S|-Q KEY] [-a]...\n");
    return 1;
  }
  for(i = 1; i < argc; i++){
    if(strcmp(argv[i], "-a") == 0){
      all();
    } else if(argv[i][0] == '-' && strchr("msqMSQ", argv[i][1]) && argv[i][1] && !argv[i][2]
              && i + 1 < argc){
      one(argv[i][1], argv[i + 1]);
      i++;
    } else {
      fprintf(stderr, "ipcrm: bad argument %s\n", argv[i]);
      return 1;
    }
  }
  return failed;
}
