/*
 * Files and directories through a real C library (glibc or musl, static i386): in a fresh
 * directory under /tmp, create, write, read, append, seek, pread/pwrite, stat/fstat/lstat,
 * readdir, rename, link/unlink, symlink/readlink, dup/dup2/fcntl, ftruncate, mmap of a file,
 * stdio streams, the errors Linux gives for the usual mistakes; then it removes everything.
 *
 * Output is deterministic: only sizes, types, link counts of regular files, permission bits set
 * under a umask the program sets itself, names (sorted) and errno values are printed; never
 * inode numbers, times, owners or file descriptor numbers other than ones the program chose.
 * The directory is /tmp/l4trace-<argv[0]>, so glibc-files and musl-files can run side by side.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int failures;

/* Reports a call that should have succeeded and did not. */
static void must(int ok, const char *what) {
  if (!ok) {
    printf("FAILED: %s (errno %d: %s)\n", what, errno, strerror(errno));
    failures++;
  }
}

/* A call that should fail: prints the errno it failed with. */
static void expect_err(long r, const char *what) {
  if (r != -1) printf("%s: succeeded (%ld), expected an error\n", what, r);
  else printf("%s: errno %d (%s)\n", what, errno, strerror(errno));
}

static const char *type_of(mode_t m) {
  if (S_ISREG(m)) return "regular";
  if (S_ISDIR(m)) return "directory";
  if (S_ISLNK(m)) return "symlink";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISCHR(m)) return "char device";
  return "other";
}

static void show_stat(const char *label, const struct stat *st, int with_nlink) {
  printf("%s: %s, mode %04o", label, type_of(st->st_mode), (unsigned)(st->st_mode & 07777));
  if (!S_ISDIR(st->st_mode)) printf(", size %lld", (long long)st->st_size);
  if (with_nlink) printf(", nlink %u", (unsigned)st->st_nlink);
  printf("\n");
}

static void stat_path(const char *path) {
  struct stat st;
  char label[80];
  snprintf(label, sizeof label, "stat %s", path);
  if (stat(path, &st) == 0) show_stat(label, &st, S_ISREG(st.st_mode));
  else printf("%s: errno %d (%s)\n", label, errno, strerror(errno));
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Prints a directory's entries, sorted by name. */
static void list_dir(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    printf("opendir %s: errno %d\n", path, errno);
    return;
  }
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 64) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp_names);
  printf("ls %s:", path);
  for (int i = 0; i < n; i++) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf(" (%d entries)\n", n);
}

static void write_file(const char *path, const char *text, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  must(fd >= 0, path);
  if (fd < 0) return;
  must(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
  must(close(fd) == 0, "close");
}

static void cat(const char *path) {
  char buf[256];
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("cat %s: errno %d\n", path, errno);
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) n = 0;
  buf[n] = 0;
  printf("cat %s (%zd bytes): \"", path, n);
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] == '\n') printf("\\n");
    else if (buf[i] == 0) printf("\\0");
    else putchar(buf[i]);
  }
  printf("\"\n");
}

/* Removes what an interrupted earlier run left behind (one level of subdirectories). */
static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[512];
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(path);
    else unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

static void section_basic_io(void) {
  char buf[128];
  puts("== create, write, read, append, seek");
  int fd = open("a.txt", O_WRONLY | O_CREAT | O_EXCL, 0666);
  must(fd >= 3, "open a.txt O_CREAT|O_EXCL");
  printf("write: %zd\n", write(fd, "hello, file\n", 12));
  printf("lseek(0, SEEK_CUR): %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  must(close(fd) == 0, "close a.txt");
  expect_err(open("a.txt", O_WRONLY | O_CREAT | O_EXCL, 0666), "open existing O_EXCL");
  cat("a.txt");

  fd = open("a.txt", O_WRONLY | O_APPEND);
  must(fd >= 0, "open O_APPEND");
  lseek(fd, 0, SEEK_SET); /* O_APPEND writes still go to the end */
  printf("append: %zd\n", write(fd, "second line\n", 12));
  printf("offset after append: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  close(fd);
  cat("a.txt");

  fd = open("a.txt", O_RDWR);
  must(fd >= 0, "open O_RDWR");
  printf("lseek(7, SEEK_SET): %lld\n", (long long)lseek(fd, 7, SEEK_SET));
  ssize_t n = read(fd, buf, 4);
  buf[n > 0 ? n : 0] = 0;
  printf("read 4 at 7: %zd \"%s\"\n", n, buf);
  printf("lseek(-5, SEEK_END): %lld\n", (long long)lseek(fd, -5, SEEK_END));
  n = read(fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("read to the end: %zd \"%.4s\"\n", n, buf);
  printf("read at the end: %zd\n", read(fd, buf, sizeof buf));
  printf("lseek(-3, SEEK_CUR): %lld\n", (long long)lseek(fd, -3, SEEK_CUR));
  expect_err(lseek(fd, -100, SEEK_SET), "lseek to a negative offset");

  /* pread / pwrite do not move the file offset */
  off_t before = lseek(fd, 2, SEEK_SET);
  n = pread(fd, buf, 5, 12);
  buf[n > 0 ? n : 0] = 0;
  printf("pread 5 at 12: %zd \"%s\", offset still %lld (was %lld)\n", n, buf, (long long)lseek(fd, 0, SEEK_CUR),
         (long long)before);
  printf("pwrite 4 at 0: %zd\n", pwrite(fd, "HELL", 4, 0));
  printf("offset still %lld\n", (long long)lseek(fd, 0, SEEK_CUR));

  /* a hole: seek past the end and write */
  printf("lseek(40, SEEK_SET): %lld\n", (long long)lseek(fd, 40, SEEK_SET));
  printf("write past the end: %zd\n", write(fd, "END", 3));
  struct stat st;
  must(fstat(fd, &st) == 0, "fstat");
  show_stat("fstat a.txt", &st, 1);
  n = pread(fd, buf, 8, 24);
  int zeros = 0;
  for (ssize_t i = 0; i < n; i++) zeros += buf[i] == 0;
  printf("pread 8 in the hole: %zd bytes, %d zero\n", n, zeros);
  close(fd);
  cat("a.txt");
}

static void section_stat(void) {
  puts("== stat, chmod, umask");
  struct stat st;
  must(stat("a.txt", &st) == 0, "stat a.txt");
  show_stat("stat a.txt", &st, 1);
  must(chmod("a.txt", 0640) == 0, "chmod 0640");
  stat_path("a.txt");
  umask(077);
  write_file("private.txt", "secret\n", 0666);
  stat_path("private.txt");
  umask(022);
  int fd = open("private.txt", O_RDONLY);
  must(fchmod(fd, 0604) == 0, "fchmod");
  must(fstat(fd, &st) == 0, "fstat");
  show_stat("fstat private.txt", &st, 1);
  close(fd);
  must(mkdir("sub", 0777) == 0, "mkdir sub");
  stat_path("sub");
  must(lstat("sub", &st) == 0, "lstat sub");
  show_stat("lstat sub", &st, 0);
  stat_path("missing");
  printf("access a.txt F_OK: %d, missing F_OK: %d\n", access("a.txt", F_OK), access("missing", F_OK));
}

static void section_dirs(void) {
  puts("== directories");
  write_file("sub/one", "1\n", 0644);
  write_file("sub/two", "22\n", 0644);
  write_file("sub/three", "333\n", 0644);
  must(mkdir("sub/deeper", 0755) == 0, "mkdir sub/deeper");
  write_file("sub/deeper/leaf", "leaf\n", 0644);
  list_dir(".");
  list_dir("sub");
  list_dir("sub/deeper");
  expect_err(mkdir("sub", 0755), "mkdir existing");
  expect_err(rmdir("sub"), "rmdir non-empty");
  expect_err(rmdir("a.txt"), "rmdir a file");
  expect_err(unlink("sub"), "unlink a directory");
  expect_err(open("sub", O_WRONLY), "open a directory for writing");
  expect_err(chdir("a.txt"), "chdir to a file");
  expect_err(open("a.txt/x", O_RDONLY), "open a.txt/x");
  expect_err(open("nodir/x", O_RDONLY), "open nodir/x");
  expect_err(mkdir("nodir/x", 0755), "mkdir nodir/x");

  must(chdir("sub/deeper") == 0, "chdir sub/deeper");
  cat("leaf");
  cat("../one");
  must(chdir("../..") == 0, "chdir ../..");
  int dfd = open("sub", O_RDONLY | O_DIRECTORY);
  must(dfd >= 0, "open sub O_DIRECTORY");
  must(fchdir(dfd) == 0, "fchdir sub");
  cat("two");
  must(chdir("..") == 0, "chdir ..");
  close(dfd);
  /* the *at calls relative to a directory descriptor */
  dfd = open("sub", O_RDONLY | O_DIRECTORY);
  int fd = openat(dfd, "three", O_RDONLY);
  char buf[8] = {0};
  printf("openat(sub, three) read: %zd\n", read(fd, buf, sizeof buf - 1));
  close(fd);
  struct stat st;
  must(fstatat(dfd, "deeper", &st, 0) == 0, "fstatat");
  show_stat("fstatat sub deeper", &st, 0);
  must(unlinkat(dfd, "deeper/leaf", 0) == 0, "unlinkat leaf");
  must(unlinkat(dfd, "deeper", AT_REMOVEDIR) == 0, "unlinkat deeper AT_REMOVEDIR");
  must(mkdirat(dfd, "made", 0700) == 0, "mkdirat made");
  close(dfd);
  list_dir("sub");
  stat_path("sub/made");
}

static void section_names(void) {
  char buf[64];
  puts("== rename, link, symlink");
  must(rename("sub/one", "sub/uno") == 0, "rename one uno");
  stat_path("sub/one");
  cat("sub/uno");
  write_file("sub/two-new", "replacement\n", 0644);
  must(rename("sub/two-new", "sub/two") == 0, "rename over an existing file");
  cat("sub/two");
  must(rename("sub/uno", "moved") == 0, "rename across directories");
  list_dir("sub");

  must(link("moved", "hard") == 0, "link");
  stat_path("moved");
  stat_path("hard");
  expect_err(link("moved", "hard"), "link to an existing name");
  must(unlink("moved") == 0, "unlink moved");
  stat_path("hard");
  cat("hard");

  must(symlink("hard", "soft") == 0, "symlink");
  must(symlink("no-such-target", "dangling") == 0, "symlink dangling");
  ssize_t n = readlink("soft", buf, sizeof buf);
  printf("readlink soft: %zd \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
  struct stat st;
  must(lstat("soft", &st) == 0, "lstat soft");
  show_stat("lstat soft", &st, 0);
  stat_path("soft");
  stat_path("dangling");
  must(lstat("dangling", &st) == 0, "lstat dangling");
  show_stat("lstat dangling", &st, 0);
  cat("soft");
  expect_err(readlink("hard", buf, sizeof buf), "readlink of a regular file");
  expect_err(symlink("x", "soft"), "symlink over an existing name");
  must(unlink("soft") == 0, "unlink soft (the link, not the file)");
  must(unlink("dangling") == 0, "unlink dangling");
  stat_path("hard");
  list_dir(".");
}

static void section_fds(void) {
  char buf[64];
  puts("== dup, dup2, fcntl");
  int fd = open("fds.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  must(fd >= 3, "open fds.txt");
  int d = dup(fd);
  printf("dup: a new descriptor: %s\n", d >= 0 && d != fd ? "yes" : "no");
  write(fd, "abc", 3);
  printf("the duplicate shares the offset: %lld\n", (long long)lseek(d, 0, SEEK_CUR));
  write(d, "def", 3);
  printf("and the original sees it: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  printf("dup2(fd, 17): %d\n", dup2(fd, 17));
  printf("dup2(17, 17): %d\n", dup2(17, 17));
  printf("fcntl(F_DUPFD, 20): %d\n", fcntl(fd, F_DUPFD, 20));
  printf("fcntl(F_DUPFD, 20) again: %d\n", fcntl(fd, F_DUPFD, 20));
  printf("F_GETFD: %d\n", fcntl(17, F_GETFD));
  printf("F_SETFD FD_CLOEXEC: %d\n", fcntl(17, F_SETFD, FD_CLOEXEC));
  printf("F_GETFD: %d\n", fcntl(17, F_GETFD));
  int dc = fcntl(fd, F_DUPFD_CLOEXEC, 30);
  printf("F_DUPFD_CLOEXEC 30: %d, its F_GETFD: %d\n", dc, fcntl(30, F_GETFD));
  int flags = fcntl(fd, F_GETFL);
  printf("F_GETFL: O_RDWR %d, O_APPEND %d, O_NONBLOCK %d\n", (flags & O_ACCMODE) == O_RDWR, !!(flags & O_APPEND),
         !!(flags & O_NONBLOCK));
  must(fcntl(fd, F_SETFL, flags | O_APPEND | O_NONBLOCK) == 0, "F_SETFL");
  flags = fcntl(d, F_GETFL);
  printf("F_GETFL of the duplicate after F_SETFL: O_APPEND %d, O_NONBLOCK %d\n", !!(flags & O_APPEND),
         !!(flags & O_NONBLOCK));
  int c = open("fds.txt", O_RDONLY | O_CLOEXEC);
  printf("open O_CLOEXEC: F_GETFD %d\n", fcntl(c, F_GETFD));
  close(c);
  close(17);
  close(20);
  close(21);
  close(30);
  expect_err(close(17), "close a closed descriptor");
  expect_err(write(99, "x", 1), "write to descriptor 99");
  expect_err(dup2(99, 5), "dup2(99, 5)");
  expect_err(fcntl(99, F_GETFD), "fcntl(99, F_GETFD)");
  int r = open("fds.txt", O_RDONLY);
  expect_err(write(r, "x", 1), "write to a read-only descriptor");
  close(r);

  puts("== ftruncate, truncate");
  struct stat st;
  fstat(fd, &st);
  printf("size %lld\n", (long long)st.st_size);
  must(ftruncate(fd, 2) == 0, "ftruncate 2");
  fstat(fd, &st);
  printf("after ftruncate(2): size %lld\n", (long long)st.st_size);
  must(ftruncate(fd, 10000) == 0, "ftruncate 10000");
  fstat(fd, &st);
  printf("after ftruncate(10000): size %lld\n", (long long)st.st_size);
  ssize_t n = pread(fd, buf, sizeof buf, 9990);
  int zeros = 0;
  for (ssize_t i = 0; i < n; i++) zeros += buf[i] == 0;
  printf("pread at 9990: %zd bytes, %d zero\n", n, zeros);
  must(truncate("fds.txt", 5) == 0, "truncate 5");
  stat_path("fds.txt");
  close(d);
  close(fd);
}

static void section_mmap(void) {
  puts("== mmap of a file");
  int fd = open("map.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  char text[6000];
  for (int i = 0; i < 6000; i++) text[i] = (char)('A' + i % 23);
  write(fd, text, sizeof text);
  char *p = mmap(NULL, 6000, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    printf("mmap: errno %d\n", errno);
  } else {
    printf("mmap: bytes 0..3 \"%.4s\", 4096..4099 \"%.4s\", equal to the file: %s\n", p, p + 4096,
           memcmp(p, text, sizeof text) == 0 ? "yes" : "no");
    munmap(p, 6000);
  }
  /* a private writable mapping: writes stay in memory */
  char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (w != MAP_FAILED) {
    memcpy(w, "private", 7);
    char back[8] = {0};
    pread(fd, back, 7, 0);
    printf("MAP_PRIVATE write: memory \"%.7s\", file still \"%s\"\n", w, back);
    munmap(w, 4096);
  }
  close(fd);
}

static void section_stdio(void) {
  puts("== stdio streams");
  FILE *f = fopen("stream.txt", "w");
  must(f != NULL, "fopen w");
  for (int i = 1; i <= 5; i++) fprintf(f, "line %d: %d squared is %d\n", i, i, i * i);
  fputs("last line without newline", f);
  must(fclose(f) == 0, "fclose");
  f = fopen("stream.txt", "r");
  char line[80];
  int lines = 0;
  while (fgets(line, sizeof line, f)) lines++;
  printf("fgets: %d lines, the last \"%s\"\n", lines, line);
  printf("feof %d, ftell %ld\n", feof(f) != 0, ftell(f));
  rewind(f);
  int a, b, c;
  printf("fscanf: %d fields", fscanf(f, "line %d: %d squared is %d", &a, &b, &c));
  printf(" (%d %d %d)\n", a, b, c);
  fseek(f, -9, SEEK_END);
  size_t n = fread(line, 1, sizeof line - 1, f);
  line[n] = 0;
  printf("fread of the last 9: %zu \"%s\"\n", n, line);
  fclose(f);
  f = fopen("stream.txt", "a+");
  fputs("\nappended\n", f);
  fseek(f, 0, SEEK_SET);
  lines = 0;
  while (fgets(line, sizeof line, f)) lines++;
  line[strcspn(line, "\n")] = 0;
  printf("after append: %d lines, the last \"%s\"\n", lines, line);
  fclose(f);
  stat_path("stream.txt");
  f = fopen("missing/none.txt", "w");
  printf("fopen in a missing directory: %s, errno %d\n", f ? "opened" : "NULL", errno);
}

int main(int argc, char **argv) {
  (void)argc;
  const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  char dir[256], cwd[256];
  snprintf(dir, sizeof dir, "/tmp/l4trace-%s", base);

  umask(022);
  remove_tree(dir);
  must(mkdir(dir, 0755) == 0, "mkdir the directory");
  must(chdir(dir) == 0, "chdir into it");
  if (getcwd(cwd, sizeof cwd)) printf("getcwd is the new directory: %s\n", strcmp(cwd, dir) == 0 ? "yes" : cwd);
  else printf("getcwd: errno %d\n", errno);
  list_dir(".");

  section_basic_io();
  section_stat();
  section_dirs();
  section_names();
  section_fds();
  section_mmap();
  section_stdio();

  puts("== clean up");
  const char *files[] = {"a.txt", "private.txt", "sub/two", "sub/three", "hard", "fds.txt", "map.txt", "stream.txt"};
  int removed = 0;
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) removed += unlink(files[i]) == 0;
  printf("removed %d files\n", removed);
  must(rmdir("sub/made") == 0, "rmdir sub/made");
  must(rmdir("sub") == 0, "rmdir sub");
  list_dir(".");
  must(chdir("/tmp") == 0, "chdir /tmp");
  must(rmdir(dir) == 0, "rmdir the directory");
  struct stat st;
  printf("the directory is gone: %s\n", stat(dir, &st) == -1 && errno == ENOENT ? "yes" : "no");
  printf("%d failures\n", failures);
  return failures ? 1 : 0;
}
