/* fnptr: function pointers. Operator tables, callbacks with a context pointer, structs of
   function pointers used as vtables, a generic qsort over void * with an element size, struct
   copies and struct returns (hidden return pointer, `ret $4`, rep movs), and varargs functions.
   Prints each result and a checksum. */
#include "libc.h"

static uint32_t checksum = 2166136261u;

static void mix(uint32_t v) {
  checksum ^= v;
  checksum *= 16777619u;
}

/* ---- operator table ---- */
typedef uint32_t (*binop)(uint32_t, uint32_t);
static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t op_sub(uint32_t a, uint32_t b) { return a - b; }
static uint32_t op_mul(uint32_t a, uint32_t b) { return a * (b | 1u); }
static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }
static uint32_t op_rol(uint32_t a, uint32_t b) {
  b &= 31;
  return (b ? (a << b) | (a >> (32 - b)) : a) + b;
}
static uint32_t op_max(uint32_t a, uint32_t b) { return a > b ? a : b; }

static const struct {
  const char *name;
  binop fn;
} ops[] = {{"add", op_add}, {"sub", op_sub}, {"mul", op_mul},
           {"xor", op_xor}, {"rol", op_rol}, {"max", op_max}};
#define NOPS (sizeof ops / sizeof ops[0])

static uint32_t fold(const uint32_t *v, int n, binop f, uint32_t init) {
  int i;
  for (i = 0; i < n; i++) init = f(init, v[i]);
  return init;
}

/* ---- callbacks with context ---- */
typedef void (*visit_fn)(void *ctx, int index, int value);

static void for_each(const int *v, int n, visit_fn f, void *ctx) {
  int i;
  for (i = 0; i < n; i++) f(ctx, i, v[i]);
}

struct stats {
  int min, max;
  long long sum;
  uint32_t count;
};

static void visit_stats(void *ctx, int index, int value) {
  struct stats *s = ctx;
  (void)index;
  if (s->count == 0 || value < s->min) s->min = value;
  if (s->count == 0 || value > s->max) s->max = value;
  s->sum += value;
  s->count++;
}

static void visit_weighted(void *ctx, int index, int value) {
  uint32_t *h = ctx;
  *h = (*h ^ (uint32_t)(value * (index + 1))) * 16777619u;
}

/* ---- vtables ---- */
struct shape;
struct shape_ops {
  const char *name;
  int (*area)(const struct shape *);
  int (*perimeter)(const struct shape *);
  void (*scale)(struct shape *, int);
};
struct shape {
  const struct shape_ops *ops;
  int a, b, c;
};

static int rect_area(const struct shape *s) { return s->a * s->b; }
static int rect_perimeter(const struct shape *s) { return 2 * (s->a + s->b); }
static void rect_scale(struct shape *s, int k) {
  s->a *= k;
  s->b *= k;
}
static int square_area(const struct shape *s) { return s->a * s->a; }
static int square_perimeter(const struct shape *s) { return 4 * s->a; }
static void square_scale(struct shape *s, int k) { s->a *= k; }
/* right triangle with legs a, b and hypotenuse c */
static int tri_area(const struct shape *s) { return s->a * s->b / 2; }
static int tri_perimeter(const struct shape *s) { return s->a + s->b + s->c; }
static void tri_scale(struct shape *s, int k) {
  s->a *= k;
  s->b *= k;
  s->c *= k;
}

static const struct shape_ops rect_ops = {"rect", rect_area, rect_perimeter, rect_scale};
static const struct shape_ops square_ops = {"square", square_area, square_perimeter, square_scale};
static const struct shape_ops tri_ops = {"triangle", tri_area, tri_perimeter, tri_scale};

/* ---- generic sort over void * ---- */
typedef int (*compare_fn)(const void *, const void *);

static void swap_bytes(void *x, void *y, size_t size) {
  unsigned char *p = x, *q = y;
  while (size--) {
    unsigned char t = *p;
    *p++ = *q;
    *q++ = t;
  }
}

/* shell sort, so that it is not recursive */
static void generic_sort(void *base, size_t n, size_t size, compare_fn cmp) {
  size_t gap, i, j;
  unsigned char *b = base;
  for (gap = n / 2; gap > 0; gap /= 2)
    for (i = gap; i < n; i++)
      for (j = i; j >= gap && cmp(b + (j - gap) * size, b + j * size) > 0; j -= gap)
        swap_bytes(b + (j - gap) * size, b + j * size, size);
}

struct record {
  char name[12];
  int key;
  uint32_t payload[3];
};

static int cmp_int(const void *x, const void *y) {
  int a = *(const int *)x, b = *(const int *)y;
  return (a > b) - (a < b);
}

static int cmp_record_key(const void *x, const void *y) {
  const struct record *a = x, *b = y;
  if (a->key != b->key) return a->key < b->key ? -1 : 1;
  return strcmp(a->name, b->name);
}

static int cmp_record_name(const void *x, const void *y) {
  const struct record *a = x, *b = y;
  return strcmp(a->name, b->name);
}

/* ---- struct copy and struct return ---- */
struct big {
  uint32_t v[12];
  int tag;
};

static struct big make_big(int tag) {
  struct big b;
  int i;
  for (i = 0; i < 12; i++) b.v[i] = (uint32_t)(tag * 31 + i * i);
  b.tag = tag;
  return b;
}

static struct big add_big(struct big x, struct big y) {
  int i;
  for (i = 0; i < 12; i++) x.v[i] += y.v[i];
  x.tag += y.tag;
  return x;
}

static uint32_t big_hash(struct big b) {
  uint32_t h = 2166136261u;
  int i;
  for (i = 0; i < 12; i++) h = (h ^ b.v[i]) * 16777619u;
  return h ^ (uint32_t)b.tag;
}

struct pair {
  int lo, hi;
};

static struct pair minmax(const int *v, int n) {
  struct pair p;
  int i;
  p.lo = p.hi = v[0];
  for (i = 1; i < n; i++) {
    if (v[i] < p.lo) p.lo = v[i];
    if (v[i] > p.hi) p.hi = v[i];
  }
  return p;
}

/* Structures above about 1 KiB are copied with rep movsl by gcc (at -O0 and -O2). */
struct frame {
  uint32_t w[320];
};

static struct frame frame_fill(uint32_t seed) {
  struct frame f;
  int i;
  for (i = 0; i < 320; i++) {
    seed = seed * 1664525u + 1013904223u;
    f.w[i] = seed >> 7;
  }
  return f;
}

static uint32_t frame_sum(struct frame f) {
  uint32_t s = 0;
  int i;
  for (i = 0; i < 320; i += 3) s += f.w[i] ^ (uint32_t)i;
  return s;
}

static struct frame frame_pick(struct frame a, struct frame b, int first) {
  return first ? a : b;
}

/* ---- varargs ---- */
static long long sum_ints(int n, ...) {
  va_list ap;
  long long s = 0;
  int i;
  va_start(ap, n);
  for (i = 0; i < n; i++) s += va_arg(ap, int);
  va_end(ap);
  return s;
}

/* A small formatter of its own: %d %u %x %s %L (long long), into a hash. */
static uint32_t vhash(const char *fmt, va_list ap) {
  uint32_t h = 2166136261u;
  for (; *fmt; fmt++) {
    uint32_t v;
    if (*fmt != '%') {
      v = (unsigned char)*fmt;
    } else {
      switch (*++fmt) {
      case 'd': v = (uint32_t)va_arg(ap, int); break;
      case 'u':
      case 'x': v = va_arg(ap, uint32_t); break;
      case 'L': {
        unsigned long long x = va_arg(ap, unsigned long long);
        v = (uint32_t)x ^ (uint32_t)(x >> 32);
        break;
      }
      case 's': {
        const char *s = va_arg(ap, const char *);
        v = 0;
        while (*s) v = v * 31u + (unsigned char)*s++;
        break;
      }
      default: v = 0; break;
      }
    }
    h = (h ^ v) * 16777619u;
  }
  return h;
}

static uint32_t hash_args(const char *fmt, ...) {
  va_list ap;
  uint32_t h;
  va_start(ap, fmt);
  h = vhash(fmt, ap);
  va_end(ap);
  return h;
}

static uint32_t lcg_state = 12345u;
static uint32_t lcg(void) {
  lcg_state = lcg_state * 1103515245u + 12345u;
  return lcg_state >> 4;
}

int main(void) {
  static uint32_t v[400];
  static int iv[400];
  static struct record recs[48];
  struct shape shapes[6];
  unsigned int i, k;
  uint32_t h;

  for (i = 0; i < 400; i++) v[i] = lcg();

  /* operator table */
  for (k = 0; k < NOPS; k++) {
    uint32_t r = fold(v, 400, ops[k].fn, k);
    printf("fold %s: %08x\n", ops[k].name, r);
    mix(r);
  }
  h = 0;
  for (i = 0; i < 3000; i++) h = ops[i % NOPS].fn(h, v[i % 400]) + (uint32_t)i;
  printf("table dispatch: %08x\n", h);
  mix(h);

  /* callbacks */
  for (i = 0; i < 400; i++) iv[i] = (int)(v[i] % 20001u) - 10000;
  {
    struct stats st;
    memset(&st, 0, sizeof st);
    for_each(iv, 400, visit_stats, &st);
    printf("stats: n %u min %d max %d sum %lld\n", st.count, st.min, st.max, st.sum);
    mix(st.count);
    mix((uint32_t)st.sum);
    h = 0;
    for_each(iv, 400, visit_weighted, &h);
    for_each(iv, 400, visit_weighted, &h);
    printf("weighted: %08x\n", h);
    mix(h);
  }

  /* vtables */
  shapes[0].ops = &rect_ops;
  shapes[0].a = 3;
  shapes[0].b = 4;
  shapes[1].ops = &square_ops;
  shapes[1].a = 5;
  shapes[2].ops = &tri_ops;
  shapes[2].a = 3;
  shapes[2].b = 4;
  shapes[2].c = 5;
  shapes[3].ops = &rect_ops;
  shapes[3].a = 10;
  shapes[3].b = 2;
  shapes[4].ops = &tri_ops;
  shapes[4].a = 5;
  shapes[4].b = 12;
  shapes[4].c = 13;
  shapes[5].ops = &square_ops;
  shapes[5].a = 1;
  for (k = 0; k < 6; k++) {
    struct shape *s = &shapes[k];
    int a0 = s->ops->area(s), p0 = s->ops->perimeter(s);
    s->ops->scale(s, 3);
    printf("%-8s area %4d perimeter %3d, scaled x3: area %5d perimeter %3d\n", s->ops->name, a0,
           p0, s->ops->area(s), s->ops->perimeter(s));
    mix((uint32_t)(a0 + p0));
  }
  {
    uint32_t total = 0;
    for (i = 0; i < 1500; i++) {
      struct shape *s = &shapes[i % 6];
      total += (uint32_t)s->ops->area(s) + (uint32_t)s->ops->perimeter(s);
    }
    printf("polymorphic total: %u\n", total);
    mix(total);
  }

  /* generic sort */
  generic_sort(iv, 400, sizeof iv[0], cmp_int);
  for (i = 1, k = 1; i < 400; i++)
    if (iv[i - 1] > iv[i]) k = 0;
  printf("generic sort ints: sorted %u, first %d last %d\n", k, iv[0], iv[399]);
  mix(k);
  for (i = 0; i < 48; i++) {
    uint32_t r = lcg();
    snprintf(recs[i].name, sizeof recs[i].name, "r%c%c%02u", 'a' + (int)(r % 26),
             'a' + (int)((r >> 5) % 26), i);
    recs[i].key = (int)(r % 10u);
    recs[i].payload[0] = r;
    recs[i].payload[1] = ~r;
    recs[i].payload[2] = i;
  }
  generic_sort(recs, 48, sizeof recs[0], cmp_record_key);
  printf("by key: %s(%d) %s(%d) ... %s(%d)\n", recs[0].name, recs[0].key, recs[1].name,
         recs[1].key, recs[47].name, recs[47].key);
  h = 0;
  for (i = 0; i < 48; i++) h = (h ^ recs[i].payload[2]) * 16777619u;
  mix(h);
  generic_sort(recs, 48, sizeof recs[0], cmp_record_name);
  printf("by name: %s %s ... %s\n", recs[0].name, recs[1].name, recs[47].name);
  h = 0;
  for (i = 0; i < 48; i++) h = (h ^ recs[i].payload[2]) * 16777619u;
  mix(h);

  /* struct copy and return */
  {
    struct big acc = make_big(0), copy;
    struct pair p;
    for (i = 1; i <= 300; i++) acc = add_big(acc, make_big((int)i));
    copy = acc;
    copy.tag++;
    printf("big: tag %d v0 %u v11 %u hash %08x copy hash %08x\n", acc.tag, acc.v[0], acc.v[11],
           big_hash(acc), big_hash(copy));
    mix(big_hash(acc));
    p = minmax(iv + 7, 300);
    printf("minmax: %d %d\n", p.lo, p.hi);
    mix((uint32_t)(p.lo ^ p.hi));
  }

  /* big structures by value */
  {
    static struct frame f1, f2, f3;
    uint32_t t = 0;
    f1 = frame_fill(1);
    f2 = frame_fill(2);
    for (i = 0; i < 12; i++) {
      f3 = frame_pick(f1, f2, (int)(i & 1));
      f3.w[i] += i;
      t += frame_sum(f3);
      if (i % 4 == 3) f1 = f3;
    }
    printf("frames: %08x\n", t);
    mix(t);
  }

  /* varargs */
  {
    long long s = 0;
    for (i = 0; i < 400; i++)
      s += sum_ints((int)(i % 8), (int)i, -3, (int)(i * i), 7, -(int)i, 11, 13, (int)(i >> 2));
    printf("varargs sum: %lld, sum_ints(3, 1, 2, 3) = %lld\n", s, sum_ints(3, 1, 2, 3));
    mix((uint32_t)s);
    h = 0;
    for (i = 0; i < 300; i++)
      h ^= hash_args("item %d of %u: %s [%x] %L", (int)i - 150, 300u, i % 2 ? "odd" : "even",
                     i * 2654435761u, (unsigned long long)i << 33);
    printf("hash_args: %08x\n", h);
    mix(h);
  }

  printf("checksum %08x\n", checksum);
  return 0;
}
