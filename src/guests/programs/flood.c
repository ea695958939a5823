/*
 * flood <blocks> [block-bytes]: writes <blocks> blocks of <block-bytes> bytes (default 65536, at most
 * that) to stdout, each a row of dots ending in a newline, then one line with the total. A guest that
 * writes without end: l4trace must keep host memory flat however much it writes (the old console
 * transcript grew with every byte). The total is kept in 64 bits, so floods past 4 GiB count right.
 */
#include "libc.h"

#define MAX_BLOCK 65536

static char block[MAX_BLOCK];

int main(int argc, char **argv) {
  unsigned blocks = argc > 1 ? strtoul(argv[1], 0, 10) : 1;
  unsigned size = argc > 2 ? strtoul(argv[2], 0, 10) : MAX_BLOCK;
  unsigned long long total = 0;
  unsigned i;
  if (size < 1 || size > MAX_BLOCK) size = MAX_BLOCK;
  memset(block, '.', size);
  block[size - 1] = '\n';
  for (i = 0; i < blocks; i++) {
    int n = write(1, block, size);
    if (n < 0) {
      printf("flood: write %u failed: errno %d\n", i, errno);
      return 1;
    }
    total += (unsigned)n;
  }
  printf("flood: %u blocks of %u bytes, %llu bytes written\n", blocks, size, total);
  return 0;
}
