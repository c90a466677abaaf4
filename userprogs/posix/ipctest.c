// ipctest perm|shm|sem|msg|full: a conformance test of System V IPC, written for
// Linux and run unchanged on xv6py (tests/test_ipc_conformance.py runs both and
// compares). One line per check: "ok   what" or "FAIL what: got ..., want ...".
// Only facts that hold on both systems are printed: no ids, addresses, limits
// or pids, only how they relate.
//
//   perm   owners and modes: EACCES, EPERM, the owner not exempt, root bypassing
//   shm    shmget, shmat, shmdt, shmctl: rules, errors, IPC_STAT after each step
//   sem    semget, semop, semctl: all or none, SEM_UNDO, waiting, EIDRM
//   msg    msgget, msgsnd, msgrcv, msgctl: types, truncation, full queues, EIDRM
//   full   ENOSPC once each table is full (its size read with IPC_INFO)
//
// Run as root: it uses setuid() in children to be someone else.

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
  struct seminfo *__buf;
};

#define KEY(n) ((key_t)(0x58360000 + (n)))     // keys unlikely to be used by anyone else
#define BAD ((void*)-4096L)                     // a kernel address: EFAULT on both systems

static int failures;

static const char*
ename(int e)
{
  static const struct { int e; const char *name; } names[] = {
    {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {EINTR, "EINTR"}, {E2BIG, "E2BIG"},
    {ECHILD, "ECHILD"}, {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"}, {EACCES, "EACCES"},
    {EFAULT, "EFAULT"}, {EEXIST, "EEXIST"}, {EINVAL, "EINVAL"}, {EFBIG, "EFBIG"},
    {ENOSPC, "ENOSPC"}, {ERANGE, "ERANGE"}, {ENOSYS, "ENOSYS"}, {ENOMSG, "ENOMSG"},
    {EIDRM, "EIDRM"},
  };
  for(unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if(names[i].e == e)
      return names[i].name;
  return "E?";
}

// The call must fail with errno want.
#define FAILS(want, call) fails(#call, (long)(call), want)
static void
fails(const char *what, long r, int want)
{
  int e = errno;

  if(r == -1 && e == want){
    printf("ok   %s: %s\n", what, ename(want));
  } else {
    printf("FAIL %s: got %ld (%s), want %s\n", what, r, r == -1 ? ename(e) : "no error", ename(want));
    failures++;
  }
}

// The call must succeed; its result is returned.
#define WORKS(call) works(#call, (long)(call))
static long
works(const char *what, long r)
{
  if(r == -1){
    printf("FAIL %s: %s\n", what, ename(errno));
    failures++;
  } else
    printf("ok   %s\n", what);
  return r;
}

// got must equal want.
#define SAME(what, got, want) same(what, (long)(got), (long)(want))
static void
same(const char *what, long got, long want)
{
  if(got == want)
    printf("ok   %s = %ld\n", what, want);
  else {
    printf("FAIL %s = %ld, want %ld\n", what, got, want);
    failures++;
  }
}

// A condition that must hold.
#define TRUE(cond) same(#cond, (cond) != 0, 1)

// Fork; the child runs f and exits with its failure count. Returns its status.
static int
child(void (*f)(long), long arg)
{
  int pid, status;

  fflush(stdout);
  pid = fork();
  if(pid == 0){
    failures = 0;
    f(arg);
    fflush(stdout);
    _exit(failures);
  }
  if(waitpid(pid, &status, 0) != pid)
    return -1;
  if(WIFEXITED(status))
    failures += WEXITSTATUS(status);
  return status;
}

// Remove whatever a previous run may have left under our keys.
static void
forget(int n)
{
  int id;

  if((id = shmget(KEY(n), 0, 0)) >= 0)
    shmctl(id, IPC_RMID, NULL);
  if((id = semget(KEY(n), 0, 0)) >= 0)
    semctl(id, 0, IPC_RMID);
  if((id = msgget(KEY(n), 0)) >= 0)
    msgctl(id, IPC_RMID, NULL);
}

// Poll semctl(semid, num, cmd) until it is want (a process is asleep on it).
static int
await(int semid, int num, int cmd, int want)
{
  int i, v = -1;

  for(i = 0; i < 20000; i++){
    if((v = semctl(semid, num, cmd)) == want)
      break;
    usleep(1000);
  }
  return v;
}

// ---- perm -------------------------------------------------------------------------------------

static int pshm, psem, pmsg;

struct text {
  long mtype;
  char mtext[64];
};

static void
as_other(long unused)
{
  struct shmid_ds sds;
  struct msqid_ds mds;
  struct sembuf up = {0, 1, 0};
  struct text m = {1, "x"};

  (void)unused;
  WORKS(setgid(4242));
  WORKS(setuid(4242));
  FAILS(EPERM, setuid(0));
  FAILS(EACCES, shmget(KEY(1), 0, 0400));
  TRUE(shmget(KEY(1), 0, 0) == pshm);
  FAILS(EACCES, shmat(pshm, NULL, 0));
  FAILS(EACCES, shmat(pshm, NULL, SHM_RDONLY));
  FAILS(EACCES, shmctl(pshm, IPC_STAT, &sds));
  FAILS(EPERM, shmctl(pshm, IPC_RMID, NULL));
  FAILS(EPERM, shmctl(pshm, IPC_SET, &sds));
  FAILS(EACCES, semctl(psem, 0, GETVAL));
  FAILS(EACCES, semop(psem, &up, 1));
  FAILS(EPERM, semctl(psem, 0, IPC_RMID));
  FAILS(EACCES, msgsnd(pmsg, &m, 1, IPC_NOWAIT));
  FAILS(ENOMSG, msgrcv(pmsg, &m, sizeof m.mtext, 0, IPC_NOWAIT));   // others may read it
  WORKS(msgctl(pmsg, IPC_STAT, &mds));
  FAILS(EPERM, msgctl(pmsg, IPC_RMID, NULL));
}

static void
as_group(long unused)
{
  struct sembuf up = {0, 1, 0};

  (void)unused;
  WORKS(setuid(4243));                        // still in group 0: the set's group
  SAME("semctl(psem, 0, GETVAL) as the group", semctl(psem, 0, GETVAL), 0);
  FAILS(EACCES, semop(psem, &up, 1));         // 0640: the group may not alter
  FAILS(EACCES, shmget(KEY(1), 0, 0040));     // 0600: the group has nothing
}

static void
as_owner(long unused)
{
  struct shmid_ds ds;
  struct msqid_ds mds;
  int id, q;

  (void)unused;
  WORKS(setgid(4244));
  WORKS(setuid(4244));
  id = WORKS(shmget(IPC_PRIVATE, 100, 0000));
  FAILS(EACCES, shmat(id, NULL, 0));          // the owner is not exempt from its own bits
  FAILS(EACCES, shmctl(id, IPC_STAT, &ds));
  memset(&ds, 0, sizeof ds);
  ds.shm_perm.uid = 4244;
  ds.shm_perm.gid = 4244;
  ds.shm_perm.mode = 0600;
  WORKS(shmctl(id, IPC_SET, &ds));            // but it may change them
  WORKS(shmctl(id, IPC_STAT, &ds));
  SAME("shm_perm.mode after IPC_SET", ds.shm_perm.mode & 0777, 0600);
  SAME("shm_perm.uid", ds.shm_perm.uid, 4244);
  SAME("shm_perm.cuid", ds.shm_perm.cuid, 4244);
  WORKS(shmctl(id, IPC_RMID, NULL));
  q = WORKS(msgget(IPC_PRIVATE, 0600));
  WORKS(msgctl(q, IPC_STAT, &mds));
  mds.msg_qbytes += 1;                        // above the default limit: root only
  FAILS(EPERM, msgctl(q, IPC_SET, &mds));
  mds.msg_qbytes -= 2;
  WORKS(msgctl(q, IPC_SET, &mds));
  WORKS(msgctl(q, IPC_RMID, NULL));
}

static void
perm(void)
{
  struct shmid_ds ds;

  forget(1);
  SAME("getuid() (run this test as root)", getuid(), 0);
  pshm = WORKS(shmget(KEY(1), 100, IPC_CREAT | IPC_EXCL | 0600));
  psem = WORKS(semget(KEY(1), 2, IPC_CREAT | IPC_EXCL | 0640));
  pmsg = WORKS(msgget(KEY(1), IPC_CREAT | IPC_EXCL | 0604));
  WORKS(shmctl(pshm, IPC_STAT, &ds));
  SAME("shm_perm.uid", ds.shm_perm.uid, 0);
  SAME("shm_perm.mode", ds.shm_perm.mode & 0777, 0600);
  SAME("shm_perm.__key", ds.shm_perm.__key, KEY(1));
  child(as_other, 0);
  child(as_group, 0);
  child(as_owner, 0);
  WORKS(shmctl(pshm, IPC_RMID, NULL));        // root may do anything
  WORKS(semctl(psem, 0, IPC_RMID));
  WORKS(msgctl(pmsg, IPC_RMID, NULL));
}

// ---- shm --------------------------------------------------------------------------------------

static char *segment;

static void
write_readonly(long addr)
{
  *(volatile char*)addr = 1;                  // a write to a SHM_RDONLY attachment faults
  printf("FAIL wrote through a read-only attachment\n");
}

static void
forked(long id)
{
  struct shmid_ds ds;

  WORKS(shmctl(id, IPC_STAT, &ds));
  SAME("shm_nattch in the child after fork", ds.shm_nattch, 1 + (segment != NULL));
  SAME("the child reads the parent's byte", segment[0], 42);
  segment[1] = 43;
}

static void
shm(void)
{
  struct shmid_ds ds;
  struct shminfo info;
  char *p, *q;
  int id, other, i, nonzero, pid, status, max, found;

  forget(2);
  FAILS(ENOENT, shmget(KEY(2), 100, 0600));
  FAILS(EINVAL, shmget(IPC_PRIVATE, 0, 0600));
  max = WORKS(shmctl(0, IPC_INFO, (struct shmid_ds*)&info));
  FAILS(EINVAL, shmget(IPC_PRIVATE, info.shmmax + 1, 0600));
  id = WORKS(shmget(KEY(2), 5000, IPC_CREAT | 0600));
  FAILS(EEXIST, shmget(KEY(2), 100, IPC_CREAT | IPC_EXCL | 0600));
  TRUE(shmget(KEY(2), 5000, 0600) == id);
  TRUE(shmget(KEY(2), 0, 0) == id);
  TRUE(shmget(KEY(2), 100, IPC_CREAT | 0600) == id);
  FAILS(EINVAL, shmget(KEY(2), 5001, 0600));
  other = WORKS(shmget(IPC_PRIVATE, 5000, 0600));         // always a new one
  TRUE(other != id);
  WORKS(shmctl(other, IPC_RMID, NULL));

  WORKS(shmctl(id, IPC_STAT, &ds));
  SAME("shm_segsz (as asked, not rounded)", ds.shm_segsz, 5000);
  SAME("shm_nattch", ds.shm_nattch, 0);
  TRUE(ds.shm_cpid == getpid());
  SAME("shm_lpid", ds.shm_lpid, 0);
  SAME("shm_atime", ds.shm_atime, 0);
  SAME("shm_dtime", ds.shm_dtime, 0);
  TRUE(ds.shm_ctime != 0);

  p = (char*)WORKS(shmat(id, NULL, 0));
  for(i = nonzero = 0; i < 8192; i++)
    nonzero += p[i] != 0;
  SAME("non-zero bytes in the segment, the tail of its last page included", nonzero, 0);
  WORKS(shmctl(id, IPC_STAT, &ds));
  SAME("shm_nattch after shmat", ds.shm_nattch, 1);
  TRUE(ds.shm_lpid == getpid());
  TRUE(ds.shm_atime != 0);
  TRUE(((unsigned long)p & (SHMLBA - 1)) == 0);
  p[0] = 42;
  q = (char*)WORKS(shmat(id, NULL, SHM_RDONLY));
  TRUE(q != p);
  SAME("q[0] read through the second attachment", q[0], 42);
  status = child(write_readonly, (long)q);
  TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
  WORKS(shmctl(id, IPC_STAT, &ds));
  SAME("shm_nattch with two attachments", ds.shm_nattch, 2);

  FAILS(EINVAL, shmdt(q + 1));
  WORKS(shmdt(q));
  FAILS(EINVAL, shmdt(q));
  FAILS(EINVAL, shmat(id, q + 1, 0));                    // not a multiple of SHMLBA
  TRUE(shmat(id, q + 1, SHM_RND) == q);                  // rounded down
  FAILS(EINVAL, shmat(id, q, 0));                        // overlaps what is there
  FAILS(EINVAL, shmat(id, p + 4096, 0));
  WORKS(shmdt(q));
  TRUE(shmat(id, q, 0) == q);                            // a given, free address
  WORKS(shmdt(q));
  FAILS(EINVAL, shmat(-1, NULL, 0));
  FAILS(EINVAL, shmat(id + 1, NULL, 0));

  segment = p;
  child(forked, id);
  SAME("the parent reads the child's byte", p[1], 43);
  WORKS(shmctl(id, IPC_STAT, &ds));
  SAME("shm_nattch after the child exited", ds.shm_nattch, 1);
  TRUE(ds.shm_dtime != 0);

  WORKS(shmctl(id, SHM_LOCK, NULL));
  WORKS(shmctl(id, IPC_STAT, &ds));
  TRUE((ds.shm_perm.mode & SHM_LOCKED) != 0);
  WORKS(shmctl(id, SHM_UNLOCK, NULL));
  WORKS(shmctl(id, IPC_STAT, &ds));
  TRUE((ds.shm_perm.mode & SHM_LOCKED) == 0);

  max = WORKS(shmctl(0, SHM_INFO, (struct shmid_ds*)&info));
  for(i = found = 0; i <= max; i++)
    if(shmctl(i, SHM_STAT, &ds) == id)
      found++;
  SAME("slots SHM_STAT finds our segment in", found, 1);
  FAILS(EFAULT, shmctl(id, IPC_STAT, BAD));
  FAILS(EFAULT, shmctl(id, IPC_SET, BAD));
  FAILS(EINVAL, shmctl(id, 12345, &ds));
  FAILS(EINVAL, shmctl(-1, IPC_STAT, &ds));

  WORKS(shmctl(id, IPC_RMID, NULL));                     // still attached: marked only
  FAILS(ENOENT, shmget(KEY(2), 0, 0));
  WORKS(shmctl(id, IPC_STAT, &ds));
  TRUE((ds.shm_perm.mode & SHM_DEST) != 0);
  SAME("shm_perm.__key once removed", ds.shm_perm.__key, IPC_PRIVATE);
  SAME("p[0] still readable", p[0], 42);
  pid = WORKS(fork());
  if(pid == 0)
    _exit(p[0] == 42 ? 0 : 1);                           // the child has it too
  waitpid(pid, &status, 0);
  SAME("the child's status", status, 0);
  WORKS(shmdt(p));                                       // the last detach frees it
  FAILS(EINVAL, shmctl(id, IPC_STAT, &ds));
  FAILS(EINVAL, shmctl(id, IPC_RMID, NULL));
}

// ---- sem --------------------------------------------------------------------------------------

static int sid;

static int
op(int num, int sop, int flg)
{
  struct sembuf b = {num, sop, flg};

  return semop(sid, &b, 1);
}

static void
vals(const char *what, int a, int b, int c)
{
  unsigned short v[3] = {9, 9, 9};
  union semun arg = {.array = v};

  semctl(sid, 0, GETALL, arg);
  if(v[0] == a && v[1] == b && v[2] == c)
    printf("ok   %s: values %d %d %d\n", what, a, b, c);
  else {
    printf("FAIL %s: values %d %d %d, want %d %d %d\n", what, v[0], v[1], v[2], a, b, c);
    failures++;
  }
}

static void undo_exit(long num) { WORKS(op(num, 3, SEM_UNDO)); }
static void plain_exit(long num) { (void)num; }
static void setval_resets(long num)
{
  union semun arg = {.val = 7};

  WORKS(op(num, 2, SEM_UNDO));
  WORKS(semctl(sid, num, SETVAL, arg));                   // the adjustment is reset
}
// Sleepers: each returns its semop's result, or the error number it failed with.
static int take(int num) { return op(num, -1, 0) == 0 ? 0 : errno; }
static int zero(int num) { return op(num, 0, 0) == 0 ? 0 : errno; }

// Run f in a child that sleeps in semop; once it sleeps (GETNCNT/GETZCNT of num
// is 1), do what wakes it (how), then reap it: it must have returned want. The
// child prints nothing, so that the output does not depend on who runs first.
static void
sleeper(int (*f)(int), int num, int cmd, void (*how)(void), int want)
{
  int pid, status;

  fflush(stdout);
  pid = fork();
  if(pid == 0)
    _exit(f(num));
  SAME(cmd == GETNCNT ? "GETNCNT while the child sleeps" : "GETZCNT while the child sleeps",
       await(sid, num, cmd, 1), 1);
  how();
  waitpid(pid, &status, 0);
  if(WIFEXITED(status) && WEXITSTATUS(status) == want)
    printf("ok   the sleeping child's semop returned %s\n", want ? ename(want) : "0");
  else {
    printf("FAIL the sleeping child's semop: status %d, want %s\n", status, ename(want));
    failures++;
  }
}

static void post(void) { op(2, 1, 0); }
static void clear1(void) { union semun a = {.val = 0}; semctl(sid, 1, SETVAL, a); }
static void rmid(void) { WORKS(semctl(sid, 0, IPC_RMID)); }

static void
sem(void)
{
  static struct sembuf b[600];             // static: xv6py's user stack is one page
  struct semid_ds ds;
  struct seminfo info;
  union semun arg;
  unsigned short init[3] = {0, 0, 0};
  int i, max, found, pid;

  forget(3);
  arg.__buf = &info;
  max = WORKS(semctl(0, 0, IPC_INFO, arg));
  FAILS(ENOENT, semget(KEY(3), 1, 0600));
  FAILS(EINVAL, semget(IPC_PRIVATE, 0, 0600));
  FAILS(EINVAL, semget(IPC_PRIVATE, -1, 0600));
  FAILS(EINVAL, semget(IPC_PRIVATE, info.semmsl + 1, 0600));
  sid = WORKS(semget(KEY(3), 3, IPC_CREAT | 0600));
  FAILS(EEXIST, semget(KEY(3), 3, IPC_CREAT | IPC_EXCL | 0600));
  FAILS(EINVAL, semget(KEY(3), 4, 0600));
  TRUE(semget(KEY(3), 2, 0600) == sid);
  TRUE(semget(KEY(3), 0, 0) == sid);

  arg.buf = &ds;
  WORKS(semctl(sid, 0, IPC_STAT, arg));
  SAME("sem_nsems", ds.sem_nsems, 3);
  SAME("sem_otime", ds.sem_otime, 0);
  TRUE(ds.sem_ctime != 0);
  SAME("sem_perm.mode", ds.sem_perm.mode & 0777, 0600);
  vals("a new set", 0, 0, 0);

  b[0] = (struct sembuf){0, 1, 0};
  b[1] = (struct sembuf){1, 2, 0};
  b[2] = (struct sembuf){2, -1, IPC_NOWAIT};
  FAILS(EAGAIN, semop(sid, b, 3));
  vals("after a semop that could not finish: all or none", 0, 0, 0);
  b[1] = (struct sembuf){0, -1, 0};
  b[2] = (struct sembuf){1, 5, SEM_UNDO};
  WORKS(semop(sid, b, 3));                                  // in order: +1 then -1 on sem 0
  vals("after +1, -1, +5", 0, 5, 0);
  arg.buf = &ds;
  WORKS(semctl(sid, 0, IPC_STAT, arg));
  TRUE(ds.sem_otime != 0);
  TRUE(semctl(sid, 0, GETPID) == getpid());
  SAME("semctl(sid, 2, GETPID)", semctl(sid, 2, GETPID), 0);
  FAILS(EAGAIN, op(1, 0, IPC_NOWAIT));                      // not zero
  WORKS(op(0, 0, IPC_NOWAIT));
  FAILS(EFBIG, op(3, 1, 0));
  FAILS(EINVAL, semop(sid, b, 0));
  for(i = 0; i < 600; i++)
    b[i] = (struct sembuf){0, 0, IPC_NOWAIT};
  FAILS(E2BIG, semop(sid, b, info.semopm + 1));
  FAILS(EFAULT, semop(sid, BAD, 1));
  b[0] = (struct sembuf){0, 32767, 0};
  b[1] = (struct sembuf){0, 1, 0};
  FAILS(ERANGE, semop(sid, b, 2));
  arg.val = 32768;
  FAILS(ERANGE, semctl(sid, 0, SETVAL, arg));
  arg.val = -1;
  FAILS(ERANGE, semctl(sid, 0, SETVAL, arg));
  WORKS(op(0, 32767, SEM_UNDO));                            // adjustment -32767
  WORKS(op(0, -32767, 0));
  WORKS(op(0, 1, SEM_UNDO));                                // -32768: the lowest allowed
  FAILS(ERANGE, op(0, 1, SEM_UNDO));
  WORKS(op(0, -1, SEM_UNDO));
  vals("after the adjustments", 0, 5, 0);
  WORKS(op(1, -5, SEM_UNDO));                               // the parent's adjustments: 0

  child(undo_exit, 2);
  vals("after a child's +3 with SEM_UNDO and its exit", 0, 0, 0);
  pid = fork();
  if(pid == 0){
    op(2, 3, SEM_UNDO);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  TRUE(semctl(sid, 2, GETPID) == pid);                      // the undo sets the pid
  child(setval_resets, 1);
  vals("after SETVAL in a child that had an adjustment", 0, 7, 0);
  WORKS(op(2, 1, SEM_UNDO));
  child(plain_exit, 0);                                     // fork does not copy adjustments
  vals("after a child forked from an adjusted parent exits", 0, 7, 1);
  WORKS(op(2, -1, SEM_UNDO));

  sleeper(take, 2, GETNCNT, post, 0);
  SAME("GETNCNT once it is gone", semctl(sid, 2, GETNCNT), 0);
  sleeper(zero, 1, GETZCNT, clear1, 0);
  SAME("GETZCNT once it is gone", semctl(sid, 1, GETZCNT), 0);

  arg.array = init;
  init[0] = 1, init[1] = 2, init[2] = 3;
  WORKS(semctl(sid, 0, SETALL, arg));
  vals("after SETALL", 1, 2, 3);
  FAILS(EFAULT, semctl(sid, 0, GETALL, BAD));
  FAILS(EFAULT, semctl(sid, 0, SETALL, BAD));
  FAILS(EFAULT, semctl(sid, 0, IPC_STAT, BAD));
  FAILS(EINVAL, semctl(sid, 3, GETVAL));
  FAILS(EINVAL, semctl(sid, 0, 12345));
  FAILS(EINVAL, semctl(-1, 0, GETVAL));
  arg.buf = &ds;
  WORKS(semctl(sid, 0, IPC_STAT, arg));
  ds.sem_perm.mode = 0640;
  WORKS(semctl(sid, 0, IPC_SET, arg));
  WORKS(semctl(sid, 0, IPC_STAT, arg));
  SAME("sem_perm.mode after IPC_SET", ds.sem_perm.mode & 0777, 0640);
  arg.__buf = &info;
  max = WORKS(semctl(0, 0, SEM_INFO, arg));
  TRUE(info.semusz >= 1);
  for(i = found = 0; i <= max; i++){
    arg.buf = &ds;
    if(semctl(i, 0, SEM_STAT, arg) == sid)
      found++;
  }
  SAME("slots SEM_STAT finds our set in", found, 1);

  WORKS(op(0, -1, 0));
  sleeper(take, 0, GETNCNT, rmid, EIDRM);                    // IPC_RMID under a sleeper
  FAILS(EINVAL, semctl(sid, 0, GETVAL));
  FAILS(EINVAL, op(0, 1, 0));
}

// ---- msg --------------------------------------------------------------------------------------

static int mq;

static int
snd(long type, const char *text, int flg)
{
  struct text m;

  m.mtype = type;
  strcpy(m.mtext, text);
  return msgsnd(mq, &m, strlen(text), flg);
}

// Receive; print what came, as "type:text", or the error.
static void
rcv(const char *what, long type, size_t size, int flg, const char *want)
{
  struct text m;
  char got[80];
  long n;

  memset(&m, 0, sizeof m);
  n = msgrcv(mq, &m, size, type, flg | IPC_NOWAIT);
  if(n < 0)
    snprintf(got, sizeof got, "%s", ename(errno));
  else
    snprintf(got, sizeof got, "%ld:%.*s", m.mtype, (int)n, m.mtext);
  if(strcmp(got, want) == 0)
    printf("ok   %s: %s\n", what, want);
  else {
    printf("FAIL %s: %s, want %s\n", what, got, want);
    failures++;
  }
}

// A child's status: what its call returned (0 for success), or the error number.
static void
status_is(const char *what, int status, int want)
{
  if(WIFEXITED(status) && WEXITSTATUS(status) == want)
    printf("ok   %s: %s\n", what, want ? ename(want) : "0");
  else {
    printf("FAIL %s: status %d, want %s\n", what, status, ename(want));
    failures++;
  }
}

static void
msg(void)
{
  struct msqid_ds ds;
  struct msginfo info;
  struct text m;
  int max, i, found, pid, fds[2], status;
  char c;

  forget(4);
  max = WORKS(msgctl(0, IPC_INFO, (struct msqid_ds*)&info));
  FAILS(ENOENT, msgget(KEY(4), 0600));
  mq = WORKS(msgget(KEY(4), IPC_CREAT | 0600));
  FAILS(EEXIST, msgget(KEY(4), IPC_CREAT | IPC_EXCL | 0600));
  TRUE(msgget(KEY(4), 0) == mq);
  WORKS(msgctl(mq, IPC_STAT, &ds));
  SAME("msg_qnum", ds.msg_qnum, 0);
  SAME("msg_cbytes", ds.msg_cbytes, 0);
  SAME("msg_qbytes is the default limit", ds.msg_qbytes, info.msgmnb);
  SAME("msg_lspid", ds.msg_lspid, 0);
  SAME("msg_stime", ds.msg_stime, 0);
  TRUE(ds.msg_ctime != 0);

  WORKS(snd(3, "c1", 0));
  WORKS(snd(1, "a1", 0));
  WORKS(snd(2, "b1", 0));
  WORKS(snd(1, "a2", 0));
  WORKS(snd(3, "c2long", 0));
  WORKS(msgctl(mq, IPC_STAT, &ds));
  SAME("msg_qnum", ds.msg_qnum, 5);
  SAME("msg_cbytes", ds.msg_cbytes, 14);
  TRUE(ds.msg_lspid == getpid());
  TRUE(ds.msg_stime != 0);
  SAME("msg_rtime", ds.msg_rtime, 0);
  rcv("msgtyp 2: the first of type 2", 2, 64, 0, "2:b1");
  rcv("msgtyp -3: the first of the lowest type <= 3", -3, 64, 0, "1:a1");
  rcv("msgtyp 1 with MSG_EXCEPT: the first of another type", 1, 64, MSG_EXCEPT, "3:c1");
  rcv("too long for the buffer", 3, 2, 0, "E2BIG");
  rcv("MSG_NOERROR cuts it", 3, 2, MSG_NOERROR, "3:c2");
  rcv("msgtyp 0: the first", 0, 64, 0, "1:a2");
  rcv("an empty queue with IPC_NOWAIT", 0, 64, 0, "ENOMSG");
  WORKS(msgctl(mq, IPC_STAT, &ds));
  TRUE(ds.msg_lrpid == getpid());
  TRUE(ds.msg_rtime != 0);
  SAME("msg_qnum after taking them all", ds.msg_qnum, 0);

  m.mtype = 0;
  FAILS(EINVAL, msgsnd(mq, &m, 1, 0));
  m.mtype = 1;
  FAILS(EINVAL, msgsnd(mq, &m, info.msgmax + 1, 0));
  FAILS(EINVAL, msgsnd(mq, &m, (size_t)-1, 0));
  FAILS(EINVAL, msgsnd(-1, &m, 1, 0));
  FAILS(EINVAL, msgrcv(mq, &m, (size_t)-1, 0, 0));
  FAILS(EFAULT, msgsnd(mq, BAD, 1, 0));
  FAILS(EFAULT, msgctl(mq, IPC_STAT, BAD));
  WORKS(snd(5, "x", 0));
  FAILS(EFAULT, msgrcv(mq, BAD, 64, 0, 0));
  FAILS(EINVAL, msgctl(mq, 12345, &ds));

  WORKS(msgctl(mq, IPC_STAT, &ds));
  ds.msg_qbytes = 16;
  WORKS(msgctl(mq, IPC_SET, &ds));
  WORKS(msgctl(mq, IPC_STAT, &ds));
  SAME("msg_qbytes after IPC_SET", ds.msg_qbytes, 16);
  // Linux loses a message msgrcv could not copy out; xv6py keeps it queued.
  msgrcv(mq, &m, sizeof m.mtext, 0, IPC_NOWAIT);
  WORKS(snd(6, "0123456789abcdef", 0));
  FAILS(EAGAIN, snd(7, "x", IPC_NOWAIT));
  fflush(stdout);
  pid = fork();
  if(pid == 0)
    _exit(snd(7, "12345678", 0) == 0 ? 0 : errno);
  usleep(50000);                            // it sleeps in msgsnd: the queue is full
  rcv("the message that filled the queue", 6, 64, 0, "6:0123456789abcdef");
  waitpid(pid, &status, 0);
  status_is("the blocked child's msgsnd once there was room", status, 0);
  rcv("the sender's message, sent once there was room", 0, 64, 0, "7:12345678");

  max = WORKS(msgctl(0, MSG_INFO, (struct msqid_ds*)&info));
  for(i = found = 0; i <= max; i++)
    if(msgctl(i, MSG_STAT, &ds) == mq)
      found++;
  SAME("slots MSG_STAT finds our queue in", found, 1);

  pipe(fds);
  fflush(stdout);
  pid = fork();
  if(pid == 0){
    write(fds[1], "!", 1);                  // about to sleep in msgrcv
    _exit(msgrcv(mq, &m, sizeof m.mtext, 99, 0) >= 0 ? 0 : errno);
  }
  read(fds[0], &c, 1);
  usleep(50000);                            // it sleeps in msgrcv
  WORKS(msgctl(mq, IPC_RMID, NULL));
  waitpid(pid, &status, 0);
  status_is("the child asleep in msgrcv when the queue was removed", status, EIDRM);
  FAILS(EINVAL, msgctl(mq, IPC_STAT, &ds));
  FAILS(EINVAL, snd(1, "x", 0));
}

// ---- full -------------------------------------------------------------------------------------

// Make objects with make() until it fails; it must fail with ENOSPC. Then
// remove them all with rm().
static void
fill(const char *what, int (*make)(void), void (*rm)(int))
{
  int cap = 40000, n = 0, id, err;
  int *ids = malloc(cap * sizeof(int));

  while(n < cap && (id = make()) >= 0)
    ids[n++] = id;
  err = errno;
  if(n < cap && err == ENOSPC)
    printf("ok   %s: ENOSPC once the table is full\n", what);
  else {
    printf("FAIL %s: %s after %d\n", what, n == cap ? "no error" : ename(err), n);
    failures++;
  }
  while(n > 0)
    rm(ids[--n]);
  free(ids);
}

static int mkshm(void) { return shmget(IPC_PRIVATE, 1, 0600); }
static int mksem(void) { return semget(IPC_PRIVATE, 1, 0600); }
static int mkmsg(void) { return msgget(IPC_PRIVATE, 0600); }
static void rmshm(int id) { shmctl(id, IPC_RMID, NULL); }
static void rmsem(int id) { semctl(id, 0, IPC_RMID); }
static void rmmsg(int id) { msgctl(id, IPC_RMID, NULL); }

static void
full(void)
{
  fill("shmget", mkshm, rmshm);
  fill("semget", mksem, rmsem);
  fill("msgget", mkmsg, rmmsg);
}

int
main(int argc, char *argv[])
{
  const char *what = argc > 1 ? argv[1] : "";

  setvbuf(stdout, NULL, _IONBF, 0);
  if(strcmp(what, "perm") == 0)
    perm();
  else if(strcmp(what, "shm") == 0)
    shm();
  else if(strcmp(what, "sem") == 0)
    sem();
  else if(strcmp(what, "msg") == 0)
    msg();
  else if(strcmp(what, "full") == 0)
    full();
  else {
    fprintf(stderr, "usage: ipctest perm|shm|sem|msg|full\n");
    return 2;
  }
  printf("%s: %s\n", what, failures ? "FAILED" : "all checks passed");
  return failures != 0;
}
