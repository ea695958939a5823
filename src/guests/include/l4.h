/*
 * L4 V2 system-call bindings for l4trace guests (IA32, int $0x30 .. $0x36), as specified in
 * docs/ia32-abi.md. Only 32-bit thread ids (the low word of a V2 id) are used; short messages
 * carry up to three words in EDX, EBX, EDI.
 *
 * Every binding is a static always_inline function that is excluded from -finstrument-functions,
 * so L4 calls never show up as FUNC_ENTER/FUNC_EXIT events. EBP carries the receive descriptor
 * (ipc) or the pager (task_new); gcc may use EBP as the frame pointer, so each binding saves it
 * with push/pop around the trap.
 *
 * Written for l4trace.
 */
#ifndef L4TRACE_L4_H
#define L4TRACE_L4_H

#include <stdint.h>

#define L4_INLINE static inline __attribute__((no_instrument_function, always_inline))

typedef uint32_t l4_threadid_t;

/* ---- thread ids: version_low:10 | lthread:7 | task:11 | version_high:4 (from bit 0) ---- */
#define L4_NIL_ID 0u
#define L4_INVALID_ID 0xffffffffu
#define L4_ID(task, lthread, version)                                                           \
  ((uint32_t)(((uint32_t)(version)&0x3ffu) | (((uint32_t)(lthread)&0x7fu) << 10) |             \
              (((uint32_t)(task)&0x7ffu) << 17) | ((((uint32_t)(version) >> 10) & 0xfu) << 28)))
#define L4_LTHREAD_SHIFT 10
#define L4_LTHREAD_MASK (0x7fu << 10)
#define L4_TASK_SHIFT 17
#define L4_TASK_MASK (0x7ffu << 17)

L4_INLINE uint32_t l4_task_of(l4_threadid_t id) { return (id >> 17) & 0x7ffu; }
L4_INLINE uint32_t l4_lthread_of(l4_threadid_t id) { return (id >> 10) & 0x7fu; }
L4_INLINE uint32_t l4_version_of(l4_threadid_t id) {
  return (id & 0x3ffu) | (((id >> 28) & 0xfu) << 10);
}
/* The same task and version, another lthread. */
L4_INLINE l4_threadid_t l4_with_lthread(l4_threadid_t id, uint32_t lthread) {
  return (id & ~L4_LTHREAD_MASK) | ((lthread & 0x7fu) << 10);
}

/* ---- ipc descriptors, timeouts, result dope ---- */
#define L4_IPC_SHORT_MSG 0u          /* send: short message, 3 words */
#define L4_IPC_SHORT_FPAGE 2u        /* send: short flexpage (EDX base, EBX fpage) */
#define L4_IPC_NIL_DESCRIPTOR 0xffffffffu
#define L4_IPC_OPEN_WAIT 1u          /* receive: any sender, short message */

/* Timeout word: rcv_exp:4 snd_exp:4 rcv_pfault:4 snd_pfault:4 snd_man:8 rcv_man:8 (from bit 0).
   exp 0 = never; man 0 (with exp != 0) = zero; otherwise man * 4^(15 - exp) microseconds. */
#define L4_IPC_NEVER 0u
#define L4_IPC_TIMEOUT(snd_man, snd_exp, rcv_man, rcv_exp, snd_pf, rcv_pf)                     \
  ((uint32_t)(((uint32_t)(rcv_exp)&0xfu) | (((uint32_t)(snd_exp)&0xfu) << 4) |                 \
              (((uint32_t)(rcv_pf)&0xfu) << 8) | (((uint32_t)(snd_pf)&0xfu) << 12) |           \
              (((uint32_t)(snd_man)&0xffu) << 16) | (((uint32_t)(rcv_man)&0xffu) << 24)))
/* send timeout zero, receive timeout never (the usual reply_and_wait timeout) */
#define L4_IPC_SEND_TIMEOUT_0 L4_IPC_TIMEOUT(0, 1, 0, 0, 0, 0)
/* both zero: poll */
#define L4_IPC_BOTH_TIMEOUT_0 L4_IPC_TIMEOUT(0, 1, 0, 1, 0, 0)

/* Result dope: bit 1 fpage received, bits 4..7 error code, bits 8..12 strings, 13..31 words. */
#define L4_IPC_ERROR_MASK 0xf0u
#define L4_IPC_ENOT_EXISTENT 0x10u
#define L4_IPC_RETIMEOUT 0x20u
#define L4_IPC_SETIMEOUT 0x30u
#define L4_IPC_RECANCELED 0x40u
#define L4_IPC_SECANCELED 0x50u
#define L4_IPC_REMAPFAILED 0x60u
#define L4_IPC_SEMAPFAILED 0x70u
#define L4_IPC_RESNDPFTO 0x80u
#define L4_IPC_SESNDPFTO 0x90u
#define L4_IPC_RERCVPFTO 0xa0u
#define L4_IPC_SERCVPFTO 0xb0u
#define L4_IPC_REABORTED 0xc0u
#define L4_IPC_SEABORTED 0xd0u
#define L4_IPC_REMSGCUT 0xe0u
#define L4_IPC_SEMSGCUT 0xf0u
/* The raw error code (dope & 0xf0): 0 = success. */
L4_INLINE uint32_t l4_ipc_error(uint32_t dope) { return dope & L4_IPC_ERROR_MASK; }
L4_INLINE uint32_t l4_ipc_fpage_received(uint32_t dope) { return (dope >> 1) & 1u; }

/* Flexpage word: grant:1 write:1 size:6 zero:4 page:20 (from bit 0). */
#define L4_FPAGE(addr, log2size, write, grant)                                                  \
  ((uint32_t)(((uint32_t)(addr)&0xfffff000u) | (((uint32_t)(log2size)&0x3fu) << 2) |           \
              (((uint32_t)(write)&1u) << 1) | ((uint32_t)(grant)&1u)))
#define L4_FP_REMAP_PAGE 0x00000000u /* fpage_unmap mask: write-protect */
#define L4_FP_FLUSH_PAGE 0x00000002u /* fpage_unmap mask: flush */
#define L4_FP_ALL_SPACES 0x80000000u /* fpage_unmap mask: include own mapping */

/*
 * The ipc trap. RCV is the receive descriptor as assembler text (an immediate), so the binding
 * needs no seventh register: EAX snd descriptor, ECX timeout, ESI dest/source, EDX EBX EDI
 * words. The kernel returns the dope in EAX, words in EDX EBX EDI and the source in ESI; ECX is
 * treated as clobbered.
 */
#define L4__IPC(RCV, a, c, S, d, b, D)                                                          \
  __asm__ volatile("pushl %%ebp\n\t"                                                            \
                   "movl $" RCV ", %%ebp\n\t"                                                   \
                   "int $0x30\n\t"                                                              \
                   "popl %%ebp"                                                                 \
                   : "+a"(a), "+c"(c), "+S"(S), "+d"(d), "+b"(b), "+D"(D)                       \
                   :                                                                            \
                   : "memory", "cc")

/* Send 3 words to dest and wait for its answer (closed receive from dest). Returns the dope. */
L4_INLINE uint32_t l4_ipc_call(l4_threadid_t dest, uint32_t w0, uint32_t w1, uint32_t w2,
                               uint32_t *r0, uint32_t *r1, uint32_t *r2, uint32_t timeout) {
  uint32_t a = L4_IPC_SHORT_MSG, c = timeout, S = dest, d = w0, b = w1, D = w2;
  L4__IPC("0", a, c, S, d, b, D);
  *r0 = d;
  *r1 = b;
  *r2 = D;
  return a;
}

/* Send only. */
L4_INLINE uint32_t l4_ipc_send(l4_threadid_t dest, uint32_t w0, uint32_t w1, uint32_t w2,
                               uint32_t timeout) {
  uint32_t a = L4_IPC_SHORT_MSG, c = timeout, S = dest, d = w0, b = w1, D = w2;
  L4__IPC("-1", a, c, S, d, b, D);
  return a;
}

/* Closed receive from src (src 0 = nil: nobody ever sends, so this blocks for the timeout). */
L4_INLINE uint32_t l4_ipc_receive(l4_threadid_t src, uint32_t *r0, uint32_t *r1, uint32_t *r2,
                                  uint32_t timeout) {
  uint32_t a = L4_IPC_NIL_DESCRIPTOR, c = timeout, S = src, d = 0, b = 0, D = 0;
  L4__IPC("0", a, c, S, d, b, D);
  *r0 = d;
  *r1 = b;
  *r2 = D;
  return a;
}

/* Open receive: from any sender, whose id is stored in *src. */
L4_INLINE uint32_t l4_ipc_wait(l4_threadid_t *src, uint32_t *r0, uint32_t *r1, uint32_t *r2,
                               uint32_t timeout) {
  uint32_t a = L4_IPC_NIL_DESCRIPTOR, c = timeout, S = 0, d = 0, b = 0, D = 0;
  L4__IPC("1", a, c, S, d, b, D);
  *src = S;
  *r0 = d;
  *r1 = b;
  *r2 = D;
  return a;
}

/* Send 3 words to dest, then open receive. */
L4_INLINE uint32_t l4_ipc_reply_and_wait(l4_threadid_t dest, uint32_t w0, uint32_t w1,
                                         uint32_t w2, l4_threadid_t *src, uint32_t *r0,
                                         uint32_t *r1, uint32_t *r2, uint32_t timeout) {
  uint32_t a = L4_IPC_SHORT_MSG, c = timeout, S = dest, d = w0, b = w1, D = w2;
  L4__IPC("1", a, c, S, d, b, D);
  *src = S;
  *r0 = d;
  *r1 = b;
  *r2 = D;
  return a;
}

/* id_nearest (int $0x31) with the nil id: the caller's own id. */
L4_INLINE l4_threadid_t l4_myself(void) {
  uint32_t S = 0, a;
  __asm__ volatile("int $0x31" : "+S"(S), "=a"(a) : : "ecx", "edx", "ebx", "edi", "memory", "cc");
  (void)a;
  return S;
}

/* id_nearest for any id; *type gets EAX (0 = same clan). */
L4_INLINE l4_threadid_t l4_id_nearest(l4_threadid_t id, uint32_t *type) {
  uint32_t S = id, a;
  __asm__ volatile("int $0x31" : "+S"(S), "=a"(a) : : "ecx", "edx", "ebx", "edi", "memory", "cc");
  *type = a;
  return S;
}

/* lthread_ex_regs (int $0x35): EAX lthread, ECX esp, EDX eip, ESI pager (0xffffffff = keep each).
   Returns the old EFLAGS (0xffffffff on error); the old esp, eip, pager go to the out pointers. */
L4_INLINE uint32_t l4_lthread_ex_regs_old(uint32_t lthread, uint32_t eip, uint32_t esp,
                                          l4_threadid_t pager, uint32_t *old_eip,
                                          uint32_t *old_esp, l4_threadid_t *old_pager) {
  uint32_t a = lthread, c = esp, d = eip, S = pager;
  __asm__ volatile("int $0x35"
                   : "+a"(a), "+c"(c), "+d"(d), "+S"(S)
                   :
                   : "ebx", "edi", "memory", "cc");
  *old_esp = c;
  *old_eip = d;
  *old_pager = S;
  return a;
}

L4_INLINE uint32_t l4_lthread_ex_regs(uint32_t lthread, uint32_t eip, uint32_t esp,
                                      l4_threadid_t pager) {
  uint32_t a = lthread, c = esp, d = eip, S = pager;
  __asm__ volatile("int $0x35"
                   : "+a"(a), "+c"(c), "+d"(d), "+S"(S)
                   :
                   : "ebx", "edi", "memory", "cc");
  return a;
}

/* task_new (int $0x36): ESI task id, EAX mcp (or the new chief when pager is 0), ECX esp,
   EDX eip, EBP pager. Returns the id of the new task's thread 0 (0 = failure). */
L4_INLINE l4_threadid_t l4_task_new(l4_threadid_t task, uint32_t mcp_or_chief, uint32_t esp,
                                    uint32_t eip, l4_threadid_t pager) {
  uint32_t S = task, a = mcp_or_chief, c = esp, d = eip, b = pager;
  __asm__ volatile("pushl %%ebp\n\t"
                   "movl %%ebx, %%ebp\n\t"
                   "int $0x36\n\t"
                   "popl %%ebp"
                   : "+S"(S), "+a"(a), "+c"(c), "+d"(d), "+b"(b)
                   :
                   : "edi", "memory", "cc");
  return S;
}

/* thread_switch (int $0x33): donate the time slice to dest; 0 = just yield. */
L4_INLINE void l4_thread_switch(l4_threadid_t dest) {
  uint32_t S = dest;
  __asm__ volatile("int $0x33"
                   : "+S"(S)
                   :
                   : "eax", "ecx", "edx", "ebx", "edi", "memory", "cc");
}

/* thread_schedule (int $0x34): ESI thread, EAX new priority (0xffffffff = keep), ECX new time
   slice in microseconds (0 = keep). Returns the old priority (0xffffffff on error). */
L4_INLINE uint32_t l4_thread_schedule(l4_threadid_t thread, uint32_t prio, uint32_t timeslice_us) {
  uint32_t S = thread, a = prio, c = timeslice_us;
  __asm__ volatile("int $0x34"
                   : "+S"(S), "+a"(a), "+c"(c)
                   :
                   : "edx", "ebx", "edi", "memory", "cc");
  return a;
}

/* fpage_unmap (int $0x32): EAX fpage word, ECX mask (L4_FP_FLUSH_PAGE, L4_FP_ALL_SPACES). */
L4_INLINE void l4_fpage_unmap(uint32_t fpage, uint32_t mask) {
  uint32_t a = fpage, c = mask;
  __asm__ volatile("int $0x32"
                   : "+a"(a), "+c"(c)
                   :
                   : "edx", "ebx", "esi", "edi", "memory", "cc");
}

/* The (simulated) time-stamp counter. */
L4_INLINE uint64_t l4_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

#endif
