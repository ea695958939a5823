/*
 * bigmem <MiB> <blocks>: mallocs <blocks> blocks of <MiB> MiB each (all of them first), then writes
 * every byte of every block and reads them back as a checksum. "bigmem 5 1" needs about 5 MiB more
 * than a small program: the Linux server's memory must grow to hold it. When a malloc fails it says
 * so and exits 1; when memory runs out while touching (the machine has less than was promised, as
 * with Linux's heuristic overcommit), the kernel kills it with SIGKILL.
 */
#include "libc.h"

int main(int argc, char **argv) {
  unsigned mib = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
  unsigned blocks = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
  unsigned char *b[16];
  if (blocks > 16) blocks = 16;
  unsigned size = mib << 20;
  for (unsigned i = 0; i < blocks; i++) {
    b[i] = malloc(size);
    if (!b[i]) {
      printf("malloc of block %u (%u MiB) failed: errno %d\n", i, mib, errno);
      return 1;
    }
  }
  printf("%u block(s) of %u MiB allocated\n", blocks, mib);
  unsigned sum = 0;
  for (unsigned i = 0; i < blocks; i++) {
    for (unsigned k = 0; k < size; k += 64) b[i][k] = (unsigned char)(k / 64 + i);
    for (unsigned k = 0; k < size; k += 64) sum = sum * 31 + b[i][k];
  }
  printf("touched %u MiB, checksum 0x%08x\n", blocks * mib, sum);
  for (unsigned i = 0; i < blocks; i++) free(b[i]);
  return 0;
}
