/*
 * forkwait: fork, waitpid and copy-on-write.
 *
 * Output order never depends on the scheduler: a child prints only after the parent released it
 * through a pipe, and the parent prints a child's status only after waitpid returned it. Nothing
 * printed depends on pids: children are named by their index, and pids are only compared.
 */
#include "libc.h"

#define NCHILD 3
#define TABLE 1024 /* ints: one page */
#define HEAP 6000  /* bytes: crosses a page boundary */

static int table[TABLE]; /* .bss, shared copy-on-write after fork */

static void show_status(const char *who, int st) {
  if (WIFEXITED(st))
    printf("%s: WIFEXITED %d, WEXITSTATUS %d\n", who, WIFEXITED(st) != 0, WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    printf("%s: WIFSIGNALED %d, WTERMSIG %d\n", who, WIFSIGNALED(st) != 0, WTERMSIG(st));
  else
    printf("%s: status 0x%x\n", who, st);
}

static void release(int fd) {
  char c = 'g';
  if (write(fd, &c, 1) != 1) printf("release: write failed, errno %d\n", errno);
}

static char await_byte(int fd) {
  char c = 0;
  int n;
  do n = read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  return n == 1 ? c : 0;
}

/* What child i prints: a line from its index, and pid checks against the parent's pid. */
static void child_work(int i, pid_t parent) {
  printf("child %d: %d squared is %d\n", i, i + 1, (i + 1) * (i + 1));
  if (getppid() == parent) printf("child %d: ppid ok\n", i);
  else printf("child %d: ppid WRONG\n", i);
  if (getpid() != parent) printf("child %d: pid differs\n", i);
  else printf("child %d: pid SAME as parent\n", i);
}

static void ordered_children(void) {
  int go[NCHILD][2];
  pid_t pids[NCHILD];
  pid_t parent = getpid();
  int i;
  for (i = 0; i < NCHILD; i++) {
    if (pipe(go[i]) < 0) {
      printf("pipe failed, errno %d\n", errno);
      exit(1);
    }
    pids[i] = fork();
    if (pids[i] < 0) {
      printf("fork failed, errno %d\n", errno);
      exit(1);
    }
    if (pids[i] == 0) {
      close(go[i][1]);
      await_byte(go[i][0]);
      child_work(i, parent);
      _exit(10 + i);
    }
    close(go[i][0]);
  }
  printf("parent: forked %d children\n", NCHILD);
  for (i = 0; i < NCHILD; i++) {
    char who[32];
    int st = 0;
    pid_t r;
    release(go[i][1]);
    close(go[i][1]);
    r = waitpid(pids[i], &st, 0);
    snprintf(who, sizeof who, "parent: child %d", i);
    if (r != pids[i]) printf("%s: waitpid returned %d, errno %d\n", who, r, errno);
    show_status(who, st);
  }
}

static void grandchild(void) {
  pid_t child = fork();
  int st = 0;
  if (child == 0) {
    pid_t me = getpid();
    pid_t g = fork();
    if (g == 0) {
      printf("grandchild: %s\n", getppid() == me ? "ppid is the child" : "ppid WRONG");
      _exit(7);
    }
    if (waitpid(g, &st, 0) != g) printf("child: waitpid for grandchild failed, errno %d\n", errno);
    show_status("child: grandchild", st);
    _exit(WEXITSTATUS(st) + 1);
  }
  if (waitpid(child, &st, 0) != child) printf("parent: waitpid failed, errno %d\n", errno);
  show_status("parent: child of grandchild test", st);
}

static void no_children(void) {
  int st = 0;
  pid_t r;
  errno = 0;
  r = waitpid(-1, &st, 0);
  printf("waitpid(-1) without children: %d, errno %d\n", r, errno);
  errno = 0;
  r = wait(&st);
  printf("wait() without children: %d, errno %d\n", r, errno);
  errno = 0;
  r = waitpid(-1, &st, WNOHANG);
  printf("waitpid(-1, WNOHANG) without children: %d, errno %d\n", r, errno);
}

static void nohang(void) {
  int p[2], st = 0;
  pid_t pid, r;
  if (pipe(p) < 0) exit(1);
  pid = fork();
  if (pid == 0) {
    char c;
    close(p[1]);
    c = await_byte(p[0]); /* blocks until the parent writes */
    _exit(c == 'g' ? 42 : 1);
  }
  close(p[0]);
  r = waitpid(pid, &st, WNOHANG);
  printf("waitpid(child, WNOHANG) while it blocks in read: %d\n", r);
  r = waitpid(-1, &st, WNOHANG);
  printf("waitpid(-1, WNOHANG) while it blocks in read: %d\n", r);
  release(p[1]);
  close(p[1]);
  r = waitpid(-1, &st, 0);
  printf("waitpid(-1) after release returned the child: %s\n", r == pid ? "yes" : "no");
  show_status("parent: released child", st);
}

static unsigned int sum_ints(const int *a, int n) {
  unsigned int s = 0;
  int i;
  for (i = 0; i < n; i++) s = s * 31u + (unsigned int)a[i];
  return s;
}

static unsigned int sum_bytes(const unsigned char *a, int n) {
  unsigned int s = 0;
  int i;
  for (i = 0; i < n; i++) s = s * 33u + a[i];
  return s;
}

static void copy_on_write(void) {
  unsigned char *heap = malloc(HEAP);
  int local[64];
  int go[2], done[2], i, st = 0;
  pid_t pid;
  if (!heap || pipe(go) < 0 || pipe(done) < 0) exit(1);
  for (i = 0; i < TABLE; i++) table[i] = i * 7;
  for (i = 0; i < HEAP; i++) heap[i] = (unsigned char)(i * 13);
  for (i = 0; i < 64; i++) local[i] = 1000 - i;
  printf("before fork: table %08x heap %08x stack %08x\n", sum_ints(table, TABLE),
         sum_bytes(heap, HEAP), sum_ints(local, 64));
  pid = fork();
  if (pid == 0) {
    close(go[1]);
    close(done[0]);
    await_byte(go[0]); /* the parent has changed its copies by now */
    printf("child:       table %08x heap %08x stack %08x (unchanged)\n", sum_ints(table, TABLE),
           sum_bytes(heap, HEAP), sum_ints(local, 64));
    for (i = 0; i < TABLE; i++) table[i] = -1;
    for (i = 0; i < HEAP; i++) heap[i] = 0xee;
    for (i = 0; i < 64; i++) local[i] = 0;
    printf("child:       table %08x heap %08x stack %08x (child's writes)\n",
           sum_ints(table, TABLE), sum_bytes(heap, HEAP), sum_ints(local, 64));
    release(done[1]);
    _exit(0);
  }
  close(go[0]);
  close(done[1]);
  for (i = 0; i < TABLE; i++) table[i] += 1000;
  for (i = 0; i < HEAP; i++) heap[i] ^= 0xff;
  for (i = 0; i < 64; i++) local[i] *= 2;
  release(go[1]);
  await_byte(done[0]); /* the child has written its copies */
  waitpid(pid, &st, 0);
  show_status("parent: cow child", st);
  printf("parent:      table %08x heap %08x stack %08x (parent's writes only)\n",
         sum_ints(table, TABLE), sum_bytes(heap, HEAP), sum_ints(local, 64));
  close(go[1]);
  close(done[0]);
  free(heap);
}

int main(void) {
  puts("forkwait: ordered children");
  ordered_children();
  puts("forkwait: grandchild");
  grandchild();
  puts("forkwait: no children left");
  no_children();
  puts("forkwait: WNOHANG");
  nohang();
  puts("forkwait: copy-on-write");
  copy_on_write();
  puts("forkwait: done");
  return 0;
}
