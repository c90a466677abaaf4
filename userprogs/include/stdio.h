// Standard output for POSIX programs (libc/stdio.c). xv6's own programs use
// printf(fd, fmt, ...) from user.h instead: that is dprintf here.
//
// stdout is line buffered and stderr unbuffered; setvbuf changes either.
// exit() and returning from main flush them.

#ifndef XV6PY_STDIO_H
#define XV6PY_STDIO_H

#include <stdarg.h>
#include <stddef.h>

typedef struct _FILE FILE;

extern FILE *stdin;
extern FILE *stdout;
extern FILE *stderr;

#define EOF    (-1)
#define BUFSIZ 1024

#define _IOFBF 0     // fully buffered
#define _IOLBF 1     // line buffered
#define _IONBF 2     // unbuffered

#define __printf(f, a) __attribute__((format(printf, f, a)))

int printf(const char *fmt, ...) __printf(1, 2);
int fprintf(FILE *f, const char *fmt, ...) __printf(2, 3);
int dprintf(int fd, const char *fmt, ...) __printf(2, 3);
int sprintf(char *str, const char *fmt, ...) __printf(2, 3);
int snprintf(char *str, size_t size, const char *fmt, ...) __printf(3, 4);
int vprintf(const char *fmt, va_list ap);
int vfprintf(FILE *f, const char *fmt, va_list ap);
int vdprintf(int fd, const char *fmt, va_list ap);
int vsprintf(char *str, const char *fmt, va_list ap);
int vsnprintf(char *str, size_t size, const char *fmt, va_list ap);

int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int putchar(int c);
int fputs(const char *s, FILE *f);
int puts(const char *s);
size_t fwrite(const void *ptr, size_t size, size_t nmemb, FILE *f);
int fgetc(FILE *f);
int getc(FILE *f);
int getchar(void);
char *fgets(char *s, int size, FILE *f);

int fflush(FILE *f);                  // f NULL: every stream
int setvbuf(FILE *f, char *buf, int mode, size_t size);
void setbuf(FILE *f, char *buf);
void perror(const char *s);           // libc/errno.c

#endif
