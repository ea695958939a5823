/* Internal helpers of the l4trace guest libc: raw int $0x80 system calls. */
#ifndef L4TRACE_LIBC_INTERNAL_H
#define L4TRACE_LIBC_INTERNAL_H

#include "libc.h"

/* Linux i386: EAX = number, arguments in EBX, ECX, EDX, ESI, EDI; the kernel preserves every
   register except EAX, which holds the result (-4095..-1 = -errno). */
static inline long __sc0(long n) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(n) : "memory");
  return r;
}
static inline long __sc1(long n, long a) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a) : "memory");
  return r;
}
static inline long __sc2(long n, long a, long b) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a), "c"(b) : "memory");
  return r;
}
static inline long __sc3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}
static inline long __sc4(long n, long a, long b, long c, long d) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
  return r;
}
static inline long __sc5(long n, long a, long b, long c, long d, long e) {
  long r;
  __asm__ volatile("int $0x80"
                   : "=a"(r)
                   : "0"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                   : "memory");
  return r;
}

/* Kernel result -> C result: -1 with errno set for -4095..-1. */
static inline long __sysret(long r) {
  if ((unsigned long)r > (unsigned long)-4096L) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

void __stdio_flush(void);

#endif
