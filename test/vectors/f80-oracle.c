/*
 * Host x87 oracle for src/ia32/x87/float80.ts (test/ia32/float80.test.ts builds it with gcc, 64-bit host).
 * Reads lines "op cw ase asig bse bsig" (hex) on stdin and prints "r1se r1sig r2se r2sig sw" (hex) per line.
 * a and b are 80-bit images (se = sign/exponent word, sig = 64-bit significand); for the memory loads
 * (fild, fld m32/m64, fbld) a is the memory image (sig = bytes 0-7, se = bytes 8-9). r1 is ST(0) after
 * the operation, r2 is ST(1) (FXTRACT) or the memory image written by a store. The status word is
 * read with FNSTSW right after the operation and the exceptions are cleared before anything that would
 * trap on an unmasked exception.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

typedef struct { uint64_t sig; uint16_t se; } __attribute__((packed)) x80;

#define PRE "fninit\n fldcw %[dcw]\n fldt %[b]\n fldt %[a]\n fnclex\n fldcw %[cw]\n"
#define POST "\n fnstsw %[sw]\n fnclex\n fldcw %[dcw]\n fstpt %[r1]\n fstpt %[r2]\n fninit\n"
#define RUN(OP) __asm__ volatile(PRE OP POST : [sw] "=m"(sw), [r1] "=m"(r1), [r2] "=m"(r2), [m] "+m"(mem) \
    : [a] "m"(a), [b] "m"(b), [cw] "m"(cw), [dcw] "m"(dcw) : "memory")

int main(void) {
  unsigned op, cwi, ase, bse;
  unsigned long long asig, bsig;
  static char line[256];
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%u %x %x %llx %x %llx", &op, &cwi, &ase, &asig, &bse, &bsig) != 6) continue;
    x80 a = { asig, (uint16_t)ase }, b = { bsig, (uint16_t)bse }, r1 = { 0, 0 }, r2 = { 0, 0 };
    uint16_t cw = (uint16_t)cwi, dcw = 0x37f, sw = 0;
    x80 mem = { 0, 0 };
    switch (op) {
      case 0: RUN("fadd %%st(1), %%st"); break;
      case 1: RUN("fsub %%st(1), %%st"); break;
      case 2: RUN("fmul %%st(1), %%st"); break;
      case 3: RUN("fdiv %%st(1), %%st"); break;
      case 4: RUN("fsqrt"); break;
      case 5: RUN("fcom %%st(1)"); break;
      case 6: RUN("fucom %%st(1)"); break;
      case 7: RUN("frndint"); break;
      case 8: RUN("fscale"); break;
      case 9: RUN("fxtract"); break;
      case 10: RUN("fprem"); break;
      case 11: RUN("fprem1"); break;
      case 12: mem.sig = asig; RUN("fildll %[m]"); break;
      case 13: RUN("fists %[m]"); r2 = mem; break;
      case 14: RUN("fistl %[m]"); r2 = mem; break;
      case 15: RUN("fistpll %[m]"); r2 = mem; break;
      case 16: RUN("fisttps %[m]"); r2 = mem; break;
      case 17: RUN("fisttpl %[m]"); r2 = mem; break;
      case 18: RUN("fisttpll %[m]"); r2 = mem; break;
      case 19: mem.sig = asig; RUN("flds %[m]"); break;
      case 20: mem.sig = asig; RUN("fldl %[m]"); break;
      case 21: RUN("fsts %[m]"); r2 = mem; break;
      case 22: RUN("fstl %[m]"); r2 = mem; break;
      case 23: mem.sig = asig; mem.se = (uint16_t)ase; RUN("fbld %[m]"); break;
      case 24: RUN("fbstp %[m]"); r2 = mem; break;
      case 25: RUN("fxam"); break;
      case 26:
        switch (ase) {
          case 0: RUN("fld1"); break;
          case 1: RUN("fldl2t"); break;
          case 2: RUN("fldl2e"); break;
          case 3: RUN("fldpi"); break;
          case 4: RUN("fldlg2"); break;
          case 5: RUN("fldln2"); break;
          default: RUN("fldz"); break;
        }
        break;
      default: continue;
    }
    printf("%04x %016llx %04x %016llx %04x\n", r1.se, (unsigned long long)r1.sig, r2.se,
           (unsigned long long)r2.sig, sw);
  }
  return 0;
}
