/*
 * Memory regions through a real C library (glibc or musl, static i386): anonymous and private file
 * mappings, munmap holes, mprotect (read-only, no access) with the faults a handler sees, mremap,
 * madvise(MADV_DONTNEED), MAP_FIXED over a mapping, brk, and the errors for bad arguments; then
 * /proc/self/exe and getcwd. Only contents, booleans, si_code values and errno values are printed,
 * never addresses, so the output is the same natively and in the simulator.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile int faults, lastCode;

static void onSegv(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  faults++;
  lastCode = si->si_code;
  siglongjmp(back, 1);
}

/* Touches `p` (a write when `write`): 0 when it worked, else the fault's si_code. */
static int touch(volatile char *p, int write) {
  if (sigsetjmp(back, 1)) return lastCode;
  if (write) *p = 'w';
  else (void)*p;
  return 0;
}

static const char *code(int c) {
  return c == 0 ? "ok" : c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

int main(int argc, char **argv) {
  (void)argc;
  long page = sysconf(_SC_PAGESIZE);
  printf("page size %ld\n", page);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onSegv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);

  char *a = mmap(0, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("anonymous mapping: %s, zero-filled: %s\n", a != MAP_FAILED ? "yes" : "no", a[0] == 0 && a[3 * page - 1] == 0 ? "yes" : "no");
  strcpy(a, "first page");
  strcpy(a + 2 * page, "third page");
  printf("munmap middle page: %d\n", munmap(a + page, page));
  int hole = touch(a + page, 0);
  printf("read hole: %s\n", code(hole));
  printf("pages around the hole: \"%s\" \"%s\"\n", a, a + 2 * page);

  int rc = mprotect(a, page, PROT_READ);
  printf("mprotect read-only: %d\n", rc);
  int w = touch(a, 1);
  int r0 = touch(a, 0);
  printf("write to read-only: %s; read: %s, still \"%s\"\n", code(w), code(r0), a);
  rc = mprotect(a, page, PROT_NONE);
  r0 = touch(a, 0);
  printf("mprotect none: %d, read: %s\n", rc, code(r0));
  rc = mprotect(a, page, PROT_READ | PROT_WRITE);
  w = touch(a, 1);
  printf("mprotect back: %d, write: %s\n", rc, code(w));
  errno = 0;
  rc = mprotect(a, 3 * page, PROT_READ);
  printf("mprotect over the hole: %d errno %d\n", rc, errno);

  /* A private file mapping: the file's bytes, and writes that stay in the mapping. */
  const char *path = "/tmp/l4trace-mmap-file";
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  char text[5000];
  for (int i = 0; i < (int)sizeof text; i++) text[i] = 'a' + i % 26;
  printf("write file: %zd\n", write(fd, text, sizeof text));
  char *m = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  printf("file mapping: %s, bytes 0..3 \"%.4s\", at 4096 \"%.4s\", past the end zero: %s\n", m != MAP_FAILED ? "yes" : "no", m, m + 4096, m[5000] == 0 && m[2 * page - 1] == 0 ? "yes" : "no");
  m[0] = 'Z';
  char first;
  pread(fd, &first, 1, 0);
  printf("private write seen in the file: %s\n", first == 'Z' ? "yes" : "no");
  munmap(m, 2 * page);
  char *off = mmap(0, page, PROT_READ, MAP_PRIVATE, fd, page);
  printf("mapping at offset one page: \"%.4s\"\n", off);
  munmap(off, page);
  close(fd);
  unlink(path);

  /* mremap: grow (moving if it must), the contents come along. */
  char *r = mmap(0, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(r, "remapped");
  char *g = mremap(r, page, 8 * page, MREMAP_MAYMOVE);
  printf("mremap grow: %s, content \"%s\", new tail zero: %s\n", g != MAP_FAILED ? "yes" : "no", g, g[8 * page - 1] == 0 ? "yes" : "no");
  g[7 * page] = 'x';
  char *s = mremap(g, 8 * page, 2 * page, 0);
  r0 = touch(g + 7 * page, 0);
  printf("mremap shrink in place: %s, past the end: %s\n", s == g ? "yes" : "no", code(r0));

  /* madvise(MADV_DONTNEED) on private anonymous memory: it reads as zeros again. */
  strcpy(s, "forget me");
  rc = madvise(s, page, MADV_DONTNEED);
  printf("madvise: %d, after: \"%s\"\n", rc, s);

  /* MAP_FIXED replaces what was there. */
  strcpy(s, "old");
  char *f = mmap(s, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED: same address %s, old content gone: %s\n", f == s ? "yes" : "no", f[0] == 0 ? "yes" : "no");

  /* brk grows and shrinks the heap (the system call: musl's sbrk only reports the break). */
  char *b0 = (char *)syscall(SYS_brk, 0);
  char *b0up = (char *)(((unsigned long)b0 + page - 1) & ~(page - 1));
  char *b1 = (char *)syscall(SYS_brk, b0up + 3 * page);
  memset(b0up, 7, 3 * page);
  char *b2 = (char *)syscall(SYS_brk, b0up + page);
  r0 = touch(b0up + 2 * page + 10, 0);
  printf("brk: grew %s, shrank %s, byte kept %d, shrunk tail: %s\n", b1 == b0up + 3 * page ? "yes" : "no", b2 == b0up + page ? "yes" : "no", b0up[10], code(r0));

  /* Errors. */
  errno = 0;
  void *bad = mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap length 0: %s errno %d\n", bad == MAP_FAILED ? "fails" : "works", errno);
  errno = 0;
  bad = mmap(0, page, PROT_READ, MAP_PRIVATE, 99, 0);
  printf("mmap bad fd: %s errno %d\n", bad == MAP_FAILED ? "fails" : "works", errno);
  errno = 0;
  rc = munmap(a + 1, page);
  printf("munmap unaligned: %d errno %d\n", rc, errno);
  printf("faults seen by the handler: %d\n", faults);

  char exe[256];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  const char *base = strrchr(exe, '/');
  const char *me = strrchr(argv[0], '/');
  printf("/proc/self/exe names this program: %s\n", n > 0 && base && strcmp(base + 1, me ? me + 1 : argv[0]) == 0 ? "yes" : "no");
  char cwd[64];
  chdir("/tmp");
  printf("getcwd after chdir(\"/tmp\"): %s\n", getcwd(cwd, sizeof cwd));
  errno = 0;
  char *got = getcwd(cwd, 2);
  printf("getcwd into 2 bytes: %s errno %d\n", got ? "works" : "fails", errno);
  return 0;
}
