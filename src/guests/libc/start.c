/* Process entry for Linux guests. The kernel enters _start with ESP pointing at argc, then
   argv[0..argc-1], NULL, envp[...], NULL, then the auxiliary vector. */
#include "internal.h"

char **environ;
int errno;

extern int main(int argc, char **argv, char **envp);
void __libc_start(unsigned long *sp) __attribute__((noreturn, used));

__asm__(".text\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "\txorl %ebp, %ebp\n"      /* outermost frame */
        "\tmovl %esp, %eax\n"      /* initial stack pointer: &argc */
        "\tandl $-16, %esp\n"      /* the i386 psABI wants 16-byte alignment at calls */
        "\tsubl $12, %esp\n"
        "\tpushl %eax\n"
        "\tcall __libc_start\n"
        "\thlt\n"
        ".size _start, . - _start\n");

void __libc_start(unsigned long *sp) {
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  environ = envp;
  exit(main(argc, argv, envp));
}
