/* The smallest Linux guest: greets, then lists its arguments. */
#include "libc.h"

static void show_arg(int i, const char *arg) { printf("argv[%d] = \"%s\"\n", i, arg); }

int main(int argc, char **argv) {
  int i;
  puts("hello, world");
  printf("argc = %d\n", argc);
  for (i = 0; i < argc; i++) show_arg(i, argv[i]);
  return 0;
}
