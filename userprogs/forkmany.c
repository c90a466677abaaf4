// forkmany [-g PAGES] [-n MAX] [-m]: fork until fork fails (or MAX children
// exist), with every child alive at once, then let them all go and reap them.
//
// Each child closes its copy of the pipe's write end and blocks reading the
// read end; when the parent closes the write end, every read returns 0 and the
// children exit. So all children exist at the same time, and fork fails when
// the process table (NPROC slots) or memory runs out. With -g the program
// first grows its memory by PAGES pages (more for each fork to copy). With -m
// it attaches a one-page shared-memory segment at SHMADDR, which each child
// shares; at the end it detaches and destroys it (destroy fails if a failed
// fork left a reference behind).
//
// Output:
//     forkmany: PAGES pages                 its size in pages when forking
//     forkmany: forked N children
//     forkmany: fork N+1 returned -1        (unless -n stopped it first)
//     forkmany: reaped N children
//     forkmany: fork again ok|-1            a fork after all children are gone
//     forkmany: shm destroyed               (with -m)

#include "types.h"
#include "user.h"

#define PGSIZE 4096
#define SHMADDR ((void*)0x60000000)

static void
usage(void)
{
  printf(1, "usage: forkmany [-g PAGES] [-n MAX] [-m]\n");
  exit();
}

int
main(int argc, char *argv[])
{
  int fd[2], i, n, pid, grow = 0, max = 1000, shm = 0, id = -1;
  char c;

  for(i = 1; i < argc; i += 2){
    if(strcmp(argv[i], "-m") == 0){
      shm = 1;
      i--;
      continue;
    }
    if(i + 1 >= argc)
      usage();
    if(strcmp(argv[i], "-g") == 0)
      grow = atoi(argv[i + 1]);
    else if(strcmp(argv[i], "-n") == 0)
      max = atoi(argv[i + 1]);
    else
      usage();
  }
  if(grow > 0 && sbrk(grow * PGSIZE) == (char*)-1){
    printf(1, "forkmany: out of memory\n");
    exit();
  }
  if(shm && ((id = shm_create(PGSIZE)) < 0 || shm_attach(id, SHMADDR) < 0)){
    if(id >= 0)
      shm_destroy(id);          // segments outlive processes: do not leak it
    printf(1, "forkmany: out of memory\n");
    exit();
  }
  if(pipe(fd) < 0){
    printf(1, "forkmany: pipe failed\n");
    exit();
  }
  printf(1, "forkmany: %d pages\n", (uint)sbrk(0) / PGSIZE);

  pid = 0;
  for(n = 0; n < max; n++){
    pid = fork();
    if(pid < 0)
      break;
    if(pid == 0){
      close(fd[1]);
      read(fd[0], &c, 1);       // returns 0 once the parent closes its end
      exit();
    }
  }
  printf(1, "forkmany: forked %d children\n", n);
  if(pid < 0)
    printf(1, "forkmany: fork %d returned %d\n", n + 1, pid);

  close(fd[1]);
  for(i = 0; wait() >= 0; i++)
    ;
  printf(1, "forkmany: reaped %d children\n", i);

  pid = fork();
  if(pid == 0)
    exit();
  if(pid > 0)
    wait();
  printf(1, "forkmany: fork again %s\n", pid > 0 ? "ok" : "-1");
  if(shm){
    if(shm_detach(id) == 0 && shm_destroy(id) == 0)
      printf(1, "forkmany: shm destroyed\n");
    else
      printf(1, "forkmany: FAIL: shm segment %d not destroyed\n", id);
  }
  exit();
}
