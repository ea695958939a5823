/* printf family. Output to a file descriptor is collected in a buffer on the caller's stack and
   written when it fills and at the end of the call, so no output is ever left buffered between
   calls (fork, exec, exit and signal handlers need no flushing). */
#include "internal.h"

#define OUTBUF 512

struct sink {
  int fd;       /* >= 0: write to fd; -1: to buf */
  char *buf;    /* fd sink: local buffer of OUTBUF; string sink: destination */
  size_t cap;   /* string sink: capacity (room for the NUL included) */
  size_t len;   /* chars stored in buf */
  size_t total; /* chars produced */
  int error;
};

static void write_all(int fd, const char *p, size_t n, int *error) {
  while (n) {
    long r = __sc3(SYS_write, fd, (long)p, (long)n);
    if (r == -EINTR) continue;
    if (r <= 0) {
      *error = 1;
      return;
    }
    p += r;
    n -= (size_t)r;
  }
}

static void sink_flush(struct sink *s) {
  if (s->fd >= 0 && s->len) {
    write_all(s->fd, s->buf, s->len, &s->error);
    s->len = 0;
  }
}

static void put(struct sink *s, char c) {
  s->total++;
  if (s->fd >= 0) {
    if (s->len == OUTBUF) sink_flush(s);
    s->buf[s->len++] = c;
  } else if (s->len + 1 < s->cap) {
    s->buf[s->len++] = c;
  }
}

static void put_repeat(struct sink *s, char c, int n) {
  while (n-- > 0) put(s, c);
}

static void put_str(struct sink *s, const char *p, int n) {
  while (n-- > 0) put(s, *p++);
}

#define F_LEFT 1
#define F_ZERO 2
#define F_PLUS 4
#define F_SPACE 8
#define F_ALT 16

/* Digits of v in base, least significant first, into tmp; returns the count. */
static int to_digits(unsigned long long v, unsigned int base, int upper, char *tmp) {
  const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  if ((v >> 32) == 0) { /* fast path: 32-bit division only */
    unsigned int w = (unsigned int)v;
    do {
      tmp[n++] = dig[w % base];
      w /= base;
    } while (w);
    return n;
  }
  do {
    tmp[n++] = dig[v % base];
    v /= base;
  } while (v);
  return n;
}

static void put_number(struct sink *s, unsigned long long v, int neg, unsigned int base,
                       int upper, int flags, int width, int prec, const char *prefix) {
  char tmp[24];
  int nd = 0, npre = 0, zeros = 0, pad;
  char sign = 0;
  if (!(prec == 0 && v == 0)) nd = to_digits(v, base, upper, tmp);
  if (neg)
    sign = '-';
  else if (flags & F_PLUS)
    sign = '+';
  else if (flags & F_SPACE)
    sign = ' ';
  if (prefix) npre = (int)strlen(prefix);
  if (prec >= 0) {
    if (prec > nd) zeros = prec - nd;
    flags &= ~F_ZERO;
  }
  pad = width - nd - zeros - npre - (sign != 0);
  if (!(flags & F_LEFT) && !(flags & F_ZERO)) put_repeat(s, ' ', pad);
  if (sign) put(s, sign);
  if (prefix) put_str(s, prefix, npre);
  if (!(flags & F_LEFT) && (flags & F_ZERO)) put_repeat(s, '0', pad);
  put_repeat(s, '0', zeros);
  while (nd) put(s, tmp[--nd]);
  if (flags & F_LEFT) put_repeat(s, ' ', pad);
}

static void format(struct sink *s, const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    int flags = 0, width = 0, prec = -1, lng = 0;
    char c = *fmt;
    if (c != '%') {
      put(s, c);
      continue;
    }
    /* flags */
    for (;;) {
      c = *++fmt;
      if (c == '-') flags |= F_LEFT;
      else if (c == '0') flags |= F_ZERO;
      else if (c == '+') flags |= F_PLUS;
      else if (c == ' ') flags |= F_SPACE;
      else if (c == '#') flags |= F_ALT;
      else break;
    }
    /* width */
    if (c == '*') {
      width = va_arg(ap, int);
      if (width < 0) {
        flags |= F_LEFT;
        width = -width;
      }
      c = *++fmt;
    } else {
      while (c >= '0' && c <= '9') {
        width = width * 10 + (c - '0');
        c = *++fmt;
      }
    }
    /* precision */
    if (c == '.') {
      prec = 0;
      c = *++fmt;
      if (c == '*') {
        prec = va_arg(ap, int);
        if (prec < 0) prec = -1;
        c = *++fmt;
      } else {
        while (c >= '0' && c <= '9') {
          prec = prec * 10 + (c - '0');
          c = *++fmt;
        }
      }
    }
    /* length: h and hh are accepted (arguments are promoted to int anyway), l, ll, z */
    for (;;) {
      if (c == 'l') lng++;
      else if (c == 'h' || c == 'z' || c == 't') {
      } else if (c == 'j' || c == 'q') lng = 2;
      else break;
      c = *++fmt;
    }
    if (flags & F_LEFT) flags &= ~F_ZERO;
    switch (c) {
    case 'd':
    case 'i': {
      long long v = lng >= 2 ? va_arg(ap, long long) : (long long)va_arg(ap, long);
      unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
      put_number(s, u, v < 0, 10, 0, flags, width, prec, 0);
      break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      unsigned long long v =
          lng >= 2 ? va_arg(ap, unsigned long long) : (unsigned long long)va_arg(ap, unsigned long);
      unsigned int base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
      const char *prefix = 0;
      if ((flags & F_ALT) && v != 0) prefix = c == 'o' ? "0" : c == 'x' ? "0x" : c == 'X' ? "0X" : 0;
      put_number(s, v, 0, base, c == 'X', flags & ~(F_PLUS | F_SPACE), width, prec, prefix);
      break;
    }
    case 'p': {
      unsigned long v = (unsigned long)va_arg(ap, void *);
      put_number(s, v, 0, 16, 0, flags & ~(F_PLUS | F_SPACE), width, prec, "0x");
      break;
    }
    case 'c': {
      char ch = (char)va_arg(ap, int);
      if (!(flags & F_LEFT)) put_repeat(s, ' ', width - 1);
      put(s, ch);
      if (flags & F_LEFT) put_repeat(s, ' ', width - 1);
      break;
    }
    case 's': {
      const char *str = va_arg(ap, const char *);
      int n;
      if (!str) str = "(null)";
      n = (int)(prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str));
      if (!(flags & F_LEFT)) put_repeat(s, ' ', width - n);
      put_str(s, str, n);
      if (flags & F_LEFT) put_repeat(s, ' ', width - n);
      break;
    }
    case '%':
      put(s, '%');
      break;
    case 0: /* lone '%' at the end */
      return;
    default: /* unknown conversion: print it as it stands */
      put(s, '%');
      put(s, c);
      break;
    }
  }
}

int vdprintf(int fd, const char *fmt, va_list ap) {
  char buf[OUTBUF];
  struct sink s;
  s.fd = fd;
  s.buf = buf;
  s.cap = OUTBUF;
  s.len = 0;
  s.total = 0;
  s.error = 0;
  format(&s, fmt, ap);
  sink_flush(&s);
  return s.error ? -1 : (int)s.total;
}

int vprintf(const char *fmt, va_list ap) { return vdprintf(1, fmt, ap); }

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap) {
  struct sink s;
  s.fd = -1;
  s.buf = buf;
  s.cap = n;
  s.len = 0;
  s.total = 0;
  s.error = 0;
  format(&s, fmt, ap);
  if (n) buf[s.len] = 0;
  return (int)s.total;
}

int vsprintf(char *buf, const char *fmt, va_list ap) {
  return vsnprintf(buf, (size_t)INT_MAX, fmt, ap);
}

int printf(const char *fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = vdprintf(1, fmt, ap);
  va_end(ap);
  return r;
}

int dprintf(int fd, const char *fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = vdprintf(fd, fmt, ap);
  va_end(ap);
  return r;
}

int snprintf(char *buf, size_t n, const char *fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = vsnprintf(buf, n, fmt, ap);
  va_end(ap);
  return r;
}

int sprintf(char *buf, const char *fmt, ...) {
  va_list ap;
  int r;
  va_start(ap, fmt);
  r = vsnprintf(buf, (size_t)INT_MAX, fmt, ap);
  va_end(ap);
  return r;
}

int fdputs(int fd, const char *str) {
  int error = 0;
  write_all(fd, str, strlen(str), &error);
  return error ? -1 : 0;
}

/* One write for the text and its newline, as long as it fits the buffer. */
int puts(const char *str) {
  char buf[OUTBUF];
  struct sink s;
  s.fd = 1;
  s.buf = buf;
  s.cap = OUTBUF;
  s.len = 0;
  s.total = 0;
  s.error = 0;
  while (*str) put(&s, *str++);
  put(&s, '\n');
  sink_flush(&s);
  return s.error ? -1 : 1;
}

int putchar(int c) {
  char ch = (char)c;
  int error = 0;
  write_all(1, &ch, 1, &error);
  return error ? -1 : (unsigned char)ch;
}

void stdout_flush(void) {}

void __stdio_flush(void) {}
