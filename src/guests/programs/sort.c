/* sort: sorting pseudo-random int arrays (LCG) with quicksort (comparison function pointer),
   insertion sort, merge sort and heapsort; each result is verified; then binary searches.
   Prints each result and a checksum. */
#include "libc.h"

#define N 300
#define NSMALL 120

static uint32_t checksum = 2166136261u;
static uint32_t seed;
static uint32_t ncompares;

static void mix(uint32_t v) {
  checksum ^= v;
  checksum *= 16777619u;
}

/* Numerical Recipes LCG; the high bits are the better ones. */
static uint32_t lcg(void) {
  seed = seed * 1664525u + 1013904223u;
  return seed;
}

static void fill(int *a, int n, uint32_t s, int range) {
  int i;
  seed = s;
  for (i = 0; i < n; i++) a[i] = (int)((lcg() >> 8) % (uint32_t)range) - range / 2;
}

typedef int (*cmp_fn)(int, int);

static int cmp_asc(int x, int y) {
  ncompares++;
  return (x > y) - (x < y);
}

static int cmp_desc(int x, int y) {
  ncompares++;
  return (y > x) - (y < x);
}

/* |x| ascending, then the value itself */
static int cmp_abs(int x, int y) {
  int ax = x < 0 ? -x : x, ay = y < 0 ? -y : y;
  ncompares++;
  if (ax != ay) return ax < ay ? -1 : 1;
  return (x > y) - (x < y);
}

static void swap(int *a, int i, int j) {
  int t = a[i];
  a[i] = a[j];
  a[j] = t;
}

static void quicksort(int *a, int lo, int hi, cmp_fn cmp) {
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2, pivot, i, j;
    /* median of three to the middle */
    if (cmp(a[mid], a[lo]) < 0) swap(a, mid, lo);
    if (cmp(a[hi], a[lo]) < 0) swap(a, hi, lo);
    if (cmp(a[hi], a[mid]) < 0) swap(a, hi, mid);
    pivot = a[mid];
    i = lo;
    j = hi;
    while (i <= j) {
      while (cmp(a[i], pivot) < 0) i++;
      while (cmp(a[j], pivot) > 0) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    /* recurse into the smaller part, loop on the larger */
    if (j - lo < hi - i) {
      quicksort(a, lo, j, cmp);
      lo = i;
    } else {
      quicksort(a, i, hi, cmp);
      hi = j;
    }
  }
}

static void insertion_sort(int *a, int n) {
  int i, j;
  for (i = 1; i < n; i++) {
    int v = a[i];
    for (j = i; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
    a[j] = v;
  }
}

static void merge(int *a, int *tmp, int lo, int mid, int hi) {
  int i = lo, j = mid, k = lo;
  while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
  while (i < mid) tmp[k++] = a[i++];
  while (j < hi) tmp[k++] = a[j++];
  for (k = lo; k < hi; k++) a[k] = tmp[k];
}

static void merge_sort(int *a, int *tmp, int lo, int hi) {
  int mid;
  if (hi - lo < 2) return;
  mid = lo + (hi - lo) / 2;
  merge_sort(a, tmp, lo, mid);
  merge_sort(a, tmp, mid, hi);
  merge(a, tmp, lo, mid, hi);
}

static void sift_down(int *a, int root, int n) {
  for (;;) {
    int child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && a[child + 1] > a[child]) child++;
    if (a[root] >= a[child]) return;
    swap(a, root, child);
    root = child;
  }
}

static void heapsort(int *a, int n) {
  int i;
  for (i = n / 2 - 1; i >= 0; i--) sift_down(a, i, n);
  for (i = n - 1; i > 0; i--) {
    swap(a, 0, i);
    sift_down(a, 0, i);
  }
}

static int is_sorted(const int *a, int n, cmp_fn cmp) {
  int i;
  for (i = 1; i < n; i++)
    if (cmp(a[i - 1], a[i]) > 0) return 0;
  return 1;
}

static uint32_t hash_array(const int *a, int n) {
  uint32_t h = 2166136261u;
  int i;
  for (i = 0; i < n; i++) {
    h ^= (uint32_t)a[i];
    h *= 16777619u;
  }
  return h;
}

/* Index of key in sorted a, or -1. */
static int binary_search(const int *a, int n, int key) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    if (a[mid] == key) return mid;
    if (a[mid] < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

static int a[N], b[N], tmp[N];

static void report(const char *name, const int *arr, int n, cmp_fn cmp) {
  int ok = is_sorted(arr, n, cmp);
  uint32_t h = hash_array(arr, n);
  printf("%-16s n=%d sorted=%d min=%d max=%d median=%d hash=%08x\n", name, n, ok, arr[0],
         arr[n - 1], arr[n / 2], h);
  mix(h);
  mix((uint32_t)ok);
}

int main(void) {
  int i, found, sum;

  fill(a, N, 1u, 20000);
  ncompares = 0;
  quicksort(a, 0, N - 1, cmp_asc);
  printf("quicksort compares: %u\n", ncompares);
  report("quicksort asc", a, N, cmp_asc);

  fill(b, N, 2u, 1000);
  quicksort(b, 0, N - 1, cmp_desc);
  report("quicksort desc", b, N, cmp_desc);

  fill(b, N, 3u, 400);
  quicksort(b, 0, N - 1, cmp_abs);
  report("quicksort |x|", b, N, cmp_abs);

  fill(b, NSMALL, 4u, 5000);
  insertion_sort(b, NSMALL);
  report("insertion sort", b, NSMALL, cmp_asc);

  fill(b, N, 5u, 100000);
  merge_sort(b, tmp, 0, N);
  report("merge sort", b, N, cmp_asc);

  fill(b, N, 6u, 3000);
  heapsort(b, N);
  report("heapsort", b, N, cmp_asc);

  /* all four sorts agree on the same input */
  fill(a, NSMALL, 7u, 777);
  memcpy(b, a, sizeof(int) * NSMALL);
  insertion_sort(a, NSMALL);
  heapsort(b, NSMALL);
  printf("insertion == heapsort: %d\n", memcmp(a, b, sizeof(int) * NSMALL) == 0);
  fill(b, NSMALL, 7u, 777);
  merge_sort(b, tmp, 0, NSMALL);
  printf("insertion == merge sort: %d\n", memcmp(a, b, sizeof(int) * NSMALL) == 0);
  fill(b, NSMALL, 7u, 777);
  quicksort(b, 0, NSMALL - 1, cmp_asc);
  printf("insertion == quicksort: %d\n", memcmp(a, b, sizeof(int) * NSMALL) == 0);

  /* binary search in the big sorted array */
  fill(a, N, 1u, 20000);
  heapsort(a, N);
  found = 0;
  sum = 0;
  seed = 99u;
  for (i = 0; i < 400; i++) {
    int key = i % 2 ? a[(lcg() >> 8) % N] : (int)((lcg() >> 8) % 20000u) - 10000;
    int at = binary_search(a, N, key);
    if (at >= 0) {
      found++;
      sum += at;
      if (a[at] != key) printf("binary search broken at %d\n", i);
    }
  }
  printf("binary search: %d of 400 found, index sum %d\n", found, sum);
  mix((uint32_t)found);
  mix((uint32_t)sum);

  printf("checksum %08x\n", checksum);
  return 0;
}
