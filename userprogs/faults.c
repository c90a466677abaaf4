// faults [KIND...]: commit one fault per KIND, each in its own child process.
//
// For each kind the parent forks a child that prints "faults: KIND" and then
// does something a user program may not do. The kernel must kill that child
// (printing its own line about the trap) and nothing else; the parent waits
// for it and goes on with the next kind. A child that survives its fault
// prints "faults: KIND did not fault". With no arguments every kind runs, in
// the order of the table below.
//
// The faults are written in inline assembly wherever C would let the compiler
// drop or change them (a load whose value is unused, a division by a constant
// zero, ...).

#include "types.h"
#include "user.h"

#define PGSIZE 4096

// Load from an address where nothing is mapped: page fault, page not present.
static void
read_unmapped(void)
{
  asm volatile("movl 0x40000000, %%eax" ::: "eax");
}

// Store to an address where nothing is mapped.
static void
write_unmapped(void)
{
  asm volatile("movl $1, 0x40000000" ::: "memory");
}

// Jump to an address where nothing is mapped: the fetch faults.
static void
exec_unmapped(void)
{
  asm volatile("call *%0" :: "r" (0x40000000) : "memory");
}

// Load from the kernel's half of the address space: present, but not user.
static void
kernel_read(void)
{
  asm volatile("movl 0x80000000, %%eax" ::: "eax");
}

// Store into the kernel's image.
static void
kernel_write(void)
{
  asm volatile("movl $1, 0x80100000" ::: "memory");
}

// Store into the guard page that exec leaves below the one-page user stack.
static void
guard(void)
{
  int local;
  uint addr = ((uint)&local & ~(PGSIZE - 1)) - PGSIZE + 16;

  asm volatile("movl $1, (%0)" :: "r" (addr) : "memory");
}

// Recurse until the stack runs into the guard page. Each frame passes the
// address of its own array to the next call, so the compiler can neither
// turn the recursion into a loop nor shrink the frames away.
static volatile int forever = 1;

static int __attribute__((noinline))
recurse(volatile char *prev)
{
  volatile char frame[128];

  frame[0] = prev[0] + 1;
  if(!forever)
    return frame[0];
  return recurse(frame) + frame[1];
}

static void
stack_overflow(void)
{
  volatile char first[1] = { 0 };

  recurse(first);
}

// Integer division by zero: trap 0.
static void
div0(void)
{
  asm volatile("movl $1, %%eax\n\t"
               "cltd\n\t"
               "xorl %%ecx, %%ecx\n\t"
               "idivl %%ecx"
               ::: "eax", "ecx", "edx");
}

// An undefined instruction: trap 6.
static void
ud2(void)
{
  asm volatile("ud2");
}

// I/O port access with IOPL 0: general protection fault.
static void
in(void)
{
  asm volatile("inb $0x60, %%al" ::: "eax");
}

static void
out(void)
{
  asm volatile("outb %%al, $0x80" :: "a" (0));
}

// Privileged instructions: general protection fault.
static void
hlt(void)
{
  asm volatile("hlt");
}

static void
cli(void)
{
  asm volatile("cli");
}

// A software interrupt other than the system call vector: its gate is not
// open to user mode (DPL 0), so this is a general protection fault.
static void
intr(void)
{
  asm volatile("int $0x30");
}

// The breakpoint instruction. Its gate, too, is for the kernel only.
static void
int3(void)
{
  asm volatile("int3");
}

// Return to 0xffffffff, the fake return address below main's arguments:
// what happens when main returns instead of calling exit().
static void
ret_main(void)
{
  asm volatile("pushl $0xffffffff\n\t"
               "ret" ::: "memory");
}

static struct {
  char *name;
  void (*fn)(void);
} kinds[] = {
  { "read-unmapped",  read_unmapped },
  { "write-unmapped", write_unmapped },
  { "exec-unmapped",  exec_unmapped },
  { "kernel-read",    kernel_read },
  { "kernel-write",   kernel_write },
  { "guard",          guard },
  { "stack-overflow", stack_overflow },
  { "div0",           div0 },
  { "ud2",            ud2 },
  { "in",             in },
  { "out",            out },
  { "hlt",            hlt },
  { "cli",            cli },
  { "int",            intr },
  { "int3",           int3 },
  { "ret-main",       ret_main },
};

#define NKIND (sizeof(kinds) / sizeof(kinds[0]))

// Run fault number k in a child process and wait for the child.
static void
run(int k)
{
  int pid;

  pid = fork();
  if(pid < 0){
    printf(1, "faults: fork failed\n");
    exit();
  }
  if(pid == 0){
    printf(1, "faults: %s\n", kinds[k].name);
    kinds[k].fn();
    printf(1, "faults: %s did not fault\n", kinds[k].name);
    exit();
  }
  if(wait() != pid){
    printf(1, "faults: wait failed\n");
    exit();
  }
}

int
main(int argc, char *argv[])
{
  int i, k;

  if(argc < 2){
    for(k = 0; k < NKIND; k++)
      run(k);
    exit();
  }
  for(i = 1; i < argc; i++){
    for(k = 0; k < NKIND; k++)
      if(strcmp(argv[i], kinds[k].name) == 0)
        break;
    if(k == NKIND){
      printf(1, "faults: unknown kind %s\n", argv[i]);
      continue;
    }
    run(k);
  }
  exit();
}
