/* int64: 64-bit arithmetic on i386. Multiplication, signed and unsigned division and remainder
   (the libc's __udivdi3 family), shifts by variable counts (SHLD/SHRD), rotations, bit counting,
   gcd/lcm, overflow detection with unsigned compares, and %lld/%llu/%llx output. */
#include "libc.h"

typedef unsigned long long u64;
typedef long long s64;

static uint32_t checksum = 2166136261u;

static void mix(uint32_t v) {
  checksum ^= v;
  checksum *= 16777619u;
}

static void mix64(u64 v) {
  mix((uint32_t)v);
  mix((uint32_t)(v >> 32));
}

/* xorshift64 */
static u64 state = 0x9e3779b97f4a7c15ull;
static u64 next64(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

static u64 shl64(u64 x, unsigned int n) { return x << (n & 63); }
static u64 shr64(u64 x, unsigned int n) { return x >> (n & 63); }
static s64 sar64(s64 x, unsigned int n) { return x >> (n & 63); }
static u64 rotl64(u64 x, unsigned int n) {
  n &= 63;
  return n ? (x << n) | (x >> (64 - n)) : x;
}

static unsigned int popcount64(u64 x) {
  unsigned int n = 0;
  while (x) {
    x &= x - 1;
    n++;
  }
  return n;
}

static unsigned int clz64(u64 x) {
  unsigned int n = 0;
  if (!x) return 64;
  while (!(x & 0x8000000000000000ull)) {
    x <<= 1;
    n++;
  }
  return n;
}

static unsigned int ctz64(u64 x) {
  unsigned int n = 0;
  if (!x) return 64;
  while (!(x & 1)) {
    x >>= 1;
    n++;
  }
  return n;
}

static u64 gcd64(u64 a, u64 b) {
  while (b) {
    u64 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

static u64 lcm64(u64 a, u64 b) { return a / gcd64(a, b) * b; }

static int add_overflows(u64 a, u64 b) { return a + b < a; }

static int mul_overflows(u64 a, u64 b) { return a != 0 && (a * b) / a != b; }

/* Signed division checks against the definition: n = q*d + r, |r| < |d|, sign(r) = sign(n). */
static int check_sdiv(s64 n, s64 d) {
  s64 q = n / d, r = n % d;
  int ok = q * d + r == n;
  if (r != 0 && (r < 0) != (n < 0)) ok = 0;
  return ok;
}

static int check_udiv(u64 n, u64 d) {
  u64 q = n / d, r = n % d;
  return q * d + r == n && r < d;
}

/* isqrt by Newton's method (64-bit division in the loop) */
static u64 isqrt64(u64 n) {
  u64 x = n, y;
  if (n < 2) return n;
  y = (x + 1) / 2;
  while (y < x) {
    x = y;
    y = (x + n / x) / 2;
  }
  return x;
}

/* 64-bit multiply by shift-and-add, compared with the compiler's multiply */
static u64 mul_shift_add(u64 a, u64 b) {
  u64 r = 0;
  while (b) {
    if (b & 1) r += a;
    a <<= 1;
    b >>= 1;
  }
  return r;
}

int main(void) {
  unsigned int i, bad = 0;
  u64 acc = 0, x, y;
  s64 sacc = 0;

  printf("constants: %llu %lld %llx %llX %llo\n", 18446744073709551615ull,
         (s64)-9223372036854775807ll - 1, 0xdeadbeefcafebabeull, 0x0123456789abcdefull, 0777ull);
  printf("widths: [%20llu] [%-20lld] [%020llx]\n", 12345678901234ull, -42ll, 0xabcull);

  /* multiplication and division */
  for (i = 0; i < 800; i++) {
    u64 a = next64(), b = next64() >> (i % 61), q, r;
    s64 sa = (s64)a, sb = (s64)(b | 1);
    if (b == 0) b = 1;
    q = a / b;
    r = a % b;
    if (!check_udiv(a, b)) bad++;
    if (!check_sdiv(sa, sb)) bad++;
    if (!check_sdiv(sa >> (i % 40), -(sb >> (i % 13)) | 1)) bad++;
    if (i % 4 == 0 && mul_shift_add(a, b) != a * b) bad++;
    acc += q ^ r;
    sacc += sa / sb + sa % sb;
  }
  printf("division: acc %llu, signed acc %lld, bad %u\n", acc, sacc, bad);
  mix64(acc);
  mix64((u64)sacc);

  /* fixed examples */
  x = 10000000000000000000ull;
  printf("%llu / 3 = %llu rem %llu\n", x, x / 3, x % 3);
  printf("%lld / 7 = %lld rem %lld\n", -1000000000000ll, -1000000000000ll / 7,
         -1000000000000ll % 7);
  printf("%lld / -7 = %lld rem %lld\n", 1000000000000ll, 1000000000000ll / -7,
         1000000000000ll % -7);
  printf("%llu / %llu = %llu rem %llu\n", 0xffffffffffffffffull, 0x100000001ull,
         0xffffffffffffffffull / 0x100000001ull, 0xffffffffffffffffull % 0x100000001ull);

  /* shifts and rotations by variable counts */
  acc = 0;
  y = 0xf0e1d2c3b4a59687ull;
  for (i = 0; i < 64; i++) {
    acc += shl64(y, i) ^ shr64(y, 63 - i);
    acc ^= (u64)sar64((s64)y, i);
    acc += rotl64(y, i * 5);
  }
  printf("shifts: %016llx, y<<36 %016llx, y>>36 %016llx, (s)y>>36 %016llx\n", acc, shl64(y, 36),
         shr64(y, 36), (u64)sar64((s64)y, 36));
  mix64(acc);

  /* bit counting */
  {
    unsigned int pc = 0, lz = 0, tz = 0;
    state = 12345;
    for (i = 0; i < 1000; i++) {
      u64 v = next64() >> (i % 64);
      pc += popcount64(v);
      lz += clz64(v);
      tz += ctz64(v << (i % 17));
    }
    printf("bits: popcount %u clz %u ctz %u, popcount(~0) %u clz(1) %u ctz(2^40) %u\n", pc, lz,
           tz, popcount64(~0ull), clz64(1), ctz64(1ull << 40));
    mix(pc);
    mix(lz);
    mix(tz);
  }

  /* gcd / lcm */
  acc = 0;
  for (i = 1; i <= 200; i++) {
    u64 a = (u64)i * 1000000007ull * 6, b = (u64)(i + 17) * 998244353ull * 4;
    acc += gcd64(a, b);
    acc ^= lcm64(a % 1000000 + 1, b % 1000000 + 1);
  }
  printf("gcd/lcm: %llu, gcd(2^40*3, 2^35*9) = %llu, lcm(2^32, 3^20) = %llu\n", acc,
         gcd64(3ull << 40, 9ull << 35), lcm64(1ull << 32, 3486784401ull));
  mix64(acc);

  /* overflow detection */
  {
    unsigned int addo = 0, mulo = 0;
    state = 777;
    for (i = 0; i < 1000; i++) {
      u64 a = next64(), b = next64() >> (i % 64);
      addo += (unsigned int)add_overflows(a, b);
      mulo += (unsigned int)mul_overflows(a >> (i % 64), b >> 20);
    }
    printf("overflow: add %u mul %u, max+1 %d, 2^32*2^32 %d, 2^31*2^32 %d\n", addo, mulo,
           add_overflows(~0ull, 1), mul_overflows(1ull << 32, 1ull << 32),
           mul_overflows(1ull << 31, 1ull << 32));
    mix(addo);
    mix(mulo);
  }

  /* square roots */
  acc = 0;
  for (i = 0; i < 300; i++) {
    u64 v = next64() >> (i % 40), s = isqrt64(v);
    if (s * s > v || (s + 1) * (s + 1) <= v) bad++;
    acc += s;
  }
  printf("isqrt: sum %llu, isqrt(2^62) = %llu, isqrt(10^18) = %llu, bad %u\n", acc,
         isqrt64(1ull << 62), isqrt64(1000000000000000000ull), bad);
  mix64(acc);

  printf("checksum %08x\n", checksum);
  return 0;
}
