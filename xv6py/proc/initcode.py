"""The first user program: one page that runs exec("/init", argv) (xv6's initcode.S).

xv6 assembles initcode.S at build time. Here the page is built at boot, because
the arguments of init -- the program to run and its arguments -- are part of it.
The code, with the data placed right after it:

    0:  68 xx xx xx xx    push $argv
    5:  68 xx xx xx xx    push $init        ; the path "/init"
    10: 6a 00             push $0           ; where a call would leave its return PC
    12: b8 07 00 00 00    mov  $SYS_exec, %eax
    17: cd 40             int  $T_SYSCALL
    19: b8 02 00 00 00    mov  $SYS_exit, %eax   ; only reached if exec failed
    24: cd 40             int  $T_SYSCALL
    26: eb f7             jmp  19
    28: "/init\\0", the argument strings, then the argv array (4-byte aligned, NULL-terminated)
"""

import struct

from ..mmu import PGSIZE
from ..syscalls.syscall import SYS_exec, SYS_exit
from ..traps import T_SYSCALL

__all__ = ["initcode"]

_CODE_SIZE = 28


def initcode(argv: list[bytes], path: bytes = b"/init") -> bytes:
    """The initcode page for exec(path, argv). Raises ValueError if it does not fit."""
    data = bytearray(path + b"\0")
    addrs = []
    for arg in argv:
        addrs.append(_CODE_SIZE + len(data))
        data += arg + b"\0"
    data += bytes(-(_CODE_SIZE + len(data)) % 4)       # align the argv array
    argv_addr = _CODE_SIZE + len(data)
    data += struct.pack(f"<{len(addrs) + 1}I", *addrs, 0)
    code = (b"\x68" + struct.pack("<I", argv_addr) +
            b"\x68" + struct.pack("<I", _CODE_SIZE) +
            b"\x6a\x00" +
            b"\xb8" + struct.pack("<I", SYS_exec) + bytes([0xCD, T_SYSCALL]) +
            b"\xb8" + struct.pack("<I", SYS_exit) + bytes([0xCD, T_SYSCALL]) +
            b"\xeb\xf7")
    assert len(code) == _CODE_SIZE
    page = code + bytes(data)
    if len(page) >= PGSIZE:
        raise ValueError("the program name and its arguments do not fit in the first page")
    return page
