// The rest of <string.h>. memcpy, memmove, memset, memcmp, strlen, strcpy,
// strcmp and strchr are the xv6 library's own (ulib/ulib.c, compiled again for
// this library); strerror is in errno.c.

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

size_t
strnlen(const char *s, size_t max)
{
  size_t n = 0;

  while(n < max && s[n])
    n++;
  return n;
}

// Copy at most n bytes of t; pad with NULs up to n (no NUL if t is that long).
char*
strncpy(char *s, const char *t, size_t n)
{
  size_t i = 0;

  for(; i < n && t[i]; i++)
    s[i] = t[i];
  for(; i < n; i++)
    s[i] = '\0';
  return s;
}

int
strncmp(const char *p, const char *q, size_t n)
{
  for(; n > 0; n--, p++, q++){
    if(*p != *q)
      return (unsigned char)*p - (unsigned char)*q;
    if(*p == '\0')
      return 0;
  }
  return 0;
}

char*
strcat(char *s, const char *t)
{
  strcpy(s + strlen(s), t);
  return s;
}

char*
strncat(char *s, const char *t, size_t n)
{
  char *d = s + strlen(s);

  while(n-- > 0 && *t)
    *d++ = *t++;
  *d = '\0';
  return s;
}

char*
strrchr(const char *s, int c)
{
  const char *last = NULL;

  do {
    if(*s == (char)c)
      last = s;
  } while(*s++);
  return (char*)last;
}

char*
strstr(const char *hay, const char *needle)
{
  size_t n = strlen(needle);

  for(; *hay; hay++)
    if(strncmp(hay, needle, n) == 0)
      return (char*)hay;
  return n == 0 ? (char*)hay : NULL;
}

void*
memchr(const void *p, int c, size_t n)
{
  const unsigned char *s = p;

  for(; n > 0; n--, s++)
    if(*s == (unsigned char)c)
      return (void*)s;
  return NULL;
}

char*
strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);

  if(d != NULL)
    memcpy(d, s, n);
  return d;
}
