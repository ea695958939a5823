/*
 * An ordinary C program against a real C library (glibc or musl, built static for i386):
 * stdio formatting, malloc/realloc/free (small blocks on the heap, large ones in mmap'ed chunks),
 * qsort/bsearch, strtod/strtol/atof round trips, string functions and errno strings.
 *
 * Output is deterministic: no pointers, pids, times or random values are printed, only results
 * and checksums. Built as glibc-basics and musl-basics (src/guests/build.mjs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned lcg_state = 12345u;
static unsigned lcg(void) {
  lcg_state = lcg_state * 1103515245u + 12345u;
  return (lcg_state >> 8) & 0xffffffu;
}

static uint32_t fnv1a(const void *p, size_t n, uint32_t h) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
  return h;
}

/* ---- stdio ---- */

static void section_stdio(void) {
  char buf[64];
  int n;

  puts("== stdio");
  printf("[%d] [%5d] [%-5d] [%05d] [%+d] [% d]\n", 42, 42, 42, 42, 42, 42);
  printf("[%x] [%X] [%#x] [%#o] [%o] [%u]\n", 48879u, 48879u, 255u, 8u, 511u, 4000000000u);
  printf("[%lld] [%llu] [%llx] [%20lld] [%-20lld]\n", -9223372036854775807LL - 1, 18446744073709551615ULL,
         0x123456789abcdefULL, 1234567890123LL, -42LL);
  printf("[%hd] [%hhu] [%ld] [%lu] [%zu]\n", (short)-1234, (unsigned char)300, -2147483647L - 1, 4294967295UL,
         (size_t)12345);
  printf("[%s] [%.3s] [%10s] [%-10s] [%c] [%%]\n", "string", "truncate", "right", "left", 'Z');
  printf("[%*d] [%-*d] [%.*f]\n", 6, 7, 6, 7, 2, 3.14159);

  const double ds[] = {0.0, -0.0, 1.0, -1.5, 1.0 / 3.0, 2.0 / 3.0, 1e10, 1e-10, 123456789.125, 6.02214076e23,
                       1.602176634e-19, 0.1, 1e300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308};
  for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
    double d = ds[i];
    printf("%zu: %e | %.3e | %g | %.10g | %G | %a | %.17g\n", i, d, d, d, d, d, d, d);
  }
  printf("[%f] [%.0f] [%.1f] [%10.3f] [%-10.2f] [%+.2e] [%010.4f]\n", 2.5, 2.5, 0.05, 3.14159, 2.71828, 12345.678,
         -3.5);
  printf("[%.0f] [%.0f] [%.0f] [%.0f] (round half to even)\n", 0.5, 1.5, 2.5, 3.5);
  printf("[%f] [%e] [%g] [%F]\n", HUGE_VAL, -HUGE_VAL, NAN, INFINITY);
  printf("[%.20f]\n", 0.1);
  printf("[%.30e]\n", 1.0 / 7.0);
  printf("[%g] [%g] [%g] [%g] [%#g]\n", 100000.0, 1000000.0, 0.0001, 0.00001, 1.0);

  n = snprintf(buf, sizeof buf, "%s-%d-%.2f", "abc", 123, 4.5);
  printf("snprintf: \"%s\" = %d\n", buf, n);
  volatile size_t eight = 8; /* not a constant: gcc would warn about the truncation it sees */
  n = snprintf(buf, eight, "%s", "0123456789abcdef");
  printf("snprintf truncated: \"%s\" returns %d\n", buf, n);
  n = snprintf(NULL, 0, "%d %e", 1000000, 1.0);
  printf("snprintf(NULL, 0): %d\n", n);
  n = sprintf(buf, "%08.3f|%-6x|", 3.14159, 0xabcu);
  printf("sprintf: \"%s\" = %d\n", buf, n);
  char *s = NULL;
  n = asprintf(&s, "%s and %lld", "asprintf", 1LL << 40);
  printf("asprintf: \"%s\" = %d\n", s, n);
  free(s);

  int a = 0, b = 0;
  double x = 0;
  char word[16];
  n = sscanf("17 0x1f 2.5e3 word", "%d %i %lf %15s", &a, &b, &x, word);
  printf("sscanf: %d fields: %d %d %g %s\n", n, a, b, x, word);
}

/* ---- malloc ---- */

static void fill(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i * 7 + (i >> 8));
}

static int check(const unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(seed + i * 7 + (i >> 8))) return 0;
  return 1;
}

static void section_malloc(void) {
  enum { N = 200 };
  unsigned char *blocks[N];
  size_t sizes[N];
  int ok = 1;

  puts("== malloc");
  for (int i = 0; i < N; i++) {
    sizes[i] = 1 + (lcg() % 2000);
    blocks[i] = malloc(sizes[i]);
    if (!blocks[i]) ok = 0;
    else fill(blocks[i], sizes[i], (unsigned)i);
  }
  /* free every third block, grow every other one, check all */
  for (int i = 0; i < N; i += 3) {
    free(blocks[i]);
    blocks[i] = NULL;
  }
  for (int i = 1; i < N; i += 2) {
    if (!blocks[i]) continue;
    size_t bigger = sizes[i] * 3 + 17;
    unsigned char *q = realloc(blocks[i], bigger);
    if (!q) {
      ok = 0;
      continue;
    }
    if (!check(q, sizes[i], (unsigned)i)) ok = 0;
    blocks[i] = q;
    sizes[i] = bigger;
    fill(q, bigger, (unsigned)i);
  }
  size_t total = 0;
  for (int i = 0; i < N; i++) {
    if (!blocks[i]) continue;
    if (!check(blocks[i], sizes[i], (unsigned)i)) ok = 0;
    total += sizes[i];
  }
  printf("small blocks: %d live, %zu bytes, contents %s\n", N - (N + 2) / 3, total, ok ? "intact" : "DAMAGED");
  for (int i = 0; i < N; i++) free(blocks[i]);

  /* calloc returns zeroed memory, also for memory that was used before */
  unsigned char *c = malloc(5000);
  memset(c, 0xa5, 5000);
  free(c);
  unsigned *z = calloc(1250, sizeof *z);
  int zero = 1;
  for (int i = 0; i < 1250; i++)
    if (z[i]) zero = 0;
  printf("calloc(1250, 4): %s\n", zero ? "all zero" : "NOT ZERO");
  free(z);

  /* large blocks: mmap'ed by both libraries (glibc above 128 KiB, musl above ~128 KiB) */
  const size_t large[] = {256 * 1024, 300 * 1024 + 5, 1024 * 1024, 3 * 1024 * 1024 + 123};
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < sizeof large / sizeof large[0]; i++) {
    unsigned char *p = malloc(large[i]);
    if (!p) {
      printf("large %zu: malloc failed\n", large[i]);
      continue;
    }
    fill(p, large[i], (unsigned)(i * 31));
    int intact = check(p, large[i], (unsigned)(i * 31));
    h = fnv1a(p, large[i], h);
    /* grow (mremap for mmap'ed chunks) and shrink, the contents stay */
    unsigned char *q = realloc(p, large[i] * 2);
    int grown = q && check(q, large[i], (unsigned)(i * 31));
    if (q) p = q;
    memset(p + large[i], 0x5a, large[i]);
    q = realloc(p, large[i] / 3);
    int shrunk = q && check(q, large[i] / 3, (unsigned)(i * 31));
    if (q) p = q;
    printf("large %zu: written %s, realloc x2 %s, realloc /3 %s\n", large[i], intact ? "ok" : "BAD",
           grown ? "kept contents" : "LOST", shrunk ? "kept contents" : "LOST");
    free(p);
  }
  printf("large blocks checksum %08x\n", (unsigned)h);

  /* realloc(NULL) is malloc, many small reallocs in a row */
  char *str = NULL;
  size_t len = 0;
  for (int i = 0; i < 500; i++) {
    char piece[16];
    int k = snprintf(piece, sizeof piece, "%d,", i);
    str = realloc(str, len + (size_t)k + 1);
    memcpy(str + len, piece, (size_t)k + 1);
    len += (size_t)k;
  }
  printf("grown string: %zu bytes, checksum %08x, ends with \"%s\"\n", len, (unsigned)fnv1a(str, len, 2166136261u),
         str + len - 8);
  free(str);
}

/* ---- qsort / bsearch ---- */

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

struct rec {
  int key;
  int order;
};

static int cmp_rec(const void *a, const void *b) {
  const struct rec *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->order - y->order;
}

static void section_sort(void) {
  enum { N = 1000 };
  static int v[N];
  puts("== qsort/bsearch");
  for (int i = 0; i < N; i++) v[i] = (int)(lcg() % 100000) - 50000;
  qsort(v, N, sizeof v[0], cmp_int);
  int sorted = 1;
  for (int i = 1; i < N; i++)
    if (v[i - 1] > v[i]) sorted = 0;
  printf("ints: %s, min %d, median %d, max %d, checksum %08x\n", sorted ? "sorted" : "NOT SORTED", v[0], v[N / 2],
         v[N - 1], (unsigned)fnv1a(v, sizeof v, 2166136261u));
  int found = 0, missing = 0;
  for (int k = -50000; k < 50000; k += 37) {
    if (bsearch(&k, v, N, sizeof v[0], cmp_int)) found++;
    else missing++;
  }
  printf("bsearch: %d found, %d missing\n", found, missing);
  int *hit = bsearch(&v[123], v, N, sizeof v[0], cmp_int);
  printf("bsearch of an element: %s\n", hit && *hit == v[123] ? "found it" : "WRONG");

  const char *words[] = {"pear", "apple", "fig", "banana", "kiwi", "cherry", "date", "grape", "apricot", "lemon"};
  enum { W = sizeof words / sizeof words[0] };
  qsort(words, W, sizeof words[0], cmp_str);
  printf("words:");
  for (int i = 0; i < W; i++) printf(" %s", words[i]);
  printf("\n");
  const char *key = "fig";
  const char **w = bsearch(&key, words, W, sizeof words[0], cmp_str);
  printf("bsearch \"fig\": index %d\n", w ? (int)(w - words) : -1);

  /* a stable order made explicit through a second key */
  static struct rec r[300];
  for (int i = 0; i < 300; i++) r[i] = (struct rec){(int)(lcg() % 10), i};
  qsort(r, 300, sizeof r[0], cmp_rec);
  printf("records: first (%d,%d) last (%d,%d), checksum %08x\n", r[0].key, r[0].order, r[299].key, r[299].order,
         (unsigned)fnv1a(r, sizeof r, 2166136261u));
}

/* ---- strtod / strtol / atof ---- */

static void section_strto(void) {
  puts("== strtod/strtol");
  const double ds[] = {0.1, 1.0 / 3.0, 3.141592653589793, 2.718281828459045, 1e-5, 123456.789, 6.02214076e23,
                       4.9406564584124654e-324, 1.7976931348623157e308, -0.0, 9007199254740993.0, 0.3};
  int exact = 0;
  for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", ds[i]);
    double back = strtod(buf, NULL);
    if (memcmp(&back, &ds[i], sizeof back) == 0) exact++;
    else printf("round trip of %s changed the value\n", buf);
  }
  printf("%%.17g -> strtod round trips: %d of %zu exact\n", exact, sizeof ds / sizeof ds[0]);

  const char *inputs[] = {"3.25", "  -1.5e3xyz", "0x1.8p1", "1e400", "-1e-400", "inf", "-Infinity", "nan", ".5", "5.",
                          "1e", "abc", "0.000000000000000000000000000001"};
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    char *end;
    errno = 0;
    double d = strtod(inputs[i], &end);
    int e = errno;
    printf("strtod(\"%s\") = %.17g, used %d chars, errno %d\n", inputs[i], d, (int)(end - inputs[i]), e);
  }
  printf("atof(\"3.14abc\") = %g, atof(\"-2.5e-3\") = %g\n", atof("3.14abc"), atof("-2.5e-3"));
  printf("strtof(\"0.1\") = %.9g\n", (double)strtof("0.1", NULL));

  struct {
    const char *s;
    int base;
  } ls[] = {{"12345", 10}, {"-0x7fffffff", 0}, {"0777", 0}, {"0x1F", 16}, {"z", 36}, {"101101", 2},
            {"2147483647", 10}, {"2147483648", 10}, {"-2147483649", 10}, {"   +42rest", 10}, {"junk", 10}};
  for (size_t i = 0; i < sizeof ls / sizeof ls[0]; i++) {
    char *end;
    errno = 0;
    long v = strtol(ls[i].s, &end, ls[i].base);
    int e = errno;
    printf("strtol(\"%s\", %d) = %ld, used %d chars, errno %d\n", ls[i].s, ls[i].base, v, (int)(end - ls[i].s), e);
  }
  errno = 0;
  unsigned long ul = strtoul("4294967295", NULL, 10);
  printf("strtoul max = %lu, errno %d\n", ul, errno);
  errno = 0;
  ul = strtoul("4294967296", NULL, 10);
  printf("strtoul overflow = %lu, errno %d\n", ul, errno);
  errno = 0;
  long long ll = strtoll("-9223372036854775808", NULL, 10);
  printf("strtoll min = %lld, errno %d\n", ll, errno);
  unsigned long long ull = strtoull("0xffffffffffffffff", NULL, 16);
  printf("strtoull = %llu\n", ull);
  printf("atoi(\"  -17x\") = %d, atol(\"99999\") = %ld\n", atoi("  -17x"), atol("99999"));

  /* integer <-> text round trips */
  int rt = 0;
  for (int i = 0; i < 2000; i++) {
    long v = (long)(lcg() << 8) ^ (long)lcg();
    char buf[24];
    snprintf(buf, sizeof buf, "%ld", v);
    if (strtol(buf, NULL, 10) == v) rt++;
  }
  printf("%%ld -> strtol round trips: %d of 2000\n", rt);
  /* a little arithmetic whose result is exact in IEEE double */
  double sum = 0;
  for (int i = 1; i <= 100; i++) sum += 1.0 / (double)(i * (i + 1));
  printf("sum 1/(i(i+1)), i=1..100 = %.15f, sqrt(2) = %.17g, sqrt(1e10) = %g\n", sum, sqrt(2.0), sqrt(1e10));
}

/* ---- strings ---- */

static void section_strings(void) {
  char buf[128];
  puts("== strings");
  strcpy(buf, "hello");
  strcat(buf, ", ");
  strcat(buf, "world");
  printf("strcpy/strcat: \"%s\" strlen %zu\n", buf, strlen(buf));
  printf("strstr(\"world\"): offset %d, strstr(\"xyz\"): %s\n", (int)(strstr(buf, "world") - buf),
         strstr(buf, "xyz") ? "found" : "NULL");
  printf("strchr('o'): %d, strrchr('o'): %d\n", (int)(strchr(buf, 'o') - buf), (int)(strrchr(buf, 'o') - buf));
  printf("strcmp: %d %d %d, strncmp(\"abcd\", \"abcx\", 3) = %d\n", strcmp("a", "b") < 0, strcmp("b", "a") > 0,
         strcmp("same", "same") == 0, strncmp("abcd", "abcx", 3));
  printf("strspn(\"abcde\", \"bca\") = %zu, strcspn(\"abcde\", \"dx\") = %zu\n", strspn("abcde", "bca"),
         strcspn("abcde", "dx"));

  char text[] = "  the quick,brown fox ;; jumps,, over the   lazy dog ";
  int n = 0;
  printf("strtok:");
  for (char *t = strtok(text, " ,;"); t; t = strtok(NULL, " ,;")) {
    printf(" [%s]", t);
    n++;
  }
  printf(" (%d tokens)\n", n);

  char m[32] = "0123456789abcdefghij";
  memmove(m + 4, m, 10);
  printf("memmove up: \"%s\"\n", m);
  memmove(m, m + 6, 10);
  printf("memmove down: \"%s\"\n", m);
  unsigned char x1[] = {1, 2, 3, 200}, x2[] = {1, 2, 3, 100};
  printf("memcmp: %d %d %d\n", memcmp(x1, x2, 4) > 0, memcmp(x2, x1, 4) < 0, memcmp(x1, x2, 3) == 0);
  memset(buf, 'x', 10);
  buf[10] = 0;
  printf("memset: \"%s\"\n", buf);
  char nbuf[8];
  strncpy(nbuf, "abc", sizeof nbuf);
  printf("strncpy pads: %d %d\n", nbuf[3] == 0, nbuf[7] == 0);
  char *d = strdup("duplicate");
  printf("strdup: \"%s\"\n", d);
  free(d);
  printf("strndup: \"%s\"\n", (d = strndup("duplicate", 3)));
  free(d);

  /* a bigger buffer, so the libraries' word-at-a-time paths are used */
  static char big[10000];
  for (int i = 0; i < 9999; i++) big[i] = (char)('a' + i % 26);
  big[9999] = 0;
  printf("big: strlen %zu, strchr('z') %d, memchr last 'q' %d, strstr(\"xyzab\") %d\n", strlen(big),
         (int)(strchr(big, 'z') - big), (int)((char *)memrchr(big, 'q', 9999) - big), (int)(strstr(big, "xyzab") - big));
  memmove(big + 1, big, 9000);
  printf("big memmove checksum %08x\n", (unsigned)fnv1a(big, 10000, 2166136261u));
}

/* ---- errno strings ---- */

static void section_errno(void) {
  puts("== errno");
  const int errs[] = {EPERM, ENOENT, ESRCH, EINTR, EIO, EBADF, ECHILD, EAGAIN, ENOMEM, EACCES, EEXIST, ENOTDIR,
                      EISDIR, EINVAL, EMFILE, ENOSPC, ESPIPE, EPIPE, ERANGE, ENOSYS, ENOTEMPTY, ELOOP, ENAMETOOLONG};
  for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) printf("%d: %s\n", errs[i], strerror(errs[i]));
  errno = 0;
  FILE *f = fopen("/nonexistent-l4trace/file", "r");
  printf("fopen of a missing file: %s, errno %d (%s)\n", f ? "opened" : "NULL", errno, strerror(errno));
  errno = 0;
  long v = strtol("99999999999999999999", NULL, 10);
  printf("strtol overflow: %ld, errno %d (%s)\n", v, errno, strerror(errno));
}

int main(void) {
  section_stdio();
  section_malloc();
  section_sort();
  section_strto();
  section_strings();
  section_errno();
  puts("== done");
  return 0;
}
