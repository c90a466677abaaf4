// prodcons [PRODUCERS] [ITEMS]: producers and a consumer over a System V
// message queue.
//
// Each producer sends ITEMS messages of its own type (producer k sends type
// k + 1) carrying the numbers 1..ITEMS, then a message of type 100 to say it is
// done. The queue is made small (msg_qbytes: room for 4 items), so producers
// keep blocking in msgsnd until the consumer makes room. The consumer takes
// whatever comes first (msgtyp 0) and checks that each producer's items arrive
// in the order they were sent; at the end it drains nothing but the "done"
// messages, by type.

#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#define DONE 100        // the type of a producer's last message

struct item {
  long mtype;
  int producer;
  int value;
};

#define ITEMSIZE (sizeof(struct item) - sizeof(long))

static void
producer(int q, int k, int items)
{
  struct item it;
  int i;

  for(i = 1; i <= items; i++){
    it.mtype = k + 1;
    it.producer = k;
    it.value = i;
    if(msgsnd(q, &it, ITEMSIZE, 0) < 0){
      perror("prodcons: msgsnd");
      exit(1);
    }
  }
  it.mtype = DONE;
  it.value = 0;
  msgsnd(q, &it, ITEMSIZE, 0);
  exit(0);
}

int
main(int argc, char *argv[])
{
  int producers = argc > 1 ? atoi(argv[1]) : 3;
  int items = argc > 2 ? atoi(argv[2]) : 10;
  int last[16] = {0}, got = 0, out_of_order = 0, i, q;
  long sum = 0;
  struct msqid_ds ds;
  struct item it;

  if(producers < 1 || producers > 16 || items < 1){
    fprintf(stderr, "usage: prodcons [PRODUCERS (1-16)] [ITEMS]\n");
    return 1;
  }
  q = msgget(IPC_PRIVATE, 0600);
  msgctl(q, IPC_STAT, &ds);
  ds.msg_qbytes = 4 * ITEMSIZE;
  msgctl(q, IPC_SET, &ds);
  for(i = 0; i < producers; i++)
    if(fork() == 0)
      producer(q, i, items);
  while(got < producers * items){
    if(msgrcv(q, &it, ITEMSIZE, -(DONE - 1), 0) < 0){     // any item, never a "done"
      perror("prodcons: msgrcv");
      return 1;
    }
    if(it.value != last[it.producer] + 1)
      out_of_order++;
    last[it.producer] = it.value;
    sum += it.value;
    got++;
  }
  for(i = 0; i < producers; i++)
    msgrcv(q, &it, ITEMSIZE, DONE, 0);
  for(i = 0; i < producers; i++)
    wait(NULL);
  msgctl(q, IPC_STAT, &ds);
  printf("prodcons: %d producers sent %d items; received %d, sum %ld, %s\n", producers,
         producers * items, got, sum, out_of_order ? "OUT OF ORDER" : "each producer's in order");
  printf("prodcons: the queue held %lu bytes at most; %lu messages are left in it\n",
         (unsigned long)ds.msg_qbytes, (unsigned long)ds.msg_qnum);
  msgctl(q, IPC_RMID, NULL);
  return out_of_order != 0;
}
