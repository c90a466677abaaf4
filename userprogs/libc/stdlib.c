// exit and the rest of <stdlib.h> for POSIX programs. malloc, free and atoi
// are the xv6 library's own (ulib/umalloc.c, ulib/ulib.c, compiled again for
// this library: see build.py).

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#define NATEXIT 32

static void (*atexits[NATEXIT])(void);
static int natexit;

int
atexit(void (*fn)(void))
{
  if(natexit == NATEXIT)
    return -1;
  atexits[natexit++] = fn;
  return 0;
}

// Run the atexit functions (last registered first), flush stdio, and end the
// process with status (its low 8 bits are what a parent's wait sees).
void
exit(int status)
{
  while(natexit > 0)
    atexits[--natexit]();
  fflush(NULL);
  _exit(status);
}

void
_Exit(int status)
{
  _exit(status);
}

// There are no signal handlers: the process kills itself with SIGABRT (call
// 62 ends it on its way back to user mode), which its parent's wait sees.
// Unlike glibc's, stdio is flushed first: that costs nothing and loses nothing.
void
abort(void)
{
  fflush(NULL);
  kill(getpid(), SIGABRT);
  _exit(127);                   // not reached
}

int
abs(int n)
{
  return n < 0 ? -n : n;
}

long
labs(long n)
{
  return n < 0 ? -n : n;
}

// The value of digit c in base, or -1.
static int
digit(char c, int base)
{
  int d = c >= '0' && c <= '9' ? c - '0'
        : c >= 'a' && c <= 'z' ? c - 'a' + 10
        : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 99;
  return d < base ? d : -1;
}

// Base 0 takes 0x.. as hexadecimal and 0.. as octal. There is no overflow
// check: an out-of-range number wraps.
unsigned long
strtoul(const char *s, char **end, int base)
{
  unsigned long n = 0;
  int neg = 0, d;
  const char *start = s;

  while(*s == ' ' || (*s >= '\t' && *s <= '\r'))
    s++;
  if(*s == '-' || *s == '+')
    neg = *s++ == '-';
  if((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digit(s[2], 16) >= 0){
    s += 2;
    base = 16;
  } else if(base == 0)
    base = s[0] == '0' ? 8 : 10;
  if(digit(*s, base) < 0){
    if(end)
      *end = (char*)start;
    return 0;
  }
  while((d = digit(*s, base)) >= 0){
    n = n * base + d;
    s++;
  }
  if(end)
    *end = (char*)s;
  return neg ? -n : n;
}

long
strtol(const char *s, char **end, int base)
{
  return (long)strtoul(s, end, base);
}

long
atol(const char *s)
{
  return strtol(s, NULL, 10);
}

void*
calloc(size_t n, size_t size)
{
  void *p;

  if(size != 0 && n > (size_t)-1 / size)
    return NULL;
  p = malloc(n * size);
  if(p != NULL)
    memset(p, 0, n * size);
  return p;
}

// umalloc.c keeps each block's size, header included, in the 8-byte header
// just before the bytes it returns.
void*
realloc(void *old, size_t size)
{
  void *p;
  size_t have;

  if(old == NULL)
    return malloc(size);
  if(size == 0){
    free(old);
    return NULL;
  }
  have = ((unsigned int*)old)[-2] - 8;
  p = malloc(size);
  if(p != NULL){
    memcpy(p, old, have < size ? have : size);
    free(old);
  }
  return p;
}

static unsigned long next = 1;

// The generator of the C standard's example: the same sequence everywhere.
int
rand(void)
{
  next = next * 1103515245 + 12345;
  return (unsigned int)(next / 65536) % 32768;
}

void
srand(unsigned int seed)
{
  next = seed;
}

// Insertion sort: short, stable, and quick enough for the arrays programs here sort.
void
qsort(void *base, size_t n, size_t size, int (*cmp)(const void*, const void*))
{
  char *a = base, tmp[256];

  if(size > sizeof tmp)
    return;
  for(size_t i = 1; i < n; i++){
    size_t j = i;
    memcpy(tmp, a + i * size, size);
    while(j > 0 && cmp(a + (j - 1) * size, tmp) > 0){
      memcpy(a + j * size, a + (j - 1) * size, size);
      j--;
    }
    memcpy(a + j * size, tmp, size);
  }
}

// There is no environment.
char*
getenv(const char *name)
{
  (void)name;
  return NULL;
}
