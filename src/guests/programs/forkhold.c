/*
 * forkhold [n]: forks n children (default 16) that all stay alive at once, then lets them go.
 *
 * Every child blocks reading a pipe until the parent has made all of them and closes its write end
 * (read returns 0 once no write end is left: each child closes its copy at once), so n processes,
 * each with its own address space, live at the same time: under L4Linux n L4 tasks whose page
 * directories, page tables, thread control blocks and mapping-database nodes the microkernel holds in
 * its own memory (the kmem scenario). Then it reaps them all. Prints how many children it had alive
 * and, when fork failed, fork's errno; exit status 0 when all n were made, else 1.
 */
#include "libc.h"

static char page[4096]; /* .bss: every child writes it (a copy-on-write fault, one more mapping) */

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 16;
  int fds[2];
  int made = 0, err = 0, i;
  if (pipe(fds) < 0) {
    printf("forkhold: pipe failed: errno %d\n", errno);
    return 2;
  }
  for (i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      char c;
      close(fds[1]);
      page[0] = (char)i;
      while (read(fds[0], &c, 1) > 0) {
      }
      _exit(0);
    }
    made++;
  }
  close(fds[0]);
  close(fds[1]);
  for (i = 0; i < made; i++) waitpid(-1, 0, 0);
  if (err != 0) {
    printf("forkhold: %d children alive at once, then fork failed: errno %d\n", made, err);
    return 1;
  }
  printf("forkhold: %d children alive at once, all reaped\n", made);
  return 0;
}
