/* 64-bit division for i386, so that nothing links libgcc. Only 32-bit arithmetic, 64-bit
   shifts/compares (which gcc expands inline) and the divl instruction are used here, never a
   64-bit '/' or '%' (that would call back into these functions). */
#include "libc.h"

typedef unsigned long long u64;
typedef unsigned int u32;

/* (hi:lo) / d with hi < d, so the quotient fits in 32 bits. */
static inline u32 divl(u32 hi, u32 lo, u32 d, u32 *rem) {
  u32 q, r;
  __asm__("divl %4" : "=a"(q), "=d"(r) : "0"(lo), "1"(hi), "rm"(d));
  *rem = r;
  return q;
}

static inline int clz32(u32 x) { /* x != 0 */
  u32 b;
  __asm__("bsrl %1, %0" : "=r"(b) : "rm"(x));
  return 31 - (int)b;
}

u64 __udivmoddi4(u64 n, u64 d, u64 *rem) {
  u32 nh = (u32)(n >> 32), nl = (u32)n;
  u32 dh = (u32)(d >> 32), dl = (u32)d;
  u64 q;
  if (dh == 0) {
    u32 qh = 0, ql, r;
    if (dl == 0) {
      /* divide by zero: let the CPU raise #DE (SIGFPE), as libgcc's code would */
      u32 zero = 0;
      __asm__ volatile("divl %2" : "+a"(nl), "+d"(nh) : "rm"(zero));
    }
    if (nh >= dl) {
      qh = nh / dl;
      nh = nh % dl;
    }
    ql = divl(nh, nl, dl, &r);
    if (rem) *rem = r;
    return ((u64)qh << 32) | ql;
  }
  if (dh > nh) {
    if (rem) *rem = n;
    return 0;
  }
  /* d >= 2^32, so the quotient fits in 32 bits. Estimate it from the normalised top word of
     d (one divl), which gives the true quotient or one more; then correct (the method of
     Hacker's Delight, 2nd ed., section 9-5). */
  {
    int s = clz32(dh);                  /* 0..31 */
    u32 v1 = (u32)((d << s) >> 32);     /* top bit set */
    u64 u1 = n >> 1;                    /* so that the divl cannot overflow */
    u32 r1, q1 = divl((u32)(u1 >> 32), (u32)u1, v1, &r1);
    q = ((u64)q1 << s) >> 31;
    if (q != 0) q--;
    if (n - q * d >= d) q++;
    n -= q * d;
  }
  if (rem) *rem = n;
  return q;
}

u64 __udivdi3(u64 n, u64 d) { return __udivmoddi4(n, d, 0); }

u64 __umoddi3(u64 n, u64 d) {
  u64 r;
  __udivmoddi4(n, d, &r);
  return r;
}

long long __divmoddi4(long long n, long long d, long long *rem) {
  int negq = 0, negr = 0;
  u64 un = (u64)n, ud = (u64)d, q, r;
  if (n < 0) {
    un = -un;
    negq = 1;
    negr = 1;
  }
  if (d < 0) {
    ud = -ud;
    negq ^= 1;
  }
  q = __udivmoddi4(un, ud, &r);
  if (rem) *rem = (long long)(negr ? -r : r);
  return (long long)(negq ? -q : q);
}

long long __divdi3(long long n, long long d) { return __divmoddi4(n, d, 0); }

long long __moddi3(long long n, long long d) {
  long long r;
  __divmoddi4(n, d, &r);
  return r;
}
