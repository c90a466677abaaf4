"""System V IPC limits: the one header for them (Linux's names; xv6's param.h style).

Chosen to fit the machine: the default one has 224 MiB of RAM (about 57,000 free
frames), and a test machine may have far less. Shared memory takes frames when a
segment is created; semaphores and messages live in the kernel's own (Python)
memory, bounded by these limits. Programs read them with IPC_INFO (see ipcs).
"""

__all__ = ["IPCMNI", "SHMMNI", "SHMMAX", "SHMMIN", "SHMALL", "SHMSEG", "SHMLBA",
           "SEMMNI", "SEMMSL", "SEMMNS", "SEMOPM", "SEMVMX", "SEMAEM", "SEMUME", "SEMMNU",
           "SEMMAP", "SEMUSZ", "MSGMNI", "MSGMAX", "MSGMNB", "MSGPOOL", "MSGTQL", "MSGMAP",
           "MSGSSZ", "MSGSEG"]

IPCMNI = 32768            # ids are seq * IPCMNI + slot, as on Linux: a reused slot gets a new id

# Shared memory
SHMMNI = 32               # segments in the system
SHMMAX = 4 << 20          # bytes in one segment at most (4 MiB)
SHMMIN = 1                # bytes in one segment at least
SHMALL = 4096             # pages of all segments together (16 MiB)
SHMSEG = SHMMNI           # attachments per process (not enforced beyond the table: info only)
SHMLBA = 4096             # attach addresses are multiples of this (SHM_RND rounds down to it)

# Semaphores
SEMMNI = 32               # semaphore sets in the system
SEMMSL = 64               # semaphores in one set
SEMMNS = 1024             # semaphores of all sets together
SEMOPM = 32               # operations in one semop() call
SEMVMX = 32767            # largest semaphore value
SEMAEM = SEMVMX           # largest SEM_UNDO adjustment
SEMUME = SEMOPM           # undo entries per process (info only)
SEMMNU = SEMMNS           # undo structures in the system (info only)
SEMMAP = SEMMNS           # entries in the semaphore map (info only)
SEMUSZ = 20               # size of an undo structure (info only)

# Message queues
MSGMNI = 16               # queues in the system
MSGMAX = 8192             # bytes in one message
MSGMNB = 16384            # bytes a queue holds by default (msg_qbytes; root may raise it)
MSGPOOL = MSGMNI * MSGMNB // 1024   # KiB of all messages together (info only)
MSGTQL = MSGMNB           # messages in the system (info only)
MSGMAP = MSGMNB           # entries in the message map (info only)
MSGSSZ = 16               # message segment size (info only)
MSGSEG = 0xFFFF           # message segments (info only)
