// printf(fd, fmt, ...): formatted output to a file descriptor.
//
// Conversions: %d (signed decimal), %u (unsigned decimal), %x (hexadecimal),
// %p (pointer, as 0x and 8 hex digits), %s (string; (null) for 0), %c and %%.
// %d, %u, %x and %s take a field width (%5d) and %d, %u and %x a 0 flag
// (%08x) that pads with zeros instead of spaces. An unknown conversion is
// printed as it was written.
//
// The text is built in a buffer on the stack and written with one write()
// when the buffer fills and once at the end. A line shorter than the buffer
// therefore reaches the kernel in one system call, so lines printed by
// processes running at the same time interleave only as whole printf calls,
// never character by character.

#include <stdarg.h>

#include "types.h"
#include "user.h"

// Bytes buffered before a write(). The user stack is a single page, so the
// buffer stays small.
#define OUTBUF 256

struct out {
  int fd;
  int n;              // bytes waiting in buf
  char buf[OUTBUF];
};

// Write out whatever is buffered.
static void
flush(struct out *o)
{
  if(o->n > 0)
    write(o->fd, o->buf, o->n);
  o->n = 0;
}

static void
putc(struct out *o, char c)
{
  if(o->n == OUTBUF)
    flush(o);
  o->buf[o->n++] = c;
}

// Emit c `count` times (padding).
static void
pad(struct out *o, char c, int count)
{
  while(count-- > 0)
    putc(o, c);
}

// Emit x in the given base, at least `width` characters wide, preceded by a
// '-' when neg is set. With zero set the padding is zeros after the sign,
// otherwise spaces before it.
static void
printnum(struct out *o, uint x, int base, int neg, int width, int zero)
{
  static const char digits[] = "0123456789abcdef";
  char tmp[12];    // 32 bits in octal would need 11 digits; decimal needs 10
  int i = 0;

  do {
    tmp[i++] = digits[x % base];
    x /= base;
  } while(x != 0);

  width -= i + neg;
  if(!zero)
    pad(o, ' ', width);
  if(neg)
    putc(o, '-');
  if(zero)
    pad(o, '0', width);
  while(i > 0)
    putc(o, tmp[--i]);
}

void
printf(int fd, const char *fmt, ...)
{
  struct out o;
  va_list ap;
  const char *s;
  int c, width, zero, d;

  o.fd = fd;
  o.n = 0;
  va_start(ap, fmt);
  for(; *fmt; fmt++){
    if(*fmt != '%'){
      putc(&o, *fmt);
      continue;
    }
    // A conversion: '%', an optional 0 flag, an optional width, a letter.
    const char *start = fmt++;
    zero = 0;
    width = 0;
    if(*fmt == '0'){
      zero = 1;
      fmt++;
    }
    while('0' <= *fmt && *fmt <= '9')
      width = width*10 + (*fmt++ - '0');
    c = *fmt;
    switch(c){
    case 'd':
      d = va_arg(ap, int);
      // Negate as unsigned so that the most negative int prints correctly.
      printnum(&o, d < 0 ? -(uint)d : (uint)d, 10, d < 0, width, zero);
      break;
    case 'u':
      printnum(&o, va_arg(ap, uint), 10, 0, width, zero);
      break;
    case 'x':
      printnum(&o, va_arg(ap, uint), 16, 0, width, zero);
      break;
    case 'p':
      putc(&o, '0');
      putc(&o, 'x');
      printnum(&o, (uint)va_arg(ap, void*), 16, 0, 8, 1);
      break;
    case 's':
      s = va_arg(ap, const char*);
      if(s == 0)
        s = "(null)";
      pad(&o, ' ', width - (int)strlen(s));
      while(*s)
        putc(&o, *s++);
      break;
    case 'c':
      putc(&o, (char)va_arg(ap, int));
      break;
    case '%':
      putc(&o, '%');
      break;
    default:
      // Unknown conversion (or the format ended after '%'): print it as is.
      for(; start <= fmt && *start; start++)
        putc(&o, *start);
      if(c == 0)
        fmt--;     // let the loop see the terminating NUL
      break;
    }
  }
  va_end(ap);
  flush(&o);
}
