/*
 * exec: execve of a missing file, of other guests in forked children, and finally of echo in
 * this process itself (so the last line and the exit status come from echo).
 *
 * Guests are found by the relative path bin/<name>: natively the build runs guests in
 * src/guests, and l4trace's Linux server has /bin/<name> with the current directory /.
 */
#include "libc.h"

static void show_status(const char *who, int st) {
  if (WIFEXITED(st))
    printf("%s: WIFEXITED %d, WEXITSTATUS %d\n", who, WIFEXITED(st) != 0, WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    printf("%s: WIFSIGNALED %d, WTERMSIG %d\n", who, WIFSIGNALED(st) != 0, WTERMSIG(st));
  else
    printf("%s: status 0x%x\n", who, st);
}

static void run_child(const char *path, char **argv, char **envp) {
  int st = 0;
  pid_t pid = fork();
  if (pid < 0) {
    printf("fork failed, errno %d\n", errno);
    exit(1);
  }
  if (pid == 0) {
    execve(path, argv, envp);
    printf("child: execve(%s) failed, errno %d\n", path, errno);
    _exit(127);
  }
  if (waitpid(pid, &st, 0) != pid) printf("waitpid failed, errno %d\n", errno);
  show_status(path, st);
}

int main(int argc, char **argv, char **envp) {
  char *missing[] = {"nonexistent", 0};
  char *hello[] = {"hello", "x", "y", 0};
  char *echo[] = {"echo", "one", "two", 0};
  char *done[] = {"echo", "done", 0};
  int r;
  (void)argc;
  printf("exec: argv[0] = %s\n", argv[0]);
  errno = 0;
  r = execve("bin/nonexistent", missing, envp);
  printf("execve(bin/nonexistent) = %d, errno %d\n", r, errno);
  run_child("bin/hello", hello, envp);
  run_child("bin/echo", echo, envp);
  puts("exec: replacing this process with bin/echo");
  execve("bin/echo", done, envp);
  printf("execve(bin/echo) failed, errno %d\n", errno);
  return 1;
}
