/*
 * faults: does one thing a real CPU refuses, chosen by argv[1], after saying what it is about to do:
 *   ud2        an invalid opcode            -> SIGILL
 *   div0       an integer division by zero  -> SIGFPE
 *   writetext  a store into its own code    -> SIGSEGV
 *   null       a store through a null pointer -> SIGSEGV
 * Natively the kernel kills it with the signal; under l4trace the fault goes through the L4 kernel
 * (exception or page fault IPC) to the Linux server, which delivers the same signal.
 */
#include "libc.h"

static volatile int zero;

static int divide(int a, int b) { return a / b; }

int main(int argc, char **argv) {
  if (argc < 2) {
    puts("usage: faults ud2|div0|writetext|null");
    return 2;
  }
  printf("about to %s\n", argv[1]);
  if (strcmp(argv[1], "ud2") == 0) {
    __asm__ volatile("ud2");
  } else if (strcmp(argv[1], "div0") == 0) {
    printf("%d\n", divide(10, zero));
  } else if (strcmp(argv[1], "writetext") == 0) {
    *(volatile unsigned char *)(void *)main = 0xc3;
  } else if (strcmp(argv[1], "null") == 0) {
    *(volatile int *)(void *)(unsigned long)zero = 1;
  }
  puts("survived");
  return 0;
}
