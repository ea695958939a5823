/*
 * sh: a tiny shell. Reads commands from fd 0 one byte at a time, prints the prompt "$ " before
 * each, and runs pipelines of up to 4 stages ("a x | b | c"). Words are separated by spaces or
 * tabs; there is no quoting. A command name is looked up as bin/<name> (relative to the current
 * directory). Builtin: exit [n]. After a pipeline, a nonzero status of its last stage is shown
 * as "[exit N]" or "[signal N]". At end of input the shell exits with 0.
 */
#include "libc.h"

#define LINE_MAX 256
#define MAX_STAGES 4
#define MAX_ARGS 16

struct stage {
  char *argv[MAX_ARGS + 1];
  int argc;
};

static void say(const char *s) { write(1, s, strlen(s)); }

/* One line without its '\n'; returns -1 at end of input with nothing read. */
static int read_line(char *buf, int cap) {
  int n = 0;
  for (;;) {
    char c;
    int r = read(0, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return n > 0 ? n : -1;
    if (c == '\n') break;
    if (n < cap - 1) buf[n++] = c;
  }
  buf[n] = 0;
  return n;
}

static int split_words(char *s, struct stage *st) {
  st->argc = 0;
  for (;;) {
    while (*s == ' ' || *s == '\t') *s++ = 0;
    if (!*s) break;
    if (st->argc == MAX_ARGS) return -1;
    st->argv[st->argc++] = s;
    while (*s && *s != ' ' && *s != '\t') s++;
  }
  st->argv[st->argc] = 0;
  return st->argc;
}

/* Splits on '|'; returns the number of stages, 0 for an empty line, -1 for a syntax error. */
static int parse(char *line, struct stage *stages) {
  int n = 0;
  char *s = line;
  for (;;) {
    char *bar = strchr(s, '|');
    if (bar) *bar = 0;
    if (n == MAX_STAGES) return -1;
    if (split_words(s, &stages[n]) <= 0) {
      if (!bar && n == 0) return 0; /* empty line */
      return -1;
    }
    n++;
    if (!bar) return n;
    s = bar + 1;
  }
}

static void exec_stage(struct stage *st) {
  char path[LINE_MAX + 8];
  snprintf(path, sizeof path, "bin/%s", st->argv[0]);
  execve(path, st->argv, environ);
  printf("sh: %s: not found\n", st->argv[0]);
  _exit(127);
}

static void run_pipeline(struct stage *stages, int n) {
  pid_t pids[MAX_STAGES];
  int prev_read = -1, i, st = 0;
  for (i = 0; i < n; i++) {
    int p[2] = {-1, -1};
    if (i < n - 1 && pipe(p) < 0) {
      printf("sh: pipe failed, errno %d\n", errno);
      break;
    }
    pids[i] = fork();
    if (pids[i] < 0) {
      printf("sh: fork failed, errno %d\n", errno);
      break;
    }
    if (pids[i] == 0) {
      if (prev_read >= 0) {
        dup2(prev_read, 0);
        close(prev_read);
      }
      if (p[1] >= 0) {
        dup2(p[1], 1);
        close(p[1]);
        close(p[0]);
      }
      exec_stage(&stages[i]);
    }
    if (prev_read >= 0) close(prev_read);
    if (p[1] >= 0) close(p[1]);
    prev_read = p[0];
  }
  if (prev_read >= 0) close(prev_read);
  n = i; /* the stages that were started */
  for (i = 0; i < n; i++) waitpid(pids[i], &st, 0);
  if (n > 0 && st != 0) {
    if (WIFSIGNALED(st)) printf("[signal %d]\n", WTERMSIG(st));
    else printf("[exit %d]\n", WEXITSTATUS(st));
  }
}

int main(void) {
  char line[LINE_MAX];
  struct stage stages[MAX_STAGES];
  for (;;) {
    int n;
    say("$ ");
    if (read_line(line, sizeof line) < 0) return 0;
    n = parse(line, stages);
    if (n < 0) {
      puts("sh: syntax error");
      continue;
    }
    if (n == 0) continue;
    if (n == 1 && strcmp(stages[0].argv[0], "exit") == 0)
      return stages[0].argc > 1 ? atoi(stages[0].argv[1]) : 0;
    run_pipeline(stages, n);
  }
}
