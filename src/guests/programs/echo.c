/* echo: prints its arguments separated by single spaces, then a newline. */
#include "libc.h"

int main(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) printf(i > 1 ? " %s" : "%s", argv[i]);
  putchar('\n');
  return 0;
}
