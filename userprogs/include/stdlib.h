// <stdlib.h> for POSIX programs (libc/stdlib.c; malloc and atoi are ulib's).

#ifndef XV6PY_STDLIB_H
#define XV6PY_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX 32767

void exit(int status) __attribute__((noreturn));
void _Exit(int status) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));
int atexit(void (*fn)(void));

int atoi(const char *s);
long atol(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
int abs(int n);
long labs(long n);

void *malloc(size_t size);
void free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

int rand(void);
void srand(unsigned int seed);
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void*, const void*));
char *getenv(const char *name);

#endif
