// stressfs: four processes write and read back files at the same time, to
// put the file system's locks and log under load.

#include "types.h"
#include "user.h"
#include "fcntl.h"

#define NPROCS 4
#define NWRITES 20

int
main(void)
{
  static char data[512];
  char path[] = "stressfs0";
  int fd, i, me;

  printf(1, "stressfs starting\n");
  memset(data, 'a', sizeof(data));
  for(me = 0; me < NPROCS - 1; me++)
    if(fork() > 0)
      break;
  printf(1, "write %d\n", me);
  path[8] += me;
  fd = open(path, O_CREATE | O_RDWR);
  for(i = 0; i < NWRITES; i++)
    write(fd, data, sizeof(data));
  close(fd);
  printf(1, "read\n");
  fd = open(path, O_RDONLY);
  for(i = 0; i < NWRITES; i++)
    read(fd, data, sizeof(data));
  close(fd);
  unlink(path);
  wait();
  exit();
}
