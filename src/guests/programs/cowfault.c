/*
 * cowfault: instructions whose store faults must be restartable. After fork (the child exits at
 * once) every writable page of the parent is copy-on-write, so the first store to each page faults;
 * the kernel copies or unprotects the page and the instruction runs again. It must then give the
 * result of one execution: CMPXCHG must not have loaded EAX, XCHG must not have swapped its register,
 * ADC/SBB/RCL/RCR must not have consumed CF, REP MOVS/STOS continue where they stopped.
 * Finally a SIGSEGV handler for `addl $1, main` (a store into the program's own text) must see the
 * flags of before the instruction in its sigcontext.
 */
#include "libc.h"

static int lock_word = 9;
static int cas_word = 9;
static int val_word = 7;
static volatile int tas_word;
static unsigned adc_word = 5;
static unsigned sbb_word = 5;
static unsigned rcl_word = 0x40000000;
static unsigned rcr_word = 2;
static unsigned xadd_word = 100;
static unsigned or_word = 0x10;
static unsigned neg_word = 7;
static unsigned inc_word = 0xffffffff;
static unsigned xchg_word = 0x1234;
static unsigned shift_word = 0x81;
static unsigned shld_word = 0x0f000001;
static unsigned bts_word = 0x10;
static unsigned char byte_word = 0xff;
static unsigned short word16 = 0xfffe;
static unsigned big[3 * 1024 + 5];
static unsigned copy[3 * 1024 + 5];

/* Fork a child that exits at once: afterwards every writable page of ours is copy-on-write. */
static void fresh_cow(void) {
  pid_t p = fork();
  if (p == 0) _exit(0);
  int st;
  waitpid(p, &st, 0);
}

static volatile unsigned seen_flags;
static volatile unsigned seen_main_byte;
extern char cowfault_after_add[];

static void on_segv(int sig, void *info, void *ucv) {
  (void)sig;
  (void)info;
  unsigned *sc = (unsigned *)((char *)ucv + 20); /* ucontext: flags, link, stack (12), sigcontext */
  seen_flags = sc[16] & 0x8d5;                   /* CF PF AF ZF SF OF */
  sc[14] = (unsigned)cowfault_after_add;         /* continue after the faulting instruction */
}

static __attribute__((noinline)) void add_to_text(void) {
  __asm__ volatile("pushl $0x8c7\n\t" /* CF PF ZF SF OF set */
                   "popfl\n\t"
                   "addl $1, main\n"
                   ".globl cowfault_after_add\n"
                   "cowfault_after_add:" ::: "cc", "memory");
}

int main(void) {
  int ok;

  fresh_cow();
  ok = __sync_bool_compare_and_swap(&lock_word, 5, 6);
  printf("cas(expect 5 -> 6) on 9: %s, value now %d\n", ok ? "succeeded" : "failed", lock_word);

  fresh_cow();
  ok = __sync_bool_compare_and_swap(&cas_word, 9, 10);
  printf("cas(expect 9 -> 10) on 9: %s, value now %d\n", ok ? "succeeded" : "failed", cas_word);

  fresh_cow();
  int old = __sync_val_compare_and_swap(&val_word, 3, 4);
  printf("val cas(3 -> 4) on 7: returned %d, value now %d\n", old, val_word);

  fresh_cow();
  int was = __sync_lock_test_and_set(&tas_word, 1);
  printf("test_and_set: was %d, now %d (%s)\n", was, tas_word, was ? "busy" : "acquired");
  fresh_cow();
  was = __sync_lock_test_and_set(&tas_word, 1);
  printf("test_and_set again: was %d, now %d (%s)\n", was, tas_word, was ? "busy" : "acquired");

  fresh_cow();
  __asm__ volatile("stc\n\tadcl $0, %0" : "+m"(adc_word)::"cc");
  printf("stc; adcl $0 on 5: %u\n", adc_word);

  fresh_cow();
  __asm__ volatile("stc\n\tsbbl $0, %0" : "+m"(sbb_word)::"cc");
  printf("stc; sbbl $0 on 5: %u\n", sbb_word);

  fresh_cow();
  __asm__ volatile("stc\n\trcll $1, %0" : "+m"(rcl_word)::"cc");
  printf("stc; rcll $1 on 0x40000000: 0x%08x\n", rcl_word);

  fresh_cow();
  __asm__ volatile("stc\n\trcrl $1, %0" : "+m"(rcr_word)::"cc");
  printf("stc; rcrl $1 on 2: 0x%08x\n", rcr_word);

  fresh_cow();
  unsigned before = __sync_fetch_and_add(&xadd_word, 5);
  printf("fetch_and_add 5 on 100: returned %u, value now %u\n", before, xadd_word);

  fresh_cow();
  __sync_or_and_fetch(&or_word, 0x3);
  printf("lock or 3 on 0x10: 0x%x\n", or_word);

  fresh_cow();
  unsigned char cf;
  __asm__ volatile("negl %0\n\tsetc %1" : "+m"(neg_word), "=q"(cf)::"cc");
  printf("negl on 7: %d, CF %u\n", (int)neg_word, cf);

  fresh_cow();
  __asm__ volatile("stc\n\tincl %0\n\tsetc %1" : "+m"(inc_word), "=q"(cf)::"cc");
  printf("stc; incl on 0xffffffff: %u, CF still %u\n", inc_word, cf);

  fresh_cow();
  unsigned reg = 0xabcd;
  __asm__ volatile("xchgl %0, %1" : "+m"(xchg_word), "+r"(reg));
  printf("xchg: memory 0x%x, register 0x%x\n", xchg_word, reg);

  fresh_cow();
  unsigned count = 3;
  __asm__ volatile("stc\n\tsarl %%cl, %0\n\tsetc %1" : "+m"(shift_word), "=q"(cf) : "c"(count) : "cc");
  printf("sarl $3 on 0x81: 0x%x, CF %u\n", shift_word, cf);

  fresh_cow();
  __asm__ volatile("shldl $4, %1, %0" : "+m"(shld_word) : "r"(0xa0000000u) : "cc");
  printf("shld $4 with 0xa0000000 on 0x0f000001: 0x%08x\n", shld_word);

  fresh_cow();
  __asm__ volatile("btsl $4, %0\n\tsetc %1" : "+m"(bts_word), "=q"(cf)::"cc");
  printf("bts $4 on 0x10: 0x%x, CF %u\n", bts_word, cf);

  fresh_cow();
  __asm__ volatile("stc\n\tadcb $0, %0\n\tsetc %1" : "+m"(byte_word), "=q"(cf)::"cc");
  printf("stc; adcb $0 on 0xff: 0x%x, CF %u\n", byte_word, cf);

  fresh_cow();
  __asm__ volatile("stc\n\tadcw $1, %0\n\tsetc %1" : "+m"(word16), "=q"(cf)::"cc");
  printf("stc; adcw $1 on 0xfffe: 0x%x, CF %u\n", word16, cf);

  /* REP STOS and REP MOVS across four copy-on-write pages. */
  for (unsigned i = 0; i < sizeof big / sizeof big[0]; i++) big[i] = i * 2654435761u;
  fresh_cow();
  memcpy(copy, big, sizeof big);
  unsigned sum = 0;
  for (unsigned i = 0; i < sizeof copy / sizeof copy[0]; i++) sum = sum * 31 + copy[i];
  printf("memcpy of %u bytes after fork: checksum 0x%08x, %s\n", (unsigned)sizeof big, sum,
         memcmp(copy, big, sizeof big) == 0 ? "equal" : "DIFFERENT");
  fresh_cow();
  memset(big, 0x5a, sizeof big);
  unsigned bad = 0;
  for (unsigned i = 0; i < sizeof big / sizeof big[0]; i++) bad += big[i] != 0x5a5a5a5au;
  printf("memset of %u bytes after fork: %u words wrong\n", (unsigned)sizeof big, bad);

  /* A store into the text: SIGSEGV, and the handler sees the flags of before the add. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sigaction(SIGSEGV, &sa, 0);
  unsigned char first = *(volatile unsigned char *)(void *)main;
  add_to_text();
  printf("addl $1, main: SIGSEGV handler saw flags 0x%03x (set 0x8c5 before), main's first byte %s\n",
         seen_flags, *(volatile unsigned char *)(void *)main == first ? "unchanged" : "CHANGED");
  return 0;
}
