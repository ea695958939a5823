/*
 * pipes: pipe(2) between a parent and its children.
 *
 * Two-way messages, a 20000-byte transfer through the 4096-byte pipe buffer, EOF, dup2 onto
 * stdout, SIGPIPE and EPIPE on a pipe without readers, and EBADF. The parent prints a child's
 * results only after waitpid, so the output order is fixed.
 */
#include "libc.h"

#define BULK_WRITES 4
#define BULK_CHUNK 5000 /* each write is bigger than the pipe buffer */
#define BULK (BULK_WRITES * BULK_CHUNK)

static void show_status(const char *who, int st) {
  if (WIFEXITED(st))
    printf("%s: WIFEXITED %d, WEXITSTATUS %d\n", who, WIFEXITED(st) != 0, WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    printf("%s: WIFSIGNALED %d, WTERMSIG %d\n", who, WIFSIGNALED(st) != 0, WTERMSIG(st));
  else
    printf("%s: status 0x%x\n", who, st);
}

static int must_pipe(int p[2]) {
  if (pipe(p) < 0) {
    printf("pipe failed, errno %d\n", errno);
    exit(1);
  }
  return 0;
}

static pid_t must_fork(void) {
  pid_t pid = fork();
  if (pid < 0) {
    printf("fork failed, errno %d\n", errno);
    exit(1);
  }
  return pid;
}

static int write_all(int fd, const char *p, int n) {
  int done = 0;
  while (done < n) {
    int w = write(fd, p + done, (size_t)(n - done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += w;
  }
  return done;
}

/* Reads until EOF (or cap bytes); returns the byte count. */
static int read_all(int fd, char *buf, int cap) {
  int got = 0;
  for (;;) {
    int n = read(fd, buf + got, (size_t)(cap - got < 700 ? cap - got : 700));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return got;
    got += n;
    if (got == cap) return got;
  }
}

static unsigned char pattern(int i) { return (unsigned char)((i * 7 + (i >> 8) * 3 + 1) & 0xff); }

static void two_way(void) {
  int down[2], up[2], st = 0;
  char buf[128];
  pid_t pid;
  must_pipe(down);
  must_pipe(up);
  pid = must_fork();
  if (pid == 0) {
    int i, n;
    close(down[1]);
    close(up[0]);
    n = read_all(down[0], buf, sizeof buf - 1);
    for (i = 0; i < n / 2; i++) {
      char t = buf[i];
      buf[i] = buf[n - 1 - i];
      buf[n - 1 - i] = t;
    }
    write_all(up[1], buf, n);
    _exit(n);
  }
  close(down[0]);
  close(up[1]);
  write_all(down[1], "ping from the parent", 20);
  close(down[1]); /* the child's read_all sees EOF */
  buf[read_all(up[0], buf, sizeof buf - 1)] = 0;
  close(up[0]);
  waitpid(pid, &st, 0);
  printf("parent got back: \"%s\"\n", buf);
  show_status("two-way child", st);
}

static void bulk(void) {
  static char buf[BULK_CHUNK];
  int p[2], st = 0, i, n, total = 0, bad = 0, last, again;
  unsigned int sum = 0;
  pid_t pid;
  must_pipe(p);
  pid = must_fork();
  if (pid == 0) {
    int k, full = 0;
    close(p[0]);
    for (k = 0; k < BULK_WRITES; k++) {
      for (i = 0; i < BULK_CHUNK; i++) buf[i] = (char)pattern(k * BULK_CHUNK + i);
      if (write(p[1], buf, BULK_CHUNK) == BULK_CHUNK) full++;
    }
    close(p[1]);
    printf("writer: %d of %d writes of %d bytes returned the full count\n", full, BULK_WRITES,
           BULK_CHUNK);
    _exit(0);
  }
  close(p[1]); /* otherwise read never returns 0 */
  for (;;) {
    n = read(p[0], buf, 3000);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (i = 0; i < n; i++) {
      unsigned char c = (unsigned char)buf[i];
      if (c != pattern(total + i)) bad++;
      sum = sum * 31u + c;
    }
    total += n;
  }
  last = n;
  again = read(p[0], buf, 10);
  close(p[0]);
  waitpid(pid, &st, 0); /* the writer has printed its line by now */
  show_status("bulk writer", st);
  printf("reader: read returned %d at the end, %d after EOF\n", last, again);
  printf("reader: %d bytes, checksum %08x, %d wrong bytes\n", total, sum, bad);
}

static void child_stdout(void) {
  static char buf[512];
  int p[2], st = 0, n;
  char *line, *nl;
  pid_t pid;
  must_pipe(p);
  pid = must_fork();
  if (pid == 0) {
    close(p[0]);
    if (dup2(p[1], 1) != 1) _exit(1);
    close(p[1]);
    printf("first line\n");
    printf("%d + %d = %d\n", 20, 22, 20 + 22);
    puts("last line");
    _exit(0);
  }
  close(p[1]);
  n = read_all(p[0], buf, sizeof buf - 1);
  buf[n] = 0;
  close(p[0]);
  waitpid(pid, &st, 0);
  show_status("dup2 child", st);
  for (line = buf; *line; line = nl + 1) {
    nl = strchr(line, '\n');
    if (!nl) {
      printf("from child (no newline): %s\n", line);
      break;
    }
    *nl = 0;
    printf("from child: %s\n", line);
  }
}

static void no_reader(void) {
  int p[2], st = 0, r;
  pid_t pid;
  must_pipe(p);
  close(p[0]); /* nobody can read this pipe any more */
  pid = must_fork();
  if (pid == 0) {
    write(p[1], "x", 1); /* SIGPIPE, default action: terminate */
    printf("child survived the write to a pipe without readers\n");
    _exit(1);
  }
  waitpid(pid, &st, 0);
  show_status("writer without readers", st);

  signal(SIGPIPE, SIG_IGN);
  errno = 0;
  r = write(p[1], "x", 1);
  printf("SIGPIPE ignored: write returned %d, errno %d\n", r, errno);
  signal(SIGPIPE, SIG_DFL);
  close(p[1]);
}

static void bad_fds(void) {
  int p[2], r;
  char c = 0;
  must_pipe(p);
  errno = 0;
  r = close(99);
  printf("close(99): %d, errno %d\n", r, errno);
  errno = 0;
  r = read(p[1], &c, 1);
  printf("read from the write end: %d, errno %d\n", r, errno);
  errno = 0;
  r = write(p[0], &c, 1);
  printf("write to the read end: %d, errno %d\n", r, errno);
  close(p[0]);
  close(p[1]);
  errno = 0;
  r = close(p[1]);
  printf("close twice: %d, errno %d\n", r, errno);
  errno = 0;
  r = dup2(99, 5);
  printf("dup2(99, 5): %d, errno %d\n", r, errno);
}

int main(void) {
  puts("pipes: two-way");
  two_way();
  puts("pipes: 20000 bytes");
  bulk();
  puts("pipes: dup2 onto stdout");
  child_stdout();
  puts("pipes: no reader");
  no_reader();
  puts("pipes: bad descriptors");
  bad_fds();
  puts("pipes: done");
  return 0;
}
