/* wc: counts the lines, words and bytes of stdin and prints them as "lines words bytes". */
#include "libc.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

int main(void) {
  char buf[100];
  int lines = 0, words = 0, bytes = 0, in_word = 0;
  for (;;) {
    int i, n = read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1;
    if (n == 0) break;
    bytes += n;
    for (i = 0; i < n; i++) {
      if (buf[i] == '\n') lines++;
      if (is_space(buf[i])) {
        in_word = 0;
      } else if (!in_word) {
        in_word = 1;
        words++;
      }
    }
  }
  printf("%d %d %d\n", lines, words, bytes);
  return 0;
}
