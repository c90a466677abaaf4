// System V message queues (xv6py/ipc/msg.py). i386 Linux's numbers and layouts.
//
// A message is a long type (> 0) followed by its text; msgsnd's size and the
// size msgrcv returns count the text only:
//   struct { long mtype; char mtext[64]; } m;

#ifndef XV6PY_SYS_MSG_H
#define XV6PY_SYS_MSG_H

#include <sys/ipc.h>

#define MSG_NOERROR 010000       // msgrcv: cut a long message instead of E2BIG
#define MSG_EXCEPT  020000       // msgrcv: msgtyp > 0 takes any other type
#define MSG_COPY    040000       // msgrcv: not supported (ENOSYS)

#define MSG_STAT     11          // msgctl commands: IPC_STAT by slot index; returns the id
#define MSG_INFO     12          // struct msginfo with usage; returns the highest slot in use
#define MSG_STAT_ANY 13

typedef unsigned long msgqnum_t;
typedef unsigned long msglen_t;

// 88 bytes, as glibc's on i386.
struct msqid_ds {
  struct ipc_perm msg_perm;
  time_t msg_stime;              // last msgsnd
  unsigned long __msg_stime_high;
  time_t msg_rtime;              // last msgrcv
  unsigned long __msg_rtime_high;
  time_t msg_ctime;              // creation, last IPC_SET
  unsigned long __msg_ctime_high;
  unsigned long __msg_cbytes;    // bytes of text queued
  msgqnum_t msg_qnum;            // messages queued
  msglen_t msg_qbytes;           // at most this many bytes
  pid_t msg_lspid;               // last sender
  pid_t msg_lrpid;               // last receiver
  unsigned long __glibc_reserved4;
  unsigned long __glibc_reserved5;
};
#define msg_cbytes __msg_cbytes

struct msginfo {                 // IPC_INFO, MSG_INFO
  int msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
  unsigned short msgseg;
};

struct msgbuf {                  // a message of one byte of text, as glibc declares it
  long mtype;
  char mtext[1];
};

int msgget(key_t key, int msgflg);
int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg);
ssize_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg);
int msgctl(int msqid, int cmd, struct msqid_ds *buf);

#endif
