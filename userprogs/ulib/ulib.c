// The small string, memory and I/O helpers of the xv6py user library.
//
// The compiler may emit calls to memcpy and memset on its own (to copy or
// clear a structure), even with -ffreestanding, so they must exist here. For
// the same reason they are written with `rep movsb`/`rep stosb` rather than
// as C loops: gcc at -O2 recognises a byte-copy loop and turns it into a call
// to memcpy, which inside memcpy itself would recurse forever.

#include "types.h"
#include "stat.h"
#include "fcntl.h"
#include "user.h"

// Copy the string t, with its NUL, to s. Return s.
char*
strcpy(char *s, const char *t)
{
  char *d = s;

  while((*d++ = *t++) != 0)
    ;
  return s;
}

// Compare two strings as unsigned bytes: <0, 0 or >0.
int
strcmp(const char *p, const char *q)
{
  while(*p && *p == *q)
    p++, q++;
  return (uchar)*p - (uchar)*q;
}

// Length of s, not counting the NUL.
uint
strlen(const char *s)
{
  uint n = 0;

  while(s[n])
    n++;
  return n;
}

// First occurrence of c in s, or 0 if there is none.
char*
strchr(const char *s, char c)
{
  for(; *s; s++)
    if(*s == c)
      return (char*)s;
  return 0;
}

// Fill n bytes at dst with the byte c. Return dst.
void*
memset(void *dst, int c, uint n)
{
  void *d = dst;

  asm volatile("cld; rep stosb"
               : "+D" (d), "+c" (n)
               : "a" (c)
               : "memory", "cc");
  return dst;
}

// Copy n bytes from src to dst; the areas may overlap. Return dst.
void*
memmove(void *dst, const void *src, int n)
{
  void *d = dst;
  const void *s = src;

  if(n <= 0)
    return dst;
  if((uint)d <= (uint)s || (uint)d >= (uint)s + n){
    // dst below src, or no overlap: copy upwards.
    asm volatile("cld; rep movsb"
                 : "+D" (d), "+S" (s), "+c" (n)
                 :
                 : "memory", "cc");
  } else {
    // dst overlaps the end of src: copy downwards, from the last byte.
    d = (char*)d + n - 1;
    s = (const char*)s + n - 1;
    asm volatile("std; rep movsb; cld"
                 : "+D" (d), "+S" (s), "+c" (n)
                 :
                 : "memory", "cc");
  }
  return dst;
}

// Copy n bytes from src to dst. Overlap is allowed too (it is memmove).
void*
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, (int)n);
}

// Compare n bytes as unsigned chars: <0, 0 or >0.
int
memcmp(const void *a, const void *b, uint n)
{
  const uchar *p = a, *q = b;

  for(; n > 0; n--, p++, q++)
    if(*p != *q)
      return *p - *q;
  return 0;
}

// The decimal number at the start of s, with an optional '-' sign.
// Stops at the first non-digit; returns 0 if there is none.
int
atoi(const char *s)
{
  int n = 0, neg = 0;

  if(*s == '-'){
    neg = 1;
    s++;
  }
  while('0' <= *s && *s <= '9')
    n = n*10 + (*s++ - '0');
  return neg ? -n : n;
}

// Read a line from fd 0 into buf, one byte at a time, keeping the newline.
// At most max-1 bytes are stored and buf is always NUL-terminated; at end of
// file buf holds what was read (the empty string if nothing was).
char*
gets(char *buf, int max)
{
  int i = 0;
  char c;

  while(i + 1 < max){
    if(read(0, &c, 1) < 1)
      break;
    buf[i++] = c;
    if(c == '\n' || c == '\r')
      break;
  }
  buf[i] = '\0';
  return buf;
}

// Fill st with the status of the file named path. Return 0, or -1 if the
// file cannot be opened.
int
stat(const char *path, struct stat *st)
{
  int fd, r;

  fd = open(path, O_RDONLY);
  if(fd < 0)
    return -1;
  r = fstat(fd, st);
  close(fd);
  return r;
}
