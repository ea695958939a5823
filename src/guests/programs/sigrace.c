/*
 * sigrace: fork a child that computes forever without a single system call, and kill it at
 * once with SIGTERM; the parent waits and reports how the child ended. argv[1] is the number of
 * rounds (default 1). Natively this always completes; under a simulator the signal has to reach
 * a thread that never enters the kernel on its own.
 */
#include "libc.h"

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 1;
  int r;
  if (rounds < 1) rounds = 1;
  for (r = 0; r < rounds; r++) {
    int st = 0;
    pid_t pid = fork();
    if (pid < 0) {
      printf("fork failed, errno %d\n", errno);
      return 1;
    }
    if (pid == 0) {
      volatile unsigned int x = 1;
      for (;;) x = x * 1103515245u + 12345u;
    }
    kill(pid, SIGTERM);
    if (waitpid(pid, &st, 0) != pid) {
      printf("waitpid failed, errno %d\n", errno);
      return 1;
    }
    if (WIFSIGNALED(st)) printf("child killed by signal %d\n", WTERMSIG(st));
    else if (WIFEXITED(st)) printf("child exited with status %d\n", WEXITSTATUS(st));
    else printf("child status 0x%x\n", st);
  }
  printf("sigrace: %d round(s) done\n", rounds);
  return 0;
}
