/* Strings and memory. memcpy/memset/memmove use the string instructions. */
#include "internal.h"

void *memcpy(void *d, const void *s, size_t n) {
  void *ret = d;
  unsigned long c0, d0, s0;
  __asm__ volatile("rep movsl\n\t"
                   "movl %4, %%ecx\n\t"
                   "rep movsb"
                   : "=&c"(c0), "=&D"(d0), "=&S"(s0)
                   : "0"(n >> 2), "rm"(n & 3), "1"(d), "2"(s)
                   : "memory");
  return ret;
}

void *memmove(void *d, const void *s, size_t n) {
  unsigned long c0, d0, s0;
  if ((const char *)d <= (const char *)s || (const char *)d >= (const char *)s + n)
    return memcpy(d, s, n);
  /* overlapping, destination above source: copy downwards */
  __asm__ volatile("std\n\t"
                   "rep movsb\n\t"
                   "cld"
                   : "=&c"(c0), "=&D"(d0), "=&S"(s0)
                   : "0"(n), "1"((char *)d + n - 1), "2"((const char *)s + n - 1)
                   : "memory");
  return d;
}

void *memset(void *d, int c, size_t n) {
  unsigned long c0, d0;
  unsigned int v = (unsigned char)c;
  v |= v << 8;
  v |= v << 16;
  __asm__ volatile("rep stosl\n\t"
                   "movl %4, %%ecx\n\t"
                   "rep stosb"
                   : "=&c"(c0), "=&D"(d0)
                   : "0"(n >> 2), "a"(v), "rm"(n & 3), "1"(d)
                   : "memory");
  return d;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y) return *x < *y ? -1 : 1;
  return 0;
}

void *memchr(const void *s, int c, size_t n) {
  const unsigned char *p = s;
  for (; n; n--, p++)
    if (*p == (unsigned char)c) return (void *)p;
  return 0;
}

size_t strlen(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
  while (*x && *x == *y) x++, y++;
  return (*x > *y) - (*x < *y);
}

int strncmp(const char *a, const char *b, size_t n) {
  const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
  for (; n; n--, x++, y++) {
    if (*x != *y) return *x < *y ? -1 : 1;
    if (!*x) return 0;
  }
  return 0;
}

char *strcpy(char *d, const char *s) {
  char *r = d;
  while ((*d++ = *s++)) {
  }
  return r;
}

char *strncpy(char *d, const char *s, size_t n) {
  char *r = d;
  for (; n && *s; n--) *d++ = *s++;
  for (; n; n--) *d++ = 0;
  return r;
}

char *strcat(char *d, const char *s) {
  strcpy(d + strlen(d), s);
  return d;
}

char *strncat(char *d, const char *s, size_t n) {
  char *p = d + strlen(d);
  for (; n && *s; n--) *p++ = *s++;
  *p = 0;
  return d;
}

char *strchr(const char *s, int c) {
  for (;; s++) {
    if (*s == (char)c) return (char *)s;
    if (!*s) return 0;
  }
}

char *strrchr(const char *s, int c) {
  const char *last = 0;
  for (;; s++) {
    if (*s == (char)c) last = s;
    if (!*s) return (char *)last;
  }
}

char *strstr(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  if (!n) return (char *)hay;
  for (; *hay; hay++)
    if (*hay == *needle && strncmp(hay, needle, n) == 0) return (char *)hay;
  return 0;
}

static int digit_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

unsigned long strtoul(const char *s, char **end, int base) {
  unsigned long v = 0;
  int neg = 0, any = 0, dv;
  while (*s == ' ' || (*s >= '\t' && *s <= '\r')) s++;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
      digit_value(s[2]) < 16) {
    s += 2;
    base = 16;
  } else if (base == 0) {
    base = s[0] == '0' ? 8 : 10;
  }
  while ((dv = digit_value(*s)) < base) {
    v = v * (unsigned long)base + (unsigned long)dv;
    s++;
    any = 1;
  }
  (void)any;
  if (end) *end = (char *)s;
  return neg ? -v : v;
}

long strtol(const char *s, char **end, int base) { return (long)strtoul(s, end, base); }

long atol(const char *s) { return strtol(s, 0, 10); }

int atoi(const char *s) { return (int)strtol(s, 0, 10); }

static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";

char *utoa(unsigned int v, char *buf, int base) {
  char tmp[33];
  int i = 0, j = 0;
  if (base < 2 || base > 36) base = 10;
  do {
    tmp[i++] = digits[v % (unsigned int)base];
    v /= (unsigned int)base;
  } while (v);
  while (i) buf[j++] = tmp[--i];
  buf[j] = 0;
  return buf;
}

char *itoa(int v, char *buf, int base) {
  if (v < 0 && base == 10) {
    buf[0] = '-';
    utoa(-(unsigned int)v, buf + 1, base);
    return buf;
  }
  return utoa((unsigned int)v, buf, base);
}

char *ulltoa(unsigned long long v, char *buf, int base) {
  char tmp[65];
  int i = 0, j = 0;
  if (base < 2 || base > 36) base = 10;
  do {
    tmp[i++] = digits[v % (unsigned int)base];
    v /= (unsigned int)base;
  } while (v);
  while (i) buf[j++] = tmp[--i];
  buf[j] = 0;
  return buf;
}

char *lltoa(long long v, char *buf, int base) {
  if (v < 0 && base == 10) {
    buf[0] = '-';
    ulltoa(-(unsigned long long)v, buf + 1, base);
    return buf;
  }
  return ulltoa((unsigned long long)v, buf, base);
}
