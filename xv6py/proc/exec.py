"""exec: replace the current process's memory with a program from a file (xv6's
exec.c), and the ELF format it reads (xv6's elf.h).

The ELF loader is written out by hand on purpose: it is the lesson. The file is
read through readi(); a bad file, like a lack of memory, makes exec fail with
-1 and leaves the old image untouched.

Reading the file may sleep (the disk), so exec is a generator. loaduvm (in mm/,
below the file system) cannot sleep: exec reads each segment through readi
first, then hands loaduvm the bytes to copy page by page.
"""

import struct

from ..dev.console import cprintf
from ..fs.fmap import mmap_exit
from ..fs.fs import T_DEV, ilock, iput, iunlockput, namei, readi
from ..fs.log import begin_op, end_op
from ..ipc.shm import exit_shm
from ..mm.pgdir import allocuvm, clearpteu, copyout, freevm, loaduvm, setupkvm, switchuvm
from ..mm.shm import shm_detach_all
from ..mmu import PGROUNDUP, PGSIZE
from ..param import MAXARG
from .proc import mycpu, myproc

__all__ = ["ELF_MAGIC", "ELF_PROG_LOAD", "ElfHeader", "ProgHeader", "exec"]

ELF_MAGIC = 0x464C457F   # "\x7FELF" in little endian
ELF_PROG_LOAD = 1        # a program header of this type is loaded


class ElfHeader:
    """File header (xv6's struct elfhdr), 52 bytes."""

    FORMAT = struct.Struct("<I12sHHIIIIIHHHHHH")
    __slots__ = ("magic", "elf", "type", "machine", "version", "entry", "phoff", "shoff",
                 "flags", "ehsize", "phentsize", "phnum", "shentsize", "shnum", "shstrndx")

    def __init__(self, raw: bytes):
        (self.magic, self.elf, self.type, self.machine, self.version, self.entry, self.phoff,
         self.shoff, self.flags, self.ehsize, self.phentsize, self.phnum, self.shentsize,
         self.shnum, self.shstrndx) = self.FORMAT.unpack(raw)


class ProgHeader:
    """Program section header (xv6's struct proghdr), 32 bytes."""

    FORMAT = struct.Struct("<8I")
    __slots__ = ("type", "off", "vaddr", "paddr", "filesz", "memsz", "flags", "align")

    def __init__(self, raw: bytes):
        (self.type, self.off, self.vaddr, self.paddr, self.filesz, self.memsz, self.flags,
         self.align) = self.FORMAT.unpack(raw)


def exec(path: str, argv: list[bytes]):
    """Load the program at path with arguments argv into the current process.
    Returns 0 (the process then starts at the program's entry point), or -1.
    A generator: reading the program may sleep."""
    curproc = myproc()
    yield from begin_op()
    ip = yield from namei(path)
    if ip is None:
        yield from end_op()
        cprintf("exec: fail\n")
        return -1
    if (yield from ilock(ip)) < 0:
        yield from iput(ip)
        yield from end_op()
        return -1
    image = None
    pgdir = None
    # xv6 reads a device like a file here: exec("console") would wait for a line
    # of input and swallow it. Nothing on a device can be a program.
    if ip.type != T_DEV:
        pgdir = setupkvm()
        curproc.newpgdir = pgdir                 # (named while the disk is read: check.py)
        if pgdir is not None:
            image = yield from _load(pgdir, ip)
    yield from iunlockput(ip)
    yield from end_op()
    stack = _setup_stack(pgdir, image[0], argv) if image is not None else None
    if stack is None:
        curproc.newpgdir = None
        if pgdir is not None:
            freevm(pgdir)
        return -1
    # Commit to the user image.
    yield from mmap_exit(curproc)                # mmap's areas go (shared file pages written)
    shm_detach_all(curproc, curproc.pgdir)       # segments do not survive exec
    exit_shm(curproc)                            # System V segments neither
    curproc.name = path.rsplit("/", 1)[-1][:15]   # 16 bytes with the NUL, like xv6
    oldpgdir = curproc.pgdir
    curproc.pgdir, curproc.newpgdir = pgdir, None
    curproc.sz, curproc.tf.esp = stack
    curproc.tf.eip = image[1]     # main
    switchuvm(curproc)
    freevm(oldpgdir)
    mycpu().execd.add(curproc.pid)   # (for the run's report: its program did start)
    return 0


def _load(pgdir: int, ip):
    """Check the ELF header and load every PT_LOAD segment into pgdir. Returns
    (image size, entry point), or None if the file is bad or memory ran out.
    A generator (it reads the file)."""
    raw = yield from readi(ip, 0, ElfHeader.FORMAT.size)
    if raw is None or len(raw) != ElfHeader.FORMAT.size:
        return None
    elf = ElfHeader(raw)
    if elf.magic != ELF_MAGIC:
        return None
    sz = 0
    for i in range(elf.phnum):
        raw = yield from readi(ip, elf.phoff + i * ProgHeader.FORMAT.size, ProgHeader.FORMAT.size)
        if raw is None or len(raw) != ProgHeader.FORMAT.size:
            return None
        ph = ProgHeader(raw)
        if ph.type != ELF_PROG_LOAD:
            continue
        if ph.memsz < ph.filesz:
            return None
        if ph.vaddr + ph.memsz > 0xFFFFFFFF:      # the 32-bit sum wraps around
            return None
        sz = allocuvm(pgdir, sz, ph.vaddr + ph.memsz)
        if sz == 0:
            return None
        if ph.vaddr % PGSIZE != 0:
            return None
        data = yield from readi(ip, ph.off, ph.filesz)
        if loaduvm(pgdir, ph.vaddr, data, ph.filesz) < 0:
            return None
    return sz, elf.entry


def _setup_stack(pgdir: int, sz: int, argv: list[bytes]):
    """Allocate two pages at the next page boundary: the lower one becomes the
    inaccessible guard page, the upper one the user stack. Push the argument
    strings, then the argv array, argc and a fake return PC, as a call to
    main(argc, argv) would find them. Returns (new size, esp), or None."""
    sz = PGROUNDUP(sz)
    sz = allocuvm(pgdir, sz, sz + 2 * PGSIZE)
    if sz == 0:
        return None
    clearpteu(pgdir, sz - 2 * PGSIZE)
    sp = sz
    ustack = [0] * (3 + MAXARG + 1)
    argc = 0
    for arg in argv:
        if argc >= MAXARG:
            return None
        sp = (sp - (len(arg) + 1)) & ~3
        if copyout(pgdir, sp, arg + b"\0") < 0:
            return None
        ustack[3 + argc] = sp
        argc += 1
    ustack[3 + argc] = 0
    ustack[0] = 0xFFFFFFFF        # fake return PC
    ustack[1] = argc
    ustack[2] = sp - (argc + 1) * 4   # argv pointer
    sp -= (3 + argc + 1) * 4
    if copyout(pgdir, sp, struct.pack(f"<{3 + argc + 1}I", *ustack[:3 + argc + 1])) < 0:
        return None
    return sz, sp
