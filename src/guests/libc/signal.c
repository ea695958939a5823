/* Signals: rt_sigaction with SA_RESTORER and our own restorer (rt_sigreturn). */
#include "internal.h"

/* The handler returns here; ESP then points at the kernel's rt signal frame (minus the return
   address the handler popped), which rt_sigreturn unwinds. */
__asm__(".text\n"
        ".globl __restore_rt\n"
        ".type __restore_rt, @function\n"
        "__restore_rt:\n"
        "\tmovl $173, %eax\n" /* SYS_rt_sigreturn */
        "\tint $0x80\n"
        "\thlt\n"
        ".size __restore_rt, . - __restore_rt\n");

int rt_sigaction(int sig, const struct kernel_sigaction *act, struct kernel_sigaction *oact,
                 size_t sigsetsize) {
  return (int)__sysret(__sc4(SYS_rt_sigaction, sig, (long)act, (long)oact, (long)sigsetsize));
}

/* SA_SIGINFO is always set: an i386 kernel builds the rt frame (the one rt_sigreturn expects)
   only for SA_SIGINFO handlers. A plain handler(int sig) ignores the two extra arguments. It is
   hidden again in *oact. */
int sigaction(int sig, const struct sigaction *act, struct sigaction *oact) {
  struct kernel_sigaction k, ok;
  int r;
  if (act) {
    k.handler = (void *)act->sa_handler;
    k.flags = act->sa_flags | SA_RESTORER;
    if (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN) k.flags |= SA_SIGINFO;
    k.restorer = __restore_rt;
    k.mask = act->sa_mask;
  }
  r = rt_sigaction(sig, act ? &k : 0, oact ? &ok : 0, sizeof(sigset_t));
  if (r == 0 && oact) {
    oact->sa_handler = (void (*)(int))ok.handler;
    oact->sa_mask = ok.mask;
    oact->sa_flags = ok.flags & ~(SA_RESTORER | SA_SIGINFO);
    oact->sa_restorer = 0;
  }
  return r;
}

sighandler_t signal(int sig, sighandler_t handler) {
  struct sigaction sa, old;
  old.sa_handler = SIG_ERR;
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sa.sa_restorer = 0;
  if (sigaction(sig, &sa, &old) < 0) return SIG_ERR;
  return old.sa_handler;
}

int rt_sigprocmask(int how, const sigset_t *set, sigset_t *oset, size_t sigsetsize) {
  return (int)__sysret(__sc4(SYS_rt_sigprocmask, how, (long)set, (long)oset, (long)sigsetsize));
}

int sigprocmask(int how, const sigset_t *set, sigset_t *oset) {
  return rt_sigprocmask(how, set, oset, sizeof(sigset_t));
}

int sigemptyset(sigset_t *s) {
  s->sig[0] = 0;
  s->sig[1] = 0;
  return 0;
}

int sigfillset(sigset_t *s) {
  s->sig[0] = ~0ul;
  s->sig[1] = ~0ul;
  return 0;
}

static int bad_signal(int sig) {
  if (sig < 1 || sig >= NSIG) {
    errno = EINVAL;
    return 1;
  }
  return 0;
}

int sigaddset(sigset_t *s, int sig) {
  if (bad_signal(sig)) return -1;
  s->sig[(sig - 1) / 32] |= 1ul << ((sig - 1) % 32);
  return 0;
}

int sigdelset(sigset_t *s, int sig) {
  if (bad_signal(sig)) return -1;
  s->sig[(sig - 1) / 32] &= ~(1ul << ((sig - 1) % 32));
  return 0;
}

int sigismember(const sigset_t *s, int sig) {
  if (bad_signal(sig)) return -1;
  return (s->sig[(sig - 1) / 32] >> ((sig - 1) % 32)) & 1;
}
