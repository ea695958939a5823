/* malloc on top of brk: first fit over an address-ordered free list with coalescing; the heap
   grows in 4 KiB steps. Blocks are 8-byte aligned; each starts with an 8-byte header. */
#include "internal.h"

static char *cur_brk;

int brk(void *addr) {
  long r = __sc1(SYS_brk, (long)addr);
  cur_brk = (char *)r;
  if ((char *)r != (char *)addr) {
    errno = ENOMEM;
    return -1;
  }
  return 0;
}

void *sbrk(long increment) {
  char *old, *want;
  if (!cur_brk) cur_brk = (char *)__sc1(SYS_brk, 0);
  old = cur_brk;
  if (increment == 0) return old;
  want = old + increment;
  if (brk(want) < 0) {
    cur_brk = old;
    return (void *)-1;
  }
  return old;
}

struct block {
  size_t size;         /* whole block, header included; multiple of 8 */
  struct block *next;  /* free blocks only */
};

#define HDR 8u
#define MIN_BLOCK 16u
#define GROW 4096u

static struct block *free_list;

static void insert_free(struct block *b) {
  struct block **pp = &free_list, *prev = 0;
  while (*pp && *pp < b) {
    prev = *pp;
    pp = &(*pp)->next;
  }
  b->next = *pp;
  *pp = b;
  /* merge with the following block */
  if (b->next && (char *)b + b->size == (char *)b->next) {
    b->size += b->next->size;
    b->next = b->next->next;
  }
  /* merge with the preceding block */
  if (prev && (char *)prev + prev->size == (char *)b) {
    prev->size += b->size;
    prev->next = b->next;
  }
}

void *malloc(size_t n) {
  size_t need;
  struct block **pp, *b;
  if (n > 0x7fff0000u) {
    errno = ENOMEM;
    return 0;
  }
  need = (n + HDR + 7u) & ~7u;
  if (need < MIN_BLOCK) need = MIN_BLOCK;
  for (;;) {
    for (pp = &free_list; (b = *pp); pp = &b->next) {
      if (b->size >= need) {
        if (b->size - need >= MIN_BLOCK) { /* split; keep the tail free */
          struct block *rest = (struct block *)((char *)b + need);
          rest->size = b->size - need;
          rest->next = b->next;
          *pp = rest;
          b->size = need;
        } else {
          *pp = b->next;
        }
        return (char *)b + HDR;
      }
    }
    {
      size_t grow = (need + GROW - 1) & ~(GROW - 1);
      char *top;
      if (!cur_brk) cur_brk = (char *)__sc1(SYS_brk, 0);
      /* keep blocks 8-byte aligned */
      if ((unsigned long)cur_brk & 7u) {
        if (sbrk((long)(8u - ((unsigned long)cur_brk & 7u))) == (void *)-1) return 0;
      }
      top = sbrk((long)grow);
      if (top == (void *)-1) {
        errno = ENOMEM;
        return 0;
      }
      b = (struct block *)top;
      b->size = grow;
      insert_free(b);
    }
  }
}

void free(void *p) {
  if (p) insert_free((struct block *)((char *)p - HDR));
}

void *calloc(size_t count, size_t size) {
  size_t n = count * size;
  void *p;
  if (size && n / size != count) {
    errno = ENOMEM;
    return 0;
  }
  p = malloc(n);
  if (p) memset(p, 0, n);
  return p;
}

void *realloc(void *p, size_t n) {
  struct block *b;
  void *q;
  size_t have;
  if (!p) return malloc(n);
  if (!n) {
    free(p);
    return 0;
  }
  b = (struct block *)((char *)p - HDR);
  have = b->size - HDR;
  if (have >= n) return p;
  q = malloc(n);
  if (!q) return 0;
  memcpy(q, p, have);
  free(p);
  return q;
}

char *strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}
