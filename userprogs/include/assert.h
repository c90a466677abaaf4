// assert(expr): if expr is false, print where (program: file:line: function:
// Assertion `expr' failed., as glibc words it) on stderr and abort(), which
// ends the process with SIGABRT. With NDEBUG defined, assert does nothing.
// Like the C standard's, this header may be included again with NDEBUG changed.

#undef assert
#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
#define assert(expr) \
  ((expr) ? (void)0 : __assert_fail(#expr, __FILE__, __LINE__, __func__))
#endif

#ifndef XV6PY_ASSERT_H
#define XV6PY_ASSERT_H

void __assert_fail(const char *expr, const char *file, unsigned int line, const char *func)
  __attribute__((noreturn));     // libc/assert.c

#define static_assert _Static_assert

#endif
