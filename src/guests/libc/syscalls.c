/* System-call wrappers: -1 and errno on failure. */
#include "internal.h"

long syscall(long nr, long a1, long a2, long a3, long a4, long a5) {
  return __sysret(__sc5(nr, a1, a2, a3, a4, a5));
}

void _exit(int status) {
  for (;;) {
    __sc1(SYS_exit_group, status); /* Linux >= 2.5.35 */
    __sc1(SYS_exit, status);       /* Linux 2.4 (exit_group answers -ENOSYS there) */
  }
}

void exit(int status) {
  __stdio_flush();
  _exit(status);
}

void abort(void) {
  __stdio_flush();
  __sc2(SYS_kill, __sc0(SYS_getpid), SIGABRT);
  _exit(127);
}

pid_t fork(void) {
  __stdio_flush();
  return (pid_t)__sysret(__sc0(SYS_fork));
}

pid_t getpid(void) { return (pid_t)__sc0(SYS_getpid); }

pid_t getppid(void) { return (pid_t)__sc0(SYS_getppid); }

int execve(const char *path, char *const argv[], char *const envp[]) {
  __stdio_flush();
  return (int)__sysret(__sc3(SYS_execve, (long)path, (long)argv, (long)envp));
}

int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }

pid_t waitpid(pid_t pid, int *status, int options) {
  return (pid_t)__sysret(__sc3(SYS_waitpid, pid, (long)status, options));
}

pid_t wait(int *status) { return waitpid(-1, status, 0); }

int kill(pid_t pid, int sig) { return (int)__sysret(__sc2(SYS_kill, pid, sig)); }

int raise(int sig) { return kill(getpid(), sig); }

int sched_yield(void) { return (int)__sysret(__sc0(SYS_sched_yield)); }

int pause(void) { return (int)__sysret(__sc0(SYS_pause)); }

unsigned int alarm(unsigned int seconds) { return (unsigned int)__sc1(SYS_alarm, (long)seconds); }

time_t time(time_t *t) {
  long r = __sc1(SYS_time, 0);
  if ((unsigned long)r > (unsigned long)-4096L) return (time_t)__sysret(r);
  if (t) *t = (time_t)r;
  return (time_t)r;
}

int nanosleep(const struct timespec *req, struct timespec *rem) {
  return (int)__sysret(__sc2(SYS_nanosleep, (long)req, (long)rem));
}

unsigned int sleep(unsigned int seconds) {
  struct timespec req, rem;
  req.tv_sec = (time_t)seconds;
  req.tv_nsec = 0;
  if (nanosleep(&req, &rem) < 0 && errno == EINTR) return (unsigned int)rem.tv_sec;
  return 0;
}

ssize_t read(int fd, void *buf, size_t n) {
  return (ssize_t)__sysret(__sc3(SYS_read, fd, (long)buf, (long)n));
}

ssize_t write(int fd, const void *buf, size_t n) {
  return (ssize_t)__sysret(__sc3(SYS_write, fd, (long)buf, (long)n));
}

int open(const char *path, int flags, ...) {
  mode_t mode = 0;
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    va_end(ap);
  }
  return (int)__sysret(__sc3(SYS_open, (long)path, flags, (long)mode));
}

int close(int fd) { return (int)__sysret(__sc1(SYS_close, fd)); }

int pipe(int fds[2]) { return (int)__sysret(__sc1(SYS_pipe, (long)fds)); }

int dup2(int oldfd, int newfd) { return (int)__sysret(__sc2(SYS_dup2, oldfd, newfd)); }

char *getenv(const char *name) {
  size_t n = strlen(name);
  char **e;
  if (!environ) return 0;
  for (e = environ; *e; e++)
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  return 0;
}
