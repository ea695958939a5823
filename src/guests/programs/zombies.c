/*
 * zombies [max]: forks children that exit at once and never reaps them, until fork fails or <max>
 * children are made (0 or absent: no limit). The parent waits for each child's exit through a pipe
 * (read returns 0 once the child's copy of the write end is closed by its exit), so every child is a
 * zombie before the next fork, whatever order the scheduler picks. Prints how many zombies it made
 * and fork's errno: Linux refuses fork with EAGAIN once its process table is full (2.4: max_threads,
 * zombies included), so a parent that never waits cannot grow the kernel without bound.
 */
#include "libc.h"

int main(int argc, char **argv) {
  unsigned max = argc > 1 ? strtoul(argv[1], 0, 10) : 0;
  unsigned made = 0;
  for (;;) {
    int fds[2];
    char c;
    pid_t pid;
    if (max != 0 && made == max) {
      printf("zombies: %u children left unreaped, stopped at %u\n", made, max);
      return 0;
    }
    if (pipe(fds) < 0) {
      printf("zombies: pipe failed after %u children: errno %d\n", made, errno);
      return 1;
    }
    pid = fork();
    if (pid < 0) {
      int e = errno;
      close(fds[0]);
      close(fds[1]);
      printf("zombies: %u children left unreaped, then fork failed: errno %d\n", made, e);
      return 0;
    }
    if (pid == 0) _exit(0);
    close(fds[1]);
    while (read(fds[0], &c, 1) > 0) {
    }
    close(fds[0]);
    made++;
  }
}
