/*
 * A small libm for guests, on the x87 instructions a real libm (glibc's i386 one) uses: fsqrt,
 * fsin/fcos/fptan/fpatan, f2xm1+fscale for exponentials, fyl2x for logarithms, frndint under a
 * changed rounding control for floor/ceil/trunc, fprem/fprem1 for fmod/remainder, fxtract for frexp.
 * Header-only (static inline) so the C library itself stays integer-only (-mgeneral-regs-only).
 */
#ifndef FMATH_H
#define FMATH_H

static inline long double fm_sqrtl(long double x) { long double r; __asm__("fsqrt" : "=t"(r) : "0"(x)); return r; }
static inline long double fm_sinl(long double x) { long double r; __asm__("fsin" : "=t"(r) : "0"(x)); return r; }
static inline long double fm_cosl(long double x) { long double r; __asm__("fcos" : "=t"(r) : "0"(x)); return r; }
static inline long double fm_tanl(long double x) {
  long double r, one;
  __asm__("fptan" : "=t"(one), "=u"(r) : "0"(x));
  (void)one;
  return r;
}
static inline long double fm_atan2l(long double y, long double x) {
  long double r;
  __asm__("fpatan" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
  return r;
}
static inline long double fm_fabsl(long double x) { long double r; __asm__("fabs" : "=t"(r) : "0"(x)); return r; }
static inline long double fm_rintl(long double x) { long double r; __asm__("frndint" : "=t"(r) : "0"(x)); return r; }

/* frndint under rounding control rc (0 nearest, 1 down, 2 up, 3 toward zero). */
static inline long double fm_round_rc(long double x, unsigned rc) {
  unsigned short old, cw;
  long double r;
  __asm__ volatile("fnstcw %0" : "=m"(old));
  cw = (unsigned short)((old & ~0x0c00) | (rc << 10));
  __asm__ volatile("fldcw %0" : : "m"(cw));
  __asm__ volatile("frndint" : "=t"(r) : "0"(x));
  __asm__ volatile("fldcw %0" : : "m"(old));
  return r;
}
static inline long double fm_floorl(long double x) { return fm_round_rc(x, 1); }
static inline long double fm_ceill(long double x) { return fm_round_rc(x, 2); }
static inline long double fm_truncl(long double x) { return fm_round_rc(x, 3); }

/* 2^x = 2^int(x) * 2^frac(x): f2xm1 on the fraction, fscale by the integer part. */
static inline long double fm_exp2l(long double x) {
  long double i = fm_rintl(x), f = x - i, r;
  __asm__("f2xm1" : "=t"(r) : "0"(f));
  r += 1.0L;
  __asm__("fscale" : "=t"(r) : "0"(r), "u"(i));
  return r;
}
static inline long double fm_log2l(long double x) {
  long double r;
  __asm__("fld1; fxch; fyl2x" : "=t"(r) : "0"(x));
  return r;
}
static inline long double fm_logl(long double x) {
  long double r;
  __asm__("fldln2; fxch; fyl2x" : "=t"(r) : "0"(x));
  return r;
}
static inline long double fm_log1pl(long double x) {
  long double r;
  __asm__("fldln2; fxch; fyl2xp1" : "=t"(r) : "0"(x));
  return r;
}
static inline long double fm_expl(long double x) {
  long double l2e;
  __asm__("fldl2e" : "=t"(l2e));
  return fm_exp2l(x * l2e);
}
static inline long double fm_powl(long double x, long double y) { return fm_exp2l(y * fm_log2l(x)); }

static inline long double fm_fmodl(long double x, long double y) {
  long double r;
  unsigned short sw;
  do __asm__("fprem; fnstsw %1" : "=t"(r), "=a"(sw) : "0"(x), "u"(y)); while ((x = r, sw & 0x400));
  return r;
}
static inline long double fm_remainderl(long double x, long double y) {
  long double r;
  unsigned short sw;
  do __asm__("fprem1; fnstsw %1" : "=t"(r), "=a"(sw) : "0"(x), "u"(y)); while ((x = r, sw & 0x400));
  return r;
}
/* frexp: fxtract gives the exponent and a significand in [1,2); frexp wants [0.5,1). */
static inline long double fm_frexpl(long double x, int *e) {
  long double sig, ex;
  if (x == 0.0L) { *e = 0; return x; }
  __asm__("fxtract" : "=t"(sig), "=u"(ex) : "0"(x));
  *e = (int)ex + 1;
  return sig / 2.0L;
}
static inline long double fm_ldexpl(long double x, int e) {
  long double r, le = e;
  __asm__("fscale" : "=t"(r) : "0"(x), "u"(le));
  return r;
}
static inline long double fm_pil(void) { long double r; __asm__("fldpi" : "=t"(r)); return r; }

#endif
