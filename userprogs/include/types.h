// Fixed-size integer names used by the xv6py user library and programs.
// On i386 an int and a pointer are both 32 bits; uint is the unsigned word.

#ifndef XV6PY_TYPES_H
#define XV6PY_TYPES_H

typedef unsigned int   uint;
typedef unsigned short ushort;
typedef unsigned char  uchar;

typedef unsigned int   uint32;
typedef unsigned short uint16;
typedef unsigned char  uint8;

typedef uint pde_t;   // a page-directory entry, for programs that print page tables

#endif
