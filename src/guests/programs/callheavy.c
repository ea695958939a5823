/*
 * callheavy: a function-call-heavy workload for the analyzer (function events dominate its trace).
 *
 *   callheavy [n]   (default 20; the number of calls grows like fib(n))
 *
 * Recursive Fibonacci, a recursive tree walk and a mutual recursion, with a few system calls (printf)
 * between the phases, so the trace also has IPC, page faults and context switches.
 */
#include "libc.h"

static unsigned int fib(unsigned int n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static unsigned int tree(unsigned int depth, unsigned int seed) {
  if (depth == 0) return seed & 0xff;
  return tree(depth - 1, seed * 3 + 1) ^ tree(depth - 1, seed * 5 + 7);
}

static int is_odd(unsigned int n);
static int is_even(unsigned int n) {
  return n == 0 ? 1 : is_odd(n - 1);
}
static int is_odd(unsigned int n) {
  return n == 0 ? 0 : is_even(n - 1);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20;
  if (n < 1) n = 1;
  if (n > 32) n = 32;
  printf("callheavy %d\n", n);
  printf("fib(%d) = %u\n", n, fib((unsigned int)n));
  printf("tree(%d) = %u\n", n - 4 > 0 ? n - 4 : 1, tree(n - 4 > 0 ? (unsigned int)(n - 4) : 1u, 1));
  printf("is_even(%d) = %d\n", 50 * n, is_even((unsigned int)(50 * n)));
  return 0;
}
