/*
 * Host oracle for the x87 transcendental instructions (test/ia32/transcendental.test.ts).
 * x86-64 Linux, gcc: cc -O2 -o trans-oracle trans-oracle.c
 *
 * Reads one case per line on stdin:
 *   op cw ysign yexp yhi ylo xsign xexp xhi xlo        (all hexadecimal; op is a name below)
 * loads y then x (so ST1 = y, ST0 = x), loads the control word cw (all exceptions should be masked),
 * clears the exceptions, runs the instruction and saves the whole FPU state with FNSAVE. Writes
 *   sw depth  s0 e0 h0 l0  s1 e1 h1 l1
 * where sw is the status word after the instruction, depth the number of stack entries left
 * (2 before the instruction), and s/e/h/l are ST0 and ST1 as sign, exponent, significand halves.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct f80 { uint64_t sig; uint16_t se; } __attribute__((packed));

/* FNSAVE image in 32-bit protected-mode format (the default operand size in 64-bit mode). */
struct fsave {
  uint16_t cw, r0, sw, r1, tw, r2;
  uint32_t ip, cs, dp, ds;
  struct f80 st[8];
} __attribute__((packed));

#define RUN(insn)                                                                     \
  __asm__ volatile("fninit\n\tfldcw %1\n\tfldt %2\n\tfldt %3\n\tfnclex\n\t" insn       \
                   "\n\tfnsave %0\n\t"                                                \
                   : "=m"(s)                                                           \
                   : "m"(cw), "m"(y), "m"(x)                                           \
                   : "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)",     \
                     "st(6)", "st(7)")

static void put(struct f80 v) {
  printf(" %x %x %x %x", v.se >> 15, v.se & 0x7fff, (unsigned)(v.sig >> 32), (unsigned)v.sig);
}

int main(void) {
  char op[16];
  unsigned cw16, ys, ye, yh, yl, xs, xe, xh, xl;
  while (scanf("%15s %x %x %x %x %x %x %x %x %x", op, &cw16, &ys, &ye, &yh, &yl, &xs, &xe, &xh, &xl) == 10) {
    struct f80 x = { ((uint64_t)xh << 32) | xl, (uint16_t)((xs << 15) | xe) };
    struct f80 y = { ((uint64_t)yh << 32) | yl, (uint16_t)((ys << 15) | ye) };
    uint16_t cw = (uint16_t)cw16;
    struct fsave s;
    memset(&s, 0, sizeof s);
    if (!strcmp(op, "fsin")) RUN("fsin");
    else if (!strcmp(op, "fcos")) RUN("fcos");
    else if (!strcmp(op, "fsincos")) RUN("fsincos");
    else if (!strcmp(op, "fptan")) RUN("fptan");
    else if (!strcmp(op, "fpatan")) RUN("fpatan");
    else if (!strcmp(op, "f2xm1")) RUN("f2xm1");
    else if (!strcmp(op, "fyl2x")) RUN("fyl2x");
    else if (!strcmp(op, "fyl2xp1")) RUN("fyl2xp1");
    else { fprintf(stderr, "unknown op %s\n", op); return 2; }
    /* Depth from TOP: fninit sets TOP = 0, two loads make it 6. */
    unsigned top = (s.sw >> 11) & 7;
    unsigned depth = (8 - top) & 7;
    printf("%x %u", s.sw, depth);
    put(s.st[0]);
    put(s.st[1]);
    putchar('\n');
  }
  return 0;
}
