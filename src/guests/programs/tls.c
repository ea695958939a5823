/*
 * tls: thread-local storage and the LDT as a user program sees them (docs/segments.md).
 * set_thread_area / get_thread_area, %gs and %fs loads, memory accesses through the FS / GS override
 * (moffs, ModRM, string and read-modify-write forms), segment limits, modify_ldt, fork, and the faults
 * of bad selectors, caught by a SIGSEGV / SIGBUS / SIGILL handler that skips the instruction.
 *
 * Runs natively on an x86-64 host too, whose GDT differs from i386 Linux's (TLS entries 12..14, user
 * data 0x2b instead of 6..8 and 0x7b): the program prints only what agrees, i.e. values read through
 * the segments, entry numbers relative to the first one it got, errno values, signals and si_code,
 * and whether an error code names the selector.
 */
#include "libc.h"

#define SYS_modify_ldt 123
#define SYS_set_thread_area 243
#define SYS_get_thread_area 244

struct user_desc {
  unsigned entry_number, base_addr, limit, flags;
};
#define SEG32 1u
#define CONTENTS(c) ((unsigned)(c) << 1)
#define READ_EXEC_ONLY 8u
#define LIMIT_IN_PAGES 16u
#define NOT_PRESENT 32u
#define USEABLE 64u

static unsigned block[64] __attribute__((aligned(16)));
static unsigned ldtblock[16] __attribute__((aligned(16)));
static int first; /* the TLS entry set_thread_area picked first */

static long set_ta(struct user_desc *u) { return syscall(SYS_set_thread_area, (long)u, 0, 0, 0, 0); }
static long get_ta(struct user_desc *u) { return syscall(SYS_get_thread_area, (long)u, 0, 0, 0, 0); }
static long modify_ldt(int func, void *p, unsigned long n) { return syscall(SYS_modify_ldt, func, (long)p, (long)n, 0, 0); }

static void result(const char *what, long r) {
  if (r < 0) printf("%-44s -1, errno %d\n", what, errno);
  else printf("%-44s %ld\n", what, r);
}

static void set_desc(struct user_desc *u, unsigned entry, const void *base, unsigned limit, unsigned flags) {
  u->entry_number = entry;
  u->base_addr = (unsigned)base;
  u->limit = limit;
  u->flags = flags;
}

static unsigned sel_of(int entry) { return ((unsigned)entry << 3) | 3; }
static void load_gs(unsigned s) { __asm__ volatile("movl %0, %%gs" ::"r"(s) : "memory"); }
static void load_fs(unsigned s) { __asm__ volatile("movl %0, %%fs" ::"r"(s) : "memory"); }
static unsigned read_gs(void) {
  unsigned v;
  __asm__ volatile("movl %%gs, %0" : "=r"(v));
  return v;
}
static unsigned gs0(void) {
  unsigned v;
  __asm__ volatile("movl %%gs:0, %0" : "=a"(v)::"memory"); /* 65 a1: the moffs form glibc uses */
  return v;
}

// ---------------------------------------------------------------------------------------------------
// Faults: the handler records the signal and continues at resume_at.

static volatile unsigned got_sig, got_code, got_trapno, got_err, got_addr, got_gs;
static volatile unsigned resume_at, new_gs, set_gs;

static void handler(int sig, void *infov, void *ucv) {
  unsigned *info = infov;
  unsigned *sc = (unsigned *)((char *)ucv + 20);
  got_sig = (unsigned)sig;
  got_code = info[2];
  got_addr = info[3];
  got_trapno = sc[12];
  got_err = sc[13];
  got_gs = sc[0];
  if (set_gs) sc[0] = new_gs;
  sc[14] = resume_at;
}

/* A case: the instruction at <name>_at with ECX = s; the handler continues at <name>_after, where the
 * stack pointer is restored (a faulting pop leaves it moved). */
#define CASE(name, insn)                                                                        \
  extern char name##_at[], name##_after[];                                                      \
  static __attribute__((noinline)) void name(unsigned s) {                                     \
    __asm__ volatile("movl %0, %%ecx\n\tmovl %%esp, %%edx\n.globl " #name "_at\n" #name "_at:\n\t"   \
                     insn "\n.globl " #name "_after\n" #name "_after:\n\tmovl %%edx, %%esp"           \
                     ::"r"(s) : "eax", "ecx", "edx", "memory");                                    \
  }

CASE(load_gs_case, "movl %%ecx, %%gs")
CASE(load_fs_case, "movl %%ecx, %%fs")
CASE(read_fs12_case, "movl %%fs:12, %%eax")
CASE(read_fs13_case, "movl %%fs:13, %%eax")
CASE(read_gs_null_case, "movl %%gs:0, %%eax")
CASE(mov_cs_case, ".byte 0x8e, 0xc9")
CASE(pop_gs_case, "pushl %%ecx\n\tpopl %%gs")

static void fault(const char *what, void (*fn)(unsigned), unsigned s, const char *at, const char *after) {
  got_sig = got_code = got_trapno = got_err = got_addr = 0;
  resume_at = (unsigned)after;
  fn(s);
  printf("%-28s signal %2u, si_code %#x, trapno %2u, err %s", what, got_sig, got_code, got_trapno,
         got_err == 0 ? "0" : got_err == (s & 0xfffc) ? "the selector" : "other");
  if (got_sig == 4) printf(", si_addr %s", got_addr == (unsigned)at ? "the instruction" : "other");
  printf("\n");
}
#define FAULT(what, name, s) fault(what, name, s, name##_at, name##_after)

// ---------------------------------------------------------------------------------------------------

static void print_desc(const char *what, const struct user_desc *u) {
  printf("%s: entry +%d base %s limit %#x seg_32bit %u contents %u read_exec_only %u limit_in_pages %u "
         "seg_not_present %u useable %u\n",
         what, (int)u->entry_number - first, u->base_addr == (unsigned)block ? "block" : u->base_addr ? "other" : "0",
         u->limit, u->flags & 1, (u->flags >> 1) & 3, (u->flags >> 3) & 1, (u->flags >> 4) & 1, (u->flags >> 5) & 1,
         (u->flags >> 6) & 1);
}

static void through_gs(void) {
  unsigned a, b, c, d, e;
  block[1] = 0x99;
  __asm__ volatile("movl $0x11223344, %%eax\n\tmovl %%eax, %%gs:0" ::: "eax", "memory"); /* 65 a3 */
  __asm__ volatile("movl $8, %%ecx\n\tmovl $0x55667788, %%gs:(%%ecx)" ::: "ecx", "memory");
  __asm__ volatile("addl $5, %%gs:8" ::: "memory", "cc");
  a = gs0();
  __asm__ volatile("movl %%gs:8, %0" : "=r"(b));
  __asm__ volatile("movzbl %%gs:3, %0" : "=r"(c));
  __asm__ volatile("movl $4, %%esi\n\tlodsl %%gs:(%%esi), %%eax" : "=a"(d)::"esi", "memory");
  block[16] = 0;
  __asm__ volatile("cld\n\tmovl $8, %%esi\n\tleal %1, %%edi\n\tmovsl %%gs:(%%esi), %%es:(%%edi)" ::"a"(0), "m"(block[16]) : "esi", "edi", "memory");
  __asm__ volatile(".byte 0x65\n\tleal 40, %0" : "=r"(e)); /* an offset: the prefix adds no base */
  printf("through %%gs: gs:0 %#x gs:8 %#x byte gs:3 %#x lods gs:4 %#x movs -> %#x lea %u\n", a, b, c, d, block[16], e);
  printf("block[0] %#x block[2] %#x\n", block[0], block[2]);
}

static void tls_errors(void) {
  struct user_desc u;
  set_desc(&u, 0, block, 0xfffff, SEG32 | LIMIT_IN_PAGES);
  result("set_thread_area(entry 0)", set_ta(&u));
  set_desc(&u, first, block, 0xfffff, LIMIT_IN_PAGES);
  result("set_thread_area(16-bit)", set_ta(&u));
  set_desc(&u, first, block, 0xfffff, SEG32 | CONTENTS(2));
  result("set_thread_area(code)", set_ta(&u));
  set_desc(&u, first, block, 0xfffff, SEG32 | NOT_PRESENT);
  result("set_thread_area(not present)", set_ta(&u));
  result("set_thread_area(bad pointer)", set_ta((struct user_desc *)0x10));
  u.entry_number = 100;
  result("get_thread_area(entry 100)", get_ta(&u));
  result("get_thread_area(bad pointer)", get_ta((struct user_desc *)0x10));
}

static void fill_and_clear(void) {
  struct user_desc u;
  set_desc(&u, -1u, block, 15, SEG32);
  result("set_thread_area(-1) 2nd", set_ta(&u));
  printf("  entry +%d\n", (int)u.entry_number - first);
  set_desc(&u, -1u, block, 15, SEG32);
  result("set_thread_area(-1) 3rd", set_ta(&u));
  printf("  entry +%d\n", (int)u.entry_number - first);
  set_desc(&u, -1u, block, 15, SEG32);
  result("set_thread_area(-1) 4th", set_ta(&u));
  set_desc(&u, first + 2, 0, 0, READ_EXEC_ONLY | NOT_PRESENT); /* LDT_empty: clears */
  result("set_thread_area(+2, empty)", set_ta(&u));
  u.entry_number = first + 2;
  get_ta(&u);
  print_desc("cleared", &u);
}

static void limits(void) {
  /* TLS entry first+1: 16 bytes from block (limit 15, byte granularity) in %fs */
  FAULT("mov %fs, small segment", load_fs_case, sel_of(first + 1));
  block[3] = 0xabcdef;
  unsigned v;
  __asm__ volatile("movl %%fs:12, %0" : "=r"(v));
  printf("fs:12 (last word inside) %#x\n", v);
  FAULT("fs:13 (beyond the limit)", read_fs13_case, 0);
  FAULT("fs:12", read_fs12_case, 0);
}

static void bad_selectors(void) {
  FAULT("mov %gs, 0x68 (kernel)", load_gs_case, 0x68);
  FAULT("mov %gs, empty TLS entry", load_gs_case, sel_of(first + 2));
  FAULT("mov %gs, beyond the GDT", load_gs_case, 0xfffb);
  FAULT("mov %gs, LDT without LDT", load_gs_case, 0x7);
  FAULT("pop %gs, 0x18 (kernel)", pop_gs_case, 0x18);
  FAULT("mov %cs", mov_cs_case, 0);
  FAULT("mov %gs, 0; gs:0", load_gs_case, 0);
  FAULT("gs:0 with the null selector", read_gs_null_case, 0);
}

static void ldt(void) {
  struct user_desc u;
  unsigned char raw[40];
  result("modify_ldt(read, no LDT)", modify_ldt(0, raw, 24));
  set_desc(&u, 0, ldtblock, 0xff, SEG32);
  result("modify_ldt(write 0x11, entry 0)", modify_ldt(0x11, &u, sizeof u));
  set_desc(&u, 1, ldtblock, 0xff, SEG32 | NOT_PRESENT);
  result("modify_ldt(write 1, entry 1 absent)", modify_ldt(1, &u, sizeof u));
  set_desc(&u, 2, ldtblock, 0xff, SEG32);
  result("modify_ldt(bytecount 8)", modify_ldt(0x11, &u, 8));
  set_desc(&u, 8192, ldtblock, 0xff, SEG32);
  result("modify_ldt(entry 8192)", modify_ldt(0x11, &u, sizeof u));
  set_desc(&u, 2, ldtblock, 0xff, SEG32 | CONTENTS(3));
  result("modify_ldt(old mode, conforming code)", modify_ldt(1, &u, sizeof u));
  result("modify_ldt(new mode, present conf. code)", modify_ldt(0x11, &u, sizeof u));
  result("modify_ldt(bad pointer)", modify_ldt(0x11, (void *)0x10, sizeof u));
  result("modify_ldt(func 5)", modify_ldt(5, &u, sizeof u));
  memset(raw, 0xee, sizeof raw);
  result("modify_ldt(read 24)", modify_ldt(0, raw, 24));
  unsigned *w = (unsigned *)raw;
  printf("  entry 0 base %s limit %#x; entry 1 present %u; entry 2 words %#x %#x\n",
         ((w[0] >> 16) | ((w[1] & 0xff) << 16) | (w[1] & 0xff000000)) == (unsigned)ldtblock ? "ldtblock" : "other",
         (w[0] & 0xffff) | (w[1] & 0xf0000), (w[3] >> 15) & 1, w[4], w[5]);
  result("modify_ldt(read default, 40)", modify_ldt(2, raw, 40));
  /* old mode drops the useable bit and clears on base 0 + limit 0; new mode keeps both */
  set_desc(&u, 3, ldtblock, 0xff, SEG32 | USEABLE);
  modify_ldt(1, &u, sizeof u);
  set_desc(&u, 4, ldtblock, 0xff, SEG32 | USEABLE);
  modify_ldt(0x11, &u, sizeof u);
  set_desc(&u, 5, 0, 0, SEG32);
  modify_ldt(1, &u, sizeof u);
  set_desc(&u, 6, 0, 0, SEG32);
  modify_ldt(0x11, &u, sizeof u);
  unsigned big[14];
  result("modify_ldt(read 56)", modify_ldt(0, big, sizeof big));
  printf("  useable: old mode %u, new mode %u; base 0 limit 0: old mode %s, new mode %s\n", (big[7] >> 20) & 1,
         (big[9] >> 20) & 1, big[10] == 0 && big[11] == 0 ? "cleared" : "kept", big[12] == 0 && big[13] == 0 ? "cleared" : "kept");
  ldtblock[0] = 0x4c445430;
  unsigned v;
  load_fs(7); /* LDT entry 0, RPL 3 */
  __asm__ volatile("movl %%fs:0, %0" : "=r"(v));
  printf("fs = LDT entry 0: fs:0 %#x\n", v);
  FAULT("mov %fs, absent LDT entry", load_fs_case, 0xf);
}

static void forked(void) {
  pid_t pid = fork();
  if (pid == 0) {
    unsigned fsv;
    __asm__ volatile("movl %%fs:0, %0" : "=r"(fsv));
    printf("child: gs:0 %#x fs:0 %#x (inherited)\n", gs0(), fsv);
    struct user_desc u;
    set_desc(&u, first, &block[32], 0xfffff, SEG32 | LIMIT_IN_PAGES);
    block[32] = 0xc41d;
    result("child: set_thread_area(new base)", set_ta(&u));
    printf("child: gs:0 %#x (the new base; gs not reloaded by the program)\n", gs0());
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("parent: gs:0 %#x (its own base)\n", gs0());
}

static void sigreturn_gs(void) {
  unsigned sel = sel_of(first);
  set_gs = 1;
  new_gs = sel;
  got_gs = 0;
  load_gs(0);
  FAULT("fault with %gs = 0", read_gs_null_case, 0); /* the handler puts the TLS selector back */
  printf("sigcontext gs was %s; after sigreturn gs %s, gs:0 %#x\n", (got_gs & 0xfffc) == 0 ? "null" : "other",
         read_gs() == sel ? "= the TLS selector" : "other", gs0());
  new_gs = 0xfff8;
  load_gs(0);
  FAULT("fault, bad gs in sigcontext", read_gs_null_case, 0);
  printf("after sigreturn with a bad gs: gs %s\n", (read_gs() & 0xfffc) == 0 ? "null" : "other");
  set_gs = 0;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  sigaction(SIGILL, &sa, 0);

  unsigned sr[6];
  __asm__ volatile("movl %%cs, %0\n\tmovl %%ds, %1\n\tmovl %%es, %2\n\tmovl %%ss, %3\n\tmovl %%fs, %4\n\tmovl %%gs, %5"
                   : "=r"(sr[0]), "=r"(sr[1]), "=r"(sr[2]), "=r"(sr[3]), "=r"(sr[4]), "=r"(sr[5]));
  printf("at start: cs %#x ds %#x es %#x ss %#x fs %#x gs %#x\n", sr[0], sr[1], sr[2], sr[3], sr[4], sr[5]);

  struct user_desc u;
  set_desc(&u, -1u, block, 0xfffff, SEG32 | LIMIT_IN_PAGES);
  result("set_thread_area(-1)", set_ta(&u));
  first = (int)u.entry_number;
  bad_selectors();
  load_gs(sel_of(first));
  printf("gs holds the selector: %s\n", read_gs() == sel_of(first) ? "yes" : "no");
  through_gs();
  struct user_desc g;
  memset(&g, 0x5a, sizeof g);
  g.entry_number = first;
  result("get_thread_area(first)", get_ta(&g));
  print_desc("first", &g);
  memset(&g, 0x5a, sizeof g);
  g.entry_number = first + 1;
  result("get_thread_area(+1, empty)", get_ta(&g));
  print_desc("empty", &g);
  tls_errors();
  fill_and_clear();
  limits();
  ldt();
  forked();
  sigreturn_gs();
  return 0;
}
