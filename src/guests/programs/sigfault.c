/*
 * sigfault: what a SIGSEGV / SIGILL / SIGFPE handler learns about the fault. Each case runs one
 * instruction the CPU refuses; the SA_SIGINFO handler records si_signo, si_code, si_addr and the
 * sigcontext's trapno, err and cr2, then continues after the instruction (it sets the sigcontext's
 * EIP). Addresses are printed by name: the faulting instruction, main, or a number.
 */
#include "libc.h"

int main(void);

static volatile unsigned got_sig, got_code, got_addr, got_trapno, got_err, got_cr2;
static volatile unsigned resume_at;

static void handler(int sig, void *infov, void *ucv) {
  unsigned *info = infov;
  unsigned *sc = (unsigned *)((char *)ucv + 20); /* ucontext: flags, link, stack (12), sigcontext */
  got_sig = (unsigned)sig;
  got_code = info[2];
  got_addr = info[3];
  got_trapno = sc[12];
  got_err = sc[13];
  got_cr2 = sc[21];
  sc[14] = resume_at;
}

/* A case: `setup` then the faulting instruction at <name>_at, continuing at <name>_after. */
#define CASE(name, setup, insn)                                                                 \
  extern char name##_at[], name##_after[];                                                      \
  static __attribute__((noinline)) void name(void) {                                           \
    __asm__ volatile(setup "\n.globl " #name "_at\n" #name "_at:\n\t" insn "\n.globl " #name  \
                     "_after\n" #name "_after:" ::: "eax", "ecx", "edx", "cc", "memory");      \
  }

CASE(ud2_case, "", "ud2")
CASE(div0_case, "xorl %%ecx, %%ecx\n\tmovl $1, %%eax\n\tcltd", "idivl %%ecx")
CASE(store_null_case, "", "movl $1, 0x10")
CASE(load_null_case, "", "movl 0x20, %%eax")
CASE(store_text_case, "", "movb $0xc3, main")
CASE(rmw_text_case, "", "addl $1, main")
CASE(hlt_case, "", "hlt")
CASE(cli_case, "", "cli")
CASE(in_case, "movl $0x60, %%edx", "inb %%dx, %%al")
CASE(into_case, "movb $0x7f, %%al\n\taddb $1, %%al", "into")
CASE(fs_case, "", "movl %%fs:0, %%eax")
CASE(lock_mov_case, "", ".byte 0xf0, 0x89, 0xc0")
CASE(int40_case, "", "int $0x40")

static const char *where(unsigned a, const char *at) {
  static char buf[16];
  if (a == (unsigned)at) return "the instruction";
  if (a == (unsigned)main) return "main";
  snprintf(buf, sizeof buf, "%#x", a);
  return buf;
}

static void run(const char *what, void (*fn)(void), const char *at, const char *after) {
  got_sig = got_code = got_addr = got_trapno = got_err = got_cr2 = 0;
  resume_at = (unsigned)after;
  fn();
  printf("%-20s signal %2u, si_code %3u, si_addr %-15s trapno %2u, err %#x", what, got_sig, got_code,
         where(got_addr, at), got_trapno, got_err);
  if (got_trapno == 14) printf(", cr2 %s", where(got_cr2, at));
  printf("\n");
}

#define RUN(what, name) run(what, name, name##_at, name##_after)

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sigaction(SIGILL, &sa, 0);
  sigaction(SIGFPE, &sa, 0);
  sigaction(SIGSEGV, &sa, 0);
  RUN("ud2", ud2_case);
  RUN("idiv by zero", div0_case);
  RUN("store to 0x10", store_null_case);
  RUN("load from 0x20", load_null_case);
  RUN("store to text", store_text_case);
  RUN("addl $1, main", rmw_text_case);
  RUN("hlt", hlt_case);
  RUN("cli", cli_case);
  RUN("inb %dx, %al", in_case);
  RUN("into (OF set)", into_case);
  RUN("load via %fs:", fs_case);
  RUN("lock mov (f0 89 c0)", lock_mov_case);
  RUN("int $0x40", int40_case);
  return 0;
}
