// errno, strerror and perror: the error numbers of the newer system calls in words.
//
// The stubs in usyserr.S store the error of a failed call in errno. The messages
// are those glibc prints for Linux's numbers, so that a program prints the same
// lines on xv6py as on Linux.

#include "types.h"
#include "errno.h"

int errno;

int write(int, const void*, int);

static const char *messages[] = {
  [0] = "Success",
  [EPERM] = "Operation not permitted",
  [ENOENT] = "No such file or directory",
  [ESRCH] = "No such process",
  [EINTR] = "Interrupted system call",
  [EIO] = "Input/output error",
  [ENXIO] = "No such device or address",
  [E2BIG] = "Argument list too long",
  [ENOEXEC] = "Exec format error",
  [EBADF] = "Bad file descriptor",
  [ECHILD] = "No child processes",
  [EAGAIN] = "Resource temporarily unavailable",
  [ENOMEM] = "Cannot allocate memory",
  [EACCES] = "Permission denied",
  [EFAULT] = "Bad address",
  [ENOTBLK] = "Block device required",
  [EBUSY] = "Device or resource busy",
  [EEXIST] = "File exists",
  [EXDEV] = "Invalid cross-device link",
  [ENODEV] = "No such device",
  [ENOTDIR] = "Not a directory",
  [EISDIR] = "Is a directory",
  [EINVAL] = "Invalid argument",
  [ENFILE] = "Too many open files in system",
  [EMFILE] = "Too many open files",
  [ENOTTY] = "Inappropriate ioctl for device",
  [ETXTBSY] = "Text file busy",
  [EFBIG] = "File too large",
  [ENOSPC] = "No space left on device",
  [ESPIPE] = "Illegal seek",
  [EROFS] = "Read-only file system",
  [EMLINK] = "Too many links",
  [EPIPE] = "Broken pipe",
  [EDOM] = "Numerical argument out of domain",
  [ERANGE] = "Numerical result out of range",
  [EDEADLK] = "Resource deadlock avoided",
  [ENAMETOOLONG] = "File name too long",
  [ENOLCK] = "No locks available",
  [ENOSYS] = "Function not implemented",
  [ENOTEMPTY] = "Directory not empty",
  [ELOOP] = "Too many levels of symbolic links",
  [ENOMSG] = "No message of desired type",
  [EIDRM] = "Identifier removed",
  [ENODATA] = "No data available",
  [EOVERFLOW] = "Value too large for defined data type",
  [ENOTSUP] = "Operation not supported",
  [ETIMEDOUT] = "Connection timed out",
};

#define NMESSAGES ((int)(sizeof(messages) / sizeof(messages[0])))

// The message for error number n; "Unknown error N" for a number without one
// (in a buffer that the next such call overwrites).
char*
strerror(int n)
{
  static char unknown[32] = "Unknown error ";
  char digits[12];
  uint u = n < 0 ? -(uint)n : (uint)n;
  int i = 0, at = 14;

  if(n >= 0 && n < NMESSAGES && messages[n] != 0)
    return (char*)messages[n];
  do {
    digits[i++] = '0' + u % 10;
    u /= 10;
  } while(u != 0);
  if(n < 0)
    unknown[at++] = '-';
  while(i > 0)
    unknown[at++] = digits[--i];
  unknown[at] = '\0';
  return unknown;
}

// Print "s: <message for errno>" (or the message alone when s is 0 or empty)
// and a newline on file descriptor 2, in one write.
void
perror(const char *s)
{
  char line[160];
  const char *m = strerror(errno);
  int n = 0;

  if(s != 0 && *s != '\0'){
    while(*s && n < 100)
      line[n++] = *s++;
    line[n++] = ':';
    line[n++] = ' ';
  }
  while(*m && n < (int)sizeof(line) - 1)
    line[n++] = *m++;
  line[n++] = '\n';
  write(2, line, n);
}
