// ipclayout: the sizes and offsets of the System V IPC structures, as this C
// library lays them out (tests/test_ipc_programs.py compares them with the
// kernel's struct formats and with i386 glibc's numbers).

#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define AT(type, field) printf(" %s@%zu", #field, offsetof(type, field))

int
main(void)
{
  printf("ipc_perm %zu", sizeof(struct ipc_perm));
  AT(struct ipc_perm, uid); AT(struct ipc_perm, cgid); AT(struct ipc_perm, mode);
  AT(struct ipc_perm, __seq);
  printf("\nshmid_ds %zu", sizeof(struct shmid_ds));
  AT(struct shmid_ds, shm_segsz); AT(struct shmid_ds, shm_atime); AT(struct shmid_ds, shm_dtime);
  AT(struct shmid_ds, shm_ctime); AT(struct shmid_ds, shm_cpid); AT(struct shmid_ds, shm_lpid);
  AT(struct shmid_ds, shm_nattch);
  printf("\nsemid_ds %zu", sizeof(struct semid_ds));
  AT(struct semid_ds, sem_otime); AT(struct semid_ds, sem_ctime); AT(struct semid_ds, sem_nsems);
  printf("\nmsqid_ds %zu", sizeof(struct msqid_ds));
  AT(struct msqid_ds, msg_stime); AT(struct msqid_ds, msg_rtime); AT(struct msqid_ds, msg_ctime);
  AT(struct msqid_ds, msg_cbytes); AT(struct msqid_ds, msg_qnum); AT(struct msqid_ds, msg_qbytes);
  AT(struct msqid_ds, msg_lspid); AT(struct msqid_ds, msg_lrpid);
  printf("\nsembuf %zu", sizeof(struct sembuf));
  AT(struct sembuf, sem_op); AT(struct sembuf, sem_flg);
  printf("\nshminfo %zu shm_info %zu seminfo %zu msginfo %zu\n", sizeof(struct shminfo),
         sizeof(struct shm_info), sizeof(struct seminfo), sizeof(struct msginfo));
  return 0;
}
