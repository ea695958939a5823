/*
 * Floating point on the x87, as ordinary C uses it: float, double and long double arithmetic,
 * comparisons (including NaN), conversions to and from integers of every width, rounding modes,
 * and libm-style functions (fmath.h). Every result is printed exactly, as its bit pattern, by an
 * integer-only formatter (the C library has no %f); functions whose last bit may differ between
 * x87 implementations (the transcendental ones) are printed rounded to 12 significant digits.
 */
#include "libc.h"
#include "fmath.h"

static unsigned checksum = 0x811c9dc5u;

static void mix(unsigned v) {
  int i;
  for (i = 0; i < 4; i++) checksum = (checksum ^ ((v >> (8 * i)) & 0xff)) * 16777619u;
}

static void show_f(const char *what, float f) {
  union { float f; unsigned u; } b;
  b.f = f;
  mix(b.u);
  printf("%-22s f %08x\n", what, b.u);
}

static void show_d(const char *what, double d) {
  union { double d; unsigned u[2]; } b;
  b.d = d;
  mix(b.u[0]);
  mix(b.u[1]);
  printf("%-22s d %08x%08x\n", what, b.u[1], b.u[0]);
}

static void show_ld(const char *what, long double x) {
  union { long double x; unsigned u[3]; } b;
  b.u[2] = 0;
  b.x = x;
  b.u[2] &= 0xffff;
  mix(b.u[0]);
  mix(b.u[1]);
  mix(b.u[2]);
  printf("%-22s x %04x%08x%08x\n", what, b.u[2], b.u[1], b.u[0]);
}

/* Decimal with 12 significant digits, by integer arithmetic on a scaled 64-bit value. */
static void show_approx(const char *what, long double x) {
  long long scaled;
  int exp10 = 0, neg = x < 0;
  unsigned long long v, p = 100000000000ULL; /* 10^11 */
  char digits[24];
  int i;
  if (x != x) { printf("%-22s ~ nan\n", what); return; }
  if (neg) x = -x;
  if (x == 0.0L) { printf("%-22s ~ 0\n", what); return; }
  while (x >= 1e12L) { x /= 10.0L; exp10++; }
  while (x < 1e11L) { x *= 10.0L; exp10--; }
  scaled = (long long)fm_rintl(x);
  if ((unsigned long long)scaled >= 1000000000000ULL) { scaled /= 10; exp10++; }
  v = (unsigned long long)scaled;
  for (i = 0; i < 12; i++) { digits[i] = (char)('0' + (int)(v / p)); v %= p; p /= 10; }
  digits[12] = 0;
  printf("%-22s ~ %s%c.%se%d\n", what, neg ? "-" : "", digits[0], digits + 1, exp10 + 11);
}

static volatile double vd[] = { 1.0, -2.5, 0.1, 3.0e300, 1.0e-310, 123456.789, -0.0, 7.0 };
static volatile float vf[] = { 1.5f, -0.3f, 3.4e38f, 1.0e-40f, 16777217.0f };
static volatile long double vx[] = { 1.0L / 3.0L, -1e4000L, 2.0L };

static void arithmetic(void) {
  double a = vd[1], b = vd[2], huge = vd[3], tiny = vd[4];
  float fa = vf[0], fb = vf[1];
  long double la = vx[0], lb = vx[2];
  show_d("d add", a + b);
  show_d("d sub", a - b);
  show_d("d mul", a * b);
  show_d("d div", a / b);
  show_d("d overflow", huge * huge);
  show_d("d underflow", tiny * b);
  show_d("d denormal add", tiny + tiny);
  show_f("f add", fa + fb);
  show_f("f div", fa / fb);
  show_f("f overflow", vf[2] * 2.0f);
  show_f("f denormal", vf[3]);
  show_f("f round 2^24+1", vf[4]);
  show_ld("x div", la);
  show_ld("x mul", la * lb);
  show_ld("x sub", la - lb / 3.0L);
  show_ld("x huge", vx[1]);
  show_d("d from x", (double)la);
  show_f("f from x", (float)la);
  show_d("d zero div", a / vd[6]);
  show_d("d inf - inf", (a / vd[6]) - (a / vd[6]));
  show_d("d sqrt2", (double)fm_sqrtl(2.0L));
  show_ld("x sqrt3", fm_sqrtl(3.0L));
  show_d("d sqrt-1", (double)fm_sqrtl(-1.0L));
}

static void compare(void) {
  double nan = vd[6] / vd[6], one = vd[0], seven = vd[7];
  int n = 0;
  n += one < seven;
  n += (one > seven) << 1;
  n += (one == one) << 2;
  n += (nan == nan) << 3;
  n += (nan != nan) << 4;
  n += (nan < one) << 5;
  n += (vd[6] == 0.0) << 6;
  n += (vf[1] < 0.0f) << 7;
  n += (vx[0] > 0.333L) << 8;
  printf("compare bits %x\n", n);
  mix((unsigned)n);
}

static void conversions(void) {
  volatile int i32 = -123456789;
  volatile unsigned u32 = 4000000000u;
  volatile long long i64 = -9007199254740993LL;
  volatile unsigned long long u64 = 18000000000000000000ULL;
  volatile short s16 = -32000;
  int k;
  show_d("d from i32", (double)i32);
  show_d("d from u32", (double)u32);
  show_d("d from i64", (double)i64);
  show_ld("x from i64", (long double)i64);
  show_d("d from u64", (double)u64);
  show_f("f from i64", (float)i64);
  show_d("d from i16", (double)s16);
  for (k = 0; k < 5; k++) {
    double d = vd[k % 8] * 7.3 - 2.0;
    printf("to int %d: %d %u %lld\n", k, (int)d, (unsigned)(d < 0 ? -d : d), (long long)(d * 1e6));
    mix((unsigned)(int)d);
  }
  printf("to i16 %d, to i64 %lld\n", (int)(short)(vd[5] * 0.1), (long long)vd[5] * 1000LL);
  printf("big to i32 %d\n", (int)vd[3]);
}

static void rounding(void) {
  static const long double xs[] = { 2.5L, -2.5L, 3.5L, -0.5L, 1e20L, 7.999999L };
  unsigned i;
  for (i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    long double x = xs[i];
    printf("round %u: rint %d floor %d ceil %d trunc %d\n", i, (int)fm_rintl(x) , (int)fm_floorl(x), (int)fm_ceill(x), (int)fm_truncl(x));
  }
  show_ld("floor 1e20", fm_floorl(1e20L + 0.5L));
}

static void functions(void) {
  long double pi = fm_pil();
  int e = 0;
  show_ld("pi", pi);
  show_approx("sin(1)", fm_sinl(1.0L));
  show_approx("cos(1)", fm_cosl(1.0L));
  show_approx("tan(0.5)", fm_tanl(0.5L));
  show_approx("sin(pi/6)", fm_sinl(pi / 6.0L));
  show_approx("cos(100)", fm_cosl(100.0L));
  show_approx("atan2(1,2)", fm_atan2l(1.0L, 2.0L));
  show_approx("atan2(-1,-2)", fm_atan2l(-1.0L, -2.0L));
  show_approx("exp(1)", fm_expl(1.0L));
  show_approx("exp(-3.5)", fm_expl(-3.5L));
  show_approx("log(10)", fm_logl(10.0L));
  show_approx("log1p(1e-5)", fm_log1pl(1e-5L));
  show_approx("log2(1000)", fm_log2l(1000.0L));
  show_approx("pow(2.5,3.7)", fm_powl(2.5L, 3.7L));
  show_ld("fmod(10.5,3)", fm_fmodl(10.5L, 3.0L));
  show_ld("fmod(1e30,7)", fm_fmodl(1e30L, 7.0L));
  show_ld("remainder(10.5,3)", fm_remainderl(10.5L, 3.0L));
  show_ld("frexp(48)", fm_frexpl(48.0L, &e));
  printf("frexp exponent %d\n", e);
  show_ld("ldexp(0.75,10)", fm_ldexpl(0.75L, 10));
  show_ld("fabs", fm_fabsl(-vx[0]));
  show_d("hypot-ish", (double)fm_sqrtl(3.0L * 3.0L + 4.0L * 4.0L));
}

/* A loop of float work: Newton iterations and a series, summed in double. */
static void series(int n) {
  double s = 0.0, x = 2.0;
  float f = 0.0f;
  int i;
  for (i = 1; i <= n; i++) {
    s += 1.0 / ((double)i * (double)i);
    x = 0.5 * (x + 2.0 / x);
    f += (float)i * 0.001f;
  }
  show_d("basel sum", s);
  show_d("newton sqrt2", x);
  show_f("float sum", f);
}

/* fork keeps the FPU: a child of a parent rounding upward rounds upward too. */
static void fork_keeps_rounding(void) {
  unsigned short old, up;
  int status;
  pid_t pid;
  __asm__ volatile("fnstcw %0" : "=m"(old));
  up = (unsigned short)((old & ~0x0c00) | 0x0800);
  __asm__ volatile("fldcw %0" : : "m"(up));
  pid = fork();
  if (pid == 0) {
    volatile double third = vd[0] / 3.0;
    show_d("child 1/3 (upward)", third);
    _exit(0);
  }
  waitpid(pid, &status, 0);
  __asm__ volatile("fldcw %0" : : "m"(old));
  show_d("parent 1/3 (nearest)", vd[0] / 3.0);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  arithmetic();
  compare();
  conversions();
  rounding();
  functions();
  series(n);
  fork_keeps_rounding();
  printf("checksum %08x\n", checksum);
  return 0;
}
