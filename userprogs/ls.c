// ls [PATH...]: list directories (name, type, inode number, size), or
// describe files. With no argument, the current directory.

#include "types.h"
#include "stat.h"
#include "user.h"
#include "fcntl.h"
#include "fs.h"

// The name of a directory entry as a NUL-terminated string.
static char*
entryname(struct dirent *de)
{
  static char name[DIRSIZ + 1];

  memmove(name, de->name, DIRSIZ);
  name[DIRSIZ] = 0;
  return name;
}

// One line: the name, padded to DIRSIZ, then type, inode number and size.
static void
show(char *name, struct stat *st)
{
  int pad;

  printf(1, "%s", name);
  for(pad = strlen(name); pad < DIRSIZ; pad++)
    printf(1, " ");
  printf(1, " %d %d %d\n", st->type, st->ino, st->size);
}

static void
ls(char *path)
{
  char buf[512], *p;
  int fd;
  struct dirent de;
  struct stat st;

  if((fd = open(path, O_RDONLY)) < 0){
    printf(2, "ls: cannot open %s\n", path);
    return;
  }
  if(fstat(fd, &st) < 0){
    printf(2, "ls: cannot stat %s\n", path);
    close(fd);
    return;
  }
  if(st.type != T_DIR){
    show(path, &st);
    close(fd);
    return;
  }
  if(strlen(path) + 1 + DIRSIZ + 1 > sizeof buf){
    printf(2, "ls: path too long\n");
    close(fd);
    return;
  }
  strcpy(buf, path);
  p = buf + strlen(buf);
  *p++ = '/';
  while(read(fd, &de, sizeof(de)) == sizeof(de)){
    if(de.inum == 0)
      continue;
    strcpy(p, entryname(&de));
    if(stat(buf, &st) < 0){
      printf(2, "ls: cannot stat %s\n", buf);
      continue;
    }
    show(entryname(&de), &st);
  }
  close(fd);
}

int
main(int argc, char *argv[])
{
  int i;

  if(argc < 2)
    ls(".");
  for(i = 1; i < argc; i++)
    ls(argv[i]);
  exit();
}
