// forktree [depth]: a binary tree of processes, depth levels below the root
// (default 3).
//
// Each node prints an "enter" line, then, if it is not a leaf, forks its left
// child and waits for it, then forks its right child and waits for it, and
// finally prints a "leave" line. Because a node waits for one child before it
// forks the next, at most one branch is running at any time: the output, and
// the pids (forks happen in the same order on every run), do not depend on
// how the scheduler interleaves processes. Nodes are named by their path:
// root, root.0 (left child), root.1 (right child), root.0.1, ...

#include "types.h"
#include "user.h"

#define MAXDEPTH 20      // 2^21 - 1 processes would take a long time already

static char path[2*MAXDEPTH + 8];   // "root" and ".0"/".1" per level

static void node(int depth) __attribute__((noreturn));

// Run the node named by path with `depth` levels of children below it.
static void
node(int depth)
{
  int branch, pid, len;

  printf(1, "forktree: enter %s (pid %d)\n", path, getpid());
  if(depth > 0){
    len = strlen(path);
    for(branch = 0; branch < 2; branch++){
      pid = fork();
      if(pid < 0){
        printf(1, "forktree: fork failed in %s\n", path);
        exit();
      }
      if(pid == 0){
        // The child: our copy of path gets one more component.
        path[len] = '.';
        path[len+1] = '0' + branch;
        path[len+2] = '\0';
        node(depth - 1);
      }
      if(wait() != pid){
        printf(1, "forktree: wait failed in %s\n", path);
        exit();
      }
    }
  }
  printf(1, "forktree: leave %s (pid %d)\n", path, getpid());
  exit();
}

int
main(int argc, char *argv[])
{
  int depth = 3;

  if(argc > 1)
    depth = atoi(argv[1]);
  if(depth < 0 || depth > MAXDEPTH){
    printf(2, "usage: forktree [depth], depth 0 to %d\n", MAXDEPTH);
    exit();
  }
  strcpy(path, "root");
  node(depth);
}
