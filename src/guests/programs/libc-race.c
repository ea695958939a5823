/*
 * A deliberate data race through a real C library (glibc or musl, static i386):
 *
 *   race [threads [increments [window]]]      (default 2 200000 4)
 *
 * Each of `threads` threads adds 1 to a shared counter `increments` times without a lock: a
 * volatile load, a little work (`window` rounds of a loop on a volatile local), then a volatile
 * store of the loaded value plus one. A thread that is preempted (or runs on another CPU) between
 * its load and its store overwrites the increments the others made meanwhile, so the final count
 * is usually less than threads x increments. The main thread prints
 *
 *   final count <threads*increments> expected, got <counter>
 *
 * and exits 0 if they are equal, 1 if not. The output varies from run to run: src/guests/build.mjs
 * records one native run but marks the guest racy, and nothing compares it. The threads start
 * together at a barrier, so they overlap even when creating a thread is slow.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int counter;
static int increments, window;
static pthread_barrier_t start;

static void *racer(void *arg) {
  (void)arg;
  pthread_barrier_wait(&start);
  for (int i = 0; i < increments; i++) {
    int v = counter; /* the load ... */
    for (volatile int k = 0; k < window; k++) {
    }
    counter = v + 1; /* ... and the store, instructions apart */
  }
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  increments = argc > 2 ? atoi(argv[2]) : 200000;
  window = argc > 3 ? atoi(argv[3]) : 4;
  if (threads < 1 || threads > 64 || increments < 0 || window < 0) {
    printf("usage: %s [threads (1-64) [increments [window]]]\n", argv[0]);
    return 2;
  }
  pthread_barrier_init(&start, NULL, (unsigned)threads);
  pthread_t t[64];
  for (int i = 0; i < threads; i++) {
    int r = pthread_create(&t[i], NULL, racer, NULL);
    if (r != 0) {
      printf("pthread_create failed: %s\n", strerror(r));
      return 2;
    }
  }
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  long long expected = (long long)threads * increments;
  printf("final count %lld expected, got %d\n", expected, counter);
  return counter == expected ? 0 : 1;
}
