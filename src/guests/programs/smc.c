/*
 * smc: self-modifying code. A function is written into a writable and executable buffer, called,
 * patched (its immediate operand) and called again, in a loop; the second part patches the
 * instruction right after the patching store, in the same straight-line code. A CPU (and an
 * interpreter with a decoded-instruction cache) must run the new bytes each time.
 */
#include "libc.h"

/* A page-aligned, writable and executable buffer (the "#" hides gcc's own section flags). */
static unsigned char code[4096] __attribute__((section(".smc,\"awx\",@progbits#"), aligned(4096)));

typedef int (*fn_t)(void);

static void emit_mov_ret(unsigned char *p, int v) {
  p[0] = 0xb8; /* mov eax, imm32 */
  memcpy(p + 1, &v, 4);
  p[5] = 0xc3; /* ret */
}

int main(void) {
  fn_t f = (fn_t)(void *)code;
  emit_mov_ret(code, 0);
  int before = f();
  int result = 0;
  for (int i = 1; i <= 5; i++) {
    code[1] = (unsigned char)i; /* patch the immediate */
    result = result * 10 + f();
  }
  printf("patched in a loop: %d (first call %d)\n", result, before);

  /* The whole function rewritten each round. */
  int sum = 0;
  for (int i = 0; i < 100; i++) {
    emit_mov_ret(code + 64, i * 3);
    sum += ((fn_t)(void *)(code + 64))();
  }
  printf("rewritten 100 times: sum %d\n", sum);

  /* Code that patches the instruction after its own store: mov byte [imm], 0x42 ; mov eax, 0x41 ; ret */
  unsigned char *g = code + 128;
  unsigned target = (unsigned)(g + 7 + 1); /* the immediate of the mov eax after the 7-byte store */
  g[0] = 0xc6;
  g[1] = 0x05;
  memcpy(g + 2, &target, 4);
  g[6] = 0x42;
  emit_mov_ret(g + 7, 0x41);
  int first = ((fn_t)(void *)g)();
  printf("store into the next instruction: %#x\n", first);
  return 0;
}
