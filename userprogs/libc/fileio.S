/*
 * POSIX's file calls for POSIX programs, under their POSIX names: open with
 * Linux's flags, stat and fstat with POSIX's struct stat (sys/stat.h), read,
 * write, close, dup, pipe, unlink with Linux's errors in errno. They are
 * system calls 51-60 (xv6py/syscalls/sysposix.py), and kill with its signal
 * (62, sysproc.py); xv6's own calls of these
 * names (1-21, ulib/usys.S) stay as x86 xv6 has them, for xv6 programs.
 *
 * Every name here is also one of ulib's, so an xv6 program never links this
 * object (it has them all from ulib): see `needed` in xv6py/build.py.
 */

#include "estub.h"

  .text

ESTUB(open, posix_open)       /* open(path, flags, mode): Linux's flags (fcntl.h) */
ESTUB(fstat, posix_fstat)
ESTUB(stat, posix_stat)
ESTUB(read, posix_read)
ESTUB(write, posix_write)
ESTUB(close, posix_close)
ESTUB(dup, posix_dup)
ESTUB(pipe, posix_pipe)
ESTUB(unlink, posix_unlink)
ESTUB(kill, posix_kill)       /* kill(pid, sig): the parent's wait sees sig (call 62) */

/* An object without this note asks for an executable stack and GNU ld warns about it. */
  .section .note.GNU-stack, "", @progbits
