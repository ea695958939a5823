/* upcase: copies stdin to stdout in chunks, turning a-z into A-Z, until read returns 0. */
#include "libc.h"

static int write_all(int fd, const char *p, int n) {
  while (n > 0) {
    int w = write(fd, p, (size_t)n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= w;
  }
  return 0;
}

int main(void) {
  char buf[128];
  for (;;) {
    int i, n = read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1;
    if (n == 0) return 0;
    for (i = 0; i < n; i++)
      if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] = (char)(buf[i] - 'a' + 'A');
    if (write_all(1, buf, n) < 0) return 1;
  }
}
