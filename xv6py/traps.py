"""x86 trap numbers (xv6's traps.h) and their names, for messages and debuggers."""

from types import MappingProxyType

__all__ = ["T_DIVIDE", "T_DEBUG", "T_NMI", "T_BRKPT", "T_OFLOW", "T_BOUND", "T_ILLOP",
           "T_DEVICE", "T_DBLFLT", "T_TSS", "T_SEGNP", "T_STACK", "T_GPFLT", "T_PGFLT",
           "T_FPERR", "T_ALIGN", "T_MCHK", "T_SIMDERR", "T_SYSCALL", "T_IRQ0", "IRQ_TIMER", "IRQ_IDE",
           "TRAP_NAMES", "FEC_PR", "FEC_WR", "FEC_U"]

# Processor-defined exceptions.
T_DIVIDE = 0      # divide error
T_DEBUG = 1       # debug exception
T_NMI = 2         # non-maskable interrupt
T_BRKPT = 3       # breakpoint
T_OFLOW = 4       # overflow
T_BOUND = 5       # bounds check
T_ILLOP = 6       # illegal opcode
T_DEVICE = 7      # device not available
T_DBLFLT = 8      # double fault
T_TSS = 10        # invalid task switch segment
T_SEGNP = 11      # segment not present
T_STACK = 12      # stack exception
T_GPFLT = 13      # general protection fault
T_PGFLT = 14      # page fault
T_FPERR = 16      # floating point error
T_ALIGN = 17      # alignment check
T_MCHK = 18       # machine check
T_SIMDERR = 19    # SIMD floating point error

T_SYSCALL = 64    # system call: `int $64`, the only vector a user program may raise
T_IRQ0 = 32       # IRQ 0 corresponds to int T_IRQ0
IRQ_TIMER = 0
IRQ_IDE = 14

# Page-fault error code bits (pushed by the CPU with trap 14).
FEC_PR = 0x1      # 1: protection violation on a present page; 0: page not present
FEC_WR = 0x2      # 1: the access was a write
FEC_U = 0x4       # 1: the access came from user mode

TRAP_NAMES = MappingProxyType({
    T_DIVIDE: "divide error",
    T_DEBUG: "debug exception",
    T_NMI: "non-maskable interrupt",
    T_BRKPT: "breakpoint",
    T_OFLOW: "overflow",
    T_BOUND: "bounds check",
    T_ILLOP: "invalid opcode",
    T_DEVICE: "device not available",
    T_DBLFLT: "double fault",
    T_TSS: "invalid TSS",
    T_SEGNP: "segment not present",
    T_STACK: "stack fault",
    T_GPFLT: "general protection fault",
    T_PGFLT: "page fault",
    T_FPERR: "x87 floating point error",
    T_ALIGN: "alignment check",
    T_MCHK: "machine check",
    T_SIMDERR: "SIMD floating point error",
    T_SYSCALL: "system call",
    T_IRQ0 + IRQ_TIMER: "timer interrupt",
    T_IRQ0 + IRQ_IDE: "disk interrupt",
})
