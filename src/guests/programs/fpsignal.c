/*
 * A floating-point signal handler interrupting floating-point code must leave the interrupted
 * computation alone (the kernel saves the FPU state in the signal frame and gives the handler a
 * clean FPU; sigreturn restores it). The parent computes one chunk of x87 arithmetic with values
 * live on the register stack and a changed rounding mode, again and again, while a child sends it
 * SIGUSR1; the handler does float work of its own (another rounding mode, eight pushes). Every chunk
 * must give the result the first one gave before any signal arrived.
 */
#include "libc.h"

static volatile int handled;
static volatile unsigned handler_bits;

/* The handler: round toward zero, fill the whole register stack, compute, store. */
static void on_usr1(int sig, void *info, void *uc) {
  unsigned short cw = 0x0f7f; /* round toward zero, all exceptions masked */
  long double r;
  (void)info;
  (void)uc;
  __asm__ volatile("fldcw %1\n\t"
                   "fld1\n\tfldpi\n\tfldl2e\n\tfldl2t\n\tfldlg2\n\tfldln2\n\tfld1\n\tfldpi\n\t"
                   "faddp\n\tfmulp\n\tfaddp\n\tfdivp\n\tfaddp\n\tfmulp\n\tfsubp\n\t"
                   : "=t"(r)
                   : "m"(cw));
  {
    union { long double x; unsigned u[3]; } b;
    b.x = r * (long double)sig;
    handler_bits = b.u[0] ^ b.u[1];
  }
  handled++;
}

/* One chunk: round upward, four values on the stack for the whole loop, n steps. */
static long double chunk(unsigned n) {
  unsigned short up = 0x0b7f, old;
  long double r;
  __asm__ volatile("fnstcw %1\n\t"
                   "fldcw %3\n\t"
                   "fld1\n\t"           /* st3: 1 */
                   "fldpi\n\t"          /* st2: pi */
                   "fldl2e\n\t"         /* st1: log2(e) */
                   "fldz\n\t"           /* st0: accumulator */
                   "1:\n\t"
                   "fadd %%st(2), %%st\n\t"
                   "fmul %%st(1), %%st\n\t"
                   "fsub %%st(3), %%st\n\t"
                   "fdiv %%st(1), %%st\n\t"
                   "fxch %%st(2)\n\t"
                   "fadd %%st(3), %%st\n\t"
                   "fsqrt\n\t"
                   "fxch %%st(2)\n\t"
                   "dec %%ecx\n\t"
                   "jnz 1b\n\t"
                   "fstp %%st(1)\n\t"
                   "fadd %%st(1), %%st\n\t"
                   "fstp %%st(1)\n\t"
                   "fstp %%st(1)\n\t"
                   "fldcw %1\n\t"
                   : "=t"(r), "=m"(old), "+c"(n)
                   : "m"(up));
  return r;
}

static unsigned bits_of(long double x) {
  union { long double x; unsigned u[3]; } b;
  b.u[2] = 0;
  b.x = x;
  return b.u[0] ^ (b.u[1] * 3u) ^ ((b.u[2] & 0xffff) * 7u);
}

int main(int argc, char **argv) {
  unsigned steps = argc > 1 ? (unsigned)atoi(argv[1]) : 20000;
  int want = argc > 2 ? atoi(argv[2]) : 5;
  long double reference = chunk(steps);
  struct sigaction sa;
  pid_t parent = getpid(), child;
  int runs = 0, bad = 0, status;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  child = fork();
  if (child == 0) {
    volatile unsigned spin;
    for (;;) {
      kill(parent, SIGUSR1);
      for (spin = 0; spin < 20000; spin++) {
      }
    }
  }
  while (handled < want && runs < 100000) {
    if (bits_of(chunk(steps)) != bits_of(reference)) bad++;
    runs++;
  }
  kill(child, SIGKILL);
  waitpid(child, &status, 0);
  printf("reference %08x\n", bits_of(reference));
  printf("handled at least %d signals: %s\n", want, handled >= want ? "yes" : "no");
  printf("chunks that differ from the reference: %d\n", bad);
  printf("handler result %08x\n", handler_bits);
  return 0;
}
