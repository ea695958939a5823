/*
 * grow <path> [block-bytes] [max-blocks]: creates <path> (truncating it) and appends blocks of
 * <block-bytes> bytes (default 4096, at most 65536) until a write fails or <max-blocks> blocks are
 * written (0 or absent: no limit). Prints how many bytes fit, in how many writes, how many of those
 * were short, and the errno of the failing write. On a full file system Linux's write returns what
 * still fits (a short write), and the next one fails with ENOSPC (28).
 *
 * Natively it runs on /dev/null with a block limit: a real file without one would fill the host's disk.
 */
#include "libc.h"

#define MAX_BLOCK 65536

static char block[MAX_BLOCK];

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "grow.out";
  unsigned size = argc > 2 ? strtoul(argv[2], 0, 10) : 4096;
  unsigned max = argc > 3 ? strtoul(argv[3], 0, 10) : 0;
  unsigned long long total = 0;
  unsigned writes = 0, short_writes = 0;
  int fd;
  if (size < 1 || size > MAX_BLOCK) size = 4096;
  memset(block, 'g', size);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) {
    printf("grow: cannot open %s: errno %d\n", path, errno);
    return 1;
  }
  for (;;) {
    int n;
    if (max != 0 && writes == max) {
      printf("grow: %llu bytes in %u writes (%u short), stopped after %u blocks\n", total, writes, short_writes, max);
      return 0;
    }
    n = write(fd, block, size);
    if (n < 0) break;
    writes++;
    total += (unsigned)n;
    if ((unsigned)n < size) short_writes++;
  }
  printf("grow: %llu bytes in %u writes (%u short), then errno %d\n", total, writes, short_writes, errno);
  return errno == ENOSPC ? 0 : 2;
}
