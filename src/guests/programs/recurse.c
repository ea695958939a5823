/*
 * recurse: unbounded recursion. Each call keeps 1 KiB of stack in use, so the stack grows until it
 * reaches the 8 MiB stack limit (RLIMIT_STACK, as a shell sets it by default) and the next page fault
 * below it is a bad access: SIGSEGV, with no stack left for a handler.
 */
#include "libc.h"

static volatile int stop; /* never set: without it gcc warns about the endless recursion */

static unsigned depth(unsigned n, volatile unsigned char *up) {
  volatile unsigned char frame[1024];
  if (stop) return n;
  frame[0] = (unsigned char)n;
  frame[1023] = up ? up[0] : 0;
  return depth(n + 1, frame) + frame[512]; /* not a tail call */
}

int main(void) {
  puts("recursing without end");
  return (int)depth(0, 0);
}
