/* calltrace: one source built twice, instrumented (calltrace, -finstrument-functions) and plain
   (calltrace-plain), so that the interpreter's call tracer (its shadow stack, which follows CALL and
   RET) can be checked against the hooks: every function of the program must be entered and left as
   often in both. It has what makes following CALL and RET hard: recursion and mutual recursion,
   calls through function pointers, tail calls (in the plain -O2 build `return f(x)` is a `jmp`, also
   through a pointer), longjmp out of nested calls, and signal handlers that call functions, one of
   which longjmps out of the handler.

   Every function is noipa: not inlined (-finstrument-functions would report inlined functions, the
   plain build has no call to see), not cloned or split (other names). Recursion is kept out of tail
   position (gcc turns tail recursion into loops in the plain build only: a volatile store follows
   each recursive call). Prints its results and a checksum. */
#include "libc.h"

#define FN __attribute__((noipa))

static volatile uint32_t sink;
static uint32_t checksum = 2166136261u;

FN static void mix(uint32_t v) {
  checksum ^= v;
  checksum *= 16777619u;
}

/* ---- recursion ---- */
FN static uint32_t fib(uint32_t n) {
  uint32_t a, b;
  if (n < 2) return n;
  a = fib(n - 1);
  sink = a;
  b = fib(n - 2);
  sink = b;
  return a + b;
}

FN static int is_odd(uint32_t n);
/* mutual recursion as tail calls: jmp is_odd / jmp is_even in the plain build */
FN static int is_even(uint32_t n) { return n == 0 ? 1 : is_odd(n - 1); }
FN static int is_odd(uint32_t n) { return n == 0 ? 0 : is_even(n - 1); }

FN static uint32_t ackermann(uint32_t m, uint32_t n) {
  uint32_t r;
  if (m == 0) return n + 1;
  if (n == 0) {
    r = ackermann(m - 1, 1);
    sink = r;
    return r;
  }
  r = ackermann(m, n - 1);
  sink = r;
  r = ackermann(m - 1, r);
  sink = r;
  return r;
}

/* ---- function pointers ---- */
typedef uint32_t (*unop)(uint32_t);
FN static uint32_t twice(uint32_t x) { return x * 2; }
FN static uint32_t square(uint32_t x) { return x * x; }
FN static uint32_t negate(uint32_t x) { return -x; }
FN static uint32_t plus_fib(uint32_t x) {
  uint32_t r = fib(x & 7);
  sink = r;
  return x + r;
}
static unop const table[] = {twice, square, negate, plus_fib};

FN static uint32_t apply(unop f, uint32_t x) { return f(x); } /* an indirect tail call: jmp *%eax */
FN static uint32_t apply_all(uint32_t x) {
  uint32_t i, acc = x;
  for (i = 0; i < 4; i++) {
    acc += table[i](acc); /* call *table(,%eax,4) */
    sink = acc;
    acc ^= apply(table[(i + acc) & 3], i);
    sink = acc;
  }
  return acc;
}

/* ---- tail calls ---- */
FN static uint32_t leaf(uint32_t x) { return x * 2654435761u; }
FN static uint32_t middle(uint32_t x) { return leaf(x + 1); }        /* jmp leaf */
FN static uint32_t outer(uint32_t x) { return middle(x ^ 0x5555); }  /* jmp middle */
FN static uint32_t choose(uint32_t x) {
  if (x & 1) return leaf(x); /* a conditional tail call */
  return outer(x);
}

/* ---- longjmp ---- */
static void *jb[5];

FN static void thrower(uint32_t depth) {
  mix(depth);
  __builtin_longjmp(jb, 1);
}

FN static void dive(uint32_t n) {
  if (n == 0) {
    thrower(n);
    return;
  }
  dive(n - 1);
  sink = n;
}

/* longjmp over five frames, then a call (the skipped frames end before it) */
FN static uint32_t catch_then_call(uint32_t n) {
  if (__builtin_setjmp(jb) == 0) {
    dive(n);
    return 0;
  }
  return leaf(n) ^ fib(5);
}

/* longjmp over the frames, then return at once (they end with this function's return) */
FN static uint32_t catch_then_return(uint32_t n) {
  if (__builtin_setjmp(jb) == 0) {
    dive(n);
    sink = 1;
  }
  return n;
}

/* ---- signals ---- */
static volatile uint32_t handled;

FN static void on_signal(int sig) {
  handled += fib(6) + (uint32_t)sig;
  mix(handled);
}

static void *sigjb[5];

FN static void escape(int sig) {
  mix((uint32_t)sig);
  __builtin_longjmp(sigjb, 1);
}

FN static void on_signal_jump(int sig) { escape(sig); }

FN static uint32_t catch_signal(void) {
  if (__builtin_setjmp(sigjb) == 0) {
    raise(SIGUSR2);
    return 0;
  }
  return fib(4);
}

/* ---- deep recursion (calltrace deep N): beyond the shadow stack's bound ---- */
FN static uint32_t deep(uint32_t n) {
  uint32_t r;
  if (n == 0) return 0;
  r = deep(n - 1);
  sink = r;
  return r + 1;
}

/* One round of everything; the first one prints. */
FN static void round_of_calls(int verbose) {
  uint32_t i, r;
  r = fib(15);
  if (verbose) printf("fib(15) = %u\n", r);
  mix(r);
  if (verbose) printf("is_even(37) = %d, is_odd(37) = %d\n", is_even(37), is_odd(37));
  r = ackermann(2, 3);
  if (verbose) printf("ackermann(2, 3) = %u\n", r);
  mix(r);
  for (i = 0; i < 5; i++) mix(apply_all(i));
  if (verbose) printf("apply_all: %08x\n", checksum);
  for (i = 0; i < 6; i++) mix(choose(i));
  if (verbose) printf("tail calls: %08x\n", checksum);
  for (i = 0; i < 3; i++) mix(catch_then_call(4 + i));
  for (i = 0; i < 3; i++) mix(catch_then_return(2 + i));
  if (verbose) printf("longjmp: %08x\n", checksum);
  for (i = 0; i < 3; i++) raise(SIGUSR1);
  if (verbose) printf("handled: %u\n", handled);
  for (i = 0; i < 2; i++) mix(catch_signal());
}

/* calltrace [ROUNDS]: ROUNDS rounds (default 1; the bench runs more). calltrace deep N: recursion N deep. */
int main(int argc, char **argv) {
  int i, rounds;
  struct sigaction sa;
  if (argc > 2 && strcmp(argv[1], "deep") == 0) {
    printf("deep(%d) = %u\n", atoi(argv[2]), deep((uint32_t)atoi(argv[2])));
    return 0;
  }
  rounds = argc > 1 ? atoi(argv[1]) : 1;
  signal(SIGUSR1, on_signal);
  /* SA_NODEFER: on_signal_jump leaves by longjmp, so the kernel never unblocks the signal itself */
  sa.sa_handler = on_signal_jump;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_NODEFER;
  sa.sa_restorer = 0;
  sigaction(SIGUSR2, &sa, 0);
  for (i = 0; i < rounds; i++) round_of_calls(i == 0);
  printf("%d rounds, checksum %08x\n", rounds, checksum);
  return 0;
}
