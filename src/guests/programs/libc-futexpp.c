/*
 * A futex ping-pong between two threads through a real C library (glibc or musl, static i386),
 * for thread-switch benchmarks:
 *
 *   futexpp [rounds]      (default 1000)
 *
 * The main thread (ping) and a second thread (pong) take turns on a shared int: ping sets it to 1
 * and wakes pong, pong sets it back to 0 and wakes ping; whoever finds the other's value waits
 * with FUTEX_WAIT on it. Both use the raw futex system call (FUTEX_WAIT_PRIVATE,
 * FUTEX_WAKE_PRIVATE), not the library's locks. A round is two hand-overs, so at least two thread
 * switches on one CPU.
 *
 * Around the measured loop (after pong has been created, before it is joined) the main thread
 * makes the l4trace marker system call 499 with 1 and with 2 (natively -1 with ENOSYS, ignored).
 * Prints `rounds R done` (R: the rounds both threads made); exit 0, or 1 if pong counted
 * differently.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MARKER 499
/* from <linux/futex.h>, which musl's include path does not have */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128

static int word; /* 0: ping's turn, 1: pong's turn */
static int rounds, pong_rounds;

static void futex_wait(int *addr, int val) { syscall(SYS_futex, addr, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0); }

static void futex_wake(int *addr) { syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0); }

static void wait_turn(int mine) {
  int v;
  /* FUTEX_WAIT sleeps only while the word still holds v (else EAGAIN); a wake-up may be early */
  while ((v = __atomic_load_n(&word, __ATOMIC_ACQUIRE)) != mine) futex_wait(&word, v);
}

static void hand_over(int to) {
  __atomic_store_n(&word, to, __ATOMIC_RELEASE);
  futex_wake(&word);
}

static void *pong(void *arg) {
  (void)arg;
  for (int i = 0; i < rounds; i++) {
    wait_turn(1);
    pong_rounds++;
    hand_over(0);
  }
  return NULL;
}

int main(int argc, char **argv) {
  rounds = argc > 1 ? atoi(argv[1]) : 1000;
  if (rounds < 0) rounds = 0;
  pthread_t t;
  int r = pthread_create(&t, NULL, pong, NULL);
  if (r != 0) {
    printf("pthread_create failed: %s\n", strerror(r));
    return 2;
  }
  syscall(MARKER, 1);
  for (int i = 0; i < rounds; i++) {
    hand_over(1);
    wait_turn(0);
  }
  syscall(MARKER, 2);
  pthread_join(t, NULL);
  if (pong_rounds != rounds) {
    printf("rounds %d, but pong made %d\n", rounds, pong_rounds);
    return 1;
  }
  printf("rounds %d done\n", rounds);
  return 0;
}
