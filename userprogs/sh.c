// sh: the shell.
//
// Reads a line at a time from the console after the prompt "$ " (on fd 2),
// parses it into a tree of commands, and runs the tree in a child process:
//
//   line     := list
//   list     := pipeline { (';' | '&') [pipeline] }
//   pipeline := command [ '|' pipeline ]
//   command  := '(' list ')' redirs  |  word { word | redir }
//   redir    := ('<' | '>' | '>>') word
//
// The shell parses a line itself and runs each command of a top-level list
// (a; b; c) in turn, in a child process, waiting for it; "cd DIR" in such a
// list runs in the shell itself (a child's directory would vanish with it).
// '>' and '>>' both open the file for writing, creating it, without truncating
// or appending (xv6's file system has neither).

#include "types.h"
#include "user.h"
#include "fcntl.h"

#define MAXARGS 16
#define MAXREDIR 4

enum { EXEC = 1, PIPE, LIST, BACK };

struct redir {
  char *file;
  int mode;
  int fd;
};

struct cmd {
  int type;
  char *argv[MAXARGS + 1];     // EXEC: the words
  struct redir redir[MAXREDIR]; // EXEC or a ( ) group: its redirections
  int nredir;
  struct cmd *left, *right;     // PIPE, LIST: both; BACK: left; a ( ) group: left
};

static char *pos;    // where the parser is in the line
static const char symbols[] = "<>|&;()";

static void die(char *msg) __attribute__((noreturn));

static void
die(char *msg)
{
  printf(2, "%s\n", msg);
  exit();
}

static int
fork1(void)
{
  int pid = fork();
  if(pid == -1)
    die("fork failed");
  return pid;
}

static struct cmd*
newcmd(int type)
{
  struct cmd *c = malloc(sizeof(*c));
  if(c == 0)
    die("sh: out of memory");
  memset(c, 0, sizeof(*c));
  c->type = type;
  return c;
}

static int
isspace(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v';
}

// Skip blanks; return the next character without taking it (0 at the end).
static char
peek(void)
{
  while(*pos && isspace(*pos))
    pos++;
  return *pos;
}

// Take a word: characters up to a blank or a symbol, copied.
static char*
word(void)
{
  char *start, *w;
  int n;

  peek();
  start = pos;
  while(*pos && !isspace(*pos) && !strchr(symbols, *pos))
    pos++;
  n = pos - start;
  if(n == 0)
    return 0;
  w = malloc(n + 1);
  if(w == 0)
    die("sh: out of memory");
  memmove(w, start, n);
  w[n] = 0;
  return w;
}

static struct cmd *parselist(void);

// Parse redirections after a command, if any. 0 on a syntax error.
static int
parseredirs(struct cmd *c)
{
  struct redir *r;
  char s;

  while((s = peek()) == '<' || s == '>'){
    if(c->nredir == MAXREDIR)
      return 0;
    r = &c->redir[c->nredir++];
    pos++;
    if(s == '<'){
      r->mode = O_RDONLY;
      r->fd = 0;
    } else {
      if(*pos == '>')
        pos++;
      r->mode = O_WRONLY | O_CREATE;
      r->fd = 1;
    }
    if((r->file = word()) == 0)
      return 0;
  }
  return 1;
}

static struct cmd*
parsecommand(void)
{
  struct cmd *c;
  char *w;
  int argc = 0;

  if(peek() == '('){
    pos++;
    c = newcmd(LIST);
    c->left = parselist();
    if(c->left == 0 || peek() != ')')
      return 0;
    pos++;
    c->right = 0;
    return parseredirs(c) ? c : 0;
  }
  c = newcmd(EXEC);
  for(;;){
    if(!parseredirs(c))
      return 0;
    if((w = word()) == 0)
      break;
    if(argc == MAXARGS)
      return 0;            // too many arguments
    c->argv[argc++] = w;
  }
  return argc > 0 ? c : 0;
}

static struct cmd*
parsepipeline(void)
{
  struct cmd *c, *p;

  if((c = parsecommand()) == 0)
    return 0;
  if(peek() != '|')
    return c;
  pos++;
  p = newcmd(PIPE);
  p->left = c;
  if((p->right = parsepipeline()) == 0)
    return 0;
  return p;
}

static struct cmd*
parselist(void)
{
  struct cmd *c, *l;
  char s;

  if((c = parsepipeline()) == 0)
    return 0;
  while((s = peek()) == ';' || s == '&'){
    pos++;
    if(s == '&'){
      l = newcmd(BACK);
      l->left = c;
      c = l;
    }
    s = peek();
    if(s == 0 || s == ')'){
      return c;
    }
    l = newcmd(LIST);
    l->left = c;
    if((l->right = parsepipeline()) == 0)
      return 0;
    c = l;
  }
  return c;
}

// Apply c's redirections in this process.
static void
redirect(struct cmd *c)
{
  int i;

  for(i = 0; i < c->nredir; i++){
    close(c->redir[i].fd);
    if(open(c->redir[i].file, c->redir[i].mode) < 0){
      printf(2, "open %s failed\n", c->redir[i].file);
      exit();
    }
  }
}

// The file to run for a command name: the name itself if it names a file
// (from the current directory), else the program of that name in "/". (xv6's
// sh only has the first: after a cd, its programs cannot be found by name.)
static char*
program(char *name)
{
  static char path[64];
  int fd;

  if(strchr(name, '/') || strlen(name) + 2 > sizeof(path))
    return name;
  if((fd = open(name, O_RDONLY)) >= 0){
    close(fd);
    return name;
  }
  path[0] = '/';
  strcpy(path + 1, name);
  return path;
}

static void runcmd(struct cmd *c) __attribute__((noreturn));

// Run a command tree in this process; never returns.
static void
runcmd(struct cmd *c)
{
  int p[2];

  redirect(c);
  switch(c->type){
  case EXEC:
    exec(program(c->argv[0]), c->argv);
    printf(2, "exec %s failed\n", c->argv[0]);
    break;
  case LIST:
    if(fork1() == 0)
      runcmd(c->left);
    wait();
    if(c->right)
      runcmd(c->right);
    break;
  case BACK:
    if(fork1() == 0)
      runcmd(c->left);
    break;
  case PIPE:
    if(pipe(p) < 0)
      die("pipe failed");
    if(fork1() == 0){
      close(1);
      dup(p[1]);
      close(p[0]);
      close(p[1]);
      runcmd(c->left);
    }
    if(fork1() == 0){
      close(0);
      dup(p[0]);
      close(p[0]);
      close(p[1]);
      runcmd(c->right);
    }
    close(p[0]);
    close(p[1]);
    wait();
    wait();
    break;
  }
  exit();
}

// Free a command tree.
static void
freecmd(struct cmd *c)
{
  int i;

  if(c == 0)
    return;
  for(i = 0; c->argv[i]; i++)
    free(c->argv[i]);
  for(i = 0; i < c->nredir; i++)
    if(c->redir[i].file)
      free(c->redir[i].file);
  freecmd(c->left);
  freecmd(c->right);
  free(c);
}

// Run a top-level list: its commands one after the other, cd in the shell.
static void
runlist(struct cmd *c)
{
  if(c->type == LIST && c->right){
    runlist(c->left);
    runlist(c->right);
    return;
  }
  if(c->type == EXEC && strcmp(c->argv[0], "cd") == 0 && c->nredir == 0){
    if(chdir(c->argv[1] ? c->argv[1] : "/") < 0)
      printf(2, "cannot cd %s\n", c->argv[1]);
    return;
  }
  if(fork1() == 0)
    runcmd(c);
  wait();     // (for a & job: the child that started it)
}

// Print the prompt and read a line into buf. -1 at the end of the input.
static int
getcmd(char *buf, int n)
{
  printf(2, "$ ");
  memset(buf, 0, n);
  gets(buf, n);
  if(buf[0] == 0)
    return -1;
  return 0;
}

int
main(void)
{
  static char buf[100];
  struct cmd *c;
  int fd;

  // Make sure fds 0, 1 and 2 are open.
  while((fd = open("console", O_RDWR)) >= 0){
    if(fd >= 3){
      close(fd);
      break;
    }
  }

  while(getcmd(buf, sizeof(buf)) >= 0){
    pos = buf;
    if(peek() == 0)
      continue;
    c = parselist();
    if(c == 0 || peek() != 0)
      printf(2, "syntax error\n");
    else
      runlist(c);
    freecmd(c);
  }
  exit();
}
