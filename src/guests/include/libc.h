/*
 * l4trace guest libc: a tiny C library for static i386 guests.
 *
 * Everything goes through the real Linux i386 system-call ABI (int $0x80), so every guest also
 * runs natively on an x86 Linux host. The library is compiled without -finstrument-functions,
 * so none of its functions appear in function traces.
 *
 * Written for l4trace; no code taken from other C libraries.
 */
#ifndef L4TRACE_LIBC_H
#define L4TRACE_LIBC_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- basic types (i386 Linux) ---- */
typedef int ssize_t;
typedef int pid_t;
typedef long off_t;
typedef long time_t;
typedef unsigned int mode_t;

#define INT_MIN (-2147483647 - 1)
#define INT_MAX 2147483647
#define UINT_MAX 4294967295u
#define LLONG_MAX 9223372036854775807LL
#define LLONG_MIN (-LLONG_MAX - 1LL)
#define ULLONG_MAX 18446744073709551615ULL

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

/* ---- errno ---- */
extern int errno;
#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOSPC 28
#define ESPIPE 29
#define EPIPE 32
#define ERANGE 34
#define ENOSYS 38

/* ---- system-call numbers (Linux i386) ---- */
#define SYS_exit 1
#define SYS_fork 2
#define SYS_read 3
#define SYS_write 4
#define SYS_open 5
#define SYS_close 6
#define SYS_waitpid 7
#define SYS_execve 11
#define SYS_time 13
#define SYS_getpid 20
#define SYS_alarm 27
#define SYS_pause 29
#define SYS_kill 37
#define SYS_pipe 42
#define SYS_brk 45
#define SYS_dup2 63
#define SYS_getppid 64
#define SYS_sched_yield 158
#define SYS_nanosleep 162
#define SYS_rt_sigreturn 173
#define SYS_rt_sigaction 174
#define SYS_rt_sigprocmask 175
#define SYS_exit_group 252

/* Raw system call with up to five arguments (EBX, ECX, EDX, ESI, EDI); returns -1 and sets errno
   when the kernel returns -4095..-1. */
long syscall(long nr, long a1, long a2, long a3, long a4, long a5);

/* ---- process ---- */
void exit(int status) __attribute__((noreturn));
void _exit(int status) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));
pid_t fork(void);
pid_t getpid(void);
pid_t getppid(void);
int execve(const char *path, char *const argv[], char *const envp[]);
int execv(const char *path, char *const argv[]);
pid_t waitpid(pid_t pid, int *status, int options);
pid_t wait(int *status);
int kill(pid_t pid, int sig);
int sched_yield(void);
int pause(void);
unsigned int alarm(unsigned int seconds);
time_t time(time_t *t);
unsigned int sleep(unsigned int seconds);
extern char **environ;
char *getenv(const char *name);

#define WNOHANG 1
#define WUNTRACED 2
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s) & 0x7f)
#define WIFEXITED(s) (WTERMSIG(s) == 0)
#define WIFSIGNALED(s) (WTERMSIG(s) != 0 && WTERMSIG(s) != 0x7f)
#define WIFSTOPPED(s) (((s) & 0xff) == 0x7f)
#define WSTOPSIG(s) WEXITSTATUS(s)

struct timespec {
  time_t tv_sec;
  long tv_nsec;
};
int nanosleep(const struct timespec *req, struct timespec *rem);

/* ---- files ---- */
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
int open(const char *path, int flags, ...);
int close(int fd);
int pipe(int fds[2]);
int dup2(int oldfd, int newfd);

/* ---- memory ---- */
int brk(void *addr);
void *sbrk(long increment);
void *malloc(size_t n);
void free(void *p);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t n);

/* ---- signals ---- */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define NSIG 65

#define SA_NOCLDSTOP 0x00000001u
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO 0x00000004u
#define SA_RESTORER 0x04000000u
#define SA_ONSTACK 0x08000000u
#define SA_RESTART 0x10000000u
#define SA_NODEFER 0x40000000u
#define SA_RESETHAND 0x80000000u

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

typedef void (*sighandler_t)(int);
#define SIG_DFL ((sighandler_t)0)
#define SIG_IGN ((sighandler_t)1)
#define SIG_ERR ((sighandler_t)-1)

/* 64 signals, 8 bytes: the size the kernel's rt_* calls expect on i386. */
typedef struct {
  unsigned long sig[2];
} sigset_t;

/* The layout the kernel's rt_sigaction takes on i386. */
struct kernel_sigaction {
  void *handler;
  unsigned long flags;
  void (*restorer)(void);
  sigset_t mask;
};

/* The user-facing structure (this libc's own layout). */
struct sigaction {
  union {
    void (*sa_handler)(int);
    void (*sa_sigaction)(int, void *, void *);
  };
  sigset_t sa_mask;
  unsigned long sa_flags;
  void (*sa_restorer)(void);
};

/* Raw system call; the caller supplies the restorer (if any) itself. */
int rt_sigaction(int sig, const struct kernel_sigaction *act, struct kernel_sigaction *oact,
                 size_t sigsetsize);
/* Adds SA_RESTORER | SA_SIGINFO and this library's __restore_rt stub (rt_sigreturn, 173). */
int sigaction(int sig, const struct sigaction *act, struct sigaction *oact);
sighandler_t signal(int sig, sighandler_t handler);
int rt_sigprocmask(int how, const sigset_t *set, sigset_t *oset, size_t sigsetsize);
int sigprocmask(int how, const sigset_t *set, sigset_t *oset);
int sigemptyset(sigset_t *s);
int sigfillset(sigset_t *s);
int sigaddset(sigset_t *s, int sig);
int sigdelset(sigset_t *s, int sig);
int sigismember(const sigset_t *s, int sig);
int raise(int sig);
void __restore_rt(void);

/* ---- strings and memory ---- */
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *d, const char *s);
char *strncpy(char *d, const char *s, size_t n);
char *strcat(char *d, const char *s);
char *strncat(char *d, const char *s, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *hay, const char *needle);
char *strdup(const char *s);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
int atoi(const char *s);
long atol(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
/* Number to text in base 2..36 (lower-case digits); return buf. */
char *utoa(unsigned int v, char *buf, int base);
char *itoa(int v, char *buf, int base);
char *ulltoa(unsigned long long v, char *buf, int base);
char *lltoa(long long v, char *buf, int base);

/* ---- stdio (each call does its own write(2)s: nothing stays buffered between calls) ---- */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sprintf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vprintf(const char *fmt, va_list ap);
int vdprintf(int fd, const char *fmt, va_list ap);
int vsprintf(char *buf, const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int puts(const char *s);
int putchar(int c);
int fdputs(int fd, const char *s);
/* Nothing is ever buffered across calls; kept so callers can flush before fork/exec. */
void stdout_flush(void);

/* ---- 64-bit division helpers (what gcc calls on i386) ---- */
unsigned long long __udivdi3(unsigned long long n, unsigned long long d);
unsigned long long __umoddi3(unsigned long long n, unsigned long long d);
long long __divdi3(long long n, long long d);
long long __moddi3(long long n, long long d);
unsigned long long __udivmoddi4(unsigned long long n, unsigned long long d,
                                unsigned long long *rem);
long long __divmoddi4(long long n, long long d, long long *rem);

/* ---- function-trace hooks (empty; see docs/ia32-abi.md) ---- */
void __cyg_profile_func_enter(void *this_fn, void *call_site)
    __attribute__((no_instrument_function));
void __cyg_profile_func_exit(void *this_fn, void *call_site)
    __attribute__((no_instrument_function));

#ifdef __cplusplus
}
#endif

#endif
