// Standard output for POSIX programs: stdout and stderr, printf and its family.
//
// A stream is a file descriptor and a buffer. stdout is line buffered (the
// console is a terminal), stderr is unbuffered, and setvbuf changes either.
// Whatever the mode, one printf call is formatted into the buffer first and
// reaches the kernel in as few write()s as the buffer allows: a line printed
// by one process is never cut by another's (the kernel's console takes each
// write whole). exit() flushes every stream (stdlib.c).
//
// Conversions: d i u o x X c s p %, with the flags - + space # 0, a width and
// a precision (either may be *), and the lengths hh h l ll z j t. Long long
// values are printed without libgcc (there is no __udivdi3 here): see divmod.

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct _FILE {
  int fd;
  int mode;          // _IOFBF, _IOLBF or _IONBF
  int n;             // bytes waiting in buf
  char *buf;         // BUFSIZ bytes
};

// The buffers are in .bss, apart from the streams: zeroed memory takes no
// room in a program file (3 KiB less of every POSIX program on the disk).
static char bufs[3][BUFSIZ];

static FILE files[3] = {
  {0, _IONBF, 0, bufs[0]},
  {1, _IOLBF, 0, bufs[1]},
  {2, _IONBF, 0, bufs[2]},
};

FILE *stdin = &files[0];
FILE *stdout = &files[1];
FILE *stderr = &files[2];

int
fflush(FILE *f)
{
  int done = 0, r;

  if(f == NULL){
    fflush(stdout);
    return fflush(stderr);
  }
  while(done < f->n){
    r = write(f->fd, f->buf + done, f->n - done);
    if(r <= 0){
      f->n = 0;
      return EOF;
    }
    done += r;
  }
  f->n = 0;
  return 0;
}

// Any buffer given is not used: each stream has its own, of BUFSIZ bytes.
int
setvbuf(FILE *f, char *buf, int mode, size_t size)
{
  (void)buf;
  (void)size;
  if(mode != _IOFBF && mode != _IOLBF && mode != _IONBF)
    return -1;
  fflush(f);
  f->mode = mode;
  return 0;
}

void
setbuf(FILE *f, char *buf)
{
  setvbuf(f, buf, buf ? _IOFBF : _IONBF, BUFSIZ);
}

// ---- where formatted characters go -----------------------------------------------------------

// A sink is a stream f, or (f == NULL) a string of cap bytes (snprintf; str
// may be NULL when cap is 0).
struct sink {
  FILE *f;
  char *str;
  size_t cap;
  int len;           // characters produced so far (what printf returns)
  int newline;       // a '\n' went into a line-buffered stream
};

static void
put(struct sink *s, char c)
{
  if(s->f == NULL){
    if((size_t)s->len + 1 < s->cap)
      s->str[s->len] = c;
  } else {
    if(s->f->n == BUFSIZ)
      fflush(s->f);
    s->f->buf[s->f->n++] = c;
    if(c == '\n')
      s->newline = 1;
  }
  s->len++;
}

static void
pad(struct sink *s, char c, int count)
{
  while(count-- > 0)
    put(s, c);
}

// Divide *v by base (2..16) in place and return the remainder, with 32-bit
// divisions only: the high word first, then the low word 16 bits at a time
// (each partial dividend stays below base * 65536).
static unsigned int
divmod(unsigned long long *v, unsigned int base)
{
  unsigned int hi = (unsigned int)(*v >> 32), lo = (unsigned int)*v;
  unsigned int qhi, q1, q0, r, x;

  qhi = hi / base;
  r = hi % base;
  x = (r << 16) | (lo >> 16);
  q1 = x / base;
  r = x % base;
  x = (r << 16) | (lo & 0xFFFF);
  q0 = x / base;
  r = x % base;
  *v = ((unsigned long long)qhi << 32) | (q1 << 16) | q0;
  return r;
}

struct spec {
  int left, plus, space, alt, zero;   // the flags - + space # 0
  int width;
  int prec;                           // -1: none given
};

// Emit the number v (its sign apart: neg) as the spec says.
static void
number(struct sink *s, unsigned long long v, int neg, unsigned int base, int upper,
       struct spec *sp)
{
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char tmp[24];
  const char *prefix = "";
  int n = 0, zeros, total, plen;

  if(v != 0 || sp->prec != 0){
    do {
      tmp[n++] = digits[divmod(&v, base)];
    } while(v != 0);
  }
  if(neg)
    prefix = "-";
  else if(sp->plus)
    prefix = "+";
  else if(sp->space)
    prefix = " ";
  if(sp->alt && base == 16 && n > 0 && !(n == 1 && tmp[0] == '0'))
    prefix = upper ? "0X" : "0x";
  if(sp->alt && base == 8 && (n == 0 || tmp[n - 1] != '0'))
    tmp[n++] = '0';
  plen = strlen(prefix);
  zeros = sp->prec > n ? sp->prec - n : 0;
  total = plen + zeros + n;
  if(sp->zero && !sp->left && sp->prec < 0 && sp->width > total){
    zeros += sp->width - total;
    total = sp->width;
  }
  if(!sp->left)
    pad(s, ' ', sp->width - total);
  while(*prefix)
    put(s, *prefix++);
  pad(s, '0', zeros);
  while(n > 0)
    put(s, tmp[--n]);
  if(sp->left)
    pad(s, ' ', sp->width - total);
}

static void
string(struct sink *s, const char *str, struct spec *sp)
{
  int n = 0;

  if(str == NULL)
    str = (sp->prec < 0 || sp->prec >= 6) ? "(null)" : "";
  while(str[n] && (sp->prec < 0 || n < sp->prec))
    n++;
  if(!sp->left)
    pad(s, ' ', sp->width - n);
  for(int i = 0; i < n; i++)
    put(s, str[i]);
  if(sp->left)
    pad(s, ' ', sp->width - n);
}

// Read a width or precision: digits, or '*' for the next int argument.
static int
count(const char **fmt, va_list *ap)
{
  int n = 0;

  if(**fmt == '*'){
    (*fmt)++;
    return va_arg(*ap, int);
  }
  while(**fmt >= '0' && **fmt <= '9')
    n = n * 10 + (*(*fmt)++ - '0');
  return n;
}

// The next integer argument of the given length (0 int, 1 long, 2 long long,
// -1 short, -2 char), signed or not, widened to 64 bits.
static unsigned long long
integer(va_list *ap, int length, int sign)
{
  long long v;

  if(length == 2)
    return va_arg(*ap, unsigned long long);
  if(sign){
    v = va_arg(*ap, int);
    if(length == -1)
      v = (short)v;
    else if(length == -2)
      v = (signed char)v;
    return (unsigned long long)v;
  }
  v = va_arg(*ap, unsigned int);
  if(length == -1)
    v = (unsigned short)v;
  else if(length == -2)
    v = (unsigned char)v;
  return (unsigned long long)v;
}

// One conversion: the letter c, with the flags, width and precision in sp and
// the length (as integer() takes it).
static void
convert(struct sink *s, char c, struct spec *sp, int length, va_list *ap)
{
  unsigned long long v;
  char ch;

  switch(c){
  case 'd': case 'i':
    v = integer(ap, length, 1);
    if((long long)v < 0)
      number(s, -v, 1, 10, 0, sp);
    else
      number(s, v, 0, 10, 0, sp);
    break;
  case 'u': case 'o': case 'x': case 'X':
    sp->plus = sp->space = 0;
    number(s, integer(ap, length, 0), 0, c == 'u' ? 10 : c == 'o' ? 8 : 16, c == 'X', sp);
    break;
  case 'p':
    v = (unsigned int)va_arg(*ap, void*);
    if(v == 0){
      sp->prec = -1;
      string(s, "(nil)", sp);
    } else {
      sp->alt = 1;
      number(s, v, 0, 16, 0, sp);
    }
    break;
  case 'c':
    ch = (char)va_arg(*ap, int);
    pad(s, ' ', sp->left ? 0 : sp->width - 1);
    put(s, ch);
    pad(s, ' ', sp->left ? sp->width - 1 : 0);
    break;
  case 's':
    string(s, va_arg(*ap, const char*), sp);
    break;
  default:
    put(s, '%');
    put(s, c);
    break;
  }
}

static void
format(struct sink *s, const char *fmt, va_list ap)
{
  struct spec sp;
  int length;

  for(; *fmt; fmt++){
    if(*fmt != '%'){
      put(s, *fmt);
      continue;
    }
    fmt++;
    if(*fmt == '%'){
      put(s, '%');
      continue;
    }
    memset(&sp, 0, sizeof sp);
    for(;; fmt++){
      if(*fmt == '-') sp.left = 1;
      else if(*fmt == '+') sp.plus = 1;
      else if(*fmt == ' ') sp.space = 1;
      else if(*fmt == '#') sp.alt = 1;
      else if(*fmt == '0') sp.zero = 1;
      else break;
    }
    sp.width = count(&fmt, &ap);
    if(sp.width < 0){
      sp.left = 1;
      sp.width = -sp.width;
    }
    sp.prec = -1;
    if(*fmt == '.'){
      fmt++;
      sp.prec = count(&fmt, &ap);
    }
    length = 0;
    for(;; fmt++){
      if(*fmt == 'l') length++;
      else if(*fmt == 'h') length--;
      else if(*fmt == 'z' || *fmt == 'j' || *fmt == 't') length = *fmt == 'j' ? 2 : 0;
      else break;
    }
    if(*fmt == '\0')
      break;
    convert(s, *fmt, &sp, length > 2 ? 2 : length, &ap);
  }
}

// ---- the printf family -------------------------------------------------------------------------

int
vfprintf(FILE *f, const char *fmt, va_list ap)
{
  struct sink s = {f, NULL, 0, 0, 0};

  format(&s, fmt, ap);
  if(f->mode == _IONBF || (f->mode == _IOLBF && s.newline))
    fflush(f);
  return s.len;
}

int
fprintf(FILE *f, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vfprintf(f, fmt, ap);
  va_end(ap);
  return n;
}

int
vprintf(const char *fmt, va_list ap)
{
  return vfprintf(stdout, fmt, ap);
}

int
printf(const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vfprintf(stdout, fmt, ap);
  va_end(ap);
  return n;
}

// To a file descriptor, through no stream: the output goes out at once.
int
vdprintf(int fd, const char *fmt, va_list ap)
{
  FILE f;

  f.fd = fd;
  f.mode = _IONBF;
  f.n = 0;
  return vfprintf(&f, fmt, ap);
}

int
dprintf(int fd, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vdprintf(fd, fmt, ap);
  va_end(ap);
  return n;
}

int
vsnprintf(char *str, size_t size, const char *fmt, va_list ap)
{
  struct sink s = {NULL, str, size, 0, 0};

  format(&s, fmt, ap);
  if(size > 0)
    str[(size_t)s.len < size ? (size_t)s.len : size - 1] = '\0';
  return s.len;
}

int
snprintf(char *str, size_t size, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(str, size, fmt, ap);
  va_end(ap);
  return n;
}

int
vsprintf(char *str, const char *fmt, va_list ap)
{
  return vsnprintf(str, (size_t)-1 >> 1, fmt, ap);
}

int
sprintf(char *str, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsprintf(str, fmt, ap);
  va_end(ap);
  return n;
}

// ---- characters and strings --------------------------------------------------------------------

int
fputc(int c, FILE *f)
{
  fprintf(f, "%c", c);
  return (unsigned char)c;
}

int
putc(int c, FILE *f)
{
  return fputc(c, f);
}

int
putchar(int c)
{
  return fputc(c, stdout);
}

int
fputs(const char *str, FILE *f)
{
  return fprintf(f, "%s", str) >= 0 ? 0 : EOF;
}

int
puts(const char *str)
{
  return printf("%s\n", str) >= 0 ? 0 : EOF;
}

size_t
fwrite(const void *ptr, size_t size, size_t nmemb, FILE *f)
{
  const char *p = ptr;
  size_t n = size * nmemb;

  for(size_t i = 0; i < n; i++){
    if(f->n == BUFSIZ)
      fflush(f);
    f->buf[f->n++] = p[i];
  }
  if(f->mode != _IOFBF)
    fflush(f);
  return nmemb;
}

// Input is not buffered: a character is one read() of the descriptor.
int
fgetc(FILE *f)
{
  unsigned char c;

  if(f == stdin)
    fflush(stdout);
  if(read(f->fd, &c, 1) != 1)
    return EOF;
  return c;
}

int
getc(FILE *f)
{
  return fgetc(f);
}

int
getchar(void)
{
  return fgetc(stdin);
}

// A line, its newline kept, at most size-1 characters; NULL at end of file.
char*
fgets(char *str, int size, FILE *f)
{
  int n = 0, c;

  while(n + 1 < size){
    if((c = fgetc(f)) == EOF)
      break;
    str[n++] = c;
    if(c == '\n')
      break;
  }
  if(n == 0)
    return NULL;
  str[n] = '\0';
  return str;
}
