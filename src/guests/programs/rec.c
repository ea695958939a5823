/* rec: recursion. Fibonacci, Ackermann, Hanoi, binomials (Pascal), 64-bit factorials, mutual
   recursion, recursive gcd and digit sums, a recursive tree walk. Prints each result and a
   checksum. */
#include "libc.h"

static uint32_t checksum = 2166136261u;

static void mix(uint32_t v) {
  checksum ^= v;
  checksum *= 16777619u;
}

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint32_t ackermann(uint32_t m, uint32_t n) {
  if (m == 0) return n + 1;
  if (n == 0) return ackermann(m - 1, 1);
  return ackermann(m - 1, ackermann(m, n - 1));
}

struct hanoi_state {
  uint32_t moves;
  uint32_t pegs[3]; /* disks on each peg */
  uint32_t trace;   /* a running hash of (from, to) pairs */
};

static void hanoi_move(struct hanoi_state *h, int from, int to) {
  h->moves++;
  h->pegs[from]--;
  h->pegs[to]++;
  h->trace = h->trace * 3u + (uint32_t)(from * 3 + to);
}

static void hanoi(struct hanoi_state *h, int n, int from, int to, int via) {
  if (n == 0) return;
  hanoi(h, n - 1, from, via, to);
  hanoi_move(h, from, to);
  hanoi(h, n - 1, via, to, from);
}

static uint32_t binom(uint32_t n, uint32_t k) {
  if (k == 0 || k == n) return 1;
  return binom(n - 1, k - 1) + binom(n - 1, k);
}

static unsigned long long fact64(unsigned int n) { return n <= 1 ? 1ull : n * fact64(n - 1); }

static int is_odd(uint32_t n);
static int is_even(uint32_t n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(uint32_t n) { return n == 0 ? 0 : is_even(n - 1); }

static uint32_t gcd(uint32_t a, uint32_t b) { return b == 0 ? a : gcd(b, a % b); }

static uint32_t digit_sum(uint32_t n) { return n < 10 ? n : n % 10 + digit_sum(n / 10); }

/* A complete binary tree laid out in an array: depth-first sum of weighted keys. */
#define TREE_DEPTH 9
#define TREE_NODES ((1u << TREE_DEPTH) - 1)
static uint32_t tree[TREE_NODES];

static uint32_t tree_walk(uint32_t i, uint32_t depth) {
  uint32_t s;
  if (i >= TREE_NODES) return 0;
  s = tree[i] * (depth + 1);
  s += tree_walk(2 * i + 1, depth + 1);
  s += tree_walk(2 * i + 2, depth + 1);
  return s;
}

static uint32_t tree_height(uint32_t i) {
  uint32_t l, r;
  if (i >= TREE_NODES) return 0;
  l = tree_height(2 * i + 1);
  r = tree_height(2 * i + 2);
  return 1 + (l > r ? l : r);
}

/* Recursive power with 64-bit results (square and multiply). */
static unsigned long long power64(unsigned long long b, unsigned int e) {
  unsigned long long h;
  if (e == 0) return 1;
  h = power64(b, e / 2);
  h *= h;
  return (e & 1) ? h * b : h;
}

int main(void) {
  uint32_t i, s;
  struct hanoi_state h;
  unsigned long long f;

  s = 0;
  for (i = 0; i <= 16; i += 2) {
    uint32_t v = fib(i);
    mix(v);
    s += v;
    if (i == 16) printf("fib: fib(16) = %u", v);
  }
  printf(", sum of fib(0,2,..,16) = %u\n", s);

  printf("ackermann: A(2,3) = %u, A(3,3) = %u\n", ackermann(2, 3), ackermann(3, 3));
  mix(ackermann(2, 3));

  memset(&h, 0, sizeof h);
  h.pegs[0] = 10;
  hanoi(&h, 10, 0, 2, 1);
  mix(h.moves);
  mix(h.trace);
  printf("hanoi(10): %u moves, pegs %u/%u/%u, trace %08x\n", h.moves, h.pegs[0], h.pegs[1],
         h.pegs[2], h.trace);

  s = 0;
  for (i = 0; i <= 10; i++) {
    uint32_t b = binom(10, i);
    mix(b);
    s += b;
  }
  printf("binom: row 10 sums to %u, C(12,6) = %u\n", s, binom(12, 6));

  for (i = 0; i <= 20; i += 5) {
    f = fact64(i);
    mix((uint32_t)f);
    mix((uint32_t)(f >> 32));
    printf("fact64(%u) = %llu (0x%016llx)\n", i, f, f);
  }
  f = fact64(25); /* wraps modulo 2^64 */
  printf("fact64(25) mod 2^64 = %llu\n", f);
  mix((uint32_t)f);

  s = 0;
  for (i = 0; i < 20; i++) s += is_even(i * 7u) ? 1u : 0u;
  printf("mutual: %u of 20 multiples of 7 are even, is_odd(201) = %d\n", s, is_odd(201));
  mix(s);

  s = 0;
  for (i = 1; i <= 200; i++) s += gcd(i * 37u, 1000u + i);
  printf("gcd: sum = %u, gcd(1071, 462) = %u\n", s, gcd(1071, 462));
  mix(s);

  s = 0;
  for (i = 0; i < 250; i++) s += digit_sum(i * 7919u);
  printf("digit sums: %u\n", s);
  mix(s);

  for (i = 0; i < TREE_NODES; i++) tree[i] = (i * 2654435761u) >> 20;
  s = tree_walk(0, 0);
  printf("tree: %u nodes, height %u, weighted sum %u\n", TREE_NODES, tree_height(0), s);
  mix(s);

  f = power64(3, 40);
  printf("power64: 3^40 = %llu, 7^22 = %llu\n", f, power64(7, 22));
  mix((uint32_t)f);

  printf("checksum %08x\n", checksum);
  return 0;
}
