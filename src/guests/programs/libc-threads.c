/*
 * POSIX threads through a real C library (glibc or musl, static i386): pthread_create/join/exit
 * with return values, mutexes (normal, error-checking, recursive, trylock, timedlock), condition
 * variables (a bounded queue, timed waits on CLOCK_REALTIME and CLOCK_MONOTONIC), thread-local
 * storage (__thread with initialisers, pthread keys with destructors), detached threads,
 * semaphores, pthread_once, barriers, read-write locks, thread ids, fork and exec from a thread
 * (and exec from a non-main thread of a multi-threaded child), signals and threads (pthread_kill,
 * raise, a process-directed signal delivered to the one thread that has it unblocked, sigwait),
 * and a process that ends by returning from main while detached threads are still blocked.
 *
 * Output is deterministic whatever the scheduler does: only the main thread prints, and only what
 * the threads it joined (or waited for through a semaphore) recorded; no thread ids, pids,
 * addresses or times are printed, only comparisons. stdout is flushed before every fork, and a
 * forked child prints while the forking thread waits for it and the main thread waits in
 * pthread_join. Built as glibc-threads and musl-threads (src/guests/build.mjs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }

static const char *yesno(int c) { return c ? "yes" : "no"; }

/* A pthread call that must succeed; it returns the error number instead of setting errno. */
static void must(int r, const char *what) {
  if (r != 0) {
    printf("%s failed: %s\n", what, strerror(r));
    fflush(stdout);
    _exit(2);
  }
}

static pthread_t spawn(void *(*fn)(void *), void *arg) {
  pthread_t t;
  must(pthread_create(&t, NULL, fn, arg), "pthread_create");
  return t;
}

static void *join(pthread_t t) {
  void *r;
  must(pthread_join(t, &r), "pthread_join");
  return r;
}

static void show_status(const char *what, int status) {
  if (WIFEXITED(status)) printf("%s: exited with %d\n", what, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) printf("%s: killed by signal %d\n", what, WTERMSIG(status));
  else printf("%s: status %#x\n", what, (unsigned)status);
}

static void add_ms(struct timespec *ts, long ms) {
  ts->tv_nsec += (ms % 1000) * 1000000L;
  ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
  ts->tv_nsec %= 1000000000L;
}

static struct timespec deadline(clockid_t clock, long ms) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  add_ms(&ts, ms);
  return ts;
}

/* ---- the branch selected by argv[1] after an exec ---- */

static int exec_branch(int argc, char **argv) {
  printf("exec branch: argc %d", argc);
  for (int i = 2; i < argc; i++)
    if (strncmp(argv[i], "pid=", 4) != 0) printf(", argv[%d] \"%s\"", i, argv[i]);
  printf("\n");
  for (int i = 2; i < argc; i++)
    if (strncmp(argv[i], "pid=", 4) == 0)
      printf("exec branch: the exec'd image has the thread group's pid: %s\n", yesno(atol(argv[i] + 4) == (long)getpid()));
  printf("exec branch: getpid == gettid: %s\n", yesno(getpid() == tid()));
  return 3;
}

/* ---- create, join, return values ---- */

static void *square(void *arg) {
  intptr_t n = (intptr_t)arg;
  return (void *)(n * n);
}

static __attribute__((noinline)) void leave_early(intptr_t n) {
  pthread_exit((void *)(n + 1000));
}

static void *exits_early(void *arg) {
  leave_early((intptr_t)arg);
  return NULL; /* not reached */
}

struct range {
  long long from, to, sum;
};

static void *sum_range(void *arg) {
  struct range *r = arg;
  long long s = 0;
  for (long long i = r->from; i < r->to; i++) s += i;
  r->sum = s;
  return r;
}

static void *big_frame(void *arg) {
  volatile char buf[96 * 1024];
  for (size_t i = 0; i < sizeof buf; i += 512) buf[i] = (char)i;
  unsigned sum = 0;
  for (size_t i = 0; i < sizeof buf; i += 512) sum += (unsigned char)buf[i];
  return (void *)(uintptr_t)(sum + (uintptr_t)arg);
}

static void section_create(void) {
  puts("== create and join");
  pthread_t t[8];
  for (intptr_t i = 0; i < 8; i++) t[i] = spawn(square, (void *)i);
  printf("squares returned:");
  for (int i = 0; i < 8; i++) printf(" %d", (int)(intptr_t)join(t[i]));
  printf("\n");

  pthread_t e = spawn(exits_early, (void *)7);
  printf("pthread_exit from a nested call returned %d\n", (int)(intptr_t)join(e));

  enum { N = 8, PER = 25000 };
  struct range r[N];
  for (int i = 0; i < N; i++) {
    r[i].from = (long long)i * PER;
    r[i].to = (long long)(i + 1) * PER;
    r[i].sum = -1;
    t[i] = spawn(sum_range, &r[i]);
  }
  long long total = 0;
  int own = 1;
  for (int i = 0; i < N; i++) {
    own &= join(t[i]) == &r[i];
    total += r[i].sum;
  }
  printf("%d threads summed 0..%d: %lld (expected %lld), each returned its argument: %s\n", N, N * PER - 1, total,
         (long long)N * PER * (N * PER - 1) / 2, yesno(own));
  printf("partial sums: %lld %lld ... %lld\n", r[0].sum, r[1].sum, r[N - 1].sum);

  pthread_attr_t a;
  must(pthread_attr_init(&a), "pthread_attr_init");
  int state = -1;
  pthread_attr_getdetachstate(&a, &state);
  printf("default detach state joinable: %s\n", yesno(state == PTHREAD_CREATE_JOINABLE));
  must(pthread_attr_setstacksize(&a, 256 * 1024), "pthread_attr_setstacksize");
  size_t size = 0;
  pthread_attr_getstacksize(&a, &size);
  printf("stack size attribute: %zu KiB\n", size / 1024);
  pthread_t b;
  must(pthread_create(&b, &a, big_frame, (void *)1), "pthread_create with a stack size");
  pthread_attr_destroy(&a);
  printf("a 96 KiB frame on a 256 KiB stack: %u\n", (unsigned)(uintptr_t)join(b));

  printf("pthread_equal(self, self): %s\n", yesno(pthread_equal(pthread_self(), pthread_self())));
}

/* ---- mutexes ---- */

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg) {
  int n = (int)(intptr_t)arg;
  for (int i = 0; i < n; i++) {
    pthread_mutex_lock(&counter_lock);
    counter++;
    pthread_mutex_unlock(&counter_lock);
  }
  return NULL;
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t errcheck, recursive;

static void *try_held(void *arg) {
  (void)arg;
  int r = pthread_mutex_trylock(&held);
  if (r == 0) pthread_mutex_unlock(&held);
  return (void *)(intptr_t)r;
}

static void *timedlock_held(void *arg) {
  (void)arg;
  struct timespec ts = deadline(CLOCK_REALTIME, 30);
  return (void *)(intptr_t)pthread_mutex_timedlock(&held, &ts);
}

static void *unlock_foreign(void *arg) {
  return (void *)(intptr_t)pthread_mutex_unlock((pthread_mutex_t *)arg);
}

static void *try_recursive(void *arg) {
  (void)arg;
  int r = pthread_mutex_trylock(&recursive);
  if (r == 0) pthread_mutex_unlock(&recursive);
  return (void *)(intptr_t)r;
}

static const char *errname(int e) {
  switch (e) {
  case 0: return "0";
  case EBUSY: return "EBUSY";
  case EDEADLK: return "EDEADLK";
  case EPERM: return "EPERM";
  case ETIMEDOUT: return "ETIMEDOUT";
  case EAGAIN: return "EAGAIN";
  case EINVAL: return "EINVAL";
  case ESRCH: return "ESRCH";
  default: return "another error";
  }
}

static void section_mutex(void) {
  puts("== mutexes");
  enum { T = 4, PER = 20000 };
  pthread_t t[T];
  for (int i = 0; i < T; i++) t[i] = spawn(count_up, (void *)(intptr_t)PER);
  for (int i = 0; i < T; i++) join(t[i]);
  printf("%d threads x %d locked increments: %ld (expected %d)\n", T, PER, counter, T * PER);

  /* trylock and timedlock on a mutex another thread holds */
  must(pthread_mutex_lock(&held), "lock");
  printf("trylock of a mutex the main thread holds, from another thread: %s\n", errname((int)(intptr_t)join(spawn(try_held, NULL))));
  printf("timedlock of it, 30 ms: %s\n", errname((int)(intptr_t)join(spawn(timedlock_held, NULL))));
  printf("trylock of it by its holder (a normal mutex): %s\n", errname(pthread_mutex_trylock(&held)));
  pthread_mutex_unlock(&held);
  int r = (int)(intptr_t)join(spawn(try_held, NULL));
  printf("trylock after the unlock: %s\n", errname(r));

  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&errcheck, &a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&recursive, &a);
  pthread_mutexattr_destroy(&a);

  pthread_mutex_lock(&errcheck);
  printf("error-checking mutex locked twice: %s\n", errname(pthread_mutex_lock(&errcheck)));
  printf("error-checking mutex unlocked by another thread: %s\n",
         errname((int)(intptr_t)join(spawn(unlock_foreign, &errcheck))));
  r = pthread_mutex_unlock(&errcheck);
  printf("unlocked by its owner: %s, ", errname(r));
  printf("unlocked again: %s\n", errname(pthread_mutex_unlock(&errcheck)));

  int depth = 0;
  for (int i = 0; i < 3; i++) depth += pthread_mutex_lock(&recursive) == 0;
  printf("recursive mutex locked %d times; trylock from another thread: %s\n", depth,
         errname((int)(intptr_t)join(spawn(try_recursive, NULL))));
  for (int i = 0; i < 3; i++) pthread_mutex_unlock(&recursive);
  r = (int)(intptr_t)join(spawn(try_recursive, NULL));
  printf("after 3 unlocks, trylock from another thread: %s\n", errname(r));
  pthread_mutex_destroy(&errcheck);
  pthread_mutex_destroy(&recursive);
}

/* ---- condition variables ---- */

enum { QCAP = 4, PRODUCERS = 2, CONSUMERS = 3, ITEMS = 500 };
static struct {
  pthread_mutex_t lock;
  pthread_cond_t not_empty, not_full;
  int buf[QCAP];
  int head, len, closed;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0};
static unsigned char seen[PRODUCERS * ITEMS];

struct consumed {
  long count, sum;
  int in_order; /* the items of each producer arrive in the order it put them */
};

static void *producer(void *arg) {
  int p = (int)(intptr_t)arg;
  for (int i = 0; i < ITEMS; i++) {
    pthread_mutex_lock(&q.lock);
    while (q.len == QCAP) pthread_cond_wait(&q.not_full, &q.lock);
    q.buf[(q.head + q.len) % QCAP] = p * ITEMS + i;
    q.len++;
    pthread_cond_signal(&q.not_empty);
    pthread_mutex_unlock(&q.lock);
  }
  return NULL;
}

static void *consumer(void *arg) {
  struct consumed *c = arg;
  int last[PRODUCERS];
  for (int p = 0; p < PRODUCERS; p++) last[p] = -1;
  c->in_order = 1;
  for (;;) {
    pthread_mutex_lock(&q.lock);
    while (q.len == 0 && !q.closed) pthread_cond_wait(&q.not_empty, &q.lock);
    if (q.len == 0) {
      pthread_mutex_unlock(&q.lock);
      return c;
    }
    int v = q.buf[q.head];
    q.head = (q.head + 1) % QCAP;
    q.len--;
    seen[v]++;
    /* under the lock: items leave the queue in the order they entered it */
    if (v % ITEMS <= last[v / ITEMS]) c->in_order = 0;
    last[v / ITEMS] = v % ITEMS;
    pthread_cond_signal(&q.not_full);
    pthread_mutex_unlock(&q.lock);
    c->count++;
    c->sum += v;
  }
}

static pthread_mutex_t flag_lock = PTHREAD_MUTEX_INITIALIZER;
static int flag;

static void *set_flag(void *arg) {
  pthread_mutex_lock(&flag_lock);
  flag = 1;
  pthread_cond_signal((pthread_cond_t *)arg);
  pthread_mutex_unlock(&flag_lock);
  return NULL;
}

static void section_cond(void) {
  puts("== condition variables");
  pthread_t p[PRODUCERS], c[CONSUMERS];
  struct consumed got[CONSUMERS];
  memset(got, 0, sizeof got);
  for (int i = 0; i < CONSUMERS; i++) c[i] = spawn(consumer, &got[i]);
  for (int i = 0; i < PRODUCERS; i++) p[i] = spawn(producer, (void *)(intptr_t)i);
  for (int i = 0; i < PRODUCERS; i++) join(p[i]);
  pthread_mutex_lock(&q.lock);
  q.closed = 1;
  pthread_cond_broadcast(&q.not_empty);
  pthread_mutex_unlock(&q.lock);
  long count = 0, sum = 0;
  int in_order = 1;
  for (int i = 0; i < CONSUMERS; i++) {
    join(c[i]);
    count += got[i].count;
    sum += got[i].sum;
    in_order &= got[i].in_order;
  }
  int once = 1;
  for (int i = 0; i < PRODUCERS * ITEMS; i++) once &= seen[i] == 1;
  printf("bounded queue of %d, %d producers x %d items, %d consumers: %ld items, sum %ld\n", QCAP, PRODUCERS, ITEMS,
         CONSUMERS, count, sum);
  printf("every item taken exactly once: %s, in order per producer: %s, queue empty at the end: %s\n", yesno(once),
         yesno(in_order), yesno(q.len == 0));

  /* timed waits that nobody signals */
  pthread_cond_t cr = PTHREAD_COND_INITIALIZER;
  pthread_mutex_lock(&flag_lock);
  struct timespec ts = deadline(CLOCK_REALTIME, 50);
  int r;
  do r = pthread_cond_timedwait(&cr, &flag_lock, &ts);
  while (r == 0);
  printf("pthread_cond_timedwait, CLOCK_REALTIME, 50 ms: timed out: %s\n", yesno(r == ETIMEDOUT));
  pthread_mutex_unlock(&flag_lock);

  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  must(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), "pthread_condattr_setclock");
  clockid_t clock = CLOCK_REALTIME;
  pthread_condattr_getclock(&ca, &clock);
  printf("condattr clock is CLOCK_MONOTONIC: %s\n", yesno(clock == CLOCK_MONOTONIC));
  pthread_cond_t cm;
  pthread_cond_init(&cm, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_lock(&flag_lock);
  ts = deadline(CLOCK_MONOTONIC, 50);
  do r = pthread_cond_timedwait(&cm, &flag_lock, &ts);
  while (r == 0);
  printf("pthread_cond_timedwait, CLOCK_MONOTONIC, 50 ms: timed out: %s\n", yesno(r == ETIMEDOUT));

  /* a timed wait that is signalled long before its deadline */
  flag = 0;
  pthread_t s = spawn(set_flag, &cm);
  ts = deadline(CLOCK_MONOTONIC, 60000);
  r = 0;
  while (!flag && r == 0) r = pthread_cond_timedwait(&cm, &flag_lock, &ts);
  pthread_mutex_unlock(&flag_lock);
  join(s);
  printf("signalled before a 60 s deadline: %s\n", yesno(flag && r == 0));
  pthread_cond_destroy(&cm);
}

/* ---- thread-local storage ---- */

static __thread int tls_int = 42;
static __thread char tls_str[16] = "initial";
static __thread long long tls_big = 0x123456789abcLL;
static __thread int tls_zero; /* .tbss */

enum { TLS_THREADS = 4 };
static pthread_barrier_t tls_barrier;
static void *tls_addr[TLS_THREADS + 1];

struct tls_report {
  int index;
  int initial_ok; /* saw the initialisers, not main's values */
  int kept;       /* its own values survived the others writing theirs */
};

static void *tls_worker(void *arg) {
  struct tls_report *r = arg;
  r->initial_ok = tls_int == 42 && strcmp(tls_str, "initial") == 0 && tls_big == 0x123456789abcLL && tls_zero == 0;
  tls_int = 100 + r->index;
  snprintf(tls_str, sizeof tls_str, "thread %d", r->index);
  tls_big = r->index * 1000000007LL;
  tls_zero = r->index + 1;
  tls_addr[r->index] = &tls_int;
  pthread_barrier_wait(&tls_barrier); /* every thread has written its copy */
  char want[16];
  snprintf(want, sizeof want, "thread %d", r->index);
  r->kept = tls_int == 100 + r->index && strcmp(tls_str, want) == 0 && tls_big == r->index * 1000000007LL &&
            tls_zero == r->index + 1;
  return r;
}

static pthread_key_t key, again_key;
static int destructor_calls, destructor_sum, again_calls;

static void destroy(void *v) {
  __atomic_fetch_add(&destructor_calls, 1, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(&destructor_sum, *(int *)v, __ATOMIC_SEQ_CST);
  free(v);
}

static int again_token;

/* sets its value again twice: runs three times (both libraries allow 4 rounds) */
static void destroy_again(void *v) {
  (void)v;
  if (__atomic_add_fetch(&again_calls, 1, __ATOMIC_SEQ_CST) < 3) pthread_setspecific(again_key, &again_token);
}

static void *key_worker(void *arg) {
  int i = (int)(intptr_t)arg;
  int fresh = pthread_getspecific(key) == NULL;
  if (i < 3) {
    int *v = malloc(sizeof *v);
    *v = 10 * (i + 1);
    pthread_setspecific(key, v);
  } /* thread 3 leaves its value NULL: no destructor call */
  if (i == 0) pthread_setspecific(again_key, &again_token);
  return (void *)(intptr_t)(fresh && (i >= 3 || *(int *)pthread_getspecific(key) == 10 * (i + 1)));
}

static void section_tls(void) {
  puts("== thread-local storage");
  tls_int = 7;
  strcpy(tls_str, "main");
  tls_big = -1;
  tls_zero = -5;
  tls_addr[TLS_THREADS] = &tls_int;
  must(pthread_barrier_init(&tls_barrier, NULL, TLS_THREADS), "pthread_barrier_init");
  pthread_t t[TLS_THREADS];
  struct tls_report r[TLS_THREADS];
  for (int i = 0; i < TLS_THREADS; i++) {
    r[i].index = i;
    t[i] = spawn(tls_worker, &r[i]);
  }
  int initial = 1, kept = 1;
  for (int i = 0; i < TLS_THREADS; i++) {
    join(t[i]);
    initial &= r[i].initial_ok;
    kept &= r[i].kept;
  }
  pthread_barrier_destroy(&tls_barrier);
  int distinct = 1;
  for (int i = 0; i <= TLS_THREADS; i++)
    for (int j = 0; j < i; j++) distinct &= tls_addr[i] != tls_addr[j];
  printf("__thread variables start with their initialisers in every new thread: %s\n", yesno(initial));
  printf("each thread keeps its own copy while the others write theirs: %s\n", yesno(kept));
  printf("each copy at its own address: %s\n", yesno(distinct));
  printf("main's copies unchanged: tls_int %d, tls_str \"%s\", tls_big %lld, tls_zero %d\n", tls_int, tls_str, tls_big,
         tls_zero);

  must(pthread_key_create(&key, destroy), "pthread_key_create");
  must(pthread_key_create(&again_key, destroy_again), "pthread_key_create");
  int *mine = malloc(sizeof *mine);
  *mine = 1;
  pthread_setspecific(key, mine);
  int fresh = 1;
  for (int i = 0; i < 4; i++) t[i] = spawn(key_worker, (void *)(intptr_t)i);
  for (int i = 0; i < 4; i++) fresh &= (int)(intptr_t)join(t[i]);
  printf("pthread_getspecific in a new thread is NULL, then its own value: %s\n", yesno(fresh));
  printf("destructor calls after 4 threads exited (one with a NULL value): %d, values %d\n", destructor_calls,
         destructor_sum);
  printf("a destructor that sets its value again ran %d times\n", again_calls);
  printf("main's value is still there: %s\n", yesno(pthread_getspecific(key) == mine && *mine == 1));
  pthread_setspecific(key, NULL);
  free(mine);
  printf("pthread_key_delete: %d\n", pthread_key_delete(key));
  pthread_key_delete(again_key);
}

/* ---- detached threads, semaphores, once ---- */

static sem_t done;
static int detached_results[2];

static void *detached_worker(void *arg) {
  int i = (int)(intptr_t)arg;
  int s = 0;
  for (int k = 1; k <= 100; k++) s += k * (i + 1);
  detached_results[i] = s;
  sem_post(&done);
  return NULL;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_calls;
static pthread_barrier_t once_barrier;

static void init_once(void) { once_calls++; }

static void *call_once(void *arg) {
  (void)arg;
  pthread_barrier_wait(&once_barrier);
  pthread_once(&once, init_once);
  return (void *)(intptr_t)once_calls; /* the once call has completed for every caller */
}

static void section_detach(void) {
  puts("== detached threads, semaphores, once");
  must(sem_init(&done, 0, 0), "sem_init");
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  must(pthread_create(&t, &a, detached_worker, (void *)0), "pthread_create detached");
  pthread_attr_destroy(&a);
  t = spawn(detached_worker, (void *)1);
  printf("pthread_detach: %d\n", pthread_detach(t));
  sem_wait(&done);
  sem_wait(&done);
  printf("two detached threads posted the semaphore: results %d %d\n", detached_results[0], detached_results[1]);
  int v = -1;
  sem_getvalue(&done, &v);
  printf("semaphore value after two posts and two waits: %d\n", v);
  sem_destroy(&done);

  sem_t s;
  sem_init(&s, 0, 3);
  int ok = 0;
  for (int i = 0; i < 3; i++) ok += sem_trywait(&s) == 0;
  errno = 0;
  int r = sem_trywait(&s);
  printf("a semaphore of 3: %d trywaits succeed, the 4th returns %d with errno %s\n", ok, r, errname(errno));
  struct timespec ts = deadline(CLOCK_REALTIME, 30);
  errno = 0;
  r = sem_timedwait(&s, &ts);
  printf("sem_timedwait of 30 ms: %d, errno %s\n", r, errname(errno));
  sem_destroy(&s);

  enum { ONCE_THREADS = 4 };
  pthread_barrier_init(&once_barrier, NULL, ONCE_THREADS);
  pthread_t o[ONCE_THREADS];
  for (int i = 0; i < ONCE_THREADS; i++) o[i] = spawn(call_once, NULL);
  int saw = 1;
  for (int i = 0; i < ONCE_THREADS; i++) saw &= (int)(intptr_t)join(o[i]) == 1;
  pthread_barrier_destroy(&once_barrier);
  pthread_once(&once, init_once);
  printf("pthread_once from %d threads at once and from main: the function ran %d time(s), every caller saw it done: %s\n",
         ONCE_THREADS, once_calls, yesno(saw));
}

/* ---- barriers ---- */

enum { BARRIER_THREADS = 4, ROUNDS = 3 };
static pthread_barrier_t barrier;
static int slots[ROUNDS][BARRIER_THREADS];
static int serial_count[ROUNDS];

static void *barrier_worker(void *arg) {
  int i = (int)(intptr_t)arg;
  int all_seen = 1;
  for (int round = 0; round < ROUNDS; round++) {
    slots[round][i] = (round + 1) * 10 + i;
    int r = pthread_barrier_wait(&barrier);
    if (r == PTHREAD_BARRIER_SERIAL_THREAD) __atomic_fetch_add(&serial_count[round], 1, __ATOMIC_SEQ_CST);
    else if (r != 0) all_seen = 0;
    for (int j = 0; j < BARRIER_THREADS; j++) all_seen &= slots[round][j] == (round + 1) * 10 + j;
  }
  return (void *)(intptr_t)all_seen;
}

static void section_barrier(void) {
  puts("== barriers");
  must(pthread_barrier_init(&barrier, NULL, BARRIER_THREADS), "pthread_barrier_init");
  pthread_t t[BARRIER_THREADS];
  for (int i = 0; i < BARRIER_THREADS; i++) t[i] = spawn(barrier_worker, (void *)(intptr_t)i);
  int all = 1;
  for (int i = 0; i < BARRIER_THREADS; i++) all &= (int)(intptr_t)join(t[i]);
  printf("%d threads, %d rounds: each saw every slot of the round after the barrier: %s\n", BARRIER_THREADS, ROUNDS, yesno(all));
  printf("PTHREAD_BARRIER_SERIAL_THREAD returned per round: %d %d %d\n", serial_count[0], serial_count[1], serial_count[2]);
  pthread_barrier_destroy(&barrier);
}

/* ---- read-write locks ---- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t readers_in, readers_out;
static long rw_a, rw_b;

static void *holding_reader(void *arg) {
  (void)arg;
  int r = pthread_rwlock_rdlock(&rw);
  pthread_barrier_wait(&readers_in); /* all readers hold the lock at once */
  pthread_barrier_wait(&readers_out);
  pthread_rwlock_unlock(&rw);
  return (void *)(intptr_t)r;
}

static void *rw_writer(void *arg) {
  int n = (int)(intptr_t)arg;
  for (int i = 0; i < n; i++) {
    pthread_rwlock_wrlock(&rw);
    rw_a++;
    rw_b++;
    pthread_rwlock_unlock(&rw);
  }
  return NULL;
}

/* a fixed number of checks: readers that never stop could starve the writers */
static void *rw_checker(void *arg) {
  int n = (int)(intptr_t)arg;
  long torn = 0;
  for (int i = 0; i < n; i++) {
    pthread_rwlock_rdlock(&rw);
    if (rw_a != rw_b) torn++;
    pthread_rwlock_unlock(&rw);
  }
  return (void *)torn;
}

static void section_rwlock(void) {
  puts("== read-write locks");
  enum { READERS = 3 };
  pthread_barrier_init(&readers_in, NULL, READERS + 1);
  pthread_barrier_init(&readers_out, NULL, READERS + 1);
  pthread_t t[READERS];
  for (int i = 0; i < READERS; i++) t[i] = spawn(holding_reader, NULL);
  pthread_barrier_wait(&readers_in);
  printf("%d readers hold the lock at the same time\n", READERS);
  printf("trywrlock while they hold it: %s\n", errname(pthread_rwlock_trywrlock(&rw)));
  int r = pthread_rwlock_tryrdlock(&rw);
  printf("tryrdlock while they hold it: %s\n", errname(r));
  if (r == 0) pthread_rwlock_unlock(&rw);
  pthread_barrier_wait(&readers_out);
  int ok = 1;
  for (int i = 0; i < READERS; i++) ok &= (int)(intptr_t)join(t[i]) == 0;
  printf("every rdlock returned 0: %s\n", yesno(ok));
  pthread_barrier_destroy(&readers_in);
  pthread_barrier_destroy(&readers_out);
  r = pthread_rwlock_trywrlock(&rw);
  printf("trywrlock after they left: %s\n", errname(r));
  printf("tryrdlock while main holds it for writing: %s\n", errname(pthread_rwlock_tryrdlock(&rw)));
  if (r == 0) pthread_rwlock_unlock(&rw);

  enum { WRITERS = 3, PER = 5000, CHECKERS = 2, CHECKS = 5000 };
  pthread_t w[WRITERS], c[CHECKERS];
  for (int i = 0; i < CHECKERS; i++) c[i] = spawn(rw_checker, (void *)(intptr_t)CHECKS);
  for (int i = 0; i < WRITERS; i++) w[i] = spawn(rw_writer, (void *)(intptr_t)PER);
  for (int i = 0; i < WRITERS; i++) join(w[i]);
  long torn = 0;
  for (int i = 0; i < CHECKERS; i++) torn += (long)join(c[i]);
  printf("%d writers x %d: a %ld, b %ld; %d readers x %d checks saw a != b %ld times\n", WRITERS, PER, rw_a, rw_b, CHECKERS,
         CHECKS, torn);
}

/* ---- thread ids ---- */

static pid_t main_pid, main_tid, main_ppid;
static pthread_t main_thread;

struct ids {
  pid_t tid;
  int same_pid, tid_differs, same_ppid, self_is_main;
};

static void *report_ids(void *arg) {
  struct ids *r = arg;
  r->tid = tid();
  r->same_pid = getpid() == main_pid;
  r->tid_differs = r->tid != getpid() && r->tid != main_tid;
  r->same_ppid = getppid() == main_ppid;
  r->self_is_main = pthread_equal(pthread_self(), main_thread);
  return NULL;
}

static void section_ids(void) {
  puts("== thread ids");
  main_pid = getpid();
  main_tid = tid();
  main_thread = pthread_self();
  main_ppid = getppid();
  printf("main thread: gettid == getpid: %s\n", yesno(main_tid == main_pid));
  struct ids r[3];
  pthread_t t[3];
  for (int i = 0; i < 3; i++) t[i] = spawn(report_ids, &r[i]);
  for (int i = 0; i < 3; i++) join(t[i]);
  for (int i = 0; i < 3; i++)
    printf("thread %d: getpid equals main's: %s, getppid equals main's: %s, gettid differs from getpid: %s, pthread_self is main: %s\n",
           i, yesno(r[i].same_pid), yesno(r[i].same_ppid), yesno(r[i].tid_differs), yesno(r[i].self_is_main));
  printf("the three threads' ids differ: %s\n", yesno(r[0].tid != r[1].tid && r[1].tid != r[2].tid && r[0].tid != r[2].tid));
  printf("pthread_self in main is main: %s\n", yesno(pthread_equal(pthread_self(), main_thread)));
}

/* ---- fork and exec from threads ---- */

static void *child_thread(void *arg) {
  (void)arg;
  return (void *)(intptr_t)(getpid() != tid());
}

static void *fork_in_thread(void *arg) {
  (void)arg;
  pid_t forker = tid();
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    printf("child of a thread: getpid == gettid (a single thread): %s, getpid differs from the thread's id: %s\n",
           yesno(getpid() == tid()), yesno(getpid() != forker && getpid() != main_pid));
    printf("child of a thread: getppid is the process: %s\n", yesno(getppid() == main_pid));
    pthread_t t;
    void *r = NULL;
    int ok = pthread_create(&t, NULL, child_thread, NULL) == 0 && pthread_join(t, &r) == 0;
    printf("child of a thread: it creates and joins a thread of its own: %s\n", yesno(ok && r == (void *)1));
    exit(5);
  }
  int status = -1;
  pid_t w = waitpid(pid, &status, 0);
  return (void *)(intptr_t)(w == pid ? status : -1);
}

static char *const no_env[] = {NULL};

static void *fork_exec_in_thread(void *arg) {
  (void)arg;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char *args[] = {"threads-exec", "exec-branch", "forked by a thread", NULL};
    execve("/proc/self/exe", args, no_env);
    printf("execve failed: errno %d\n", errno);
    exit(1);
  }
  int status = -1;
  pid_t w = waitpid(pid, &status, 0);
  return (void *)(intptr_t)(w == pid ? status : -1);
}

/* in a forked child: a second thread execs while the first waits in pthread_join */
static void *exec_from_thread(void *arg) {
  char pid_arg[32];
  snprintf(pid_arg, sizeof pid_arg, "pid=%ld", (long)(intptr_t)arg);
  char *args[] = {"threads-exec", "exec-branch", "exec'd by a non-main thread", pid_arg, NULL};
  execve("/proc/self/exe", args, no_env);
  printf("execve failed: errno %d\n", errno);
  exit(1);
}

static void section_fork(void) {
  puts("== fork and exec from threads");
  int status = (int)(intptr_t)join(spawn(fork_in_thread, NULL));
  show_status("the child a thread forked", status);
  status = (int)(intptr_t)join(spawn(fork_exec_in_thread, NULL));
  show_status("the child a thread forked, which exec'd", status);

  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    pthread_t t = spawn(exec_from_thread, (void *)(intptr_t)getpid());
    join(t); /* never returns: the exec ends this thread */
    printf("pthread_join returned in the exec'ing process\n");
    exit(1);
  }
  int st = -1;
  pid_t w = waitpid(pid, &st, 0);
  printf("waitpid of the process whose second thread exec'd returned its pid: %s\n", yesno(w == pid));
  show_status("the process whose second thread exec'd", st);
}

/* ---- signals and threads ---- */

static volatile sig_atomic_t usr1_flag, usr2_flag, usr2_count;
static volatile pid_t usr1_tid, usr2_tid;
static volatile int usr1_self_ok;
static pthread_t usr1_target;
static sem_t ready;

static void on_usr1(int sig) {
  (void)sig;
  usr1_tid = tid();
  usr1_self_ok = pthread_equal(pthread_self(), usr1_target);
  usr1_flag = 1;
}

static void on_usr2(int sig) {
  (void)sig;
  usr2_tid = tid();
  usr2_count++;
  usr2_flag = 1;
}

/* SIGUSR1 blocked (inherited from main); unblocked only inside sigsuspend */
static void *usr1_waiter(void *arg) {
  (void)arg;
  pid_t me = tid();
  sigset_t wait_mask;
  pthread_sigmask(SIG_BLOCK, NULL, &wait_mask);
  int inherited = sigismember(&wait_mask, SIGUSR1) == 1;
  sigdelset(&wait_mask, SIGUSR1);
  sem_post(&ready);
  while (!usr1_flag) sigsuspend(&wait_mask);
  return (void *)(intptr_t)(inherited && usr1_tid == me ? 1 : 0);
}

static void *raiser(void *arg) {
  (void)arg;
  usr1_target = pthread_self();
  usr1_flag = 0;
  raise(SIGUSR1); /* tgkill to this thread: the handler runs before raise returns */
  return (void *)(intptr_t)(usr1_flag && usr1_tid == tid() && usr1_self_ok);
}

static void *usr2_waiter(void *arg) {
  (void)arg;
  pid_t me = tid();
  sigset_t wait_mask;
  pthread_sigmask(SIG_BLOCK, NULL, &wait_mask);
  sigdelset(&wait_mask, SIGUSR2);
  sem_post(&ready);
  while (!usr2_flag) sigsuspend(&wait_mask);
  return (void *)(intptr_t)(usr2_tid == me);
}

static sem_t release;

static void *blocked_bystander(void *arg) {
  (void)arg;
  sem_post(&ready);
  while (sem_wait(&release) != 0) {
  }
  return NULL;
}

static void *usr2_sigwaiter(void *arg) {
  (void)arg;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  int sig = 0;
  sem_post(&ready);
  int r = sigwait(&set, &sig);
  return (void *)(intptr_t)(r == 0 ? sig : -1);
}

static void section_signals(void) {
  puts("== signals and threads");
  sem_init(&ready, 0, 0);
  sem_init(&release, 0, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL);

  sigset_t usr1, usr2, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);

  /* pthread_kill: the handler runs in the target thread */
  pthread_sigmask(SIG_BLOCK, &usr1, &old);
  pthread_t t = spawn(usr1_waiter, NULL);
  usr1_target = t;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  sem_wait(&ready);
  printf("pthread_kill(thread, 0) of a live thread: %s\n", errname(pthread_kill(t, 0)));
  printf("pthread_kill(thread, SIGUSR1): %s\n", errname(pthread_kill(t, SIGUSR1)));
  int ok = (int)(intptr_t)join(t);
  printf("the new thread inherited the blocked SIGUSR1 and the handler ran in it (gettid): %s\n", yesno(ok));
  printf("the handler's pthread_self is the target: %s\n", yesno(usr1_self_ok));

  printf("raise in a thread runs the handler in that thread: %s\n", yesno((int)(intptr_t)join(spawn(raiser, NULL))));

  /* a process-directed signal: blocked in main and in a bystander, unblocked in one worker */
  usr2_flag = 0;
  usr2_count = 0;
  pthread_sigmask(SIG_BLOCK, &usr2, &old);
  pthread_t bystander = spawn(blocked_bystander, NULL);
  pthread_t w = spawn(usr2_waiter, NULL);
  sem_wait(&ready);
  sem_wait(&ready);
  printf("kill(getpid(), SIGUSR2): %d\n", kill(getpid(), SIGUSR2));
  ok = (int)(intptr_t)join(w);
  printf("delivered to the unblocked thread: %s\n", yesno(ok));

  /* blocked everywhere, taken by sigwait in a worker */
  w = spawn(usr2_sigwaiter, NULL);
  sem_wait(&ready);
  kill(getpid(), SIGUSR2);
  int sig = (int)(intptr_t)join(w);
  printf("sigwait in a worker took the process-directed SIGUSR2: %s\n", yesno(sig == SIGUSR2));
  sem_post(&release);
  join(bystander);
  sigset_t pending;
  sigpending(&pending);
  printf("SIGUSR2 handler calls %d, still pending in main: %s\n", (int)usr2_count, yesno(sigismember(&pending, SIGUSR2) == 1));
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  sem_destroy(&release);
}

/* ---- the end: main returns while detached threads are blocked ---- */

static pthread_mutex_t never_unlocked = PTHREAD_MUTEX_INITIALIZER;

static void *pause_forever(void *arg) {
  (void)arg;
  sem_post(&ready);
  for (;;) pause();
  return NULL;
}

static void *lock_forever(void *arg) {
  (void)arg;
  sem_post(&ready);
  pthread_mutex_lock(&never_unlocked);
  return NULL;
}

static void section_end(void) {
  puts("== the end");
  pthread_mutex_lock(&never_unlocked);
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  must(pthread_create(&t, &a, pause_forever, NULL), "pthread_create");
  must(pthread_create(&t, &a, lock_forever, NULL), "pthread_create");
  pthread_attr_destroy(&a);
  sem_wait(&ready);
  sem_wait(&ready);
  printf("main returns 0 while one detached thread waits in pause() and one in pthread_mutex_lock\n");
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "exec-branch") == 0) return exec_branch(argc, argv);
  main_pid = getpid();
  section_create();
  section_mutex();
  section_cond();
  section_tls();
  section_detach();
  section_barrier();
  section_rwlock();
  section_ids();
  section_fork();
  section_signals();
  section_end();
  return 0;
}
