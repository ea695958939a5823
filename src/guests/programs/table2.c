/*
 * table2: the getpid/fork benchmark.
 *
 *   table2 <getpid-calls> <fork-calls> <resident-pages> <dirty-pages>   (default 2000 40 64 8)
 *
 * Touches the first resident-pages pages of a 1 MiB static working set, then runs
 *   marker 1, getpid-calls x getpid(), marker 2,
 *   marker 3, fork-calls x (dirty the first dirty-pages pages; fork; child _exit(0); waitpid),
 *   marker 4.
 * A marker is system call 499 with the marker number in EBX: l4trace records it, a real kernel
 * answers ENOSYS (ignored). Output is printed only after marker 4.
 */
#include "libc.h"

#define PAGE 4096
#define WS_PAGES 256
#define SYS_marker 499

static char ws[WS_PAGES * PAGE];

static int arg(int argc, char **argv, int i, int def, int max) {
  int v = argc > i ? atoi(argv[i]) : def;
  if (v < 0) v = 0;
  if (v > max) v = max;
  return v;
}

int main(int argc, char **argv) {
  int getpids = arg(argc, argv, 1, 2000, INT_MAX);
  int forks = arg(argc, argv, 2, 40, INT_MAX);
  int resident = arg(argc, argv, 3, 64, WS_PAGES);
  int dirty = arg(argc, argv, 4, 8, WS_PAGES);
  int i, p, failed = 0;
  unsigned int sum = 0;

  for (p = 0; p < resident; p++) ws[p * PAGE] = (char)(p + 1);

  syscall(SYS_marker, 1, 0, 0, 0, 0);
  for (i = 0; i < getpids; i++) getpid();
  syscall(SYS_marker, 2, 0, 0, 0, 0);

  syscall(SYS_marker, 3, 0, 0, 0, 0);
  for (i = 0; i < forks; i++) {
    pid_t pid;
    for (p = 0; p < dirty; p++) ws[p * PAGE]++;
    pid = fork();
    if (pid == 0) _exit(0);
    if (pid < 0 || waitpid(pid, 0, 0) != pid) failed++;
  }
  syscall(SYS_marker, 4, 0, 0, 0, 0);

  for (p = 0; p < WS_PAGES; p++) sum = sum * 31u + (unsigned char)ws[p * PAGE];
  printf("table2: getpid %d, fork %d, resident %d, dirty %d\n", getpids, forks, resident, dirty);
  printf("getpid loop done\n");
  printf("fork loop done, %d failure(s)\n", failed);
  printf("working set checksum %08x\n", sum);
  return failed ? 1 : 0;
}
