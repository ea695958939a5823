/*
 * pingpong: a native L4 V2 guest (no Linux system calls, no C library).
 *
 * ping (thread 0, entered at _start on the stack the root task gave it):
 *   1. open wait for the configuration from the root task: [pong id, rounds, warmup];
 *   2. pong id 0: start pong as lthread 1 of this task (at pong_entry, on a static 16 KiB
 *      stack, pager unchanged) and use this task's id with lthread 1;
 *   3. `warmup` calls to pong (word i), then rdtsc, `rounds` calls, rdtsc;
 *   4. send [cycles (low 32 bits of the difference), errors, 0] to the root task;
 *   5. block forever (closed receive from the nil id, timeout never).
 *   An error is a call whose dope has an error code or whose answer is not word0 + 1.
 *
 * pong (pong_entry, entered with a fresh stack and no arguments; also usable as the entry of
 * another task that runs this same ELF): open wait, then answer every message with word0 + 1
 * and wait for the next one (reply_and_wait).
 */
#include <stdint.h>
#include "l4.h"

#define PONG_STACK_SIZE (16 * 1024)

static uint8_t pong_stack[PONG_STACK_SIZE] __attribute__((aligned(16)));

void ping(void) __attribute__((noreturn, used));
void pong(void) __attribute__((noreturn, used));
void pong_entry(void) __attribute__((noreturn));

/* Entry points: no setup beyond a null frame pointer, then C. Neither ever returns. */
__asm__(".text\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "\txorl %ebp, %ebp\n"
        "\tcall ping\n"
        "\thlt\n"
        ".size _start, . - _start\n"
        ".globl pong_entry\n"
        ".type pong_entry, @function\n"
        "pong_entry:\n"
        "\txorl %ebp, %ebp\n"
        "\tcall pong\n"
        "\thlt\n"
        ".size pong_entry, . - pong_entry\n");

static uint32_t one_call(l4_threadid_t dest, uint32_t word) {
  uint32_t r0, r1, r2, dope;
  dope = l4_ipc_call(dest, word, 0, 0, &r0, &r1, &r2, L4_IPC_NEVER);
  return (l4_ipc_error(dope) != 0 || r0 != word + 1) ? 1u : 0u;
}

static l4_threadid_t start_local_pong(void) {
  l4_threadid_t me = l4_myself();
  l4_lthread_ex_regs(1, (uint32_t)(uintptr_t)pong_entry,
                     (uint32_t)(uintptr_t)(pong_stack + PONG_STACK_SIZE), L4_INVALID_ID);
  return l4_with_lthread(me, 1);
}

void ping(void) {
  l4_threadid_t root, pong_id;
  uint32_t rounds, warmup, w0, w1, w2, i, errors = 0;
  uint64_t t0, t1;

  l4_ipc_wait(&root, &w0, &w1, &w2, L4_IPC_NEVER);
  pong_id = w0;
  rounds = w1;
  warmup = w2;
  if (pong_id == L4_NIL_ID) pong_id = start_local_pong();

  for (i = 0; i < warmup; i++) errors += one_call(pong_id, i);
  t0 = l4_rdtsc();
  for (i = 0; i < rounds; i++) errors += one_call(pong_id, i);
  t1 = l4_rdtsc();

  l4_ipc_send(root, (uint32_t)(t1 - t0), errors, 0, L4_IPC_NEVER);
  for (;;) l4_ipc_receive(L4_NIL_ID, &w0, &w1, &w2, L4_IPC_NEVER);
}

void pong(void) {
  l4_threadid_t src;
  uint32_t w0, w1, w2, dope;
  dope = l4_ipc_wait(&src, &w0, &w1, &w2, L4_IPC_NEVER);
  for (;;) {
    if (l4_ipc_error(dope) != 0) {
      /* nothing (valid) received: wait again instead of answering */
      dope = l4_ipc_wait(&src, &w0, &w1, &w2, L4_IPC_NEVER);
      continue;
    }
    dope = l4_ipc_reply_and_wait(src, w0 + 1, 0, 0, &src, &w0, &w1, &w2, L4_IPC_NEVER);
  }
}
