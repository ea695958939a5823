/*
 * Processes and signals through a real C library (glibc or musl, static i386): fork + waitpid
 * with exit statuses and children killed by signals, vfork, pipes between parent and child,
 * execve of itself through /proc/self/exe (an argument selects another branch), sigaction with a
 * handler, the C library's signal(), the old signal system call (48) with its one-shot SysV
 * semantics, and getpid/getppid relations printed as booleans.
 *
 * Output is deterministic: no pid is printed, only comparisons. A child writes to stdout only
 * while its parent waits for it; stdout is flushed before each fork (stdio buffers are copied by
 * fork); signal handlers only record what happened, the main line prints it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void show_status(const char *what, int status) {
  if (WIFEXITED(status)) printf("%s: exited with %d\n", what, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) printf("%s: killed by signal %d (%s)\n", what, WTERMSIG(status), strsignal(WTERMSIG(status)));
  else printf("%s: status %#x\n", what, (unsigned)status);
}

static pid_t fork_flushed(void) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    printf("fork failed: errno %d\n", errno);
    exit(2);
  }
  return pid;
}

static void wait_for(pid_t pid, const char *what) {
  int status = 0;
  pid_t r = waitpid(pid, &status, 0);
  if (r != pid) printf("%s: waitpid returned another process or failed (errno %d)\n", what, errno);
  show_status(what, status);
}

/* ---- the branches selected by argv[1] after an exec ---- */

static int exec_branch(int argc, char **argv, char **envp) {
  printf("exec branch: argc %d, argv[0] \"%s\"", argc, argv[0]);
  for (int i = 2; i < argc; i++) printf(", argv[%d] \"%s\"", i, argv[i]);
  printf("\n");
  int n = 0;
  for (char **e = envp; *e; e++) n++;
  const char *v = getenv("L4T_BRANCH");
  printf("exec branch: %d environment strings, L4T_BRANCH=%s\n", n, v ? v : "(unset)");
  return 3;
}

static int echo_branch(int argc, char **argv) {
  /* stdout is a pipe to the parent here */
  for (int i = 2; i < argc; i++) printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
  return 0;
}

/* ---- signals ---- */

static volatile sig_atomic_t usr1_count, usr1_signo, usr1_code, usr1_from_self, usr2_count, old_count;
static pid_t self_pid;

static void on_usr1(int sig, siginfo_t *info, void *uc) {
  (void)uc;
  usr1_count++;
  usr1_signo = sig;
  usr1_code = info->si_code;
  usr1_from_self = info->si_pid == self_pid;
}

static void on_usr2(int sig) {
  (void)sig;
  usr2_count++;
}

static void on_old(int sig) {
  (void)sig;
  old_count++;
}

static void section_signals(void) {
  puts("== signals");
  self_pid = getpid();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  printf("sigaction SIGUSR1: %d\n", sigaction(SIGUSR1, &sa, NULL));
  printf("kill(getpid(), SIGUSR1): %d\n", kill(getpid(), SIGUSR1));
  printf("handler ran %d time(s) before kill returned: signo %d, si_code SI_USER %s, si_pid is me %s\n",
         (int)usr1_count, (int)usr1_signo, usr1_code == SI_USER ? "yes" : "no", usr1_from_self ? "yes" : "no");
  raise(SIGUSR1);
  printf("after raise: %d\n", (int)usr1_count);
  struct sigaction old;
  sigaction(SIGUSR1, NULL, &old);
  printf("the handler stays installed: %s\n", old.sa_sigaction == on_usr1 ? "yes" : "no");

  /* blocked: pending until unblocked, then delivered once */
  sigset_t set, prev;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, &prev);
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR1);
  sigset_t pending;
  sigpending(&pending);
  printf("blocked: %d deliveries so far, SIGUSR1 pending %d\n", (int)usr1_count, sigismember(&pending, SIGUSR1));
  sigprocmask(SIG_SETMASK, &prev, NULL);
  printf("unblocked: %d deliveries\n", (int)usr1_count);

  /* the C library's signal(): BSD semantics in both libraries, the handler stays */
  void (*was)(int) = signal(SIGUSR2, on_usr2);
  printf("signal(SIGUSR2) returned SIG_DFL: %s\n", was == SIG_DFL ? "yes" : "no");
  raise(SIGUSR2);
  raise(SIGUSR2);
  printf("SIGUSR2 handler ran %d times\n", (int)usr2_count);
  signal(SIGUSR2, SIG_IGN);
  raise(SIGUSR2);
  printf("ignored SIGUSR2: still %d\n", (int)usr2_count);
  signal(SIGUSR2, SIG_DFL);

  /* the old signal system call (48): SysV semantics, the handler is reset to SIG_DFL when it
     runs, so a second signal kills. In a child, whose death the parent reports. */
  pid_t pid = fork_flushed();
  if (pid == 0) {
    long prev_handler = syscall(SYS_signal, SIGUSR2, on_old);
    printf("child: old signal(SIGUSR2) returned SIG_DFL: %s\n", prev_handler == (long)SIG_DFL ? "yes" : "no");
    kill(getpid(), SIGUSR2);
    printf("child: the handler ran %d time(s)\n", (int)old_count);
    struct sigaction now;
    sigaction(SIGUSR2, NULL, &now);
    printf("child: the handler was reset to SIG_DFL: %s\n", now.sa_handler == SIG_DFL ? "yes" : "no");
    fflush(stdout);
    kill(getpid(), SIGUSR2); /* the default action: terminate */
    printf("child: still alive after the second SIGUSR2\n");
    exit(0);
  }
  wait_for(pid, "child with the old signal call");
}

int main(int argc, char **argv, char **envp) {
  if (argc >= 2 && strcmp(argv[1], "exec-branch") == 0) return exec_branch(argc, argv, envp);
  if (argc >= 2 && strcmp(argv[1], "echo-branch") == 0) return echo_branch(argc, argv);

  pid_t me = getpid();
  printf("getpid > 0: %s, getppid != getpid: %s\n", me > 0 ? "yes" : "no", getppid() != me ? "yes" : "no");

  puts("== fork and exit statuses");
  pid_t pid = fork_flushed();
  if (pid == 0) {
    printf("child: getppid is the parent: %s, getpid differs: %s\n", getppid() == me ? "yes" : "no",
           getpid() != me ? "yes" : "no");
    exit(7);
  }
  /* between fork and waitpid the parent prints nothing: the order would depend on buffering */
  int pid_ok = pid != me && pid > 0;
  wait_for(pid, "child exiting with 7");
  printf("parent: fork returned the child's pid (not mine): %s\n", pid_ok ? "yes" : "no");

  pid = fork_flushed();
  if (pid == 0) {
    raise(SIGTERM);
    _exit(1);
  }
  wait_for(pid, "child raising SIGTERM");

  /* a child blocked reading a pipe, killed by its parent */
  int block[2];
  pipe(block);
  pid = fork_flushed();
  if (pid == 0) {
    char c;
    close(block[1]);
    read(block[0], &c, 1);
    _exit(1);
  }
  close(block[0]);
  int status = -1;
  int nohang = (int)waitpid(pid, &status, WNOHANG);
  kill(pid, SIGKILL);
  wait_for(pid, "child blocked in read, sent SIGKILL");
  printf("waitpid WNOHANG while the child blocked: %d\n", nohang);
  close(block[1]);

  /* a fault in a child */
  pid = fork_flushed();
  if (pid == 0) {
    volatile uintptr_t nowhere = 16;
    *(volatile int *)nowhere = 1;
    _exit(1);
  }
  wait_for(pid, "child storing through a bad pointer");

  pid = vfork();
  if (pid == 0) _exit(5);
  wait_for(pid, "vfork child");
  errno = 0;
  int r = (int)waitpid(-1, &status, 0);
  printf("waitpid(-1) without children: %d, errno %d\n", r, errno);
  errno = 0;
  r = (int)waitpid(-1, &status, WNOHANG);
  printf("waitpid(-1, WNOHANG) without children: %d, errno %d\n", r, errno);

  puts("== pipes");
  int down[2], up[2];
  pipe(down);
  pipe(up);
  pid = fork_flushed();
  if (pid == 0) {
    close(down[1]);
    close(up[0]);
    char buf[64];
    ssize_t n = read(down[0], buf, sizeof buf);
    for (ssize_t i = 0; i < n; i++)
      if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] = (char)(buf[i] - 'a' + 'A');
    write(up[1], buf, (size_t)n);
    char c;
    /* the parent has closed its end: end of file; told through the exit status */
    exit(read(down[0], &c, 1) == 0 ? 0 : 9);
  }
  close(down[0]);
  close(up[1]);
  write(down[1], "through the pipe", 16);
  close(down[1]);
  char buf[4096];
  ssize_t n = read(up[0], buf, sizeof buf);
  printf("parent: the child sent back %zd bytes: \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
  printf("parent: read at EOF: %zd\n", read(up[0], buf, sizeof buf));
  close(up[0]);
  wait_for(pid, "pipe child (exit 0: it read EOF after the parent closed its end)");

  /* much more than a pipe holds, through stdio */
  pipe(up);
  pid = fork_flushed();
  if (pid == 0) {
    close(up[0]);
    FILE *out = fdopen(up[1], "w");
    for (int i = 0; i < 3000; i++) fprintf(out, "%d\n", i);
    fclose(out);
    exit(0);
  }
  close(up[1]);
  FILE *in = fdopen(up[0], "r");
  long sum = 0, lines = 0;
  char line[32];
  while (fgets(line, sizeof line, in)) {
    sum += atol(line);
    lines++;
  }
  fclose(in);
  printf("parent: %ld lines through a pipe, sum %ld\n", lines, sum);
  wait_for(pid, "writer child");

  /* a write without readers: EPIPE with SIGPIPE ignored, death by SIGPIPE otherwise */
  pipe(up);
  close(up[0]);
  signal(SIGPIPE, SIG_IGN);
  errno = 0;
  n = write(up[1], "x", 1);
  printf("write without readers, SIGPIPE ignored: %zd, errno %d\n", n, errno);
  signal(SIGPIPE, SIG_DFL);
  pid = fork_flushed();
  if (pid == 0) {
    write(up[1], "x", 1);
    _exit(0);
  }
  close(up[1]);
  wait_for(pid, "child writing without readers");

  puts("== exec");
  pid = fork_flushed();
  if (pid == 0) {
    char *args[] = {"procs-exec", "exec-branch", "one", "two words", NULL};
    char *env[] = {"L4T_BRANCH=from-execve", "OTHER=1", NULL};
    execve("/proc/self/exe", args, env);
    printf("execve failed: errno %d\n", errno);
    exit(1);
  }
  wait_for(pid, "exec'd child");

  /* the child's stdout onto a pipe, then exec: the parent reads what the new image prints */
  pipe(up);
  pid = fork_flushed();
  if (pid == 0) {
    close(up[0]);
    dup2(up[1], 1);
    close(up[1]);
    char *args[] = {"procs-echo", "echo-branch", "printed", "by", "the", "exec'd", "image", NULL};
    char *env[] = {NULL};
    execve("/proc/self/exe", args, env);
    _exit(1);
  }
  close(up[1]);
  n = read(up[0], buf, sizeof buf - 1);
  ssize_t more;
  while (n >= 0 && (more = read(up[0], buf + n, sizeof buf - 1 - (size_t)n)) > 0) n += more;
  buf[n > 0 ? n : 0] = 0;
  printf("from the exec'd child: %s", buf);
  close(up[0]);
  wait_for(pid, "echo child");

  errno = 0;
  char *noargs[] = {"nothing", NULL};
  r = execve("/nonexistent/l4trace", noargs, envp);
  printf("execve of a missing file: %d, errno %d\n", r, errno);

  section_signals();

  puts("== done");
  return 0;
}
