// malloc and free for xv6py user programs, over the sbrk() system call.
//
// Design: one list of free blocks, kept in address order, searched first fit.
//
//   * Every block, free or in use, starts with an 8-byte header that holds
//     its size. Payloads are therefore 8-byte aligned, like the blocks.
//   * The free list is sorted by address. free() walks it to the place of the
//     freed block, and that place tells at once whether the block touches its
//     neighbours: if it does they are merged (coalescing), so the heap never
//     ends up as many small free pieces that could together have served a
//     large request.
//   * malloc() takes the first free block that is big enough and cuts the
//     request from its front; the rest stays on the list. First fit in address
//     order tends to reuse low addresses again and again, which keeps the
//     free space near the top of the heap in one piece.
//   * When no block fits, the heap grows with sbrk() by at least a page, and
//     the new memory is freed into the list like any block (so it merges with
//     a free block that ends at the old break).
//
// Both operations walk the list, which is slow for thousands of blocks but
// easy to follow, and programs here are small. The header of a block in use
// holds a magic word where a free block keeps its link; free() checks it and
// complains about pointers that malloc did not return and about double frees.

#include "types.h"
#include "user.h"

struct header {
  uint size;              // bytes in the block, header included: a multiple of ALIGN
  struct header *next;    // free: next free block, at a higher address (0: last)
                          // in use: INUSE
};

#define ALIGN     8                        // block and payload alignment
#define HDRSIZE   sizeof(struct header)    // 8 bytes
#define MINBLOCK  (HDRSIZE + ALIGN)        // smallest block worth splitting off
#define GROWSIZE  4096                     // grow the heap by at least this much
#define INUSE     ((struct header*)0x6d616c6c)   // "mall", marks a block in use
#define MAXREQ    0x7fff0000               // larger requests cannot succeed

static struct header *freelist;            // lowest free block, or 0

// Put block b on the free list at its place in address order and merge it
// with the free blocks just before and after it when they touch.
static void
insert(struct header *b)
{
  struct header *prev = 0, *next = freelist;

  while(next != 0 && next < b){
    prev = next;
    next = next->next;
  }
  if((prev != 0 && (char*)prev + prev->size > (char*)b) ||
     (next != 0 && (char*)b + b->size > (char*)next)){
    printf(2, "free: block %p overlaps a free block (double free?)\n", b + 1);
    return;
  }

  b->next = next;
  if(next != 0 && (char*)b + b->size == (char*)next){
    b->size += next->size;          // merge with the block after
    b->next = next->next;
  }
  if(prev == 0){
    freelist = b;
  } else if((char*)prev + prev->size == (char*)b){
    prev->size += b->size;          // merge with the block before
    prev->next = b->next;
  } else {
    prev->next = b;
  }
}

// Grow the heap by at least `need` bytes and add the new memory to the free
// list. Return 0 on success, -1 if the kernel refuses.
static int
morecore(uint need)
{
  uint n, pad;
  char *brk, *p;
  struct header *b;

  n = (need + GROWSIZE - 1) & ~(GROWSIZE - 1);
  // Someone may have called sbrk() with an odd size: align the new block.
  brk = sbrk(0);
  pad = (ALIGN - (uint)brk % ALIGN) % ALIGN;
  p = sbrk(pad + n);
  if(p == (char*)-1)
    return -1;
  b = (struct header*)(p + pad);
  b->size = n;
  insert(b);
  return 0;
}

// Allocate nbytes (at least 1) and return an 8-byte aligned pointer to them,
// or 0 if there is no memory. The bytes are not cleared.
void*
malloc(uint nbytes)
{
  struct header *prev, *b, *rest;
  uint need;

  if(nbytes > MAXREQ)
    return 0;
  if(nbytes == 0)
    nbytes = 1;
  need = (nbytes + HDRSIZE + ALIGN - 1) & ~(ALIGN - 1);

  for(;;){
    prev = 0;
    for(b = freelist; b != 0; prev = b, b = b->next){
      if(b->size < need)
        continue;
      if(b->size - need >= MINBLOCK){
        // Cut the request from the front; the rest takes b's place in the list.
        rest = (struct header*)((char*)b + need);
        rest->size = b->size - need;
        rest->next = b->next;
        b->size = need;
      } else {
        rest = b->next;             // use the whole block
      }
      if(prev == 0)
        freelist = rest;
      else
        prev->next = rest;
      b->next = INUSE;
      return b + 1;
    }
    if(morecore(need) < 0)
      return 0;
  }
}

// Give back a block that malloc returned. free(0) does nothing.
void
free(void *p)
{
  struct header *b;

  if(p == 0)
    return;
  b = (struct header*)p - 1;
  if(b->next != INUSE){
    printf(2, "free: %p was not returned by malloc, or is already free\n", p);
    return;
  }
  insert(b);
}
