/* switch: dense switches (jump tables), sparse switches (compare trees and bit tests), a small
   stack-machine bytecode interpreter, a tokenizer state machine and a character classifier.
   Prints each result and a checksum. */
#include "libc.h"

static uint32_t checksum = 2166136261u;

static void mix(uint32_t v) {
  checksum ^= v;
  checksum *= 16777619u;
}

/* ---- dense: a jump table ---- */
static const char *month_name(int m) {
  switch (m) {
  case 0: return "jan";
  case 1: return "feb";
  case 2: return "mar";
  case 3: return "apr";
  case 4: return "may";
  case 5: return "jun";
  case 6: return "jul";
  case 7: return "aug";
  case 8: return "sep";
  case 9: return "oct";
  case 10: return "nov";
  case 11: return "dec";
  default: return "???";
  }
}

static int month_days(int m, int leap) {
  switch (m) {
  case 1: return leap ? 29 : 28;
  case 3:
  case 5:
  case 8:
  case 10: return 30;
  case 0:
  case 2:
  case 4:
  case 6:
  case 7:
  case 9:
  case 11: return 31;
  default: return -1;
  }
}

static uint32_t dense_op(uint32_t op, uint32_t a, uint32_t b) {
  switch (op) {
  case 0: return a + b;
  case 1: return a - b;
  case 2: return a * b;
  case 3: return b ? a / b : 0;
  case 4: return b ? a % b : 0;
  case 5: return a & b;
  case 6: return a | b;
  case 7: return a ^ b;
  case 8: return a << (b & 31);
  case 9: return a >> (b & 31);
  case 10: return a < b ? a : b;
  case 11: return a > b ? a : b;
  case 12: return ~a;
  case 13: return (uint32_t)-(int32_t)a;
  case 14: return a == b;
  case 15: return (a << 7) | (a >> 25);
  default: return 0;
  }
}

/* ---- sparse: a compare tree ---- */
static int http_class(int code) {
  switch (code) {
  case 100: return 1;
  case 200: return 2;
  case 201: return 2;
  case 204: return 2;
  case 301: return 3;
  case 302: return 3;
  case 304: return 3;
  case 400: return 4;
  case 401: return 4;
  case 403: return 4;
  case 404: return 4;
  case 500: return 5;
  case 503: return 5;
  case 1000: return 9;
  case 65535: return 10;
  case -1: return 11;
  default: return 0;
  }
}

/* ---- sparse, small range: bit tests ---- */
static int is_vowel(int c) {
  switch (c) {
  case 'a':
  case 'e':
  case 'i':
  case 'o':
  case 'u':
  case 'A':
  case 'E':
  case 'I':
  case 'O':
  case 'U': return 1;
  default: return 0;
  }
}

/* ---- character classifier with ranges (GNU case ranges) ---- */
enum cclass { CC_OTHER, CC_SPACE, CC_DIGIT, CC_UPPER, CC_LOWER, CC_OPER, CC_PAREN, CC_QUOTE };

static enum cclass classify(int c) {
  switch (c) {
  case ' ':
  case '\t':
  case '\n':
  case '\r': return CC_SPACE;
  case '0' ... '9': return CC_DIGIT;
  case 'A' ... 'Z': return CC_UPPER;
  case 'a' ... 'z':
  case '_': return CC_LOWER;
  case '+':
  case '-':
  case '*':
  case '/':
  case '%':
  case '=':
  case '<':
  case '>': return CC_OPER;
  case '(':
  case ')': return CC_PAREN;
  case '"':
  case '\'': return CC_QUOTE;
  default: return CC_OTHER;
  }
}

/* ---- a tokenizer state machine ---- */
enum state { S_START, S_IDENT, S_NUMBER, S_STRING, S_OPER };
struct token_counts {
  uint32_t idents, numbers, strings, opers, parens, others, number_sum;
};

static void tokenize(const char *s, struct token_counts *tc) {
  enum state st = S_START;
  uint32_t num = 0;
  for (;; s++) {
    int c = *s;
    enum cclass k = c ? classify(c) : CC_SPACE;
    switch (st) {
    case S_START:
    start:
      switch (k) {
      case CC_DIGIT:
        st = S_NUMBER;
        num = (uint32_t)(c - '0');
        break;
      case CC_UPPER:
      case CC_LOWER: st = S_IDENT; break;
      case CC_QUOTE: st = S_STRING; break;
      case CC_OPER: st = S_OPER; break;
      case CC_PAREN: tc->parens++; break;
      case CC_SPACE: break;
      default: tc->others++; break;
      }
      break;
    case S_IDENT:
      if (k == CC_UPPER || k == CC_LOWER || k == CC_DIGIT) break;
      tc->idents++;
      st = S_START;
      goto start;
    case S_NUMBER:
      if (k == CC_DIGIT) {
        num = num * 10u + (uint32_t)(c - '0');
        break;
      }
      tc->numbers++;
      tc->number_sum += num;
      st = S_START;
      goto start;
    case S_STRING:
      if (c == 0) {
        tc->strings++;
        st = S_START;
      } else if (k == CC_QUOTE) {
        tc->strings++;
        st = S_START;
        break;
      }
      break;
    case S_OPER:
      if (k == CC_OPER) break;
      tc->opers++;
      st = S_START;
      goto start;
    }
    if (!c) break;
  }
}

/* ---- a bytecode interpreter ---- */
enum op {
  OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
  OP_LT, OP_EQ, OP_JMP, OP_JZ, OP_JNZ, OP_LOAD, OP_STORE, OP_INC, OP_EMIT
};

struct vm {
  int32_t stack[64];
  int sp;
  int32_t vars[8];
  uint32_t steps, emitted, emit_hash;
};

static void vm_push(struct vm *m, int32_t v) { m->stack[m->sp++] = v; }
static int32_t vm_pop(struct vm *m) { return m->stack[--m->sp]; }

static void vm_emit(struct vm *m, int32_t v) {
  m->emitted++;
  m->emit_hash = (m->emit_hash ^ (uint32_t)v) * 16777619u;
}

static int32_t vm_run(struct vm *m, const int32_t *code) {
  int pc = 0;
  m->sp = 0;
  m->steps = 0;
  for (;;) {
    int32_t op = code[pc++], a, b;
    m->steps++;
    switch (op) {
    case OP_HALT: return m->sp ? vm_pop(m) : 0;
    case OP_PUSH: vm_push(m, code[pc++]); break;
    case OP_POP: (void)vm_pop(m); break;
    case OP_DUP:
      a = vm_pop(m);
      vm_push(m, a);
      vm_push(m, a);
      break;
    case OP_SWAP:
      a = vm_pop(m);
      b = vm_pop(m);
      vm_push(m, a);
      vm_push(m, b);
      break;
    case OP_OVER:
      a = vm_pop(m);
      b = vm_pop(m);
      vm_push(m, b);
      vm_push(m, a);
      vm_push(m, b);
      break;
    case OP_ADD: b = vm_pop(m); a = vm_pop(m); vm_push(m, (int32_t)((uint32_t)a + (uint32_t)b)); break;
    case OP_SUB: b = vm_pop(m); a = vm_pop(m); vm_push(m, (int32_t)((uint32_t)a - (uint32_t)b)); break;
    case OP_MUL: b = vm_pop(m); a = vm_pop(m); vm_push(m, (int32_t)((uint32_t)a * (uint32_t)b)); break;
    case OP_DIV: b = vm_pop(m); a = vm_pop(m); vm_push(m, b ? a / b : 0); break;
    case OP_MOD: b = vm_pop(m); a = vm_pop(m); vm_push(m, b ? a % b : 0); break;
    case OP_LT: b = vm_pop(m); a = vm_pop(m); vm_push(m, a < b); break;
    case OP_EQ: b = vm_pop(m); a = vm_pop(m); vm_push(m, a == b); break;
    case OP_JMP: pc = code[pc]; break;
    case OP_JZ: a = vm_pop(m); pc = a == 0 ? code[pc] : pc + 1; break;
    case OP_JNZ: a = vm_pop(m); pc = a != 0 ? code[pc] : pc + 1; break;
    case OP_LOAD: vm_push(m, m->vars[code[pc++] & 7]); break;
    case OP_STORE: m->vars[code[pc++] & 7] = vm_pop(m); break;
    case OP_INC: m->vars[code[pc++] & 7]++; break;
    case OP_EMIT: vm_emit(m, vm_pop(m)); break;
    default: return -1;
    }
  }
}

/* ---- a tiny assembler for the bytecode (forward jumps are patched) ---- */
struct code {
  int32_t w[160];
  int n;
};

static int emit_op(struct code *c, int32_t op) {
  c->w[c->n] = op;
  return c->n++;
}

static int emit_op1(struct code *c, int32_t op, int32_t arg) {
  int at = emit_op(c, op);
  c->w[c->n++] = arg;
  return at + 1; /* where the argument sits, for patching */
}

static void patch(struct code *c, int at, int32_t target) { c->w[at] = target; }

/* Primes below `limit` by trial division: emits each prime, returns their count. */
static void build_primes(struct code *c, int32_t limit) {
  int outer, inner, to_end, to_prime, to_next, to_next2;
  c->n = 0;
  emit_op1(c, OP_PUSH, 2);
  emit_op1(c, OP_STORE, 0); /* n = 2 */
  emit_op1(c, OP_PUSH, 0);
  emit_op1(c, OP_STORE, 2); /* count = 0 */
  outer = c->n;
  emit_op1(c, OP_LOAD, 0);
  emit_op1(c, OP_PUSH, limit);
  emit_op(c, OP_LT);
  to_end = emit_op1(c, OP_JZ, 0);
  emit_op1(c, OP_PUSH, 2);
  emit_op1(c, OP_STORE, 1); /* d = 2 */
  inner = c->n;
  emit_op1(c, OP_LOAD, 0);
  emit_op1(c, OP_LOAD, 1);
  emit_op(c, OP_DUP);
  emit_op(c, OP_MUL);
  emit_op(c, OP_LT);
  to_prime = emit_op1(c, OP_JNZ, 0); /* n < d*d: prime */
  emit_op1(c, OP_LOAD, 0);
  emit_op1(c, OP_LOAD, 1);
  emit_op(c, OP_MOD);
  to_next = emit_op1(c, OP_JZ, 0); /* d divides n */
  emit_op1(c, OP_INC, 1);
  emit_op1(c, OP_JMP, inner);
  patch(c, to_prime, c->n);
  emit_op1(c, OP_LOAD, 0);
  emit_op(c, OP_EMIT);
  emit_op1(c, OP_INC, 2);
  to_next2 = c->n;
  patch(c, to_next, to_next2);
  emit_op1(c, OP_INC, 0);
  emit_op1(c, OP_JMP, outer);
  patch(c, to_end, c->n);
  emit_op1(c, OP_LOAD, 2);
  emit_op(c, OP_HALT);
}

/* The sum of i*i for i < limit (emitted), then the Collatz steps from x (returned). */
static void build_squares_collatz(struct code *c, int32_t limit, int32_t x) {
  int loop1, done1, loop2, done2, even;
  c->n = 0;
  emit_op1(c, OP_PUSH, 0);
  emit_op1(c, OP_STORE, 0);
  emit_op1(c, OP_PUSH, 0);
  emit_op1(c, OP_STORE, 1);
  loop1 = c->n;
  emit_op1(c, OP_LOAD, 0);
  emit_op1(c, OP_PUSH, limit);
  emit_op(c, OP_LT);
  done1 = emit_op1(c, OP_JZ, 0);
  emit_op1(c, OP_LOAD, 0);
  emit_op(c, OP_DUP);
  emit_op(c, OP_MUL);
  emit_op1(c, OP_LOAD, 1);
  emit_op(c, OP_ADD);
  emit_op1(c, OP_STORE, 1);
  emit_op1(c, OP_INC, 0);
  emit_op1(c, OP_JMP, loop1);
  patch(c, done1, c->n);
  emit_op1(c, OP_LOAD, 1);
  emit_op(c, OP_EMIT);
  emit_op1(c, OP_PUSH, x);
  emit_op1(c, OP_STORE, 2);
  emit_op1(c, OP_PUSH, 0);
  emit_op1(c, OP_STORE, 3);
  loop2 = c->n;
  emit_op1(c, OP_LOAD, 2);
  emit_op1(c, OP_PUSH, 1);
  emit_op(c, OP_EQ);
  done2 = emit_op1(c, OP_JNZ, 0);
  emit_op1(c, OP_INC, 3);
  emit_op1(c, OP_LOAD, 2);
  emit_op1(c, OP_PUSH, 2);
  emit_op(c, OP_MOD);
  even = emit_op1(c, OP_JZ, 0);
  emit_op1(c, OP_LOAD, 2);
  emit_op1(c, OP_PUSH, 3);
  emit_op(c, OP_MUL);
  emit_op1(c, OP_PUSH, 1);
  emit_op(c, OP_ADD);
  emit_op1(c, OP_STORE, 2);
  emit_op1(c, OP_LOAD, 2);
  emit_op(c, OP_EMIT);
  emit_op1(c, OP_JMP, loop2);
  patch(c, even, c->n);
  emit_op1(c, OP_LOAD, 2);
  emit_op1(c, OP_PUSH, 2);
  emit_op(c, OP_DIV);
  emit_op1(c, OP_STORE, 2);
  emit_op1(c, OP_JMP, loop2);
  patch(c, done2, c->n);
  emit_op1(c, OP_LOAD, 3);
  emit_op(c, OP_HALT);
}

int main(void) {
  int i, m, days;
  uint32_t acc;
  struct vm vm;
  struct token_counts tc;
  static const char *const sources[] = {
      "x = 42 + y1 * (z - 7) / 3",
      "if (count >= 10) print(\"ten or more\") else total = total + count * 2",
      "for i = 0 to 99 do sum = sum + i % 7 end",
      "'single' \"double\" 123 abc_def ABC99 <= >= == != && ||",
  };

  /* dense switches */
  days = 0;
  for (m = 0; m < 12; m++) days += month_days(m, 0);
  printf("months: %s..%s, %d days, leap feb %d, month 12 = %s\n", month_name(0), month_name(11),
         days, month_days(1, 1), month_name(12));
  mix((uint32_t)days);
  acc = 0;
  for (i = 0; i < 4000; i++) acc = dense_op((uint32_t)i % 17u, acc + (uint32_t)i, (uint32_t)i * 7u + 1u);
  printf("dense ops: %08x\n", acc);
  mix(acc);
  acc = 0;
  for (i = 0; i < 1200; i++) acc += (uint32_t)month_days(i % 13, i % 4 == 0) * (uint32_t)(i + 1);
  printf("month days weighted: %u\n", acc);
  mix(acc);

  /* sparse switches */
  acc = 0;
  for (i = -2; i < 1100; i++) acc += (uint32_t)http_class(i) * (uint32_t)(i + 3);
  acc += (uint32_t)http_class(65535) + (uint32_t)http_class(-1);
  printf("http classes: %u\n", acc);
  mix(acc);
  acc = 0;
  for (i = 0; i < 1024; i++) acc += (uint32_t)is_vowel(i & 127);
  printf("vowels in 0..1023 & 127: %u\n", acc);
  mix(acc);

  /* classifier and state machine */
  for (i = 0; i < 4; i++) {
    int rep;
    memset(&tc, 0, sizeof tc);
    for (rep = 0; rep < 8; rep++) tokenize(sources[i], &tc);
    printf("tokens[%d]: ident %u number %u (sum %u) string %u oper %u paren %u other %u\n", i,
           tc.idents, tc.numbers, tc.number_sum, tc.strings, tc.opers, tc.parens, tc.others);
    mix(tc.idents + 10 * tc.numbers + 100 * tc.strings + 1000 * tc.opers + tc.number_sum);
  }

  /* bytecode */
  {
    static struct code code;
    build_primes(&code, 200);
    memset(&vm, 0, sizeof vm);
    i = vm_run(&vm, code.w);
    printf("vm primes < 200: %d (%d words of code), %u steps, %u emitted, hash %08x\n", i,
           code.n, vm.steps, vm.emitted, vm.emit_hash);
    mix(vm.steps);
    mix(vm.emit_hash);
    build_squares_collatz(&code, 40, 27);
    memset(&vm, 0, sizeof vm);
    i = vm_run(&vm, code.w);
    printf("vm squares/collatz: collatz(27) takes %d steps; %u vm steps, %u emitted, hash %08x\n",
           i, vm.steps, vm.emitted, vm.emit_hash);
    mix(vm.steps);
    mix((uint32_t)i);
  }

  printf("checksum %08x\n", checksum);
  return 0;
}
